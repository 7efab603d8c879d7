'use client';

import { useEffect, useState } from 'react';
import { TandemClient, type ConnectionStatus } from '../../lib/client/tandem-client';
import { colorForClient } from '../../lib/binding/remote-cursors';
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
 * One TandemClient per identity and workspace. A name change means a new handshake (the server
 * stamps names from it, P-PRES-1), so the session is replaced; callers only rename when nothing
 * is unsent.
 */
export function useSession(
  identity: { clientId: string; displayName: string | null },
  workspaceId: string,
): { session: Session | null; peers: Peer[] } {
  const [session, setSession] = useState<Session | null>(null);
  const [peers, setPeers] = useState<Peer[]>([]);
  const { clientId, displayName } = identity;
  useEffect(() => {
    if (!displayName) return;
    const client = new TandemClient({ clientId, displayName });
    const self = { clientId, name: displayName, color: colorForClient(clientId) };
    const presence = new WorkspacePresence(client.connection, workspaceId, self, setPeers);
    const created = { id: ++sessionCount, client, presence };
    setSession(created);
    return () => {
      presence.dispose();
      client.close();
      setPeers([]);
      setSession((current) => (current === created ? null : current));
    };
  }, [clientId, displayName, workspaceId]);
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
