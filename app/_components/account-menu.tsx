'use client';

import { useEffect, useId, useRef, useState } from 'react';
import { colorForClient } from '../../lib/binding/remote-cursors';
import { signOut } from '../_lib/use-me';
import { Avatar } from './people';

/**
 * The signed-in person: an avatar button that opens a small menu with their name, email and
 * "Sign out". Escape or a click elsewhere closes it.
 */
export function AccountMenu({ user }: { user: { id: string; displayName: string; email?: string; role?: string } }) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  const menuId = useId();

  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setOpen(false);
    };
    document.addEventListener('mousedown', onDown);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('mousedown', onDown);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);

  return (
    <div className="account" ref={ref}>
      <button
        type="button"
        className="icon-btn"
        data-testid="account-button"
        aria-label={`Signed in as ${user.displayName}. Account menu`}
        aria-expanded={open}
        aria-controls={menuId}
        title={user.displayName}
        onClick={() => setOpen((o) => !o)}
      >
        <Avatar name={user.displayName} color={colorForClient(user.id)} />
      </button>
      {open && (
        <div className="account-menu" id={menuId} data-testid="account-menu">
          <p className="account-name" data-testid="account-name">
            {user.displayName}
          </p>
          {user.email && <p className="account-email">{user.email}</p>}
          <button
            type="button"
            className="btn"
            data-testid="sign-out"
            disabled={busy}
            autoFocus
            onClick={() => {
              setBusy(true);
              void signOut();
            }}
          >
            {busy ? 'Signing out…' : 'Sign out'}
          </button>
        </div>
      )}
    </div>
  );
}
