'use client';

import Link from 'next/link';
import { useEffect, useRef, useState } from 'react';
import { api, ApiError, errorMessage } from '../_lib/api';

/**
 * A class join link. Signed in: join as a student and go to the class. Not signed in: the
 * student sign-up with the code filled in (which links to sign-in for existing accounts).
 */
export function JoinClass({ code }: { code: string }) {
  const [error, setError] = useState<string | null>(null);
  const started = useRef(false);
  useEffect(() => {
    // Strict mode runs effects twice in development; joining is idempotent, but one call is enough.
    if (started.current) return;
    started.current = true;
    const normalized = code.trim().toUpperCase();
    (async () => {
      try {
        await api.me();
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) {
          window.location.replace(`/signup?code=${encodeURIComponent(normalized)}`);
          return;
        }
        setError(errorMessage(err));
        return;
      }
      try {
        const joined = await api.join(normalized);
        window.location.replace(`/classes/${joined.classId}`);
      } catch (err) {
        setError(errorMessage(err));
      }
    })();
  }, [code]);

  return (
    <div className="card auth-card" data-testid="join-class">
      <h1>Joining class {code.toUpperCase()}</h1>
      {error ? (
        <>
          <p className="field-error" role="alert" data-testid="join-error">
            {error}
          </p>
          <p className="auth-links">
            <Link href="/">Go to the start page</Link>
          </p>
        </>
      ) : (
        <p className="card-sub" aria-busy="true">
          One moment…
        </p>
      )}
    </div>
  );
}
