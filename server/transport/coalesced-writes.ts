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
  private flushScheduled = false;
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
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
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
