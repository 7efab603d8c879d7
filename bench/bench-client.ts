import { Connection, types, type Doc } from 'sharedb/lib/client';
import WebSocket from 'ws';
import { TandemClient } from '../lib/client/tandem-client';
import { textType } from '../lib/text/text-type';

types.register(textType as never);

/** Which server a benchmark client talks to. */
export type Target = 'tandem' | 'raw';

/** One editor's link to a server: a ShareDB Connection over that server's transport. */
export interface BenchClient {
  readonly connection: Connection;
  /** Times the ShareDB connection left the `connected` state without us closing it. */
  readonly disconnects: number;
  close(): void;
}

/**
 * Open one client the way a real editor would: Tandem clients use `TandemClient` over a
 * Socket.io websocket (no polling; `forceNew` so every client gets its own socket even in one
 * process); raw clients use ShareDB's `Connection` over a plain `ws` WebSocket.
 */
export function openClient(target: Target, baseUrl: string, name: string, cookie: string | null = null): BenchClient {
  let connection: Connection;
  let closeTransport: () => void;
  if (target === 'tandem') {
    const client = new TandemClient({
      url: baseUrl,
      clientId: name,
      displayName: name,
      io: {
        transports: ['websocket'],
        tryAllTransports: false,
        forceNew: true,
        reconnectionDelay: 200,
        randomizationFactor: 0.5,
        // Every editor is the bench account in its own tab (the account owns every room).
        extraHeaders: cookie ? { cookie } : {},
      },
    });
    connection = client.connection;
    closeTransport = () => client.close();
  } else {
    const socket = new WebSocket(baseUrl.replace(/^http/, 'ws'));
    connection = new Connection(socket as never);
    // An unhandled 'error' event on a ShareDB Connection throws (stack-facts §2).
    connection.on('error', () => {});
    closeTransport = () => {
      connection.close();
      socket.terminate();
    };
  }
  let closing = false;
  let wasConnected = false;
  const state = { disconnects: 0 };
  connection.on('state', (newState) => {
    if (newState === 'connected') wasConnected = true;
    else if (wasConnected && !closing && newState !== 'connecting') state.disconnects++;
  });
  return {
    connection,
    get disconnects() {
      return state.disconnects;
    },
    close() {
      closing = true;
      closeTransport();
    },
  };
}

/** Resolve when the ShareDB handshake is done (state `connected`), or reject after `timeoutMs`. */
export function whenConnected(connection: Connection, timeoutMs: number): Promise<void> {
  if (connection.state === 'connected') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      connection.off('connected', onConnected);
      reject(new Error(`not connected after ${timeoutMs} ms (state ${connection.state})`));
    }, timeoutMs);
    const onConnected = () => {
      clearTimeout(timer);
      resolve();
    };
    connection.once('connected', onConnected);
  });
}

/** Callback-style ShareDB calls as promises. */
export function call(fn: (cb: (err?: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => fn((err) => (err ? reject(err instanceof Error ? err : new Error(describeError(err))) : resolve())));
}

/** ShareDB errors are sometimes plain `{code, message}` objects. */
export function describeError(err: unknown): string {
  if (err && typeof err === 'object') {
    const { code, message } = err as { code?: unknown; message?: unknown };
    return [code, message].filter((x) => x !== undefined).join(' ') || String(err);
  }
  return String(err);
}

/** Subscribe to a file doc and check that it is a text doc. */
export async function subscribeText(connection: Connection, collection: string, id: string): Promise<Doc<string>> {
  const doc = connection.get(collection, id) as Doc<string>;
  await call((cb) => doc.subscribe(cb));
  if (typeof doc.data !== 'string') throw new Error(`doc ${collection}/${id} is not a text doc`);
  return doc;
}

/** Run `tasks` with at most `limit` in flight; results in input order. */
export async function withConcurrency<T>(limit: number, count: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, count) }, async () => {
    while (next < count) {
      const index = next++;
      results[index] = await task(index);
    }
  });
  await Promise.all(lanes);
  return results;
}
