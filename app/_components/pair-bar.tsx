'use client';

import { useEffect, useRef, useState, type ReactNode } from 'react';
import { api, errorMessage, type GroupView, type WorkspaceContext } from '../_lib/api';
import { clock } from '../_lib/time';
import { RoleBadge } from './people';

type Group = NonNullable<WorkspaceContext['group']>;

/** When the swap timer has been due this long and nobody swapped, the driver's tab swaps. */
const AUTO_SWAP_GRACE_MS = 30_000;

/**
 * Pair roles of a group workspace: who drives, who navigates, a Swap button for members, and the
 * swap timer when the assignment has one. When the timer is due it says so; if nobody swaps
 * within AUTO_SWAP_GRACE_MS, the driver's tab swaps (only the driver's, so two tabs do not swap
 * twice and undo each other).
 */
export function PairBar({
  group,
  meId,
  swapMinutes,
  strict,
  onSwapped,
  onError,
  actions,
}: {
  group: Group;
  meId: string;
  swapMinutes: number | null;
  strict: boolean;
  onSwapped: (group: GroupView) => void;
  onError: (message: string) => void;
  /** Shown at the end of the bar (Submit, Review); a solo group's bar shows only these. */
  actions?: ReactNode;
}) {
  const [now, setNow] = useState(() => Date.now());
  const [busy, setBusy] = useState(false);
  const autoSwapped = useRef<number | null>(null);
  const member = group.members.some((m) => m.userId === meId);
  const iDrive = group.members.some((m) => m.userId === meId && m.role === 'driver');
  const dueAt = swapMinutes ? group.rolesChangedAt + swapMinutes * 60_000 : null;
  const remaining = dueAt === null ? null : dueAt - now;

  useEffect(() => {
    if (dueAt === null) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [dueAt]);

  async function swap() {
    setBusy(true);
    try {
      onSwapped(await api.swapRoles(group.id));
    } catch (err) {
      onError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  useEffect(() => {
    if (remaining === null || remaining > -AUTO_SWAP_GRACE_MS || !iDrive || busy) return;
    if (autoSwapped.current === group.rolesChangedAt) return;
    // One tab per browser: the others see the key and leave it to this one.
    const key = `tandem.autoswap.${group.id}`;
    try {
      if (localStorage.getItem(key) === String(group.rolesChangedAt)) return;
      localStorage.setItem(key, String(group.rolesChangedAt));
    } catch {
      // No storage: this tab decides alone.
    }
    autoSwapped.current = group.rolesChangedAt;
    void swap();
    // `swap` is stable enough: it reads the group id only.
  }, [remaining, iDrive, busy, group.id, group.rolesChangedAt]);

  if (group.members.length < 2) {
    return actions ? (
      <div className="pair-bar" data-testid="pair-bar">
        <span className="pair-actions">{actions}</span>
      </div>
    ) : null;
  }
  const due = remaining !== null && remaining <= 0;
  return (
    <div className={`pair-bar${due ? ' due' : ''}`} data-testid="pair-bar">
      <span className="pair-members">
        {group.members.map((m) => (
          <span key={m.userId} className="pair-member" data-testid="pair-member" data-user-id={m.userId} data-role={m.role}>
            {m.displayName}
            {m.userId === meId && <span className="you"> (you)</span>} <RoleBadge role={m.role} />
          </span>
        ))}
      </span>
      {strict && <span className="pair-note">Only the driver types</span>}
      {remaining !== null && (
        <span className="swap-timer" data-testid="swap-timer" data-due={due ? 'true' : 'false'} role={due ? 'status' : undefined}>
          {due ? 'Time to swap roles!' : `Swap in ${clock(remaining)}`}
        </span>
      )}
      {member && (
        <button type="button" className={`btn${due ? ' btn-primary' : ''}`} disabled={busy} onClick={swap} data-testid="swap-roles">
          Swap roles
        </button>
      )}
      {actions && <span className="pair-actions">{actions}</span>}
    </div>
  );
}
