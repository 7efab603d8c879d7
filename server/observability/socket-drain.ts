import type { Socket } from 'socket.io';
import { CloseReason, type CloseNotice } from '../../lib/protocol';
import type { Logger } from '../logger';
import { closeWithNotice } from '../transport/socket-gate';

/**
 * The close notice of a restart or a drain (P-TR-4 `shutting-down`, P-SHUT-1, P-OPS-5): the same
 * words and reason either way, so clients need to know only one.
 */
export function restartNotice(retryAfterMs: number): CloseNotice {
  return {
    reason: CloseReason.ShuttingDown,
    message: 'The server is restarting. Your edits are kept and will be sent when it is back.',
    retryAfterMs,
  };
}

/** When one socket is closed and when, after that, its client should come back. */
export interface DrainSlot {
  /** Milliseconds after the drain started; a multiple of the batch interval. */
  disconnectAtMs: number;
  /** Sent in the close notice: how long after its disconnect the client reconnects. */
  retryAfterMs: number;
}

/**
 * P-OPS-5: spread `count` reconnects uniformly over `windowMs`, with disconnects grouped in
 * batches every `batchMs`. Reconnect moments are stratified (one per `windowMs / count` slice, the
 * slices shuffled) so even two sockets never come back together; a socket is disconnected by the
 * batch at or before its moment and told to wait the rest (`retryAfterMs < batchMs`). Until its
 * batch, a client keeps editing here.
 */
export function planDrain(count: number, windowMs: number, batchMs: number, random: () => number = Math.random): DrainSlot[] {
  if (!(batchMs > 0)) throw new RangeError('batchMs must be positive');
  const slices = Array.from({ length: count }, (_, i) => i);
  for (let i = slices.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [slices[i], slices[j]] = [slices[j]!, slices[i]!];
  }
  return slices.map((slice) => {
    const reconnectAt = Math.floor((windowMs * (slice + random())) / count);
    const disconnectAtMs = Math.floor(reconnectAt / batchMs) * batchMs;
    return { disconnectAtMs, retryAfterMs: reconnectAt - disconnectAtMs };
  });
}

export interface DrainStatus {
  draining: boolean;
  /** Epoch ms when the drain began, or null. */
  startedAt: number | null;
  windowMs: number;
  /** Sockets connected when the drain began. */
  sockets: number;
  /** Of those, how many this drain has closed so far. */
  closed: number;
}

export interface SocketDrainerOptions {
  /** This process's own sockets (never the cluster's: `io.fetchSockets()` spans every process with Redis). */
  sockets: () => Iterable<Socket>;
  windowMs: number;
  batchMs: number;
  logger: Logger;
  /** Told the number of sockets closed by each batch (metrics). */
  onClosed?: (count: number) => void;
  random?: () => number;
  clock?: () => number;
}

/**
 * Moves this process's clients elsewhere without exiting (rolling deploys). The caller stops new
 * handshakes first (LoadShedder.startDraining); this closes the sockets that were connected, batch
 * by batch, each with a `shutting-down` notice.
 */
export class SocketDrainer {
  private readonly timers: Array<ReturnType<typeof setTimeout>> = [];
  private state: DrainStatus;
  private batchesLeft = 0;

  constructor(private readonly options: SocketDrainerOptions) {
    this.state = { draining: false, startedAt: null, windowMs: options.windowMs, sockets: 0, closed: 0 };
  }

  /** Begin (idempotent: a second call only reports progress). */
  start(): DrainStatus {
    if (this.state.draining) return this.status();
    const sockets = [...this.options.sockets()];
    const plan = planDrain(sockets.length, this.options.windowMs, this.options.batchMs, this.options.random);
    this.state = { ...this.state, draining: true, startedAt: (this.options.clock ?? Date.now)(), sockets: sockets.length };
    const batches = new Map<number, Array<[Socket, number]>>();
    plan.forEach((slot, i) => {
      const batch = batches.get(slot.disconnectAtMs) ?? [];
      batch.push([sockets[i]!, slot.retryAfterMs]);
      batches.set(slot.disconnectAtMs, batch);
    });
    this.batchesLeft = batches.size;
    for (const [at, batch] of batches) {
      this.timers.push(setTimeout(() => this.closeBatch(batch), at));
    }
    this.options.logger.info({ sockets: sockets.length, windowMs: this.options.windowMs, batches: batches.size }, 'drain: started');
    return this.status();
  }

  status(): DrainStatus {
    return { ...this.state };
  }

  /** Cancel batches not yet run (shutdown closes every socket itself). */
  stop(): void {
    for (const timer of this.timers.splice(0)) clearTimeout(timer);
  }

  private closeBatch(batch: Array<[Socket, number]>): void {
    let closed = 0;
    for (const [socket, retryAfterMs] of batch) {
      if (!socket.connected) continue;
      closeWithNotice(socket, restartNotice(retryAfterMs));
      closed++;
    }
    this.state.closed += closed;
    this.options.onClosed?.(closed);
    if (--this.batchesLeft === 0) this.options.logger.info({ closed: this.state.closed, of: this.state.sockets }, 'drain: every socket closed');
  }
}
