'use client';

import { useEffect, useId, useMemo, useState } from 'react';
import { api, errorMessage, type AssignmentSummary, type ClassMember, type GroupView } from '../_lib/api';
import { useResource } from '../_lib/use-resource';

/** Pairs of more than three are refused by the server (AS-4). */
const MAX_GROUP = 3;

/**
 * Who works with whom on one assignment. Groups that started (someone opened the workspace) are
 * fixed; the others form a draft the teacher edits — tick students, "Pair selected" — and saves
 * in one go, or replaces with random pairs.
 */
export function PairingPanel({
  assignment,
  students,
  isTeacher,
  version,
}: {
  assignment: AssignmentSummary;
  students: ClassMember[];
  isTeacher: boolean;
  version: number;
}) {
  const groups = useResource(() => api.groups(assignment.id), assignment.id, version);
  const [draft, setDraft] = useState<string[][] | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = useId();

  const started = useMemo(() => (groups.data?.groups ?? []).filter((g) => g.started), [groups.data]);
  const serverDraft = useMemo(
    () => (groups.data?.groups ?? []).filter((g) => !g.started).map((g) => g.members.map((m) => m.userId)),
    [groups.data],
  );
  // Until the teacher changes something, the draft is whatever the server has.
  const current = draft ?? serverDraft;
  const dirty = draft !== null;

  const names = useMemo(() => {
    const map = new Map<string, string>();
    for (const s of students) map.set(s.userId, s.displayName);
    for (const g of groups.data?.groups ?? []) for (const m of g.members) if (!map.has(m.userId)) map.set(m.userId, m.displayName);
    return map;
  }, [students, groups.data]);
  const name = (userId: string) => names.get(userId) ?? 'Former member';

  const taken = new Set([...started.flatMap((g) => g.members.map((m) => m.userId)), ...current.flat()]);
  const unpaired = students.filter((s) => !taken.has(s.userId)).sort((a, b) => a.displayName.localeCompare(b.displayName));

  // Selections of students who meanwhile got a group elsewhere are dropped.
  useEffect(() => {
    setSelected((sel) => {
      const next = new Set([...sel].filter((u) => !taken.has(u)));
      return next.size === sel.size ? sel : next;
    });
    // `taken` is derived from these two.
  }, [groups.data, draft]);

  async function run(fn: () => Promise<unknown>) {
    setBusy(true);
    setError(null);
    try {
      await fn();
      setDraft(null);
      groups.reload();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  if (assignment.mode === 'solo') {
    return (
      <div className="pairing" data-testid="pairing-panel">
        <p className="card-sub">Solo assignment: each student gets their own workspace when they open it. {started.length} started so far.</p>
      </div>
    );
  }

  const size = selected.size;
  return (
    <div className="pairing" data-testid="pairing-panel">
      {assignment.pairing === 'choice' && <p className="card-sub">Students pick their partners. You can still pair the rest here.</p>}
      {error && (
        <p className="field-error" role="alert" data-testid="pairing-error">
          {error}
        </p>
      )}
      <div className="pairing-cols">
        <div>
          <h4 className="field-label" id={`${id}-unpaired`}>
            Not paired yet ({unpaired.length})
          </h4>
          {unpaired.length === 0 ? (
            <p className="field-hint">{students.length === 0 ? 'No students have joined yet.' : 'Everyone has a group.'}</p>
          ) : (
            <ul className="check-list" aria-labelledby={`${id}-unpaired`}>
              {unpaired.map((s) => (
                <li key={s.userId}>
                  <label className="choice" data-testid="unpaired-student" data-name={s.displayName}>
                    <input
                      type="checkbox"
                      disabled={!isTeacher}
                      checked={selected.has(s.userId)}
                      onChange={(e) => {
                        const next = new Set(selected);
                        if (e.target.checked) next.add(s.userId);
                        else next.delete(s.userId);
                        setSelected(next);
                      }}
                    />
                    {s.displayName}
                  </label>
                </li>
              ))}
            </ul>
          )}
          {isTeacher && (
            <div className="button-row">
              <button
                type="button"
                className="btn"
                disabled={size === 0 || size > MAX_GROUP}
                data-testid="make-group"
                onClick={() => {
                  setDraft([...current, [...selected]]);
                  setSelected(new Set());
                }}
              >
                {size > MAX_GROUP ? `At most ${MAX_GROUP} per group` : size === 1 ? 'Work alone' : `Pair selected${size ? ` (${size})` : ''}`}
              </button>
              <button
                type="button"
                className="btn"
                disabled={busy || students.length === 0}
                data-testid="random-groups"
                title="Pairs every student who is not in a started group at random"
                onClick={() => run(() => api.randomGroups(assignment.id))}
              >
                Random pairs
              </button>
            </div>
          )}
        </div>
        <div>
          <h4 className="field-label">Groups ({started.length + current.length})</h4>
          <ul className="group-list" data-testid="group-list">
            {started.map((g: GroupView) => (
              <li key={g.id} className="group-item" data-testid="group-item" data-started="true">
                <span>{g.members.map((m) => m.displayName).join(' & ')}</span>
                <span className="status-badge ok" title="Someone opened this group's workspace; it can no longer be re-paired">
                  started
                </span>
              </li>
            ))}
            {current.map((members, i) => (
              <li key={members.join(',')} className="group-item" data-testid="group-item" data-started="false">
                <span>{members.map(name).join(' & ')}</span>
                {isTeacher && (
                  <button
                    type="button"
                    className="btn btn-ghost small-btn"
                    aria-label={`Split ${members.map(name).join(' and ')}`}
                    onClick={() => setDraft(current.filter((_, j) => j !== i))}
                  >
                    Split
                  </button>
                )}
              </li>
            ))}
          </ul>
          {started.length + current.length === 0 && <p className="field-hint">No groups yet.</p>}
          {isTeacher && dirty && (
            <div className="button-row">
              <button type="button" className="btn btn-primary" disabled={busy} data-testid="save-groups" onClick={() => run(() => api.setGroups(assignment.id, current))}>
                {busy ? 'Saving…' : 'Save pairs'}
              </button>
              <button type="button" className="btn" disabled={busy} onClick={() => setDraft(null)}>
                Discard changes
              </button>
            </div>
          )}
        </div>
      </div>
    </div>
  );
}
