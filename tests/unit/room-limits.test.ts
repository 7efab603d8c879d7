import { MAX_EDITORS_PER_ROOM, ROOM_OPS_PER_SECOND, ROOM_QUEUED_OPS } from '../../lib/limits';
import { ErrorCode } from '../../lib/protocol';
import pino from 'pino';
import ShareDB from 'sharedb';
import type { Connection, Doc } from 'sharedb/lib/client';
import { textType } from '../../lib/text/text-type';
import { RoomLimits, installRoomLimits, roomWaitEndedAt, type RoomLimitsOptions } from '../../server/collab/room-limits';
import { TokenBucket } from '../../server/collab/token-bucket';
import { ConfigError, loadConfig } from '../../server/config';
import { TandemError } from '../../server/errors';

/** Per-room limits (docs/protocol.md P-LIM-5..8), on a fake clock. */

interface Member {
  name: string;
  /** Unsubscribed from everything in the room. */
  left?: boolean;
  /** Socket closed. */
  gone?: boolean;
}

const made: Array<RoomLimits<Member>> = [];

function limits(overrides: Partial<RoomLimitsOptions<Member>> = {}): RoomLimits<Member> {
  const l = new RoomLimits<Member>({
    maxEditors: 3,
    opsPerSecond: 10,
    burst: 10,
    maxQueued: 50,
    maxQueuedPerMember: 50,
    isMemberOf: (m) => !m.left && !m.gone,
    isGone: (m) => m.gone === true,
    now: () => Date.now(),
    ...overrides,
  });
  made.push(l);
  return l;
}

beforeEach(() => {
  jest.useFakeTimers({ now: 1_000_000 });
});

afterEach(() => {
  for (const l of made.splice(0)) l.close();
  jest.useRealTimers();
});

describe('TokenBucket', () => {
  test('[P-LIM-6] starts full, refills at its rate, never beyond its capacity', () => {
    const bucket = new TokenBucket(10, 3, 0);
    expect([bucket.tryTake(0), bucket.tryTake(0), bucket.tryTake(0), bucket.tryTake(0)]).toEqual([true, true, true, false]);
    expect(bucket.msUntilToken(0)).toBeCloseTo(100);
    expect(bucket.msUntilToken(40)).toBeCloseTo(60);
    expect(bucket.tryTake(99)).toBe(false);
    expect(bucket.tryTake(100)).toBe(true);
    expect(bucket.isFull(100)).toBe(false);
    expect(bucket.isFull(10_000)).toBe(true);
    // A long idle spell saves up no more than the capacity.
    expect([1, 2, 3, 4].map(() => bucket.tryTake(10_000))).toEqual([true, true, true, false]);
  });

  test('refuses a rate or capacity that could never hand out a token', () => {
    expect(() => new TokenBucket(0, 1, 0)).toThrow(RangeError);
    expect(() => new TokenBucket(1, 0.5, 0)).toThrow(RangeError);
  });
});

