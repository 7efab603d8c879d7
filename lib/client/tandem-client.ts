import { io, type Socket, type ManagerOptions, type SocketOptions } from 'socket.io-client';
import { Connection, types } from 'sharedb/lib/client';
import { CLOSE_EVENT, ERROR_EVENT, type CloseNotice, type ConnectRefusal, type ErrorNotice } from '../protocol';
import { textType } from '../text/text-type';
import { SocketIoWebSocket } from './socket-io-websocket';

types.register(textType as never);

/** What the connection indicator shows (issue #2 §6). */
export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'offline';

export interface TandemClientOptions {
  /** Server origin, e.g. `http://localhost:3000`; omit in the browser for same-origin. */
  url?: string;
  clientId: string;
  displayName: string;
  /** Extra socket.io options (tests force a transport, benches disable reconnection jitter). */
  io?: Partial<ManagerOptions & SocketOptions>;
}

/** After this many failed reconnect attempts in a row, say "offline" rather than "reconnecting". */
const OFFLINE_AFTER_ATTEMPTS = 3;

/**
 * One tab's link to the server: a single Socket.io connection (websocket first, long-polling
 * fallback) carrying ShareDB, presence and app events. It reconnects by itself, including after
 * the server closed the socket on purpose (restart, rate limit), honouring `retryAfterMs`.
 */
export class TandemClient {
  readonly socket: Socket;
  readonly connection: Connection;
  private statusValue: ConnectionStatus = 'connecting';
  private readonly statusListeners = new Set<(status: ConnectionStatus) => void>();
  private failedAttempts = 0;
  private closedByUser = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  /** The server's last close notice, if it closed us on purpose. */
  lastCloseNotice: CloseNotice | null = null;
  /** Errors the server reported without closing (P-ERR-1). */
  readonly errors: ErrorNotice[] = [];

  constructor(options: TandemClientOptions) {
    const opts: Partial<ManagerOptions & SocketOptions> = {
      transports: ['websocket', 'polling'],
      tryAllTransports: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
      randomizationFactor: 0.5,
      auth: { clientId: options.clientId, displayName: options.displayName },
      ...options.io,
    };
    this.socket = options.url ? io(options.url, opts) : io(opts);
    this.connection = new Connection(new SocketIoWebSocket(this.socket) as never);
    // An unhandled 'error' event on a ShareDB Connection throws (stack-facts §2).
    this.connection.on('error', () => {});

    this.socket.on('connect', () => {
      this.failedAttempts = 0;
      this.setStatus('connected');
    });
    this.socket.on('connect_error', (err: Error & { data?: unknown }) => {
      this.failedAttempts++;
      // An overloaded or draining server says when to come back (P-OPS-2, P-OPS-5): the server
      // is up, so this is "reconnecting", never "offline".
      const retryAfterMs = refusalRetryAfter(err.data);
      const offline = retryAfterMs === null && (this.failedAttempts >= OFFLINE_AFTER_ATTEMPTS || !browserOnline());
      this.setStatus(offline ? 'offline' : 'reconnecting');
      // A handshake refused by middleware is not retried by socket.io; we retry with backoff.
      if (!this.socket.active) this.scheduleReconnect(Math.max(backoff(this.failedAttempts), retryAfterMs ?? 0));
    });
    this.socket.on(CLOSE_EVENT, (notice: CloseNotice) => {
      this.lastCloseNotice = notice;
    });
    this.socket.on(ERROR_EVENT, (notice: ErrorNotice) => {
      this.errors.push(notice);
      if (this.errors.length > 50) this.errors.shift();
    });
    this.socket.on('disconnect', (reason) => {
      if (this.closedByUser) return;
      this.setStatus(browserOnline() ? 'reconnecting' : 'offline');
      // Socket.io does not reconnect after a server-side disconnect; we do, after the hinted delay.
      if (reason === 'io server disconnect') {
        this.scheduleReconnect(this.lastCloseNotice?.retryAfterMs ?? backoff(1));
      }
    });
  }

  get status(): ConnectionStatus {
    return this.statusValue;
  }

  /** Subscribe to status changes; returns an unsubscribe function. */
  onStatus(listener: (status: ConnectionStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /**
   * Local edit batches not yet acknowledged by the server, across every open doc. ShareDB
   * composes queued keystrokes, so this counts batches, not characters.
   */
  unsentEdits(): number {
    let count = 0;
    const collections = (this.connection as unknown as { collections: Record<string, Record<string, PendingDoc>> })
      .collections;
    for (const docs of Object.values(collections)) {
      for (const doc of Object.values(docs)) {
        count += (doc.inflightOp ? 1 : 0) + doc.pendingOps.length;
      }
    }
    return count;
  }

  /** Stop for good (tab closing, test teardown). */
  close(): void {
    this.closedByUser = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.connection.close();
    this.socket.disconnect();
    this.setStatus('offline');
  }

  private scheduleReconnect(delayMs: number): void {
    if (this.reconnectTimer || this.closedByUser) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.closedByUser && !this.socket.connected) this.socket.connect();
    }, delayMs);
  }

  private setStatus(status: ConnectionStatus): void {
    if (status === this.statusValue) return;
    this.statusValue = status;
    for (const listener of this.statusListeners) listener(status);
  }
}

interface PendingDoc {
  inflightOp: unknown;
  pendingOps: unknown[];
}

function browserOnline(): boolean {
  // lib/ compiles without DOM typings for the server, so reach navigator through globalThis.
  const nav = (globalThis as { navigator?: { onLine?: boolean } }).navigator;
  return nav?.onLine !== false;
}

function backoff(attempt: number): number {
  const base = Math.min(5000, 500 * 2 ** Math.max(0, attempt - 1));
  return Math.floor(base * (0.5 + Math.random()));
}

/** Longest wait a refusal may ask for; a bigger value is treated as this. */
const MAX_REFUSAL_WAIT_MS = 5 * 60_000;

/** `retryAfterMs` of a handshake refusal (ConnectRefusal), or null for other connect errors. */
function refusalRetryAfter(data: unknown): number | null {
  const ms = (data as Partial<ConnectRefusal> | undefined)?.retryAfterMs;
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? Math.min(ms, MAX_REFUSAL_WAIT_MS) : null;
}
