/**
 * CircuitBreaker (issue 5 §5): closed → open after N consecutive failures → half-open after the
 * cooldown → closed on a good trial, open again on a bad one; forceOpen for self-healing.
 * Driven by a fake clock: no timers, no waiting.
 */
import { CircuitBreaker, type CircuitTransition } from '../../server/ai/circuit-breaker';

function setup(options: { failureThreshold?: number; cooldownMs?: number; trialTimeoutMs?: number } = {}) {
  let t = 1_000_000;
  const transitions: CircuitTransition[] = [];
  const breaker = new CircuitBreaker({
    failureThreshold: options.failureThreshold ?? 3,
    cooldownMs: options.cooldownMs ?? 60_000,
    ...(options.trialTimeoutMs !== undefined ? { trialTimeoutMs: options.trialTimeoutMs } : {}),
    now: () => t,
    onTransition: (e) => transitions.push(e),
  });
  return {
    breaker,
    transitions,
    advance: (ms: number) => {
      t += ms;
    },
    now: () => t,
  };
}

const path = (transitions: CircuitTransition[]) => transitions.map((e) => `${e.from}→${e.to}`);

describe('CircuitBreaker', () => {
  test('starts closed and lets calls through', () => {
    const { breaker } = setup();
    expect(breaker.state()).toEqual({ state: 'closed', reason: null, openedAt: null, until: null, consecutiveFailures: 0, lastError: null });
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.tryAcquire()).toBe(true);
  });

  test('opens after N consecutive failures, not before', () => {
    const { breaker, transitions, now } = setup({ failureThreshold: 3, cooldownMs: 60_000 });
    breaker.recordFailure('HTTP 500');
    breaker.recordFailure('HTTP 502');
    expect(breaker.state()).toMatchObject({ state: 'closed', consecutiveFailures: 2, lastError: 'HTTP 502' });
    expect(transitions).toEqual([]);
    breaker.recordFailure('timeout');
    const s = breaker.state();
    expect(s).toMatchObject({ state: 'open', consecutiveFailures: 3, lastError: 'timeout', openedAt: now(), until: now() + 60_000 });
    expect(s.reason).toMatch(/3 consecutive failures; last: timeout/);
    expect(path(transitions)).toEqual(['closed→open']);
    expect(breaker.tryAcquire()).toBe(false);
    expect(breaker.isCallAllowed()).toBe(false);
  });

  test('a success in between resets the count', () => {
    const { breaker } = setup({ failureThreshold: 2 });
    breaker.recordFailure('a');
    breaker.recordSuccess();
    breaker.recordFailure('b');
    expect(breaker.state()).toMatchObject({ state: 'closed', consecutiveFailures: 1 });
    breaker.recordFailure('c');
    expect(breaker.state().state).toBe('open');
  });

  test('stays open for cooldownMs, then half-open lets exactly one trial through', () => {
    const { breaker, transitions, advance } = setup({ failureThreshold: 1, cooldownMs: 30_000 });
    breaker.recordFailure('down');
    advance(29_999);
    expect(breaker.state().state).toBe('open');
    expect(breaker.tryAcquire()).toBe(false);
    advance(1);
    expect(breaker.state()).toMatchObject({ state: 'half-open', until: null });
    expect(breaker.isCallAllowed()).toBe(true);
    expect(breaker.tryAcquire()).toBe(true);
    // The trial is in flight: everyone else still gets static-only reviews.
    expect(breaker.tryAcquire()).toBe(false);
    expect(breaker.isCallAllowed()).toBe(false);
    expect(path(transitions)).toEqual(['closed→open', 'open→half-open']);
  });

  test('a successful trial closes the circuit', () => {
    const { breaker, transitions, advance } = setup({ failureThreshold: 1, cooldownMs: 1000 });
    breaker.recordFailure('down');
    advance(1000);
    expect(breaker.tryAcquire()).toBe(true);
    breaker.recordSuccess();
    expect(breaker.state()).toEqual({ state: 'closed', reason: null, openedAt: null, until: null, consecutiveFailures: 0, lastError: 'down' });
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.tryAcquire()).toBe(true);
    expect(path(transitions)).toEqual(['closed→open', 'open→half-open', 'half-open→closed']);
  });

  test('a failed trial reopens it for another cooldown', () => {
    const { breaker, transitions, advance, now } = setup({ failureThreshold: 2, cooldownMs: 1000 });
    breaker.recordFailure('a');
    breaker.recordFailure('b');
    advance(1000);
    expect(breaker.tryAcquire()).toBe(true);
    breaker.recordFailure('still down');
    const s = breaker.state();
    expect(s).toMatchObject({ state: 'open', until: now() + 1000, consecutiveFailures: 3, lastError: 'still down' });
    expect(s.reason).toMatch(/trial call failed: still down/);
    expect(breaker.tryAcquire()).toBe(false);
    advance(1000);
    expect(breaker.tryAcquire()).toBe(true);
    expect(path(transitions)).toEqual(['closed→open', 'open→half-open', 'half-open→open', 'open→half-open']);
  });

  test('a trial that never reports back frees its permit after trialTimeoutMs', () => {
    const { breaker, advance } = setup({ failureThreshold: 1, cooldownMs: 1000, trialTimeoutMs: 5000 });
    breaker.recordFailure('down');
    advance(1000);
    expect(breaker.tryAcquire()).toBe(true);
    advance(4999);
    expect(breaker.tryAcquire()).toBe(false);
    advance(1);
    expect(breaker.tryAcquire()).toBe(true);
  });

  test('forceOpen opens a closed circuit for the given time with the given reason', () => {
    const { breaker, transitions, advance, now } = setup({ failureThreshold: 5, cooldownMs: 60_000 });
    breaker.forceOpen('event loop stalled (anomaly)', 10_000);
    expect(breaker.state()).toMatchObject({ state: 'open', reason: 'event loop stalled (anomaly)', openedAt: now(), until: now() + 10_000, consecutiveFailures: 0 });
    expect(breaker.tryAcquire()).toBe(false);
    advance(10_000);
    expect(breaker.state().state).toBe('half-open');
    expect(breaker.tryAcquire()).toBe(true);
    breaker.recordSuccess();
    expect(path(transitions)).toEqual(['closed→open', 'open→half-open', 'half-open→closed']);
  });

  test('forceOpen on an open circuit keeps the later deadline and does not re-announce', () => {
    const { breaker, transitions, advance, now } = setup({ failureThreshold: 1, cooldownMs: 60_000 });
    breaker.recordFailure('down');
    const openedAt = now();
    advance(1000);
    breaker.forceOpen('memory pressure', 5000); // ends before the cooldown: the cooldown wins
    expect(breaker.state()).toMatchObject({ state: 'open', until: openedAt + 60_000, reason: 'memory pressure' });
    breaker.forceOpen('memory pressure', 120_000); // ends after: extended
    expect(breaker.state()).toMatchObject({ state: 'open', until: now() + 120_000, openedAt });
    expect(path(transitions)).toEqual(['closed→open']);
  });

  test('forceOpen during a half-open trial reopens and voids the trial', () => {
    const { breaker, advance } = setup({ failureThreshold: 1, cooldownMs: 1000 });
    breaker.recordFailure('down');
    advance(1000);
    expect(breaker.tryAcquire()).toBe(true);
    breaker.forceOpen('anomaly', 2000);
    expect(breaker.state().state).toBe('open');
    // The voided trial's late success does not close the forced-open circuit early.
    breaker.recordSuccess();
    expect(breaker.state()).toMatchObject({ state: 'open', reason: 'anomaly', consecutiveFailures: 0 });
    expect(breaker.tryAcquire()).toBe(false);
    advance(2000);
    expect(breaker.tryAcquire()).toBe(true);
  });

  test('failures reported while open (calls started before it opened) only count', () => {
    const { breaker, transitions } = setup({ failureThreshold: 1, cooldownMs: 1000 });
    breaker.recordFailure('a');
    breaker.recordFailure('b');
    expect(breaker.state()).toMatchObject({ state: 'open', consecutiveFailures: 2, lastError: 'b' });
    expect(path(transitions)).toEqual(['closed→open']);
  });

  test('reset closes the circuit at once', () => {
    const { breaker, transitions } = setup({ failureThreshold: 1 });
    breaker.recordFailure('down');
    breaker.reset();
    expect(breaker.state()).toMatchObject({ state: 'closed', consecutiveFailures: 0, until: null });
    expect(path(transitions)).toEqual(['closed→open', 'open→closed']);
  });

  test('listeners: onTransition subscribes and unsubscribes; a throwing listener is contained', () => {
    const { breaker, advance } = setup({ failureThreshold: 1, cooldownMs: 10 });
    const seen: string[] = [];
    breaker.onTransition(() => {
      throw new Error('listener bug');
    });
    const off = breaker.onTransition((e) => seen.push(`${e.from}→${e.to}:${e.reason ?? ''}`));
    breaker.recordFailure('boom');
    expect(seen).toEqual(['closed→open:1 consecutive failures; last: boom']);
    off();
    advance(10);
    breaker.state();
    expect(seen).toHaveLength(1);
  });

  test('rejects nonsensical options', () => {
    expect(() => new CircuitBreaker({ failureThreshold: 0, cooldownMs: 1 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ failureThreshold: 1, cooldownMs: -1 })).toThrow(RangeError);
  });
});
