'use client';

import { useEffect, useState } from 'react';
import { TandemClient, type ConnectionStatus } from '../../lib/client/tandem-client';

/** How often the indicator re-reads the unsent-edit count; cheap (a walk over open docs). */
const UNSENT_POLL_MS = 200;

/**
 * One TandemClient per identity. A name change means a new handshake (the server stamps names
 * from it, P-PRES-1), so the client is replaced; callers only rename when nothing is unsent.
 */
export function useTandemClient(identity: { clientId: string; displayName: string } | null): TandemClient | null {
  const [client, setClient] = useState<TandemClient | null>(null);
  const clientId = identity?.clientId;
  const displayName = identity?.displayName;
  useEffect(() => {
    if (!clientId || !displayName) return;
    const created = new TandemClient({ clientId, displayName });
    setClient(created);
    return () => {
      created.close();
      setClient((current) => (current === created ? null : current));
    };
  }, [clientId, displayName]);
  return client;
}

export interface ConnectionState {
  status: ConnectionStatus;
  unsent: number;
}

/** Connection status (pushed) and unsent edits (polled), for the indicator. */
export function useConnectionState(client: TandemClient | null): ConnectionState {
  const [status, setStatus] = useState<ConnectionStatus>(client?.status ?? 'connecting');
  const [unsent, setUnsent] = useState(0);
  useEffect(() => {
    if (!client) return;
    setStatus(client.status);
    const off = client.onStatus(setStatus);
    const tick = () => setUnsent(client.unsentEdits());
    tick();
    const timer = setInterval(tick, UNSENT_POLL_MS);
    return () => {
      off();
      clearInterval(timer);
    };
  }, [client]);
  return { status, unsent };
}
