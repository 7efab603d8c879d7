'use client';

import { useCallback, useEffect, useId, useRef, useState } from 'react';
import type { AuditEntryView } from '../../lib/review/review-api';
import { api, errorMessage, type AdminUser } from '../_lib/api';

/** Rows per request; a shorter page means there is nothing older. */
export const AUDIT_PAGE_SIZE = 50;

const ACTION_LABEL: Record<string, string> = { view: 'Viewed', export: 'Exported', delete: 'Erased' };

/**
 * AD-2: the append-only audit log for administrators, newest first, pageable with "Load older"
 * (`before` = the oldest id shown) and filtered by the person whose work or data it concerns.
 * Accounts that were erased still appear here by id: the log keeps its rows (PV-2).
 */
export function AuditLog({ users }: { users: AdminUser[] | null }) {
  const id = useId();
  const [subject, setSubject] = useState('');
  const [entries, setEntries] = useState<AuditEntryView[]>([]);
  /** The filter the rows on screen were loaded with (tests wait on it; a new filter clears the rows). */
  const [shownSubject, setShownSubject] = useState<string | null>(null);
  const [hasMore, setHasMore] = useState(false);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  // Answers to an older request (another filter, a refresh) are dropped.
  const latest = useRef(0);

  const load = useCallback(
    async (before: number | undefined) => {
      const request = ++latest.current;
      setLoading(true);
      setError(null);
      try {
        const page = await api.audit({ limit: AUDIT_PAGE_SIZE, ...(before !== undefined ? { before } : {}), ...(subject ? { subject } : {}) });
        if (request !== latest.current) return;
        setEntries((shown) => (before === undefined ? page : [...shown, ...page]));
        setShownSubject(subject);
        setHasMore(page.length === AUDIT_PAGE_SIZE);
      } catch (err) {
        if (request === latest.current) setError(errorMessage(err));
      } finally {
        if (request === latest.current) setLoading(false);
      }
    },
    [subject],
  );

  useEffect(() => {
    setEntries([]);
    setShownSubject(null);
    void load(undefined);
  }, [load]);

  const byId = new Map((users ?? []).map((u) => [u.id, u]));
  const people = [...(users ?? [])].sort((a, b) => a.displayName.localeCompare(b.displayName));
  const oldest = entries[entries.length - 1];

  /** Ids of accounts that no longer exist stay in the log (PV-2): say so once the list is known. */
  function personName(userId: string | null): string {
    if (userId === null) return '—';
    const known = byId.get(userId);
    if (known) return known.displayName;
    return users === null ? userId : `Erased account (${userId})`;
  }

  /** `{ workspacesErased: 1, members: [id, id] }` → "workspaces erased 1 · members Ada, Brian". */
  function formatDetail(detail: Record<string, unknown>): string {
    const show = (v: unknown): string => (typeof v === 'string' ? (byId.get(v)?.displayName ?? v) : typeof v === 'object' ? JSON.stringify(v) : String(v));
    return Object.entries(detail)
      .map(([key, value]) => `${key.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()} ${Array.isArray(value) ? value.map(show).join(', ') : show(value)}`)
      .join(' · ');
  }

  /** `kind:id` as people read it: an account by name, anything else by kind and id. */
  function targetLabel(target: string): string {
    const colon = target.indexOf(':');
    if (colon < 0) return target;
    const kind = target.slice(0, colon);
    const rest = target.slice(colon + 1);
    if (kind === 'user') return `Account: ${personName(rest)}`;
    return `${kind.charAt(0).toUpperCase()}${kind.slice(1)} ${rest}`;
  }

  return (
    <section
      className="card audit-card"
      aria-labelledby={`${id}-title`}
      aria-busy={loading}
      data-testid="audit-log"
      data-loaded-subject={shownSubject ?? undefined}
    >
      <h2 id={`${id}-title`}>Audit log</h2>
      <p className="card-sub">
        Each time staff or an administrator read a student’s work, someone exported data, or an account was erased. Rows cannot be changed or
        deleted.
      </p>
      <div className="audit-filters">
        <label className="field-label" htmlFor={`${id}-subject`}>
          About
        </label>
        <select
          id={`${id}-subject`}
          className="select small-select"
          value={subject}
          onChange={(e) => setSubject(e.target.value)}
          data-testid="audit-subject"
        >
          <option value="">Everyone</option>
          {people.map((u) => (
            <option key={u.id} value={u.id}>
              {u.displayName} ({u.email})
            </option>
          ))}
        </select>
        <button type="button" className="btn small-btn" disabled={loading} onClick={() => void load(undefined)} data-testid="audit-refresh">
          Refresh
        </button>
      </div>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      <div className="table-wrap">
        <table className="table audit-table" aria-describedby={`${id}-status`}>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Who</th>
              <th scope="col">Action</th>
              <th scope="col">What</th>
              <th scope="col">About</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.id} data-testid="audit-row" data-id={e.id} data-action={e.action} data-subject={e.subjectUserId ?? ''} data-actor={e.actor?.id ?? ''}>
                <td className="audit-time">
                  <time dateTime={new Date(e.at).toISOString()}>{formatTime(e.at)}</time>
                </td>
                <td>{e.actor ? e.actor.displayName : <span className="field-note">System</span>}</td>
                <td>
                  <span className={`status-badge audit-action audit-${e.action}`}>{ACTION_LABEL[e.action] ?? e.action}</span>
                </td>
                <td className="audit-target">
                  <span className="audit-target-name">{targetLabel(e.target)}</span>
                  {Object.keys(e.detail).length > 0 && <span className="audit-detail">{formatDetail(e.detail)}</span>}
                </td>
                <td>{personName(e.subjectUserId)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="field-hint" id={`${id}-status`} role="status" data-testid="audit-status">
        {loading ? 'Loading…' : entries.length === 0 ? 'No entries.' : `${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}${hasMore ? '' : ', the oldest shown'}.`}
      </p>
      {hasMore && oldest && (
        <button type="button" className="btn" disabled={loading} onClick={() => void load(oldest.id)} data-testid="audit-load-older">
          Load older
        </button>
      )}
    </section>
  );
}

function formatTime(at: number): string {
  return new Date(at).toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}
