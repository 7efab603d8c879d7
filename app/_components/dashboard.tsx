'use client';

import Link from 'next/link';
import { useId, useState, type FormEvent } from 'react';
import { api, errorMessage, type Me } from '../_lib/api';
import { useResource } from '../_lib/use-resource';
import { TEMPLATES } from '../_lib/templates';
import { ago } from '../_lib/time';
import { AppHeader } from './app-header';
import { JoinCodeForm } from './auth-forms';

const CLASS_ROLE_LABEL = { teacher: 'Teacher', ta: 'TA', student: 'Student' } as const;

/** The signed-in start page: my classes, my workspaces. */
export function Dashboard({ me }: { me: Me }) {
  const canTeach = me.user.role === 'teacher' || me.user.role === 'admin';
  const active = me.classes.filter((c) => !c.archived);
  const archived = me.classes.filter((c) => c.archived);
  return (
    <div className="app-page" data-testid="dashboard">
      <AppHeader user={me.user} />
      <main className="app-main">
        <h1 className="page-title">Hello, {me.user.displayName}</h1>
        <div className="dash-grid">
          <section className="card" aria-labelledby="classes-title">
            <div className="card-head">
              <h2 id="classes-title">Your classes</h2>
            </div>
            {active.length === 0 ? (
              <p className="card-sub" data-testid="no-classes">
                {canTeach ? 'No classes yet. Create one and share its join link with your students.' : 'You are not in a class yet.'}
              </p>
            ) : (
              <ul className="link-list" data-testid="class-list">
                {active.map((c) => (
                  <li key={c.id}>
                    <Link href={`/classes/${c.id}`} data-testid="class-link" data-class-id={c.id}>
                      <span className="link-title">{c.name}</span>
                      <span className={`role-badge role-${c.role}`}>{CLASS_ROLE_LABEL[c.role]}</span>
                    </Link>
                  </li>
                ))}
              </ul>
            )}
            {archived.length > 0 && (
              <details className="archived">
                <summary>Archived ({archived.length})</summary>
                <ul className="link-list">
                  {archived.map((c) => (
                    <li key={c.id}>
                      <Link href={`/classes/${c.id}`}>
                        <span className="link-title">{c.name}</span>
                        <span className={`role-badge role-${c.role}`}>{CLASS_ROLE_LABEL[c.role]}</span>
                      </Link>
                    </li>
                  ))}
                </ul>
              </details>
            )}
            <div className="card-foot">
              {canTeach ? <NewClassForm /> : null}
              <div>
                <p className="field-label">Join a class with a code</p>
                <JoinCodeForm />
              </div>
            </div>
          </section>
          <WorkspacesCard />
        </div>
      </main>
    </div>
  );
}

function NewClassForm() {
  const id = useId();
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) return setError('Give the class a name.');
    setBusy(true);
    setError(null);
    try {
      const created = await api.createClass(name.trim());
      window.location.assign(`/classes/${created.id}`);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  }
  return (
    <form onSubmit={onSubmit} noValidate>
      <label className="field-label" htmlFor={id}>
        New class
      </label>
      <div className="inline-form">
        <input
          id={id}
          className="input"
          placeholder="e.g. CS 101 — Period 3"
          maxLength={120}
          data-testid="new-class-name"
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <button type="submit" className="btn btn-primary" style={{ height: 36 }} disabled={busy} data-testid="create-class">
          {busy ? 'Creating…' : 'Create class'}
        </button>
      </div>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

/** My personal workspaces, and a form for a new one (optional name and a starter template). */
function WorkspacesCard() {
  const list = useResource(() => api.myWorkspaces(), 'mine');
  const nameId = useId();
  const [name, setName] = useState('');
  const [template, setTemplate] = useState(TEMPLATES[0]!.id);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const files = TEMPLATES.find((t) => t.id === template)?.files ?? [];
      const workspace = await api.createWorkspace({ name: name.trim() || undefined, files });
      window.location.assign(`/w/${workspace.id}`);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  const workspaces = list.data?.workspaces ?? [];
  return (
    <section className="card" aria-labelledby="ws-title">
      <div className="card-head">
        <h2 id="ws-title">Your workspaces</h2>
      </div>
      <p className="card-sub">Only you can edit these. Teachers can broadcast one to a class.</p>
      {list.error && (
        <p className="field-error" role="alert">
          {list.error.message}
        </p>
      )}
      {workspaces.length > 0 && (
        <ul className="link-list" data-testid="workspace-list">
          {[...workspaces]
            .sort((a, b) => b.createdAt - a.createdAt)
            .map((w) => (
              <li key={w.id}>
                <a href={`/w/${w.id}`} data-testid="workspace-link" data-workspace-id={w.id}>
                  <span className="link-title">{w.name}</span>
                  <span className="when">
                    {w.fileCount} file{w.fileCount === 1 ? '' : 's'} · {ago(Date.now() - w.createdAt)}
                  </span>
                </a>
              </li>
            ))}
        </ul>
      )}
      <form className="card-foot" onSubmit={onSubmit} aria-labelledby={`${nameId}-title`}>
        <h3 className="field-label" id={`${nameId}-title`}>
          New workspace
        </h3>
        <div className="form-row">
          <label className="visually-hidden" htmlFor={nameId}>
            Name (optional)
          </label>
          <input
            id={nameId}
            className="input"
            data-testid="workspace-name-input"
            placeholder="Name (optional), e.g. Week 3 — Loops"
            maxLength={120}
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </div>
        <fieldset className="form-row template-picker" aria-label="Starter file">
          <legend className="visually-hidden">Starter file</legend>
          {TEMPLATES.map((t) => (
            <label key={t.id} className="template-option">
              <input type="radio" name="template" value={t.id} checked={template === t.id} onChange={() => setTemplate(t.id)} />
              <span>{t.label}</span>
            </label>
          ))}
        </fieldset>
        <button type="submit" className="btn btn-primary" data-testid="create-workspace" disabled={busy}>
          {busy ? 'Creating…' : 'Create workspace'}
        </button>
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
      </form>
    </section>
  );
}
