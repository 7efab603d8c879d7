'use client';

import { useEffect, useId, useRef, useState } from 'react';
import { colorForClient } from '../../lib/binding/remote-cursors';
import { MY_DATA_EXPORT_URL } from '../_lib/api';
import { signOut } from '../_lib/use-me';
import { Avatar } from './people';

/**
 * The signed-in person: an avatar button that opens a small menu with their name, email,
 * "Download my data" (PV-1) and "Sign out". Escape or a click elsewhere closes it.
 */
export function AccountMenu({ user }: { user: { id: string; displayName: string; email?: string; role?: string } }) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  const firstItem = useRef<HTMLAnchorElement>(null);
  const menuId = useId();

  useEffect(() => {
    if (!open) return;
    // The menu opens on its first item (React's autoFocus skips links).
    firstItem.current?.focus();
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
          {/* A plain link: the browser downloads the zip itself (Content-Disposition), no JS. */}
          <a
            className="btn"
            href={MY_DATA_EXPORT_URL}
            download
            data-testid="download-my-data"
            aria-describedby={`${menuId}-export`}
            ref={firstItem}
            // Close after the click: a link removed from the page during its own click does not download.
            onClick={() => window.setTimeout(() => setOpen(false), 0)}
          >
            Download my data
          </a>
          <p className="account-hint" id={`${menuId}-export`}>
            A zip of your account, classes, workspaces, submissions and feedback.
          </p>
          <button
            type="button"
            className="btn"
            data-testid="sign-out"
            disabled={busy}
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
