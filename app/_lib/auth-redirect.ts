/**
 * Where to go after signing in. Only paths on this site are accepted: a `next` of
 * `https://evil.example` or `//evil.example` would turn the sign-in page into an open redirect.
 */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  return next;
}

/** The sign-in page, coming back to `next` afterwards. */
export function signInHref(next?: string, reason?: 'signed-out' | 'session-expired'): string {
  const params = new URLSearchParams();
  if (next && safeNext(next) !== '/') params.set('next', safeNext(next));
  if (reason) params.set('reason', reason);
  const query = params.toString();
  return query ? `/signin?${query}` : '/signin';
}

let redirecting = false;

/**
 * The session is gone (401 from the API, "unauthenticated" from the socket, a sign-out in
 * another tab): go to the sign-in page and come back to this page afterwards. Runs once per page.
 */
export function redirectToSignIn(reason?: 'signed-out' | 'session-expired'): void {
  if (typeof window === 'undefined' || redirecting) return;
  if (window.location.pathname === '/signin') return;
  redirecting = true;
  window.location.assign(signInHref(window.location.pathname + window.location.search, reason));
}

/** Our own sign-out is under way: the socket's "signed-out" notice must not redirect as well. */
export function markSigningOut(): void {
  redirecting = true;
}