describe('RoomLimits: ops per room', () => {
  test('[P-LIM-6] under budget a submit goes on at once; over it, submits wait and are released at the budget rate, in order', () => {
    const l = limits({ opsPerSecond: 10, burst: 2 });
    const a = { name: 'a' };
    const released: number[] = [];
    expect(l.admitSubmit('room', a, () => released.push(0))).toBe('now');
    expect(l.admitSubmit('room', a, () => released.push(1))).toBe('now');
    for (let i = 2; i < 7; i++) expect(l.admitSubmit('room', a, () => released.push(i))).toBe('queued');
    expect(released).toEqual([]);
    expect(l.stats()).toMatchObject({ queued: 5, delayed: 5, refused: 0 });

    jest.advanceTimersByTime(99);
    expect(released).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(released).toEqual([2]);
    jest.advanceTimersByTime(400);
    expect(released).toEqual([2, 3, 4, 5, 6]);
    expect(l.stats().queued).toBe(0);
  });

  test('[P-LIM-6] a new submit never overtakes its room\'s queue, even when a token has come back', () => {
    const l = limits({ opsPerSecond: 10, burst: 1 });
    const a = { name: 'a' };
    const order: string[] = [];
    expect(l.admitSubmit('room', a, () => order.push('first'))).toBe('now');
    expect(l.admitSubmit('room', a, () => order.push('queued'))).toBe('queued');
    // Advance the clock without running timers: a token is due, but the queue is served first.
    jest.setSystemTime(Date.now() + 150);
    expect(l.admitSubmit('room', a, () => order.push('late'))).toBe('queued');
    jest.advanceTimersByTime(200);
    expect(order).toEqual(['queued', 'late']);
  });

  test('[P-LIM-6] rooms have separate budgets: a quiet room is not held up by a busy one', () => {
    const l = limits({ opsPerSecond: 10, burst: 1 });
    const a = { name: 'a' };
    l.admitSubmit('busy', a, () => {});
    for (let i = 0; i < 10; i++) expect(l.admitSubmit('busy', a, () => {})).toBe('queued');
    expect(l.admitSubmit('quiet', a, () => {})).toBe('now');
  });

  test('[P-LIM-7] past the room\'s queue limit, submits are refused', () => {
    const l = limits({ opsPerSecond: 10, burst: 1, maxQueued: 3 });
    const members = [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }];
    expect(l.admitSubmit('room', members[0]!, () => {})).toBe('now');
    expect(members.map((m) => l.admitSubmit('room', m, () => {}))).toEqual(['queued', 'queued', 'queued', 'refused']);
    expect(l.stats()).toMatchObject({ queued: 3, refused: 1 });
    // Once the queue drains a little, submits wait again instead of being refused.
    jest.advanceTimersByTime(100);
    expect(l.admitSubmit('room', members[3]!, () => {})).toBe('queued');
  });

  test('[P-LIM-7] one socket may hold only its share of the queue; the others still queue', () => {
    const l = limits({ opsPerSecond: 10, burst: 1, maxQueued: 100, maxQueuedPerMember: 2 });
    const flooder = { name: 'flooder' };
    const typist = { name: 'typist' };
    l.admitSubmit('room', flooder, () => {});
    expect([1, 2, 3].map(() => l.admitSubmit('room', flooder, () => {}))).toEqual(['queued', 'queued', 'refused']);
    expect(l.admitSubmit('room', typist, () => {})).toBe('queued');
    // Released ops give the share back.
    jest.advanceTimersByTime(100);
    expect(l.admitSubmit('room', flooder, () => {})).toBe('queued');
  });

  test('[P-LIM-8] waiting submits of several rooms are released round-robin, one per room per turn', () => {
    const l = limits({ opsPerSecond: 30, burst: 30 });
    const a = { name: 'a' };
    const order: string[] = [];
    for (let i = 0; i < 30; i++) l.admitSubmit('hot', a, () => {});
    for (let i = 0; i < 30; i++) l.admitSubmit('warm', a, () => {});
    for (let i = 0; i < 20; i++) expect(l.admitSubmit('hot', a, () => order.push('hot'))).toBe('queued');
    for (let i = 0; i < 3; i++) expect(l.admitSubmit('warm', a, () => order.push('warm'))).toBe('queued');
    // Both rooms save up their whole burst before the pump runs, so each could release all at once.
    jest.setSystemTime(Date.now() + 1000);
    jest.advanceTimersByTime(1000);
    expect(order).toHaveLength(23);
    // Alternating, so the warm room's three are not served after the hot room's twenty.
    expect(order.slice(0, 7)).toEqual(['hot', 'warm', 'hot', 'warm', 'hot', 'warm', 'hot']);
  });

  test('[P-LIM-8] each turn releases at most one submit per room, then yields to the event loop', () => {
    const l = limits({ opsPerSecond: 10, burst: 5 });
    const a = { name: 'a' };
    const released: number[] = [];
    for (let i = 0; i < 5; i++) l.admitSubmit('room', a, () => {});
    for (let i = 0; i < 5; i++) l.admitSubmit('room', a, () => released.push(i));
    // Time passes without the pump running: the room has saved up 5 tokens.
    jest.setSystemTime(Date.now() + 2000);
    jest.advanceTimersToNextTimer();
    expect(released).toEqual([0]);
    jest.advanceTimersToNextTimer();
    expect(released).toEqual([0, 1]);
    jest.advanceTimersByTime(10);
    expect(released).toEqual([0, 1, 2, 3, 4]);
  });

  test('a room hitting its limits is reported at most once a minute per limit', () => {
    const throttled: string[] = [];
    const full: string[] = [];
    const l = limits({ maxEditors: 1, opsPerSecond: 10, burst: 1, onThrottled: (room) => throttled.push(room), onFull: (room) => full.push(room) });
    const a = { name: 'a' };
    const episode = () => {
      l.admitSubmit('room', a, () => {});
      l.admitSubmit('room', a, () => {});
      jest.advanceTimersByTime(1000);
    };
    episode();
    episode();
    expect(throttled).toEqual(['room']);
    jest.advanceTimersByTime(60_000);
    episode();
    expect(throttled).toEqual(['room', 'room']);
    l.join('room', a);
    l.join('room', { name: 'b' });
    l.join('room', { name: 'c' });
    expect(full).toEqual(['room']);
  });

  test('close() releases every waiting submit at once and stops limiting', () => {
    const l = limits({ opsPerSecond: 1, burst: 1 });
    const a = { name: 'a' };
    const released: number[] = [];
    l.admitSubmit('room', a, () => {});
    for (let i = 0; i < 4; i++) l.admitSubmit('room', a, () => released.push(i));
    l.close();
    expect(released).toEqual([0, 1, 2, 3]);
    expect(l.admitSubmit('room', a, () => {})).toBe('now');
  });

  test('a release that throws does not stop the others', () => {
    const l = limits({ opsPerSecond: 1000, burst: 1 });
    const a = { name: 'a' };
    const released: number[] = [];
    l.admitSubmit('room', a, () => {});
    l.admitSubmit('room', a, () => {
      throw new Error('boom');
    });
    l.admitSubmit('room', a, () => released.push(1));
    jest.advanceTimersByTime(100);
    expect(released).toEqual([1]);
  });
});

