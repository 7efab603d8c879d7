import { io, type Socket } from 'socket.io-client';
import type { Doc } from 'sharedb/lib/client';
import { TandemClient } from '../../lib/client/tandem-client';
import { COLLECTIONS, SHAREDB_EVENT, fileDocId } from '../../lib/protocol';

let counter = 0;

/** A TandemClient from Node for a signed-in user, websocket transport, fast reconnects. */
export function newClient(url: string, user: { cookie: string; displayName: string }, extra: Record<string, unknown> = {}): TandemClient {
  return new TandemClient({
    url,
    clientId: `client-${process.pid}-${++counter}`,
    displayName: user.displayName,
    io: {
      transports: ['websocket'],
      reconnectionDelay: 100,
      reconnectionDelayMax: 500,
      // Node's websocket and polling transports send these on the handshake (AU-2).
      extraHeaders: { cookie: user.cookie },
      ...extra,
    },
  });
}

/** Subscribe to a file's text doc. */
export function subscribeFile(client: TandemClient, workspaceId: string, fileId: string): Promise<Doc<string>> {
  const doc = client.connection.get(COLLECTIONS.files, fileDocId(workspaceId, fileId)) as Doc<string>;
  return new Promise((resolve, reject) => doc.subscribe((err) => (err ? reject(err) : resolve(doc))));
}

/** Resolve once `predicate()` holds, polling; reject with `what` after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Resolve when the doc has nothing in flight or pending. */
export function whenAcked(doc: Doc): Promise<void> {
  return new Promise((resolve) => doc.whenNothingPending(() => resolve()));
}

/**
 * A bare Socket.io client speaking raw ShareDB frames, for bad-input tests: what a buggy or
 * hostile client could send, without ShareDB's client library in the way.
 */
export class RawClient {
  readonly socket: Socket;
  readonly received: Array<Record<string, unknown>> = [];
  closeNotice: { reason: string; message: string; retryAfterMs?: number } | null = null;
  disconnectReason: string | null = null;

  constructor(
    url: string,
    cookie: string | null,
    auth: unknown = { clientId: `raw-${process.pid}-${++counter}`, displayName: 'Raw' },
  ) {
    this.socket = io(url, {
      transports: ['websocket'],
      reconnection: false,
      auth: auth as Record<string, unknown>,
      extraHeaders: cookie ? { cookie } : {},
    });
    this.socket.on(SHAREDB_EVENT, (frame: string) => this.received.push(JSON.parse(frame) as Record<string, unknown>));
    this.socket.on('tandem:close', (notice: RawClient['closeNotice']) => (this.closeNotice = notice));
    this.socket.on('disconnect', (reason) => (this.disconnectReason = reason));
  }

  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.connected) return resolve();
      this.socket.once('connect', () => resolve());
      this.socket.once('connect_error', reject);
    });
  }

  /** Send one ShareDB message (as the JSON string frame P-TR-1 requires). */
  send(message: unknown): void {
    this.socket.emit(SHAREDB_EVENT, JSON.stringify(message));
  }

  /** Send anything at all on the ShareDB event. */
  sendFrame(frame: unknown): void {
    this.socket.emit(SHAREDB_EVENT, frame);
  }

  /** Send a message and wait for the reply with the same action (and seq/id when given). */
  async request(message: Record<string, unknown>, timeoutMs = 5000): Promise<Record<string, unknown>> {
    const from = this.received.length;
    this.send(message);
    let reply: Record<string, unknown> | undefined;
    await waitFor(
      () => {
        reply = this.received
          .slice(from)
          .find((m) => m.a === message.a && (message.seq === undefined || m.seq === message.seq));
        return reply !== undefined;
      },
      `a reply to ${JSON.stringify(message).slice(0, 80)}`,
      timeoutMs,
    );
    return reply!;
  }

  close(): void {
    this.socket.disconnect();
  }
}
