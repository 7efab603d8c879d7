import { SessionExpiry } from '../../server/transport/session-expiry';

/** AU-4 with one timer per process (server/transport/session-expiry.ts), on fake timers. */

interface FakeSocket {
  name: string;
  expiresAt: number;
}

let connected: Set<FakeSocket>;
let closed: string[];
let expiry: SessionExpiry<FakeSocket>;

function connect(name: string, inMs: number): FakeSocket {
  const socket = { name, expiresAt: Date.now() + inMs };
  connected.add(socket);
  expiry.track(socket.expiresAt);
  return socket;
}

beforeEach(() => {
  jest.useFakeTimers({ now: 1_000_000 });
  connected = new Set();
  closed = [];
  expiry = new SessionExpiry<FakeSocket>({
    sockets: () => connected,
    expiresAt: (socket) => socket.expiresAt,
    expire: (socket) => {
      closed.push(socket.name);
      connected.delete(socket);
    },
  });
});

afterEach(() => {
  expiry.close();
  jest.useRealTimers();
});

test('[AU-4] a socket is closed when its session ends, not before', () => {
  connect('a', 5000);
  connect('b', 2000);
  jest.advanceTimersByTime(1999);
  expect(closed).toEqual([]);
  jest.advanceTimersByTime(1);
  expect(closed).toEqual(['b']);
  jest.advanceTimersByTime(2999);
  expect(closed).toEqual(['b']);
  jest.advanceTimersByTime(1);
  expect(closed).toEqual(['b', 'a']);
});

test('[AU-4] a socket that connects with an earlier end re-arms the timer', () => {
  connect('late', 60_000);
  jest.advanceTimersByTime(1000);
  connect('early', 500);
  jest.advanceTimersByTime(500);
  expect(closed).toEqual(['early']);
});

test('[AU-4] sockets of one session close together', () => {
  const first = connect('tab 1', 3000);
  connected.add({ name: 'tab 2', expiresAt: first.expiresAt });
  expiry.track(first.expiresAt);
  jest.advanceTimersByTime(3000);
  expect(closed.sort()).toEqual(['tab 1', 'tab 2']);
});

test('[AU-4] after a sweep that closed sockets, the next one waits a second', () => {
  connect('a', 100);
  connect('b', 300);
  jest.advanceTimersByTime(100);
  expect(closed).toEqual(['a']);
  jest.advanceTimersByTime(999);
  expect(closed).toEqual(['a']);
  jest.advanceTimersByTime(1);
  expect(closed).toEqual(['a', 'b']);
});

test('a socket that disconnected is not closed again', () => {
  const gone = connect('gone', 1000);
  connected.delete(gone);
  connect('stays', 5000);
  jest.advanceTimersByTime(1000);
  expect(closed).toEqual([]);
  jest.advanceTimersByTime(4000);
  expect(closed).toEqual(['stays']);
});

test("an end beyond setTimeout's range is reached by re-arming", () => {
  const max = 2 ** 31 - 1;
  connect('far', max + 5000);
  jest.advanceTimersByTime(max);
  expect(closed).toEqual([]);
  jest.advanceTimersByTime(5000);
  expect(closed).toEqual(['far']);
});

test('an already ended session closes its socket at once', () => {
  connect('stale', -10);
  jest.advanceTimersByTime(0);
  expect(closed).toEqual(['stale']);
});

test('close() stops the timer', () => {
  connect('a', 1000);
  expiry.close();
  jest.advanceTimersByTime(10_000);
  expect(closed).toEqual([]);
  expect(jest.getTimerCount()).toBe(0);
});
