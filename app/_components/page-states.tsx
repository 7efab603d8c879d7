'use client';

import Link from 'next/link';

/** A whole-page "loading" placeholder with the app's layout, so nothing jumps when data arrives. */
export function PageLoading({ label = 'Loading…' }: { label?: string }) {
  return (
    <main className="page-message" aria-busy="true" data-testid="page-loading">
      <p>{label}</p>
    </main>
  );
}

/** Not found — also what a page shows when the account may not see it (no existence leak). */
export function PageNotFound({ title, text, testId = 'not-found' }: { title: string; text: string; testId?: string }) {
  return (
    <main className="page-message" data-testid={testId}>
      <h1>{title}</h1>
      <p>{text}</p>
      <Link href="/" className="btn btn-primary">
        Go to the start page
      </Link>
    </main>
  );
}

export function PageError({ message }: { message: string }) {
  return (
    <main className="page-message" role="alert">
      <h1>Something went wrong</h1>
      <p>{message}</p>
      <button type="button" className="btn btn-primary" onClick={() => window.location.reload()}>
        Try again
      </button>
    </main>
  );
}
