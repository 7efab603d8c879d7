'use client';

import Link from 'next/link';
import { useEffect, useId, useState } from 'react';
import { api, errorMessage, type AssignmentSummary, type ClassMember, type ClassRole, type ClassView } from '../_lib/api';
import { useResource } from '../_lib/use-resource';
import { formatDeadline } from '../_lib/time';
import { AiSettingsCard, AiSettingsSummary } from './ai-settings';
import { AssignmentEditor } from './assignment-editor';
import type { ClassPageProps } from './class-app';
import { HelpQueue } from './help-queue';
import { GradesFinalControl, RetentionCard } from './history-retention';
import { LiveGrid } from './live-grid';
import { Modal } from './modal';
import { PairingPanel } from './pairing-panel';
import { copyText } from './share-button';

export const PAIRING_LABEL = { manual: 'Teacher pairs', random: 'Random pairs', choice: 'Students pick' } as const;

/** The class as its teacher or TA sees it: assignments with live grid and pairing, help queue, join link, roster. */
export function ClassStaffView({ me, klass, client, versions, reloadClass }: ClassPageProps) {
  const isTeacher = klass.role === 'teacher' || me.user.role === 'admin';
  const assignments = useResource(() => api.assignments(klass.id), klass.id, versions.assignments);
  const members = useResource(() => api.members(klass.id), klass.id, versions.roster);
  const retention = useResource(() => api.retention(klass.id), klass.id);
  // Undefined until known, so a confirm never claims "forever" by mistake.
  const retentionDays = retention.data ? retention.data.opRetentionDays : undefined;
  const [editing, setEditing] = useState<'new' | string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const list = assignments.data?.assignments ?? [];
  const students = (members.data?.members ?? []).filter((m) => m.role === 'student');

  // Open the newest assignment by default, so the live grid is one glance away.
  useEffect(() => {
    if (selected === null && list.length > 0) setSelected([...list].sort((a, b) => b.createdAt - a.createdAt)[0]!.id);
  }, [list, selected]);

  return (
    <main className="app-main class-main">
      <ClassHead klass={klass} isTeacher={isTeacher} onChanged={reloadClass} />
      <div className="class-grid">
        <section className="class-col-main" aria-labelledby="assignments-title">
          <div className="section-head">
            <h2 id="assignments-title">Assignments</h2>
            {isTeacher && editing === null && (
              <button type="button" className="btn btn-primary" data-testid="new-assignment" onClick={() => setEditing('new')}>
                New assignment
              </button>
            )}
          </div>
          {assignments.error && (
            <p className="field-error" role="alert">
              {assignments.error.message}
            </p>
          )}
          {editing === 'new' && (
            <AssignmentEditor
              classId={klass.id}
              assignmentId={null}
              onDone={(saved) => {
                setEditing(null);
                if (saved) {
                  setSelected(saved);
                  assignments.reload();
                }
              }}
            />
          )}
          {list.length === 0 && editing === null && !assignments.loading && (
            <p className="empty" data-testid="no-assignments">
              No assignments yet.{isTeacher ? ' Create one, publish it, and pair your students.' : ''}
            </p>
          )}
          <ul className="assignment-list">
            {[...list]
              .sort((a, b) => b.createdAt - a.createdAt)
              .map((a) => (
                <li key={a.id}>
                  {editing === a.id ? (
                    <AssignmentEditor
                      classId={klass.id}
                      assignmentId={a.id}
                      onDone={(saved) => {
                        setEditing(null);
                        if (saved) assignments.reload();
                      }}
                    />
                  ) : (
                    <StaffAssignment
                      assignment={a}
                      isTeacher={isTeacher}
                      expanded={selected === a.id}
                      onToggle={() => setSelected(selected === a.id ? '' : a.id)}
                      onEdit={() => setEditing(a.id)}
                      onChanged={assignments.reload}
                      students={students}
                      client={client}
                      groupsVersion={versions.groups}
                      retentionDays={retentionDays}
                    />
                  )}
                </li>
              ))}
          </ul>
        </section>
        <aside className="class-col-side">
          <HelpQueue classId={klass.id} version={versions.help} />
          <JoinCard klass={klass} isTeacher={isTeacher} onChanged={reloadClass} />
          <BroadcastCard klass={klass} onChanged={reloadClass} />
          <RosterCard
            classId={klass.id}
            members={members.data?.members ?? null}
            error={members.error?.message ?? null}
            isTeacher={isTeacher}
            myId={me.user.id}
            onChanged={members.reload}
          />
          <RetentionCard
            classId={klass.id}
            isTeacher={isTeacher}
            policy={retention.data}
            error={retention.error?.message ?? null}
            onSaved={retention.reload}
          />
          <AiSettingsCard classId={klass.id} isTeacher={isTeacher} />
        </aside>
      </div>
    </main>
  );
}

