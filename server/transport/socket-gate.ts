import type { Socket } from 'socket.io';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { CLOSE_EVENT, CloseReason, SHAREDB_EVENT, type CloseNotice } from '../../lib/protocol';
import { SocketIoJsonStream } from './socket-io-json-stream';
import { SharedFrames } from './shared-frames';
import { CoalescedWrites } from './coalesced-writes';
import type { Logger } from '../logger';

export interface SocketGateOptions {
  /** Sustained messages per second before the socket is closed (P-LIM-4). */
  messagesPerSecond: number;
  logger: Logger;
  /** Told the code of every error reply and every close notice (metrics). */
  onError?: (code: string) => void;
  /** Encode each op and presence update once for all subscribers (default true). */
  sharedFrames?: boolean;
  /** Write each socket's ShareDB messages of one turn with one system call (default true). */
  coalesceWrites?: boolean;
}

/**
 * The edge of the realtime protocol: every frame a client sends on the ShareDB event passes here
 * before ShareDB sees it. Frames must be JSON strings encoding an object (P-TR-3); a socket that
 * floods is told why and closed (P-LIM-4). Engine.io's own `maxHttpBufferSize` has already cut
 * off frames larger than MAX_MESSAGE_BYTES (P-LIM-3).
 */
export class SocketGate {
  private readonly limiter: RateLimiterMemory;
  private readonly logger: Logger;
  private readonly onError: ((code: string) => void) | null;
  /** One per process: an op's copies for every subscriber on this process share one encoding. */
  readonly frames: SharedFrames | null;
  /** One per process: holds sockets written to this turn until the turn ends. */
  readonly writes: CoalescedWrites | null;

  constructor(options: SocketGateOptions) {
    this.onError = options.onError ?? null;
    this.frames = options.sharedFrames === false ? null : new SharedFrames();
    this.writes =
      options.coalesceWrites === false
        ? null
        : new CoalescedWrites((err) => options.logger.error({ err }, 'flushing a socket at the end of the turn failed'));
    // Averaged over a 2 s window, so a burst of twice the rate (opening 50 files at once) passes.
    this.limiter = new RateLimiterMemory({ points: options.messagesPerSecond * 2, duration: 2 });
    this.logger = options.logger;
  }

  /** Wire `socket` to a ShareDB stream and return it, for `backend.listen(stream, req)`. */
  open(socket: Socket): SocketIoJsonStream {
    const stream = new SocketIoJsonStream(socket, this.onError, this.frames, this.writes);
    let closing = false;
    const close = (notice: CloseNotice) => {
      if (closing) return;
      closing = true;
      this.logger.warn({ socket: socket.id, reason: notice.reason }, 'closing socket');
      this.onError?.(notice.reason);
      closeWithNotice(socket, notice);
    };

    socket.on(SHAREDB_EVENT, (frame: unknown) => {
      if (closing) return;
      this.limiter.consume(socket.id).catch((res: unknown) => {
        if (res instanceof RateLimiterRes) {
          close({
            reason: CloseReason.RateLimited,
            message: 'Too many messages; reconnect after a pause. Unsent edits are kept and resent.',
            retryAfterMs: Math.max(res.msBeforeNext, 1000),
          });
        } else {
          this.logger.error({ err: res }, 'rate limiter failed');
        }
      });
      const message = parseFrame(frame);
      if (message === null) {
        close({ reason: CloseReason.MalformedMessage, message: 'Messages must be JSON objects encoded as strings.' });
        return;
      }
      stream.deliver(message);
    });
    socket.on('disconnect', () => {
      void this.limiter.delete(socket.id);
    });
    return stream;
  }
}

function parseFrame(frame: unknown): object | null {
  if (typeof frame !== 'string') return null;
  try {
    const value: unknown = JSON.parse(frame);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

/** Tell the client why it is being closed (P-TR-4), then close once the notice has been flushed. */
export function closeWithNotice(socket: Socket, notice: CloseNotice): void {
  socket.emit(CLOSE_EVENT, notice);
  // Socket.io writes packets in order; disconnecting on the next tick lets the notice go first.
  setImmediate(() => socket.disconnect(true));
}