describe('RoomLimits: editors per room', () => {
  test('[P-LIM-5] a room admits maxEditors members; the next one is refused; members may re-join', () => {
    const l = limits({ maxEditors: 2 });
    const [a, b, c] = [{ name: 'a' }, { name: 'b' }, { name: 'c' }];
    expect(l.join('room', a)).toBe(true);
    expect(l.join('room', b)).toBe(true);
    expect(l.join('room', a)).toBe(true);
    expect(l.join('room', c)).toBe(false);
    expect(l.join('other-room', c)).toBe(true);
    expect(l.stats().roomFull).toBe(1);
  });

  test('[P-LIM-5] a member that left frees its place, but only after the join grace period', () => {
    const l = limits({ maxEditors: 2 });
    const [a, b, c] = [{ name: 'a' } as Member, { name: 'b' }, { name: 'c' }];
    l.join('room', a);
    l.join('room', b);
    // A member that has not subscribed yet (its subscribe is still in flight) keeps its place.
    a.left = true;
    expect(l.join('room', c)).toBe(false);
    jest.advanceTimersByTime(10_000);
    expect(l.join('room', c)).toBe(true);
    expect(l.members('room')).toBe(2);
  });

  test('[P-LIM-5] a member whose socket closed frees its place at once', () => {
    const l = limits({ maxEditors: 1 });
    const [a, b] = [{ name: 'a' } as Member, { name: 'b' }];
    l.join('room', a);
    expect(l.join('room', b)).toBe(false);
    a.gone = true;
    expect(l.join('room', b)).toBe(true);
  });

  test('idle rooms are forgotten by the sweep; busy ones are kept', () => {
    const l = limits({ opsPerSecond: 10, burst: 1 });
    const stays = { name: 'stays' };
    const leaves = { name: 'leaves' } as Member;
    l.join('kept', stays);
    l.join('dropped', leaves);
    l.admitSubmit('dropped', leaves, () => {});
    leaves.left = true;
    expect(l.stats().rooms).toBe(2);
    jest.advanceTimersByTime(30_000);
    expect(l.stats().rooms).toBe(1);
    expect(l.members('kept')).toBe(1);
  });
});

