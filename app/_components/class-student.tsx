'use client';

import { useId, useState } from 'react';
import { api, ApiError, errorMessage, type AssignmentSummary, type ClassMember } from '../_lib/api';
import { useResource } from '../_lib/use-resource';
import { formatDeadline } from '../_lib/time';
import type { ClassPageProps } from './class-app';
import { RaiseHand } from './help-queue';

/** The class as a student sees it: published assignments, the teacher's broadcast, and a raised hand. */
export function ClassStudentView({ me, klass, versions }: ClassPageProps) {
  const assignments = useResource(() => api.assignments(klass.id), klass.id, versions.assignments);
  const needClassmates = (assignments.data?.assignments ?? []).some((a) => a.mode === 'pairs' && a.pairing === 'choice');
  const members = useResource(needClassmates ? () => api.members(klass.id) : null, klass.id, versions.roster);
  const classmates = (members.data?.members ?? []).filter((m) => m.role === 'student' && m.userId !== me.user.id);
  const list = [...(assignments.data?.assignments ?? [])].sort((a, b) => b.createdAt - a.createdAt);

  return (
    <main className="app-main class-main">
      <div className="class-head">
        <div>
          <h1 className="page-title" data-testid="class-name">
            {klass.name}
          </h1>
          {klass.archived && <p className="page-sub">This class is archived: you can look at your work, but not change it.</p>}
        </div>
      </div>
      {klass.broadcastWorkspaceId && (
        <div className="banner banner-live" role="status" data-testid="broadcast-banner">
          <span className="live-dot" aria-hidden="true" />
          <span>Your teacher is broadcasting.</span>
          <a className="btn btn-primary" href={`/w/${klass.broadcastWorkspaceId}`} data-testid="watch-broadcast">
            Watch
          </a>
        </div>
      )}
      <div className="class-grid">
        <section className="class-col-main" aria-labelledby="assignments-title">
          <div className="section-head">
            <h2 id="assignments-title">Assignments</h2>
          </div>
          {assignments.error && (
            <p className="field-error" role="alert">
              {assignments.error.message}
            </p>
          )}
          {list.length === 0 && !assignments.loading && (
            <p className="empty" data-testid="no-assignments">
              No assignments yet. They appear here as soon as your teacher publishes them.
            </p>
          )}
          <ul className="assignment-list">
            {list.map((a) => (
              <li key={a.id}>
                <StudentAssignment assignment={a} version={versions.assignments + versions.groups} classmates={classmates} archived={klass.archived} />
              </li>
            ))}
          </ul>
        </section>
        <aside className="class-col-side">
          <section className="card side-card" aria-labelledby="help-title">
            <h2 id="help-title">Need help?</h2>
            <p className="card-sub">Raise your hand and your teacher comes by, in order.</p>
            <RaiseHand classId={klass.id} workspaceId={null} version={versions.help} />
          </section>
        </aside>
      </div>
    </main>
  );
}

function StudentAssignment({
  assignment: a,
  version,
  classmates,
  archived,
}: {
  assignment: AssignmentSummary;
  version: number;
  classmates: ClassMember[];
  archived: boolean;
}) {
  const detail = useResource(() => api.assignment(a.id), a.id, version);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [partner, setPartner] = useState('');
  const id = useId();
  const d = detail.data;
  const group = d?.group ?? null;
  const late = a.deadline !== null && a.deadline < Date.now();

  async function open() {
    setBusy(true);
    setError(null);
    try {
      const opened = await api.openAssignment(a.id);
      window.location.assign(`/w/${opened.workspaceId}`);
    } catch (err) {
      setError(errorMessage(err));
      if (err instanceof ApiError && err.status === 409) detail.reload();
      setBusy(false);
    }
  }

  let action;
  if (group || a.mode === 'solo') {
    action = (
      <button type="button" className="btn btn-primary" disabled={busy || (archived && !group?.workspaceId)} onClick={open} data-testid="open-workspace">
        {busy ? 'Opening…' : group?.started ? 'Open my workspace' : 'Start'}
      </button>
    );
  } else if (a.pairing === 'choice') {
    action = (
      <form
        className="inline-form"
        onSubmit={async (e) => {
          e.preventDefault();
          if (!partner) return;
          setBusy(true);
          setError(null);
          try {
            await api.pickPartner(a.id, partner);
            detail.reload();
          } catch (err) {
            setError(errorMessage(err));
          } finally {
            setBusy(false);
          }
        }}
      >
        <label className="visually-hidden" htmlFor={`${id}-partner`}>
          Pick a partner
        </label>
        <select id={`${id}-partner`} className="select" value={partner} onChange={(e) => setPartner(e.target.value)} data-testid="partner-select">
          <option value="">Pick a partner…</option>
          {classmates.map((c) => (
            <option key={c.userId} value={c.userId}>
              {c.displayName}
            </option>
          ))}
        </select>
        <button type="submit" className="btn btn-primary" style={{ height: 36 }} disabled={!partner || busy} data-testid="pick-partner">
          Pair up
        </button>
      </form>
    );
  } else {
    action = (
      <p className="waiting" data-testid="waiting-to-be-paired">
        Waiting to be paired — your teacher will pair you.
      </p>
    );
  }

  return (
    <article className="assignment card" data-testid="student-assignment" data-assignment-id={a.id} data-title={a.title}>
      <div className="assignment-head">
        <h3>{a.title}</h3>
        {a.deadline && (
          <span className={`status-badge${late ? ' warn' : ''}`}>
            {late ? 'Deadline passed' : `Due ${formatDeadline(a.deadline)}`}
          </span>
        )}
      </div>
      <p className="assignment-meta">
        <span>{a.mode === 'pairs' ? 'Pair programming' : 'Solo'}</span>
        {a.strictRoles && <span>Only the driver types</span>}
        {a.swapMinutes && <span>Swap roles every {a.swapMinutes} min</span>}
      </p>
      {d?.instructionsHtml ? (
        // Sanitised by the server (server/classroom/markdown.ts).
        <div className="prose" data-testid="instructions" dangerouslySetInnerHTML={{ __html: d.instructionsHtml }} />
      ) : null}
      {group && group.members.length > 1 && (
        <p className="pair-line" data-testid="my-group">
          Your pair:{' '}
          {group.members.map((m, i) => (
            <span key={m.userId}>
              {i > 0 && ' & '}
              {m.displayName} <span className={`pair-role ${m.role}`}>{m.role}</span>
            </span>
          ))}
        </p>
      )}
      <div className="assignment-action">{action}</div>
      {error && (
        <p className="field-error" role="alert" data-testid="assignment-error">
          {error}
        </p>
      )}
    </article>
  );
}
