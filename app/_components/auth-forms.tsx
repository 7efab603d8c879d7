'use client';

import Link from 'next/link';
import { useEffect, useId, useState, type FormEvent, type InputHTMLAttributes, type ReactNode } from 'react';
import { MAX_DISPLAY_NAME_LENGTH } from '../../lib/limits';
import { api, errorMessage, type AuthConfig } from '../_lib/api';
import { safeNext } from '../_lib/auth-redirect';
import { displayNameProblem } from '../_lib/identity';
import { BrandMark } from './icons';
import { ThemeToggle } from './theme-toggle';

/** Passwords have at least this many characters (server/auth/passwords.ts). */
export const MIN_PASSWORD_LENGTH = 10;

/** The frame of every sign-in page: brand, one card in the middle. */
export function AuthShell({ children }: { children: ReactNode }) {
  return (
    <div className="landing">
      <header className="landing-header">
        <Link href="/" className="brand">
          <BrandMark />
          Tandem
        </Link>
        <ThemeToggle />
      </header>
      <main className="auth-main">{children}</main>
    </div>
  );
}

function useAuthConfig(): AuthConfig | null {
  const [config, setConfig] = useState<AuthConfig | null>(null);
  useEffect(() => {
    api.authConfig().then(setConfig, () => setConfig({ teacherSignup: false, oidc: null }));
  }, []);
  return config;
}

function Field({
  id,
  label,
  hint,
  error,
  ...input
}: {
  id: string;
  label: string;
  hint?: string;
  error?: string | null;
} & InputHTMLAttributes<HTMLInputElement>) {
  return (
    <div className="form-row">
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      <input
        id={id}
        className="input"
        aria-invalid={error ? true : undefined}
        aria-describedby={error || hint ? `${id}-msg` : undefined}
        {...input}
      />
      {error ? (
        <p className="field-error" id={`${id}-msg`}>
          {error}
        </p>
      ) : hint ? (
        <p className="field-hint" id={`${id}-msg`}>
          {hint}
        </p>
      ) : null}
    </div>
  );
}

function SsoButton({ config, next }: { config: AuthConfig | null; next: string }) {
  if (!config?.oidc) return null;
  return (
    <>
      <a className="btn btn-lg sso-btn" data-testid="sso-button" href={`/api/auth/oidc/login?next=${encodeURIComponent(next)}`}>
        {config.oidc.label}
      </a>
      <div className="or-sep" role="separator">
        <span>or</span>
      </div>
    </>
  );
}

const REASONS: Record<string, string> = {
  'signed-out': 'You signed out.',
  'session-expired': 'Your sign-in expired. Please sign in again.',
};

/** Email + password (and campus SSO when configured). */
export function SignInForm({ next: rawNext, reason }: { next?: string; reason?: string }) {
  const next = safeNext(rawNext);
  const config = useAuthConfig();
  const id = useId();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!email.trim() || !password) return setError('Enter your email and password.');
    setBusy(true);
    setError(null);
    try {
      await api.logIn({ email: email.trim(), password });
      window.location.assign(next);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  const joinCode = /^\/join\/([A-Za-z0-9]+)$/.exec(next)?.[1];
  return (
    <form className="card auth-card" onSubmit={onSubmit} noValidate aria-labelledby={`${id}-title`} data-testid="signin-form">
      <h1 id={`${id}-title`}>Sign in</h1>
      {reason && REASONS[reason] && (
        <p className="notice" role="status">
          {REASONS[reason]}
        </p>
      )}
      {next !== '/' && !reason && <p className="card-sub">Sign in to continue.</p>}
      <SsoButton config={config} next={next} />
      <Field
        id={`${id}-email`}
        label="Email"
        type="email"
        autoComplete="username"
        data-testid="email-input"
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        autoFocus
      />
      <Field
        id={`${id}-password`}
        label="Password"
        type="password"
        autoComplete="current-password"
        data-testid="password-input"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />
      {error && (
        <p className="field-error form-error" role="alert" data-testid="form-error">
          {error}
        </p>
      )}
      <button type="submit" className="btn btn-primary btn-lg btn-block" data-testid="signin-submit" disabled={busy}>
        {busy ? 'Signing in…' : 'Sign in'}
      </button>
      <p className="auth-links">
        <Link href="/reset-password">Forgot your password?</Link>
        {joinCode ? (
          <Link href={`/signup?code=${encodeURIComponent(joinCode)}`} data-testid="signup-link">
            New here? Create a student account
          </Link>
        ) : (
          config?.teacherSignup && (
            <Link href={next === '/' ? '/signup' : `/signup?next=${encodeURIComponent(next)}`} data-testid="signup-link">
              Create an account
            </Link>
          )
        )}
      </p>
    </form>
  );
}

