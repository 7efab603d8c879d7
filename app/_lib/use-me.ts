'use client';

import { useCallback, useEffect, useState } from 'react';
import { api, ApiError, type Me } from './api';
import { markSigningOut } from './auth-redirect';

export type MeState =
  | { status: 'loading' }
  | { status: 'signed-out' }
  | { status: 'error'; message: string }
  | { status: 'signed-in'; me: Me };

/**
 * Who is signed in, from `GET /api/auth/me`. The session cookie is httpOnly, so asking the
 * server is the only way for the page to know.
 */
export function useMe(): MeState & { reload: () => void } {
  const [state, setState] = useState<MeState>({ status: 'loading' });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let active = true;
    api.me().then(
      (me) => active && setState({ status: 'signed-in', me }),
      (err: unknown) => {
        if (!active) return;
        if (err instanceof ApiError && err.status === 401) setState({ status: 'signed-out' });
        else setState({ status: 'error', message: err instanceof ApiError ? err.message : 'Could not reach the server.' });
      },
    );
    return () => {
      active = false;
    };
  }, [tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** Sign out here; the server also closes this account's sockets in other tabs (signed-out). */
export async function signOut(): Promise<void> {
  markSigningOut();
  try {
    await api.logOut();
  } finally {
    window.location.assign('/signin?reason=signed-out');
  }
}
