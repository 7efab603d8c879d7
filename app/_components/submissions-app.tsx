'use client';

import Link from 'next/link';
import { useEffect, useState } from 'react';
import type { SubmissionStatus } from '../../lib/review/review-api';
import { api, submissionsZipUrl, type Me } from '../_lib/api';
import { redirectToSignIn } from '../_lib/auth-redirect';
import { APP_EVENTS, APP_PUSH, useAccountClient, useOnConnect, useSocketEvent } from '../_lib/live-client';
import { formatDeadline } from '../_lib/time';
import { useMe } from '../_lib/use-me';
import { useResource } from '../_lib/use-resource';
import { AppHeader, type Crumb } from './app-header';
import { PageError, PageLoading, PageNotFound } from './page-states';

const FILTERS: Array<{ value: SubmissionStatus | 'all'; label: string }> = [
  { value: 'all', label: 'All' },
  { value: 'submitted', label: 'Submitted' },
  { value: 'late', label: 'Late' },
  { value: 'missing', label: 'Missing' },
  { value: 'reviewed', label: 'Reviewed' },
];

const STATUS_LABEL: Record<SubmissionStatus, string> = { missing: 'Missing', submitted: 'Submitted', late: 'Late', reviewed: 'Reviewed' };
const STATUS_CLASS: Record<SubmissionStatus, string> = { missing: '', submitted: 'ok', late: 'warn', reviewed: 'ok' };

function readFilter(): SubmissionStatus | 'all' {
  const value = new URLSearchParams(window.location.search).get('status');
  return FILTERS.some((f) => f.value === value) ? (value as SubmissionStatus) : 'all';
}

/** `/assignments/[id]/submissions`: every group's submission state, for teachers and TAs. */
export default function SubmissionsApp({ assignmentId }: { assignmentId: string }) {
  const me = useMe();
  useEffect(() => {
    if (me.status === 'signed-out') redirectToSignIn();
  }, [me.status]);
  if (me.status === 'loading' || me.status === 'signed-out') return <PageLoading />;
  if (me.status === 'error') return <PageError message={me.message} />;
  return <Submissions assignmentId={assignmentId} me={me.me} />;
}

function Submissions({ assignmentId, me }: { assignmentId: string; me: Me }) {
  const assignment = useResource(() => api.assignment(assignmentId), assignmentId);
  const classId = assignment.data?.classId ?? null;
  const klass = useResource(classId ? () => api.getClass(classId) : null, classId ?? '');
  const [filter, setFilter] = useState<SubmissionStatus | 'all'>(readFilter);
  const [listVersion, setListVersion] = useState(0);
  const list = useResource(
    () => api.submissionList(assignmentId, filter === 'all' ? undefined : filter),
    `${assignmentId}:${filter}`,
    listVersion,
  );

  // New submissions appear without a reload (the class's staff are told over the socket).
  const client = useAccountClient(me.user);
  useOnConnect(client, (c, reconnect) => {
    if (classId) c.socket.emit(APP_EVENTS.watchClass, { id: classId });
    if (reconnect) setListVersion((v) => v + 1);
  });
  useEffect(() => {
    if (client?.socket.connected && classId) client.socket.emit(APP_EVENTS.watchClass, { id: classId });
  }, [client, classId]);
  useSocketEvent<{ assignmentId: string }>(client, APP_PUSH.submissionsChanged, (e) => {
    if (e.assignmentId === assignmentId) setListVersion((v) => v + 1);
  });

  useEffect(() => {
    const url = `/assignments/${assignmentId}/submissions${filter === 'all' ? '' : `?status=${filter}`}`;
    if (window.location.pathname + window.location.search !== url) window.history.replaceState(window.history.state, '', url);
  }, [assignmentId, filter]);

  const title = assignment.data?.title ?? 'Assignment';
  useEffect(() => {
    document.title = `Submissions · ${title} · Tandem`;
  }, [title]);

  const error = assignment.error ?? (list.data ? null : list.error);
  if (error && (error.status === 404 || error.status === 403)) {
    return (
      <div className="app-page">
        <AppHeader user={me.user} />
        <PageNotFound title="Submissions not found" text="This assignment does not exist, or your account cannot see its submissions." testId="submissions-missing" />
      </div>
    );
  }

  const crumbs: Crumb[] = [];
  if (classId) crumbs.push({ href: `/classes/${classId}`, label: klass.data?.name ?? 'Class' });
  crumbs.push({ label: `${title}: submissions` });
  const rows = list.data?.rows ?? [];
  const maxScore = list.data?.maxScore ?? 0;
  const deadline = list.data?.deadline ?? assignment.data?.deadline ?? null;

  return (
    <div className="app-page" data-testid="submissions-page">
      <AppHeader user={me.user} crumbs={crumbs} />
      <main className="app-main">
        <div className="class-head">
          <div>
            <h1 className="page-title">Submissions</h1>
            <p className="page-sub">
              {title}
              {deadline ? ` · due ${formatDeadline(deadline)}` : ' · no deadline'}
            </p>
          </div>
          <a className="btn" href={submissionsZipUrl(assignmentId)} download data-testid="download-zip">
            Download all (zip)
          </a>
        </div>
        <div className="seg filter-bar" role="group" aria-label="Show">
          {FILTERS.map((f) => (
            <button
              key={f.value}
              type="button"
              className="seg-btn"
              aria-pressed={filter === f.value}
              data-testid={`filter-${f.value}`}
              onClick={() => setFilter(f.value)}
            >
              {f.label}
            </button>
          ))}
        </div>
        {error && (
          <p className="field-error" role="alert">
            {error.message}
          </p>
        )}
        <section className="card submissions-card">
          {!list.data && !list.error ? (
            <p className="card-sub">Loading…</p>
          ) : rows.length === 0 ? (
            <p className="card-sub" data-testid="no-submissions">
              {filter === 'all' ? 'No groups yet: pair students, or wait for them to open the assignment.' : `No ${STATUS_LABEL[filter].toLowerCase()} groups.`}
            </p>
          ) : (
            <div className="table-wrap">
              <table className="table" data-testid="submissions-table">
                <thead>
                  <tr>
                    <th scope="col">Group</th>
                    <th scope="col">Status</th>
                    <th scope="col">Last submitted</th>
                    <th scope="col">Submissions</th>
                    <th scope="col">Score</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r) => (
                    <tr key={r.groupId} data-testid="submission-row" data-group-id={r.groupId} data-status={r.status}>
                      <td className="strong">{r.members.map((m) => m.displayName).join(' & ') || '—'}</td>
                      <td>
                        <span className={`status-badge ${STATUS_CLASS[r.status]}`} data-testid="submission-status">
                          {STATUS_LABEL[r.status]}
                        </span>
                      </td>
                      <td>
                        {r.latest ? (
                          <>
                            <span title={new Date(r.latest.submittedAt).toLocaleString()}>{formatDeadline(r.latest.submittedAt)}</span>
                            {r.latest.late && <span className="status-badge warn late-badge">late</span>}
                          </>
                        ) : (
                          <span className="muted">—</span>
                        )}
                      </td>
                      <td>{r.submissions}</td>
                      <td data-testid="submission-score">{r.score === null ? <span className="muted">—</span> : `${r.score} / ${maxScore}`}</td>
                      <td>
                        <div className="row-actions">
                          <Link
                            href={`/review/${r.groupId}`}
                            className={`btn small-btn${r.latest && !r.reviewed ? ' btn-primary' : ''}`}
                            data-testid="review-link"
                          >
                            Review
                          </Link>
                        </div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      </main>
    </div>
  );
}