/**
 * Sign-up: a student account joining the class of `code`, or (without a code, when the server
 * allows it) a teacher account.
 */
export function SignUpForm({ code, next: rawNext }: { code?: string; next?: string }) {
  const next = safeNext(rawNext);
  const config = useAuthConfig();
  const id = useId();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const joinCode = code?.trim().toUpperCase() || undefined;

  const nameProblem = displayNameProblem(name);
  const emailProblem = /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim()) ? null : 'Enter a valid email address.';
  const passwordProblem = password.length >= MIN_PASSWORD_LENGTH ? null : `At least ${MIN_PASSWORD_LENGTH} characters.`;

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setTouched(true);
    if (nameProblem || emailProblem || passwordProblem) return;
    setBusy(true);
    setError(null);
    try {
      const result = await api.signUp({ email: email.trim(), password, displayName: name.trim(), ...(joinCode ? { joinCode } : {}) });
      window.location.assign(result.classId ? `/classes/${result.classId}` : next);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  if (!joinCode && config && !config.teacherSignup) {
    return (
      <div className="card auth-card" data-testid="signup-closed">
        <h1>Create an account</h1>
        <p className="card-sub">Teacher accounts on this server are created by an administrator.</p>
        <p className="card-sub">Students: open the join link your teacher shared, or enter the class code.</p>
        <JoinCodeForm />
        <p className="auth-links">
          <Link href="/signin">Already have an account? Sign in</Link>
        </p>
      </div>
    );
  }

  const signInNext = joinCode ? `/join/${encodeURIComponent(joinCode)}` : next;
  return (
    <form className="card auth-card" onSubmit={onSubmit} noValidate aria-labelledby={`${id}-title`} data-testid="signup-form">
      {joinCode ? (
        <>
          <h1 id={`${id}-title`}>Join your class</h1>
          <p className="card-sub">
            Create a student account to join the class with code{' '}
            <strong className="code" data-testid="signup-join-code">
              {joinCode}
            </strong>
            .
          </p>
        </>
      ) : (
        <>
          <h1 id={`${id}-title`}>Create a teacher account</h1>
          <p className="card-sub">Create classes, hand out assignments and watch pairs code live.</p>
        </>
      )}
      <SsoButton config={config} next={joinCode ? `/join/${encodeURIComponent(joinCode)}` : next} />
      <Field
        id={`${id}-name`}
        label="Your name"
        hint="Classmates see it next to your cursor."
        autoComplete="name"
        maxLength={MAX_DISPLAY_NAME_LENGTH * 2}
        data-testid="name-input"
        value={name}
        error={touched ? nameProblem : null}
        onChange={(e) => setName(e.target.value)}
        autoFocus
      />
      <Field
        id={`${id}-email`}
        label="Email"
        type="email"
        autoComplete="email"
        data-testid="email-input"
        value={email}
        error={touched ? emailProblem : null}
        onChange={(e) => setEmail(e.target.value)}
      />
      <Field
        id={`${id}-password`}
        label="Password"
        type="password"
        autoComplete="new-password"
        hint={`At least ${MIN_PASSWORD_LENGTH} characters.`}
        data-testid="password-input"
        value={password}
        error={touched ? passwordProblem : null}
        onChange={(e) => setPassword(e.target.value)}
      />
      {error && (
        <p className="field-error form-error" role="alert" data-testid="form-error">
          {error}
        </p>
      )}
      <button type="submit" className="btn btn-primary btn-lg btn-block" data-testid="signup-submit" disabled={busy}>
        {busy ? 'Creating your account…' : joinCode ? 'Create account and join' : 'Create account'}
      </button>
      <p className="auth-links">
        <Link href={`/signin?next=${encodeURIComponent(signInNext)}`} data-testid="signin-link">
          Already have an account? Sign in
        </Link>
      </p>
    </form>
  );
}

