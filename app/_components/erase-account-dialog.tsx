'use client';

import { useEffect, useId, useState, type FormEvent } from 'react';
import { api, errorMessage, type AdminUser, type ErasureReport } from '../_lib/api';
import { Modal } from './modal';

/**
 * PV-2: the confirm dialog for erasing an account. The administrator types the account's email
 * to enable the button, because nothing brings the account back. The server's refusal (oneself,
 * the creator of a class) is shown in the dialog, which stays open.
 */
export function EraseAccountDialog({
  user,
  onCancel,
  onErased,
}: {
  /** The account to erase; null keeps the dialog closed. */
  user: AdminUser | null;
  onCancel: () => void;
  onErased: (user: AdminUser, report: ErasureReport) => void;
}) {
  const id = useId();
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  // A fresh dialog per account: nothing typed for someone else carries over.
  useEffect(() => {
    setTyped('');
    setError(null);
    setBusy(false);
  }, [user?.id]);

  const matches = user !== null && typed.trim().toLowerCase() === user.email.toLowerCase();

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!user || !matches || busy) return;
    setBusy(true);
    setError(null);
    try {
      const report = await api.adminEraseUser(user.id);
      onErased(user, report);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal open={user !== null} labelledBy={`${id}-title`} onCancel={() => !busy && onCancel()} testId="erase-dialog">
      {user && (
        <form onSubmit={onSubmit} noValidate>
          <div className="modal-body erase-body">
            <h2 id={`${id}-title`}>Erase {user.displayName}’s account?</h2>
            <p>This cannot be undone. To only stop them signing in, use Disable instead.</p>
            <h3 className="erase-heading">Erased</h3>
            <ul className="erase-list">
              <li>The account, its sessions (signed out at once) and its class memberships</li>
              <li>Their personal and solo workspaces, with every file and its whole history</li>
              <li>Their comments and help requests</li>
            </ul>
            <h3 className="erase-heading">Kept</h3>
            <ul className="erase-list">
              <li>Work shared with a partner (it is theirs too), with the author shown as an erased account</li>
              <li>The audit log, which records who viewed, exported and erased what</li>
            </ul>
            <label className="field-label" htmlFor={`${id}-email`}>
              Type <span className="erase-email">{user.email}</span> to confirm
            </label>
            <input
              id={`${id}-email`}
              className="input"
              type="email"
              autoComplete="off"
              spellCheck={false}
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
              aria-describedby={error ? `${id}-error` : undefined}
              data-testid="erase-confirm-email"
            />
            {error && (
              <p className="field-error form-error erase-error" id={`${id}-error`} role="alert" data-testid="erase-error">
                {error}
              </p>
            )}
          </div>
          <div className="modal-actions">
            <button type="button" className="btn" disabled={busy} onClick={onCancel}>
              Cancel
            </button>
            <button type="submit" className="btn btn-danger" disabled={!matches || busy} data-testid="erase-confirm-button">
              {busy ? 'Erasing…' : 'Erase account'}
            </button>
          </div>
        </form>
      )}
    </Modal>
  );
}