describe('room limits: configuration and errors', () => {
  test('[P-LIM-5][P-LIM-6][P-LIM-7] defaults are the named constants; env overrides them; nonsense is refused at boot', () => {
    expect(loadConfig({})).toMatchObject({
      roomMaxEditors: MAX_EDITORS_PER_ROOM,
      roomOpsPerSecond: ROOM_OPS_PER_SECOND,
      roomQueuedOps: ROOM_QUEUED_OPS,
    });
    expect(loadConfig({ ROOM_MAX_EDITORS: '4', ROOM_OPS_PER_SECOND: '20', ROOM_QUEUED_OPS: '0' })).toMatchObject({
      roomMaxEditors: 4,
      roomOpsPerSecond: 20,
      roomQueuedOps: 0,
    });
    expect(() => loadConfig({ ROOM_MAX_EDITORS: '0', ROOM_OPS_PER_SECOND: 'fast' })).toThrow(ConfigError);
    expect(() => loadConfig({ ROOM_OPS_PER_SECOND: '0' })).toThrow(/ROOM_OPS_PER_SECOND/);
  });

  test('[P-LIM-5] ERR_TANDEM_ROOM_FULL is a 429, not a server fault (5xx would count toward the error-rate health signal)', () => {
    expect(new TandemError(ErrorCode.RoomFull, '').httpStatus).toBe(429);
    expect(new TandemError(ErrorCode.RateLimited, '').httpStatus).toBe(429);
  });
});

describe('installRoomLimits on a ShareDB backend (in-process, MemoryDB)', () => {
  beforeEach(() => {
    // ShareDB's MemoryDB runs on process.nextTick, which fake timers would freeze.
    jest.useRealTimers();
  });

  test('[P-LIM-6] ops over the room budget are delayed, never refused: every op commits, and the commit timer starts when the room let the op through', async () => {
    ShareDB.types.register(textType as unknown as Parameters<typeof ShareDB.types.register>[0]);
    const backend = new ShareDB({ db: new ShareDB.MemoryDB() });
    const limits = installRoomLimits(backend, { maxEditors: 10, opsPerSecond: 20, maxQueued: 100 }, pino({ level: 'silent' }));
    const waitsMs: number[] = [];
    backend.use('afterWrite', (ctx: any, next: (err?: unknown) => void) => {
      const released = roomWaitEndedAt(ctx);
      if (released !== undefined) waitsMs.push(released - ctx.start);
      next();
    });
    const call = (fn: (cb: (err?: unknown) => void) => void) =>
      new Promise<void>((resolve, reject) => fn((err) => (err ? reject(err as Error) : resolve())));
    // Five tabs of one room (agents without a Tandem identity count as clients), one file each.
    const connections = Array.from({ length: 5 }, () => backend.connect() as unknown as Connection);
    const docs: Array<Doc<string>> = [];
    for (const [i, connection] of connections.entries()) {
      const doc = connection.get('files', `wsroom01:file000${i}`) as Doc<string>;
      await call((cb) => doc.create('', 'text-unicode', cb));
      docs.push(doc);
    }
    const started = Date.now();
    // Ten ops per tab, each waiting for the previous one's ack, as a ShareDB client does.
    await Promise.all(
      docs.map(async (doc) => {
        for (let k = 0; k < 10; k++) await call((cb) => doc.submitOp([k, 'x'], {}, cb));
      }),
    );
    const elapsedMs = Date.now() - started;
    // 55 submits (5 creates + 50 ops) against a burst of 20 and 20/s: at least 1.75 s of waiting.
    expect(elapsedMs).toBeGreaterThanOrEqual(1500);
    expect(limits.stats()).toMatchObject({ refused: 0, queued: 0 });
    expect(limits.stats().delayed).toBeGreaterThanOrEqual(30);
    for (const doc of docs) expect(doc.data).toBe('x'.repeat(10));
    expect(waitsMs.length).toBe(limits.stats().delayed);
    expect(Math.max(...waitsMs)).toBeGreaterThan(100);
    limits.close();
    for (const connection of connections) connection.close();
    await new Promise<void>((resolve) => backend.close(() => resolve()));
  });
});
