'use client';

import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { api, errorMessage, type AdminUser, type ErasureReport, type UserRole } from '../_lib/api';
import { redirectToSignIn } from '../_lib/auth-redirect';
import { useMe } from '../_lib/use-me';
import { useResource, type Resource } from '../_lib/use-resource';
import { AiAdminStatusCard } from './ai-admin-status';
import { AppHeader } from './app-header';
import { AuditLog } from './audit-log';
import { MIN_PASSWORD_LENGTH } from './auth-forms';
import { EraseAccountDialog } from './erase-account-dialog';
import { PageError, PageLoading, PageNotFound } from './page-states';
import { copyText } from './share-button';

const ROLES: UserRole[] = ['student', 'teacher', 'admin'];
const ROLE_LABEL: Record<UserRole, string> = { student: 'Student', teacher: 'Teacher', admin: 'Administrator' };

/**
 * `/admin`: the AI assistant's status (issue 5), then accounts — create (with a set-password
 * link), change role, disable, new reset link, erase (PV-2) — and the audit log (AD-2), as two tabs.
 */
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
        <h1 className="page-title">Administration</h1>
        {/* Above the tabs: an open circuit (every review static-only) should not hide in a tab. */}
        <AiAdminStatusCard />
        <AdminTabs myId={me.me.user.id} />
      </main>
    </div>
  );
}

type AdminTab = 'accounts' | 'audit';
const TABS: Array<{ id: AdminTab; label: string }> = [
  { id: 'accounts', label: 'Accounts' },
  { id: 'audit', label: 'Audit log' },
];

/** The two tabs share one accounts list: the audit log names people and filters by them. */
function AdminTabs({ myId }: { myId: string }) {
  const id = useId();
  const users = useResource(() => api.adminUsers(), 'users');
  const [tab, setTab] = useState<AdminTab>('accounts');
  const tabRefs = useRef<Record<AdminTab, HTMLButtonElement | null>>({ accounts: null, audit: null });

  // `/admin#audit` opens the audit log (a bookmark, or a reload while reading it).
  useEffect(() => {
    if (window.location.hash === '#audit') setTab('audit');
  }, []);

  function select(next: AdminTab, focus = false) {
    setTab(next);
    window.history.replaceState(null, '', next === 'audit' ? '#audit' : window.location.pathname + window.location.search);
    if (focus) tabRefs.current[next]?.focus();
  }

  // Arrow keys move between tabs (the WAI-ARIA tabs pattern); Tab goes on into the panel.
  function onKeyDown(event: KeyboardEvent) {
    const at = TABS.findIndex((t) => t.id === tab);
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (event.key === 'Home' || event.key === 'End') {
      event.preventDefault();
      select(TABS[event.key === 'Home' ? 0 : TABS.length - 1]!.id, true);
    } else if (step !== 0) {
      event.preventDefault();
      select(TABS[(at + step + TABS.length) % TABS.length]!.id, true);
    }
  }

  return (
    <>
      <div className="tabs admin-tabs" role="tablist" aria-label="Administration" onKeyDown={onKeyDown}>
        {TABS.map((t) => (
          <button
            key={t.id}
            ref={(el) => {
              tabRefs.current[t.id] = el;
            }}
            type="button"
            role="tab"
            id={`${id}-tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`${id}-panel`}
            tabIndex={tab === t.id ? 0 : -1}
            className="tab"
            data-testid={`admin-tab-${t.id}`}
            onClick={() => select(t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${id}-panel`} aria-labelledby={`${id}-tab-${tab}`}>
        {tab === 'accounts' ? <Users myId={myId} users={users} /> : <AuditLog users={users.data?.users ?? null} />}
      </div>
    </>
  );
}

function Users({ myId, users }: { myId: string; users: Resource<{ users: AdminUser[] }> }) {
  const [link, setLink] = useState<{ email: string; url: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const [erasing, setErasing] = useState<AdminUser | null>(null);
  const [erased, setErased] = useState<{ email: string; report: ErasureReport } | null>(null);
  const erasedRef = useRef<HTMLDivElement>(null);

  // The row (and its button, which had focus) is gone: keyboard users land on the result.
  useEffect(() => {
    if (erased) erasedRef.current?.focus();
  }, [erased]);

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
        {erased && (
          <div className="notice" role="status" tabIndex={-1} ref={erasedRef} data-testid="erased-notice">
            <p>
              Erased <strong>{erased.email}</strong>: {plural(erased.report.workspacesErased, 'workspace')} removed,{' '}
              {plural(erased.report.opsAnonymised, 'edit')} in shared work now attributed to an erased account.
            </p>
          </div>
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
                <th scope="col">Account</th>
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
                  <td className="admin-account">
                    <span className="admin-account-name">
                      {u.displayName}
                      {u.id === myId && <span className="you"> (you)</span>}
                    </span>
                    <span className="admin-account-email">{u.email}</span>
                  </td>
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
                  <td>
                    {u.id !== myId && (
                      <div className="row-actions">
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
                        <button type="button" className="btn small-btn btn-danger-ghost" data-testid="erase-account" onClick={() => setErasing(u)}>
                          Erase account…
                        </button>
                      </div>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <EraseAccountDialog
          user={erasing}
          onCancel={() => setErasing(null)}
          onErased={(u, report) => {
            setErasing(null);
            setErased({ email: u.email, report });
            if (link?.email === u.email) setLink(null);
            users.reload();
          }}
        />
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

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
