'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useId, useState, type FormEvent } from 'react';
import { api, errorMessage } from '../_lib/api';
import { loadRecentWorkspaces, workspaceIdFromInput, type RecentWorkspace } from '../_lib/recent-workspaces';
import { TEMPLATES } from '../_lib/templates';

/** "Create a workspace": optional name and a starter template, then straight into the editor. */
export function CreateWorkspaceForm() {
  const router = useRouter();
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
      router.push(`/w/${workspace.id}`);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  return (
    <form className="card" onSubmit={onSubmit} aria-labelledby={`${nameId}-title`}>
      <h2 id={`${nameId}-title`}>Start a workspace</h2>
      <p className="card-sub">Anyone with the link can join and edit with you.</p>
      <div className="form-row">
        <label className="field-label" htmlFor={nameId}>
          Name <span style={{ color: 'var(--text-3)', fontWeight: 400 }}>(optional)</span>
        </label>
        <input
          id={nameId}
          className="input"
          data-testid="workspace-name-input"
          placeholder="e.g. Week 3 — Loops"
          maxLength={120}
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
      </div>
      <fieldset className="form-row template-picker" aria-label="Starter file">
        <legend className="field-label">Starter file</legend>
        {TEMPLATES.map((t) => (
          <label key={t.id} className="template-option">
            <input type="radio" name="template" value={t.id} checked={template === t.id} onChange={() => setTemplate(t.id)} />
            <span>{t.label}</span>
          </label>
        ))}
      </fieldset>
      <button type="submit" className="btn btn-primary btn-lg" data-testid="create-workspace" disabled={busy} style={{ width: '100%' }}>
        {busy ? 'Creating…' : 'Create workspace'}
      </button>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

/** "Join a workspace": paste a link or an id. */
export function OpenWorkspaceForm() {
  const router = useRouter();
  const inputId = useId();
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const id = workspaceIdFromInput(value);
    if (!id) {
      setError('That doesn’t look like a Tandem link. Links look like …/w/AbC123xyz.');
      return;
    }
    router.push(`/w/${id}`);
  }

  return (
    <form className="card" onSubmit={onSubmit}>
      <h2>Join a workspace</h2>
      <p className="card-sub">Paste the link your teacher or partner shared.</p>
      <label className="visually-hidden" htmlFor={inputId}>
        Workspace link or id
      </label>
      <div className="inline-form">
        <input
          id={inputId}
          className="input"
          data-testid="open-workspace-input"
          placeholder="https://…/w/… or workspace id"
          value={value}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${inputId}-error` : undefined}
          onChange={(e) => {
            setValue(e.target.value);
            setError(null);
          }}
        />
        <button type="submit" className="btn" style={{ height: 36 }}>
          Open
        </button>
      </div>
      {error && (
        <p className="field-error" id={`${inputId}-error`} role="alert">
          {error}
        </p>
      )}
      <RecentWorkspaces />
    </form>
  );
}

function RecentWorkspaces() {
  const [recent, setRecent] = useState<RecentWorkspace[]>([]);
  // localStorage exists only in the browser; read it after hydration.
  useEffect(() => setRecent(loadRecentWorkspaces()), []);
  if (recent.length === 0) return null;
  return (
    <nav aria-label="Recent workspaces" style={{ marginTop: 18 }}>
      <h3 className="field-label" style={{ marginBottom: 4 }}>
        Recent
      </h3>
      <ul className="recent-list">
        {recent.map((r) => (
          <li key={r.id}>
            <a href={`/w/${r.id}`}>
              <span className="ws-name">{r.name}</span>
              <span className="when">{relativeTime(r.openedAt)}</span>
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function relativeTime(at: number): string {
  const minutes = Math.round((Date.now() - at) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  return days === 1 ? 'yesterday' : `${days} days ago`;
}
