import type { Socket } from 'socket.io';
import type { Socket as ClientSocket } from 'socket.io-client';
import { SHAREDB_EVENT } from '../../lib/protocol';
import { SharedFrames } from '../../server/transport/shared-frames';
import { waitFor } from '../helpers/clients';
import { startSocketIoPair, type SocketIoPair } from '../helpers/socket-io-pair';

/**
 * One real Socket.io server and real clients over WebSocket and long-polling: what each client
 * decodes must be exactly the JSON of the message it was sent, whether the encoding was shared or
 * not.
 */
describe('SharedFrames: one encoding per op for all subscribers', () => {
  let pair: SocketIoPair;
  let serverSockets: Socket[];
  let clients: ClientSocket[];
  const received = new Map<ClientSocket, string[]>();

  beforeAll(async () => {
    // Two over WebSocket (the pre-computed frame), one over polling (engine.io encodes it itself).
    pair = await startSocketIoPair([['websocket'], ['websocket'], ['polling']], (client) => {
      received.set(client, []);
      client.on(SHAREDB_EVENT, (data: string) => received.get(client)!.push(data));
    });
    ({ serverSockets, clients } = pair);
  });

  afterAll(() => pair.close());

  beforeEach(() => {
    for (const list of received.values()) list.length = 0;
  });

  async function delivered(count: number): Promise<string[][]> {
    await waitFor(() => clients.every((c) => received.get(c)!.length >= count), 'every client to get its messages');
    return clients.map((c) => received.get(c)!.slice());
  }

  /** What ShareDB's `Agent._sendOp` builds for each subscriber: a new object around one op. */
  const opMessage = (op: unknown[], v = 7) => ({ a: 'op', c: 'files', d: 'w1:f1', v, src: 'client-1', seq: 3, op });

  test('copies of one op share an encoding, and every client decodes exactly its message', async () => {
    const frames = new SharedFrames();
    const op = [5, '"quoted" \\ 漢字 😀'];
    for (const socket of serverSockets) frames.send(socket, opMessage(op));
    expect(frames.reused).toBe(2);
    const got = await delivered(1);
    for (const list of got) expect(list).toEqual([JSON.stringify(opMessage(op))]);
  });

  test('a copy with any different field gets its own encoding', async () => {
    const frames = new SharedFrames();
    const op = [1, 'x'];
    frames.send(serverSockets[0]!, opMessage(op, 7));
    frames.send(serverSockets[1]!, opMessage(op, 8));
    frames.send(serverSockets[2]!, { ...opMessage(op, 7), extra: true });
    expect(frames.reused).toBe(0);
    const got = await delivered(1);
    expect(got[0]).toEqual([JSON.stringify(opMessage(op, 7))]);
    expect(got[1]).toEqual([JSON.stringify(opMessage(op, 8))]);
    expect(got[2]).toEqual([JSON.stringify({ ...opMessage(op, 7), extra: true })]);
  });

  test('a presence object sent to several agents is encoded once; a mutated one is re-encoded', async () => {
    const frames = new SharedFrames();
    const presence = { a: 'p', ch: 'files.w1:f1', id: 'c1', p: { index: 4, length: 0 }, v: 9, seq: 1 };
    frames.send(serverSockets[0]!, presence);
    frames.send(serverSockets[1]!, presence);
    const first = JSON.stringify(presence);
    presence.seq = 2;
    frames.send(serverSockets[2]!, presence);
    expect(frames.reused).toBe(1);
    const got = await delivered(1);
    expect(got).toEqual([[first], [first], [JSON.stringify(presence)]]);
  });

  test('replies, errors and ops without an op array take the ordinary path', async () => {
    const frames = new SharedFrames();
    const error = { a: 'op', c: 'files', d: 'w1:f1', error: { code: 'ERR_X', message: 'no' }, op: [1] };
    const ack = { a: 'op', c: 'files', d: 'w1:f1', v: 3, src: 'client-1', seq: 1 };
    for (const socket of serverSockets) {
      frames.send(socket, error);
      frames.send(socket, ack);
    }
    expect(frames.reused).toBe(0);
    const got = await delivered(2);
    for (const list of got) expect(list).toEqual([JSON.stringify(error), JSON.stringify(ack)]);
  });

  test('encodings are dropped after the turn: the same op array later is encoded afresh', async () => {
    const frames = new SharedFrames();
    const op: unknown[] = [2, 'y'];
    frames.send(serverSockets[0]!, opMessage(op));
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    op[1] = 'z'; // ShareDB never does this; the turn boundary still bounds what can be stale.
    frames.send(serverSockets[1]!, opMessage(op));
    expect(frames.reused).toBe(0);
    await waitFor(() => received.get(clients[1]!)!.length === 1, 'the message');
    expect(received.get(clients[1]!)).toEqual([JSON.stringify(opMessage([2, 'z']))]);
  });
});