/** A class code typed by hand: goes to the join link, which signs up or joins. */
export function JoinCodeForm() {
  const id = useId();
  const [code, setCode] = useState('');
  return (
    <form
      className="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        const c = code.trim().toUpperCase();
        if (c) window.location.assign(`/join/${encodeURIComponent(c)}`);
      }}
    >
      <label className="visually-hidden" htmlFor={id}>
        Class code
      </label>
      <input
        id={id}
        className="input code-input"
        placeholder="Class code"
        autoComplete="off"
        spellCheck={false}
        maxLength={16}
        data-testid="join-code-input"
        value={code}
        onChange={(e) => setCode(e.target.value)}
      />
      <button type="submit" className="btn" style={{ height: 36 }} data-testid="join-code-submit">
        Join
      </button>
    </form>
  );
}

/** `/reset-password`: ask for a link (no token) or choose a new password (with one). */
export function ResetPasswordForm({ token }: { token?: string }) {
  const id = useId();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState<string | null>(null);

  if (!token) {
    return (
      <form
        className="card auth-card"
        noValidate
        data-testid="reset-request-form"
        onSubmit={async (e) => {
          e.preventDefault();
          if (!email.trim()) return setError('Enter your email.');
          setBusy(true);
          setError(null);
          try {
            const answer = await api.requestPasswordReset(email.trim());
            setSent(answer.message);
          } catch (err) {
            setError(errorMessage(err));
          } finally {
            setBusy(false);
          }
        }}
      >
        <h1>Reset your password</h1>
        {sent ? (
          <p className="notice" role="status" data-testid="reset-requested">
            {sent}
          </p>
        ) : (
          <>
            <p className="card-sub">Enter the email of your account. Your administrator or teacher can also give you a reset link.</p>
            <Field id={`${id}-email`} label="Email" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} autoFocus />
            {error && (
              <p className="field-error form-error" role="alert">
                {error}
              </p>
            )}
            <button type="submit" className="btn btn-primary btn-lg btn-block" disabled={busy}>
              {busy ? 'Sending…' : 'Send reset link'}
            </button>
          </>
        )}
        <p className="auth-links">
          <Link href="/signin">Back to sign in</Link>
        </p>
      </form>
    );
  }

  return (
    <form
      className="card auth-card"
      noValidate
      data-testid="reset-form"
      onSubmit={async (e) => {
        e.preventDefault();
        if (password.length < MIN_PASSWORD_LENGTH) return setError(`Passwords have at least ${MIN_PASSWORD_LENGTH} characters.`);
        setBusy(true);
        setError(null);
        try {
          await api.resetPassword(token, password);
          window.location.assign('/');
        } catch (err) {
          setError(errorMessage(err));
          setBusy(false);
        }
      }}
    >
      <h1>Choose a new password</h1>
      <Field
        id={`${id}-password`}
        label="New password"
        type="password"
        autoComplete="new-password"
        hint={`At least ${MIN_PASSWORD_LENGTH} characters.`}
        data-testid="password-input"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        autoFocus
      />
      {error && (
        <p className="field-error form-error" role="alert" data-testid="form-error">
          {error}
        </p>
      )}
      <button type="submit" className="btn btn-primary btn-lg btn-block" disabled={busy}>
        {busy ? 'Saving…' : 'Save and sign in'}
      </button>
    </form>
  );
}
