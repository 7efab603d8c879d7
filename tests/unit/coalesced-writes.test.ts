import type { Socket as TcpSocket } from 'node:net';
import type { Socket } from 'socket.io';
import type { Socket as ClientSocket } from 'socket.io-client';
import { SHAREDB_EVENT } from '../../lib/protocol';
import { CoalescedWrites } from '../../server/transport/coalesced-writes';
import { SharedFrames } from '../../server/transport/shared-frames';
import { waitFor } from '../helpers/clients';
import { startSocketIoPair, type SocketIoPair } from '../helpers/socket-io-pair';

/**
 * A real Socket.io server with real clients: messages written to a held WebSocket connection in
 * one turn must reach the client complete and in order, and reach the kernel in one write.
 */
describe('CoalescedWrites: one system call per WebSocket connection per turn', () => {
  let pair: SocketIoPair;
  let serverSockets: Socket[];
  let clients: ClientSocket[];
  const received = new Map<ClientSocket, string[]>();
  /** Calls that hand data to the kernel (`_write` / `_writev`), per server-side TCP socket. */
  const kernelWrites = new Map<TcpSocket, number>();

  beforeAll(async () => {
    pair = await startSocketIoPair([['websocket'], ['websocket'], ['polling']], (client) => {
      received.set(client, []);
      const log = (event: string) => (data: unknown) => received.get(client)!.push(`${event}:${String(data)}`);
      client.on(SHAREDB_EVENT, log('sdb'));
      client.on('other', log('other'));
    });
    ({ serverSockets, clients } = pair);
    for (const socket of serverSockets.slice(0, 2)) {
      const tcp = tcpOf(socket);
      kernelWrites.set(tcp, 0);
      for (const method of ['_write', '_writev'] as const) {
        const original = (tcp as unknown as Record<string, (...args: unknown[]) => unknown>)[method]!;
        (tcp as unknown as Record<string, unknown>)[method] = function (this: TcpSocket, ...args: unknown[]) {
          kernelWrites.set(tcp, kernelWrites.get(tcp)! + 1);
          return original.apply(this, args);
        };
      }
    }
  });

  afterAll(() => pair.close());

  beforeEach(async () => {
    await turnEnd();
    for (const list of received.values()) list.length = 0;
    for (const tcp of kernelWrites.keys()) kernelWrites.set(tcp, 0);
  });

  const opMessage = (n: number) => ({ a: 'op', c: 'files', d: 'w1:f1', v: n, src: 'c1', seq: n, op: [n, `k${n}`] });

  /** Write `count` ShareDB messages (shared frames and plain emits mixed) plus one other event. */
  function writeBurst(writes: CoalescedWrites | null, socket: Socket, count: number, frames: SharedFrames): string[] {
    const expected: string[] = [];
    for (let n = 0; n < count; n += 1) {
      writes?.hold(socket);
      if (n % 2 === 0) frames.send(socket, opMessage(n));
      else socket.emit(SHAREDB_EVENT, JSON.stringify(opMessage(n)));
      expected.push(`sdb:${JSON.stringify(opMessage(n))}`);
      if (n === 3) {
        socket.emit('other', 'between');
        expected.push('other:between');
      }
    }
    return expected;
  }

  test('a turn of messages reaches the kernel in one write, complete and in order', async () => {
    const writes = new CoalescedWrites((error) => {
      throw error;
    });
    const frames = new SharedFrames();
    const expected = [0, 1].map((i) => writeBurst(writes, serverSockets[i]!, 20, frames));
    await waitFor(() => received.get(clients[1]!)!.length === expected[1]!.length, 'the messages');
    await waitFor(() => received.get(clients[0]!)!.length === expected[0]!.length, 'the messages');
    expect(received.get(clients[0]!)).toEqual(expected[0]);
    expect(received.get(clients[1]!)).toEqual(expected[1]);
    expect(writes.flushes).toBe(2);
    for (const socket of serverSockets.slice(0, 2)) expect(kernelWrites.get(tcpOf(socket))).toBe(1);
    expect(transportOf(serverSockets[0]!).writable).toBe(true);
  });

  test('without it, the same burst costs the kernel a write per message (the control)', async () => {
    const frames = new SharedFrames();
    const expected = writeBurst(null, serverSockets[0]!, 20, frames);
    await waitFor(() => received.get(clients[0]!)!.length === expected.length, 'the messages');
    expect(received.get(clients[0]!)).toEqual(expected);
    expect(kernelWrites.get(tcpOf(serverSockets[0]!))).toBeGreaterThan(2);
  });

  test('long-polling connections are not held and still get every message', async () => {
    const writes = new CoalescedWrites((error) => {
      throw error;
    });
    const expected = writeBurst(writes, serverSockets[2]!, 6, new SharedFrames());
    expect(writes.flushes).toBe(0);
    await waitFor(() => received.get(clients[2]!)!.length === expected.length, 'the messages');
    expect(received.get(clients[2]!)).toEqual(expected);
  });

  test('a failing flush is reported, and the socket keeps its messages and is writable again', async () => {
    const errors: unknown[] = [];
    const writes = new CoalescedWrites((error) => errors.push(error));
    const socket = serverSockets[1]!;
    socket.conn.once('flush', () => {
      throw new Error('listener failed');
    });
    const expected = writeBurst(writes, socket, 3, new SharedFrames());
    await turnEnd();
    expect(errors).toHaveLength(1);
    expect(transportOf(socket).writable).toBe(true);
    socket.emit(SHAREDB_EVENT, 'after');
    await waitFor(() => received.get(clients[1]!)!.length === expected.length + 1, 'the messages');
    expect(received.get(clients[1]!)).toEqual([...expected, 'sdb:after']);
  });

  /**
   * Like group commit: an immediate (queued first) whose callbacks write, some of it from a
   * process.nextTick; then a sentinel immediate queued last. Returns what the sentinel saw.
   */
  async function writesFromAnImmediate(writes: CoalescedWrites, reserve: boolean) {
    const socket = serverSockets[0]!;
    const frames = new SharedFrames();
    const expected: string[] = [];
    setImmediate(() => {
      expected.push(...writeBurst(writes, socket, 2, frames));
      process.nextTick(() => {
        writes.hold(socket);
        socket.emit(SHAREDB_EVENT, 'late');
        expected.push('sdb:late');
      });
    });
    if (reserve) writes.flushAfterQueuedWork();
    let flushesSeenBySentinel = -1;
    setImmediate(() => (flushesSeenBySentinel = writes.flushes));
    await turnEnd();
    await turnEnd();
    await waitFor(() => received.get(clients[0]!)!.length === expected.length, 'the messages');
    expect(received.get(clients[0]!)).toEqual(expected);
    return { flushesSeenBySentinel, kernelWrites: kernelWrites.get(tcpOf(socket)) };
  }

  test('writes made by an immediate queued before flushAfterQueuedWork leave in that same check phase', async () => {
    const writes = new CoalescedWrites((error) => {
      throw error;
    });
    const seen = await writesFromAnImmediate(writes, true);
    expect(seen.flushesSeenBySentinel).toBe(1);
    expect(seen.kernelWrites).toBe(1);
    expect(writes.flushes).toBe(1);
  });

  test('without flushAfterQueuedWork they wait for the next loop iteration (the control)', async () => {
    const writes = new CoalescedWrites((error) => {
      throw error;
    });
    const seen = await writesFromAnImmediate(writes, false);
    expect(seen.flushesSeenBySentinel).toBe(0);
    expect(writes.flushes).toBe(1);
  });

  test('a connection held before flushAfterQueuedWork leaves at the first flush; the reserved one finds nothing', async () => {
    const writes = new CoalescedWrites((error) => {
      throw error;
    });
    const socket = serverSockets[1]!;
    const expected = writeBurst(writes, socket, 3, new SharedFrames());
    writes.flushAfterQueuedWork();
    let flushesAfterFirst = -1;
    // Queued after hold()'s flush and before the reserved one.
    setImmediate(() => (flushesAfterFirst = writes.flushes));
    await turnEnd();
    expect(flushesAfterFirst).toBe(1);
    expect(writes.flushes).toBe(1);
    await waitFor(() => received.get(clients[1]!)!.length === expected.length, 'the messages');
    expect(received.get(clients[1]!)).toEqual(expected);
    expect(kernelWrites.get(tcpOf(socket))).toBe(1);
  });

  test('a connection closed while held is skipped without disturbing the others', async () => {
    const writes = new CoalescedWrites((error) => {
      throw error;
    });
    const frames = new SharedFrames();
    const doomed = serverSockets[0]!;
    writeBurst(writes, doomed, 3, frames);
    const expected = writeBurst(writes, serverSockets[1]!, 3, frames);
    doomed.disconnect(true);
    await waitFor(() => received.get(clients[1]!)!.length === expected.length, 'the messages');
    expect(received.get(clients[1]!)).toEqual(expected);
    await waitFor(() => !clients[0]!.connected, 'the client to see it was disconnected');
  });
});

function transportOf(socket: Socket): { writable: boolean; socket: { _socket: TcpSocket } } {
  return (socket.conn as unknown as { transport: { writable: boolean; socket: { _socket: TcpSocket } } }).transport;
}

function tcpOf(socket: Socket): TcpSocket {
  return transportOf(socket).socket._socket;
}

async function turnEnd(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
}
