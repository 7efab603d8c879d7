'use client';

import { useEffect, useState } from 'react';
import type { ConnectionStatus, TandemClient } from '../../lib/client/tandem-client';
import { colorForClient } from '../../lib/binding/remote-cursors';
import { createAccountClient } from './live-client';
import { WorkspacePresence, type Peer } from './workspace-presence';

/** How often the indicator re-reads the unsent-edit count; cheap (a walk over open docs). */
const UNSENT_POLL_MS = 200;

let sessionCount = 0;

/** This tab's connection and its workspace-wide presence tracker, created and closed together. */
export interface Session {
  /** Changes whenever the connection is replaced; key anything holding docs of the old one on it. */
  id: number;
  client: TandemClient;
  presence: WorkspacePresence;
}

/**
 * One TandemClient per account and workspace. The server stamps the account's name on presence
 * (P-PRES-1); the presence clientId is the account id (see createAccountClient).
 */
export function useSession(user: { id: string; displayName: string } | null, workspaceId: string): { session: Session | null; peers: Peer[] } {
  const [session, setSession] = useState<Session | null>(null);
  const [peers, setPeers] = useState<Peer[]>([]);
  const userId = user?.id ?? null;
  const displayName = user?.displayName ?? '';
  useEffect(() => {
    if (!userId) return;
    const client = createAccountClient({ id: userId, displayName }, workspaceId);
    const self = { clientId: userId, name: displayName, color: colorForClient(userId) };
    const presence = new WorkspacePresence(client.connection, workspaceId, self, setPeers);
    const created = { id: ++sessionCount, client, presence };
    setSession(created);
    return () => {
      presence.dispose();
      client.close();
      setPeers([]);
      setSession((current) => (current === created ? null : current));
    };
  }, [userId, displayName, workspaceId]);
  return { session, peers };
}

export interface ConnectionState {
  status: ConnectionStatus;
  unsent: number;
}

/** Connection status (pushed) and unsent edits (polled), for the indicator. */
export function useConnectionState(client: TandemClient | null): ConnectionState {
  const [status, setStatus] = useState<ConnectionStatus>('connecting');
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
