import type { Socket } from 'socket.io';

/**
 * Writes each WebSocket connection's ShareDB messages of one event-loop turn with one system call.
 *
 * The profile at 20 rooms (docs/benchmarks.md) put a quarter of the server's time in `writev`:
 * Engine.IO writes every packet as its own WebSocket frame, and `ws` hands each frame to the
 * kernel at once. A subscriber in a busy room is sent several ops per turn (group commit acks and
 * publishes a whole turn's commits together), each costing a system call. Here the first ShareDB
 * message of a turn marks the connection's transport not writable — Engine.IO's own back-pressure
 * state, in which it queues packets in order instead of writing them — and at the end of the turn
 * the queue is flushed inside a `cork()`/`uncork()` of the TCP socket, so Node hands the kernel
 * every frame in one `writev`. Packet order and the bytes on the wire are unchanged.
 *
 * Only WebSocket transports are held: for long-polling, `writable` means a poll request is
 * waiting, and its packets already leave in one HTTP response.
 *
 * The end of a turn is a `setImmediate`. One queued from inside another immediate runs only in the
 * next loop iteration, after that iteration's I/O: so the acks and ops that group commit releases
 * from its own immediate would wait a whole iteration (0.3 ms at p50 with 10 busy rooms,
 * docs/benchmarks.md). The store therefore calls {@link flushAfterQueuedWork} when it queues its
 * immediate, and a flush is queued right behind it.
 */

/** The parts of Engine.IO's socket and transport used here (not in their public typings). */
interface EngineTransport {
  readonly name: string;
  writable: boolean;
  /** `ws`'s WebSocket, whose `_socket` is the TCP socket. */
  readonly socket?: { _socket?: { cork(): void; uncork(): void } };
}

interface EngineConnection {
  readonly transport: EngineTransport;
  readonly readyState: string;
  flush(): void;
}

export class CoalescedWrites {
  /** Connections held this turn, with the transport that was held (it may be replaced by then). */
  private held = new Map<EngineConnection, EngineTransport>();
  /** Flushes queued with setImmediate and not yet run; a held connection waits for the next one. */
  private pendingFlushes = 0;
  /** Turn-end flushes of a held connection, for tests and benchmarks. */
  flushes = 0;

  constructor(private readonly onError: (error: unknown) => void) {}

  /** Hold `socket`'s outgoing packets until the end of this turn, if it is not already held. */
  hold(socket: Socket): void {
    const connection = socket.conn as unknown as EngineConnection;
    const transport = connection.transport;
    // Not writable means a write is in flight: Engine.IO already queues until it completes.
    if (transport.name !== 'websocket' || transport.writable !== true || this.held.has(connection)) return;
    transport.writable = false;
    this.held.set(connection, transport);
    if (this.pendingFlushes === 0) this.queueFlush();
  }

  /**
   * Queue a flush behind the immediates queued so far, for writes they will make: it runs after
   * them and after the process.nextTick and promise work they start, in the same check phase.
   * Connections already held leave at the first flush that runs, so nothing is ever delayed.
   */
  flushAfterQueuedWork(): void {
    this.queueFlush();
  }

  private queueFlush(): void {
    this.pendingFlushes += 1;
    setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    this.pendingFlushes -= 1;
    if (this.held.size === 0) return;
    const held = this.held;
    this.held = new Map();
    for (const [connection, transport] of held) {
      // Writable again before anything else, so no failure below can leave the socket silent.
      transport.writable = true;
      if (connection.transport !== transport || connection.readyState === 'closed') continue;
      const tcp = transport.socket?._socket;
      tcp?.cork();
      try {
        this.flushes += 1;
        connection.flush();
      } catch (error) {
        this.onError(error);
      } finally {
        tcp?.uncork();
      }
    }
  };
}