function ClassHead({ klass, isTeacher, onChanged }: { klass: ClassView; isTeacher: boolean; onChanged: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <div className="class-head">
      <div>
        <h1 className="page-title" data-testid="class-name">
          {klass.name}
        </h1>
        <p className="page-sub">
          <span className={`role-badge role-${klass.role ?? 'teacher'}`}>{klass.role === 'ta' ? 'TA' : 'Teacher'}</span>
          {klass.archived && <span className="status-badge">Archived</span>}
        </p>
      </div>
      {isTeacher && (
        <div className="class-head-actions">
          <button
            type="button"
            className="btn"
            disabled={busy}
            data-testid="archive-class"
            onClick={async () => {
              setBusy(true);
              setError(null);
              try {
                await api.updateClass(klass.id, { archived: !klass.archived });
                onChanged();
              } catch (err) {
                setError(errorMessage(err));
              } finally {
                setBusy(false);
              }
            }}
          >
            {klass.archived ? 'Unarchive class' : 'Archive class'}
          </button>
          {error && (
            <p className="field-error" role="alert">
              {error}
            </p>
          )}
        </div>
      )}
    </div>
  );
}

/** One assignment in the staff list: summary line, publish and edit, and when expanded the live grid and pairing. */
function StaffAssignment({
  assignment: a,
  isTeacher,
  expanded,
  onToggle,
  onEdit,
  onChanged,
  students,
  client,
  groupsVersion,
  retentionDays,
}: {
  assignment: AssignmentSummary;
  isTeacher: boolean;
  expanded: boolean;
  onToggle: () => void;
  onEdit: () => void;
  onChanged: () => void;
  students: ClassMember[];
  client: ClassPageProps['client'];
  groupsVersion: number;
  retentionDays: number | null | undefined;
}) {
  const [tab, setTab] = useState<'live' | 'pairs'>('live');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const panelId = useId();

  async function togglePublished() {
    setBusy(true);
    setError(null);
    try {
      await api.updateAssignment(a.id, { published: !a.published });
      onChanged();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <article className={`assignment card${expanded ? ' expanded' : ''}`} data-testid="assignment-row" data-assignment-id={a.id} data-title={a.title}>
      <div className="assignment-head">
        <button type="button" className="assignment-title" aria-expanded={expanded} aria-controls={panelId} onClick={onToggle}>
          <h3>{a.title}</h3>
        </button>
        <div className="assignment-actions">
          <Link href={`/assignments/${a.id}/submissions`} className="btn" data-testid="submissions-link">
            Submissions
          </Link>
          {isTeacher && (
            <>
              <button type="button" className="btn" data-testid="edit-assignment" onClick={onEdit}>
                Edit
              </button>
              <button
                type="button"
                className={a.published ? 'btn' : 'btn btn-primary'}
                data-testid="publish-toggle"
                data-published={a.published ? 'true' : 'false'}
                disabled={busy}
                onClick={togglePublished}
              >
                {a.published ? 'Unpublish' : 'Publish'}
              </button>
            </>
          )}
        </div>
      </div>
      <p className="assignment-meta">
        <span className={`status-badge ${a.published ? 'ok' : ''}`} data-testid="publish-state">
          {a.published ? 'Published' : 'Draft'}
        </span>
        <span>{a.mode === 'pairs' ? `Pairs · ${PAIRING_LABEL[a.pairing]}` : 'Solo'}</span>
        {a.strictRoles && <span>Strict roles</span>}
        {a.swapMinutes && <span>Swap every {a.swapMinutes} min</span>}
        {a.deadline && <span>Due {formatDeadline(a.deadline)}</span>}
      </p>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      {expanded && (
        <div id={panelId}>
          {isTeacher && <GradesFinalControl assignmentId={a.id} title={a.title} retentionDays={retentionDays} />}
          <AiSettingsSummary assignmentId={a.id} isTeacher={isTeacher} />
          <div className="tabs" role="tablist" aria-label={`${a.title} views`}>
            <button type="button" role="tab" aria-selected={tab === 'live'} className="tab" data-testid="tab-live" onClick={() => setTab('live')}>
              Live view
            </button>
            <button type="button" role="tab" aria-selected={tab === 'pairs'} className="tab" data-testid="tab-pairs" onClick={() => setTab('pairs')}>
              {a.mode === 'pairs' ? 'Pairs' : 'Students'}
            </button>
          </div>
          <div role="tabpanel">
            {tab === 'live' ? (
              <LiveGrid assignmentId={a.id} client={client} version={groupsVersion} />
            ) : (
              <PairingPanel assignment={a} students={students} isTeacher={isTeacher} version={groupsVersion} />
            )}
          </div>
        </div>
      )}
    </article>
  );
}

/** The join link and code, to put on the projector; the teacher can rotate the code. */
function JoinCard({ klass, isTeacher, onChanged }: { klass: ClassView; isTeacher: boolean; onChanged: () => void }) {
  const [copied, setCopied] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const linkId = useId();
  if (!klass.joinCode) return null;
  const link = `${window.location.origin}/join/${klass.joinCode}`;
  return (
    <section className="card side-card" aria-labelledby={`${linkId}-title`}>
      <h2 id={`${linkId}-title`}>Invite students</h2>
      <p className="card-sub">Students open this link (or type the code on the start page) and sign up.</p>
      <p className="join-code" data-testid="join-code" aria-label={`Join code ${klass.joinCode.split('').join(' ')}`}>
        {klass.joinCode}
      </p>
      <label className="visually-hidden" htmlFor={linkId}>
        Join link
      </label>
      <div className="inline-form">
        <input id={linkId} className="input" readOnly value={link} data-testid="join-link" onFocus={(e) => e.currentTarget.select()} />
        <button
          type="button"
          className="btn"
          style={{ height: 36 }}
          data-testid="copy-join-link"
          onClick={async () => {
            setCopied(await copyText(link));
            setTimeout(() => setCopied(false), 2000);
          }}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <span className="visually-hidden" role="status">
        {copied ? 'Join link copied' : ''}
      </span>
      {isTeacher && (
        <button
          type="button"
          className="btn btn-ghost small-btn"
          data-testid="rotate-join-code"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            setError(null);
            try {
              await api.rotateJoinCode(klass.id);
              onChanged();
            } catch (err) {
              setError(errorMessage(err));
            } finally {
              setBusy(false);
            }
          }}
        >
          New code (the old link stops working)
        </button>
      )}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

/** Show one of my own workspaces, read-only, to the whole class. */
function BroadcastCard({ klass, onChanged }: { klass: ClassView; onChanged: () => void }) {
  const mine = useResource(() => api.myWorkspaces(), 'mine');
  const [choice, setChoice] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = useId();
  const workspaces = mine.data?.workspaces ?? [];
  const current = klass.broadcastWorkspaceId;
  const currentName = workspaces.find((w) => w.id === current)?.name ?? 'a workspace';

  async function set(workspaceId: string | null) {
    setBusy(true);
    setError(null);
    try {
      await api.setBroadcast(klass.id, workspaceId);
      onChanged();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card side-card" aria-labelledby={`${id}-title`} data-testid="broadcast-card">
      <h2 id={`${id}-title`}>Broadcast</h2>
      {current ? (
        <>
          <p className="card-sub" data-testid="broadcasting">
            <span className="live-dot" aria-hidden="true" /> Broadcasting <a href={`/w/${current}`}>{currentName}</a> to the class, read-only.
          </p>
          <button type="button" className="btn" data-testid="stop-broadcast" disabled={busy} onClick={() => set(null)}>
            Stop broadcasting
          </button>
        </>
      ) : (
        <>
          <p className="card-sub">Show one of your own workspaces to every student, read-only, while you type.</p>
          {workspaces.length === 0 ? (
            <p className="field-hint">Create a workspace on the start page first.</p>
          ) : (
            <div className="inline-form">
              <label className="visually-hidden" htmlFor={id}>
                Workspace to broadcast
              </label>
              <select id={id} className="select" value={choice} onChange={(e) => setChoice(e.target.value)} data-testid="broadcast-select">
                <option value="">Choose a workspace…</option>
                {workspaces.map((w) => (
                  <option key={w.id} value={w.id}>
                    {w.name}
                  </option>
                ))}
              </select>
              <button type="button" className="btn btn-primary" style={{ height: 36 }} disabled={!choice || busy} onClick={() => set(choice)} data-testid="start-broadcast">
                Broadcast
              </button>
            </div>
          )}
        </>
      )}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

const ROLE_LABEL: Record<ClassRole, string> = { teacher: 'Teacher', ta: 'TA', student: 'Student' };

function RosterCard({
  classId,
  members,
  error,
  isTeacher,
  myId,
  onChanged,
}: {
  classId: string;
  members: ClassMember[] | null;
  error: string | null;
  isTeacher: boolean;
  myId: string;
  onChanged: () => void;
}) {
  const [removing, setRemoving] = useState<ClassMember | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();
  const order: Record<ClassRole, number> = { teacher: 0, ta: 1, student: 2 };
  const sorted = [...(members ?? [])].sort((a, b) => order[a.role] - order[b.role] || a.displayName.localeCompare(b.displayName));

  async function act(fn: () => Promise<unknown>) {
    setBusy(true);
    setActionError(null);
    try {
      await fn();
      onChanged();
    } catch (err) {
      setActionError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card side-card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>
        People <span className="panel-count">{members?.length ?? 0}</span>
      </h2>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      {actionError && (
        <p className="field-error" role="alert">
          {actionError}
        </p>
      )}
      <ul className="roster" data-testid="roster">
        {sorted.map((m) => (
          <li key={m.userId} className="roster-row" data-testid="roster-row" data-user-id={m.userId} data-name={m.displayName}>
            <span className="roster-text">
              <span className="roster-name">
                {m.displayName}
                {m.userId === myId && <span className="you"> (you)</span>}
              </span>
              {m.email && <span className="roster-email">{m.email}</span>}
            </span>
            {isTeacher && m.userId !== myId ? (
              <>
                <label className="visually-hidden" htmlFor={`${id}-${m.userId}`}>
                  Role of {m.displayName}
                </label>
                <select
                  id={`${id}-${m.userId}`}
                  className="select small-select"
                  value={m.role}
                  disabled={busy}
                  data-testid="member-role"
                  onChange={(e) => act(() => api.setMemberRole(classId, m.userId, e.target.value as ClassRole))}
                >
                  {(['student', 'ta', 'teacher'] as const).map((r) => (
                    <option key={r} value={r}>
                      {ROLE_LABEL[r]}
                    </option>
                  ))}
                </select>
                <button
                  type="button"
                  className="icon-btn small"
                  aria-label={`Remove ${m.displayName} from the class`}
                  title="Remove from class"
                  data-testid="remove-member"
                  onClick={() => setRemoving(m)}
                >
                  ×
                </button>
              </>
            ) : (
              <span className={`role-badge role-${m.role}`}>{ROLE_LABEL[m.role]}</span>
            )}
          </li>
        ))}
      </ul>
      <Modal open={removing !== null} labelledBy={`${id}-remove`} onCancel={() => setRemoving(null)} testId="confirm-remove">
        {removing && (
          <>
            <div className="modal-body">
              <h2 id={`${id}-remove`}>Remove {removing.displayName}?</h2>
              <p>They lose access to this class and its workspaces at once. They can rejoin with the join link.</p>
            </div>
            <div className="modal-actions">
              <button type="button" className="btn" autoFocus onClick={() => setRemoving(null)}>
                Cancel
              </button>
              <button
                type="button"
                className="btn btn-danger"
                data-testid="confirm-remove-button"
                disabled={busy}
                onClick={() => {
                  const m = removing;
                  setRemoving(null);
                  void act(() => api.removeMember(classId, m.userId));
                }}
              >
                Remove
              </button>
            </div>
          </>
        )}
      </Modal>
    </section>
  );
}
