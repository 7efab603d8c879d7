import pino from 'pino';
import { CLOSE_EVENT, CloseReason, ErrorCode, type CloseNotice } from '../../lib/protocol';
import { LoadShedder, refusalError } from '../../server/observability/load-shedder';
import { SocketDrainer, planDrain } from '../../server/observability/socket-drain';

/** A seeded generator so plans are replayable. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('LoadShedder (P-OPS-1, P-OPS-4)', () => {
  test('[P-OPS-4] admits while healthy; refuses with a spread retryAfterMs while a cause is active; recovers', () => {
    const randoms = [0, 0.5, 0.999];
    const shedder = new LoadShedder({ enabled: true, retryAfterMs: 1000, random: () => randoms.shift() ?? 0 });
    expect(shedder.admit()).toBeNull();
    shedder.set('event-loop', true);
    expect(shedder.shedding).toBe(true);
    expect(shedder.admit()).toEqual({ code: ErrorCode.Unavailable, reason: 'overloaded', retryAfterMs: 1000 });
    expect(shedder.admit()!.retryAfterMs).toBe(1500);
    expect(shedder.admit()!.retryAfterMs).toBe(1999);
    expect(shedder.notReadyCauses()).toEqual(['event-loop']);
    shedder.set('event-loop', false);
    expect(shedder.admit()).toBeNull();
    expect(shedder.notReadyCauses()).toEqual([]);
  });

  test('[P-OPS-1] readiness names every active cause', () => {
    const shedder = new LoadShedder({ enabled: true, retryAfterMs: 1000 });
    shedder.set('error-rate', true);
    shedder.set('event-loop', true);
    expect(shedder.notReadyCauses()).toEqual(['error-rate', 'event-loop']);
  });

  test('[P-OPS-4] LOAD_SHEDDING=0 measures only; a drain still sheds', () => {
    const shedder = new LoadShedder({ enabled: false, retryAfterMs: 1000 });
    shedder.set('event-loop', true);
    expect(shedder.admit()).toBeNull();
    expect(shedder.notReadyCauses()).toEqual([]);
    expect(shedder.activeCauses()).toEqual(['event-loop']);
    shedder.startDraining();
    expect(shedder.admit()).toMatchObject({ reason: 'draining' });
  });

  test('[P-OPS-4] the handshake error says "unavailable" and carries the refusal as data', () => {
    const err = refusalError({ code: ErrorCode.Unavailable, reason: 'overloaded', retryAfterMs: 7400 });
    expect(err.message).toBe('unavailable: the server is busy; retry in 7 s');
    expect(err.data).toEqual({ code: ErrorCode.Unavailable, reason: 'overloaded', retryAfterMs: 7400 });
  });
});

describe('drain plan (P-OPS-5)', () => {
  test('[P-OPS-5] reconnect moments are spread one per slice of the window, disconnects in batches', () => {
    const windowMs = 30_000;
    const batchMs = 1000;
    const count = 60;
    const plan = planDrain(count, windowMs, batchMs, seeded(7));
    expect(plan).toHaveLength(count);
    const moments = plan.map((s) => s.disconnectAtMs + s.retryAfterMs).sort((a, b) => a - b);
    moments.forEach((m, i) => {
      expect(m).toBeGreaterThanOrEqual((windowMs * i) / count);
      expect(m).toBeLessThan((windowMs * (i + 1)) / count);
    });
    for (const slot of plan) {
      expect(slot.disconnectAtMs % batchMs).toBe(0);
      expect(slot.retryAfterMs).toBeGreaterThanOrEqual(0);
      expect(slot.retryAfterMs).toBeLessThan(batchMs);
    }
    expect(new Set(plan.map((s) => s.disconnectAtMs)).size).toBe(30);
  });

  test('[P-OPS-5] two sockets in one batch get different retryAfterMs, whatever the random source', () => {
    for (const random of [() => 0, () => 0.9999, seeded(1), seeded(2)]) {
      const plan = planDrain(2, 2000, 5000, random);
      expect(plan.every((s) => s.disconnectAtMs === 0)).toBe(true);
      const [a, b] = plan.map((s) => s.retryAfterMs).sort((x, y) => x - y);
      expect(a).toBeLessThan(1000);
      expect(b).toBeGreaterThanOrEqual(1000);
      expect(b).toBeLessThan(2000);
    }
  });

  test('[P-OPS-5] a zero window closes everyone at once with no wait', () => {
    expect(planDrain(3, 0, 1000, seeded(3))).toEqual([
      { disconnectAtMs: 0, retryAfterMs: 0 },
      { disconnectAtMs: 0, retryAfterMs: 0 },
      { disconnectAtMs: 0, retryAfterMs: 0 },
    ]);
  });
});

describe('SocketDrainer (P-OPS-5)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function fakeSocket() {
    const socket = {
      connected: true,
      notices: [] as CloseNotice[],
      emit(event: string, notice: CloseNotice) {
        if (event === CLOSE_EVENT) socket.notices.push(notice);
        return true;
      },
      disconnect() {
        socket.connected = false;
      },
    };
    return socket;
  }

  test('[P-OPS-5] closes sockets batch by batch with a shutting-down notice, once, without touching gone ones', () => {
    const sockets = Array.from({ length: 4 }, fakeSocket);
    sockets[3]!.connected = false; // left on its own before its batch
    const closedCounts: number[] = [];
    const drainer = new SocketDrainer({
      sockets: () => sockets as never,
      windowMs: 4000,
      batchMs: 1000,
      logger: pino({ level: 'silent' }),
      onClosed: (n) => closedCounts.push(n),
      random: seeded(11),
      clock: () => 42,
    });
    const status = drainer.start();
    expect(status).toEqual({ draining: true, startedAt: 42, windowMs: 4000, sockets: 4, closed: 0 });
    const live = sockets.slice(0, 3);
    let previouslyClosed = 0;
    for (let second = 0; second < 4; second++) {
      jest.advanceTimersByTime(second === 0 ? 1 : 1000);
      const closed = live.filter((s) => !s.connected).length;
      expect(closed).toBeGreaterThanOrEqual(previouslyClosed);
      previouslyClosed = closed;
    }
    jest.advanceTimersByTime(1000);
    expect(live.every((s) => !s.connected)).toBe(true);
    for (const s of live) {
      expect(s.notices).toHaveLength(1);
      expect(s.notices[0]).toMatchObject({ reason: CloseReason.ShuttingDown });
      expect(s.notices[0]!.retryAfterMs).toBeLessThan(1000);
    }
    expect(sockets[3]!.notices).toHaveLength(0);
    expect(drainer.status().closed).toBe(3);
    expect(closedCounts.reduce((a, b) => a + b, 0)).toBe(3);
    // A second drain request only reports.
    expect(drainer.start()).toMatchObject({ draining: true, sockets: 4, closed: 3 });
  });

  test('[P-OPS-5] stop() cancels batches not yet run', () => {
    const sockets = Array.from({ length: 2 }, fakeSocket);
    const drainer = new SocketDrainer({ sockets: () => sockets as never, windowMs: 10_000, batchMs: 5000, logger: pino({ level: 'silent' }), random: () => 0.99 });
    drainer.start();
    drainer.stop();
    jest.advanceTimersByTime(20_000);
    expect(sockets.filter((s) => s.connected)).toHaveLength(2);
  });
});
