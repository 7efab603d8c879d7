'use client';

import { useEffect, useId, useState, type FormEvent } from 'react';
import { api, errorMessage, type UserRole } from '../_lib/api';
import { redirectToSignIn } from '../_lib/auth-redirect';
import { useMe } from '../_lib/use-me';
import { useResource } from '../_lib/use-resource';
import { AppHeader } from './app-header';
import { MIN_PASSWORD_LENGTH } from './auth-forms';
import { PageError, PageLoading, PageNotFound } from './page-states';
import { copyText } from './share-button';

const ROLES: UserRole[] = ['student', 'teacher', 'admin'];
const ROLE_LABEL: Record<UserRole, string> = { student: 'Student', teacher: 'Teacher', admin: 'Administrator' };

/** `/admin`: accounts — create (with a set-password link), change role, disable, new reset link. */
export default function AdminApp() {
  const me = useMe();
  useEffect(() => {
    if (me.status === 'signed-out') redirectToSignIn();
  }, [me.status]);
  if (me.status === 'loading' || me.status === 'signed-out') return <PageLoading />;
  if (me.status === 'error') return <PageError message={me.message} />;
  if (me.me.user.role !== 'admin') {
    return (
      <div className="app-page">
        <AppHeader user={me.me.user} />
        <PageNotFound title="Administrators only" text="Your account cannot manage users." />
      </div>
    );
  }
  return (
    <div className="app-page" data-testid="admin-page">
      <AppHeader user={me.me.user} crumbs={[{ label: 'Administration' }]} />
      <main className="app-main">
        <h1 className="page-title">Accounts</h1>
        <Users myId={me.me.user.id} />
      </main>
    </div>
  );
}

function Users({ myId }: { myId: string }) {
  const users = useResource(() => api.adminUsers(), 'users');
  const [link, setLink] = useState<{ email: string; url: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);

  async function act(fn: () => Promise<unknown>) {
    setError(null);
    try {
      await fn();
      users.reload();
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  const list = [...(users.data?.users ?? [])].sort((a, b) => a.displayName.localeCompare(b.displayName));
  return (
    <div className="admin-grid">
      <section className="card">
        <h2>All accounts ({list.length})</h2>
        {(error || users.error) && (
          <p className="field-error" role="alert">
            {error ?? users.error?.message}
          </p>
        )}
        {link && (
          <div className="notice" role="status" data-testid="reset-link">
            <p>
              Send this link to <strong>{link.email}</strong> so they can set a password (it works once, for 24 hours):
            </p>
            <div className="inline-form">
              <input className="input" readOnly value={link.url} onFocus={(e) => e.currentTarget.select()} aria-label="Password link" />
              <button
                type="button"
                className="btn"
                style={{ height: 36 }}
                onClick={async () => {
                  setCopied(await copyText(link.url));
                  setTimeout(() => setCopied(false), 2000);
                }}
              >
                {copied ? 'Copied' : 'Copy'}
              </button>
            </div>
          </div>
        )}
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((u) => (
                <tr key={u.id} data-testid="admin-user" data-email={u.email}>
                  <td>
                    {u.displayName}
                    {u.id === myId && <span className="you"> (you)</span>}
                  </td>
                  <td>{u.email}</td>
                  <td>
                    {u.id === myId ? (
                      ROLE_LABEL[u.role]
                    ) : (
                      <select
                        className="select small-select"
                        aria-label={`Role of ${u.displayName}`}
                        value={u.role}
                        onChange={(e) => act(() => api.adminUpdateUser(u.id, { role: e.target.value as UserRole }))}
                      >
                        {ROLES.map((r) => (
                          <option key={r} value={r}>
                            {ROLE_LABEL[r]}
                          </option>
                        ))}
                      </select>
                    )}
                  </td>
                  <td>{u.disabled ? <span className="status-badge warn">Disabled</span> : u.sso ? 'SSO' : 'Active'}</td>
                  <td className="row-actions">
                    {u.id !== myId && (
                      <>
                        <button type="button" className="btn small-btn" onClick={() => act(() => api.adminUpdateUser(u.id, { disabled: !u.disabled }))}>
                          {u.disabled ? 'Enable' : 'Disable'}
                        </button>
                        <button
                          type="button"
                          className="btn small-btn"
                          onClick={() =>
                            act(async () => {
                              const r = await api.adminResetLink(u.id);
                              setLink({ email: u.email, url: r.resetLink });
                            })
                          }
                        >
                          Reset link
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <NewUserForm
        onCreated={(email, resetLink) => {
          if (resetLink) setLink({ email, url: resetLink });
          users.reload();
        }}
      />
    </div>
  );
}

function NewUserForm({ onCreated }: { onCreated: (email: string, resetLink: string | null) => void }) {
  const id = useId();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<UserRole>('teacher');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!email.trim() || !name.trim()) return setError('Enter an email and a name.');
    if (password && password.length < MIN_PASSWORD_LENGTH) return setError(`Passwords have at least ${MIN_PASSWORD_LENGTH} characters.`);
    setBusy(true);
    setError(null);
    try {
      const created = await api.adminCreateUser({ email: email.trim(), displayName: name.trim(), role, ...(password ? { password } : {}) });
      onCreated(created.user.email, created.resetLink);
      setEmail('');
      setName('');
      setPassword('');
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card" onSubmit={onSubmit} noValidate aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>New account</h2>
      <p className="card-sub">Without a password, you get a link for them to choose one.</p>
      <div className="form-row">
        <label className="field-label" htmlFor={`${id}-n`}>
          Name
        </label>
        <input id={`${id}-n`} className="input" value={name} onChange={(e) => setName(e.target.value)} />
      </div>
      <div className="form-row">
        <label className="field-label" htmlFor={`${id}-e`}>
          Email
        </label>
        <input id={`${id}-e`} className="input" type="email" value={email} onChange={(e) => setEmail(e.target.value)} />
      </div>
      <div className="form-row">
        <label className="field-label" htmlFor={`${id}-r`}>
          Role
        </label>
        <select id={`${id}-r`} className="select" value={role} onChange={(e) => setRole(e.target.value as UserRole)}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {ROLE_LABEL[r]}
            </option>
          ))}
        </select>
      </div>
      <div className="form-row">
        <label className="field-label" htmlFor={`${id}-p`}>
          Password <span className="field-note">(optional)</span>
        </label>
        <input id={`${id}-p`} className="input" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
      </div>
      {error && (
        <p className="field-error form-error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="btn btn-primary" disabled={busy}>
        {busy ? 'Creating…' : 'Create account'}
      </button>
    </form>
  );
}
