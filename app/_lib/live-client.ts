'use client';

import { useEffect, useRef, useState } from 'react';
import { TandemClient } from '../../lib/client/tandem-client';
import { CLOSE_EVENT, CloseReason, type CloseNotice } from '../../lib/protocol';
import { redirectToSignIn } from './auth-redirect';

export { APP_EVENTS, APP_PUSH } from '../../lib/protocol';

/**
 * A socket for a signed-in account. The presence `clientId` is the account id, so a person has
 * one colour everywhere and the people list can be matched with pair roles and the online list.
 * The server stamps names (and checks the session cookie) itself.
 */
export function createAccountClient(user: { id: string; displayName: string }, workspaceId?: string): TandemClient {
  // `ws` is the load balancer's affinity key (docs/operations.md): everyone editing one workspace
  // lands on one process when Tandem runs as several. Pages without a workspace use the account.
  const client = new TandemClient({ clientId: user.id, displayName: user.displayName, io: { query: { ws: workspaceId ?? user.id } } });
  watchAuth(client);
  return client;
}

/**
 * Send the person to the sign-in page when the socket's session is gone: a handshake refused as
 * "unauthenticated", or a close notice saying they signed out or the session expired.
 */
export function watchAuth(client: TandemClient): void {
  client.socket.on('connect_error', (err: Error) => {
    if (err.message.startsWith('unauthenticated')) {
      client.close();
      redirectToSignIn();
    }
  });
  client.socket.on(CLOSE_EVENT, (notice: CloseNotice) => {
    if (notice.reason === CloseReason.SignedOut || notice.reason === CloseReason.SessionExpired) {
      client.close();
      redirectToSignIn(notice.reason);
    }
  });
}

/** A socket for pages without a workspace (dashboard, class page): live events only. */
export function useAccountClient(user: { id: string; displayName: string } | null): TandemClient | null {
  const [client, setClient] = useState<TandemClient | null>(null);
  const id = user?.id ?? null;
  const name = user?.displayName ?? '';
  useEffect(() => {
    if (!id) return;
    const created = createAccountClient({ id, displayName: name });
    setClient(created);
    return () => {
      created.close();
      setClient((current) => (current === created ? null : current));
    };
  }, [id, name]);
  return client;
}

/**
 * Run `onConnect` now (if connected) and after every reconnect. Socket.io rooms do not survive
 * a reconnect, so watch requests are re-sent here, and data is refetched for events missed
 * while away.
 */
export function useOnConnect(client: TandemClient | null, onConnect: (client: TandemClient, reconnect: boolean) => void): void {
  const ref = useRef(onConnect);
  ref.current = onConnect;
  useEffect(() => {
    if (!client) return;
    let first = true;
    const run = () => {
      ref.current(client, !first);
      first = false;
    };
    if (client.socket.connected) run();
    client.socket.on('connect', run);
    return () => {
      client.socket.off('connect', run);
    };
  }, [client]);
}

/** Listen to one server push event while mounted. */
export function useSocketEvent<T>(client: TandemClient | null, event: string, handler: (payload: T) => void): void {
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    if (!client) return;
    const listener = (payload: T) => ref.current(payload);
    client.socket.on(event, listener);
    return () => {
      client.socket.off(event, listener);
    };
  }, [client, event]);
}
