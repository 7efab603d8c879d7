/**
 * Circuit breaker for the AI provider (issue 5 §5). While it is open, reviews skip the model and
 * are labelled "static analysis only" instead of queueing behind a provider that is down.
 *
 *   closed ──N consecutive failures──▶ open ──cooldownMs──▶ half-open ──trial ok──▶ closed
 *                                        ▲                      │
 *                                        └────trial failed──────┘
 *
 * `forceOpen` is the self-healing hook: an anomaly (event-loop stalls, memory pressure) opens the
 * circuit for a while regardless of the failure count.
 */

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit (config AI_CIRCUIT_FAILURES). */
  failureThreshold: number;
  /** How long the circuit stays open before one trial call (config AI_CIRCUIT_COOLDOWN_SECONDS). */
  cooldownMs: number;
  /**
   * A half-open trial that never reports back (its caller crashed or skipped the model) frees the
   * permit after this long, so the circuit cannot stay stuck. Default 10 minutes.
   */
  trialTimeoutMs?: number;
  /** Injectable clock (tests). */
  now?: () => number;
  /** Called on every state change, after it happened. Must not throw (errors are swallowed). */
  onTransition?: (event: CircuitTransition) => void;
}

export interface CircuitSnapshot {
  state: CircuitState;
  /** Why it is open (the last error, or the forceOpen reason); null when closed. */
  reason: string | null;
  openedAt: number | null;
  /** When an open circuit lets the next trial through; null unless open. */
  until: number | null;
  consecutiveFailures: number;
  lastError: string | null;
}

export interface CircuitTransition {
  from: CircuitState;
  to: CircuitState;
  reason: string | null;
  at: number;
}

/**
 * Usage: `if (!breaker.tryAcquire()) → static only; else call, then recordSuccess()/recordFailure()`.
 * In half-open exactly one caller gets a permit until that trial reports back.
 */
export class CircuitBreaker {
  private current: CircuitState = 'closed';
  private reason: string | null = null;
  private openedAt: number | null = null;
  private until: number | null = null;
  private failures = 0;
  private lastError: string | null = null;
  private trialInFlight = false;
  private trialStartedAt = 0;
  private readonly now: () => number;
  private readonly trialTimeoutMs: number;
  private readonly listeners = new Set<(event: CircuitTransition) => void>();

  constructor(private readonly options: CircuitBreakerOptions) {
    if (!(options.failureThreshold >= 1)) throw new RangeError('failureThreshold must be at least 1');
    if (!(options.cooldownMs >= 0)) throw new RangeError('cooldownMs must not be negative');
    this.now = options.now ?? Date.now;
    this.trialTimeoutMs = options.trialTimeoutMs ?? 10 * 60_000;
    if (options.onTransition) this.listeners.add(options.onTransition);
  }

  /** Subscribes to transitions; returns the unsubscribe function. */
  onTransition(listener: (event: CircuitTransition) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The state now (an open circuit whose cooldown is over reads as half-open). */
  state(): CircuitSnapshot {
    this.advance();
    return {
      state: this.current,
      reason: this.reason,
      openedAt: this.openedAt,
      until: this.current === 'open' ? this.until : null,
      consecutiveFailures: this.failures,
      lastError: this.lastError,
    };
  }

  /** Whether a call may go to the provider now. In half-open, true once (the trial) until it reports. */
  tryAcquire(): boolean {
    this.advance();
    if (this.current === 'closed') return true;
    if (this.current === 'open' || this.trialInFlight) return false;
    this.trialInFlight = true;
    this.trialStartedAt = this.now();
    return true;
  }

  /** Whether calls would be allowed, without taking the half-open trial permit. */
  isCallAllowed(): boolean {
    this.advance();
    return this.current === 'closed' || (this.current === 'half-open' && !this.trialInFlight);
  }

  /**
   * A call succeeded. Closes a half-open circuit. While open it only resets the count: the success
   * belongs to a call started before the circuit opened, and a forced open (self-healing) is about
   * this process, not the provider.
   */
  recordSuccess(): void {
    this.advance();
    this.failures = 0;
    if (this.current !== 'half-open') return;
    this.trialInFlight = false;
    this.transition('closed', null);
  }

  recordFailure(error: string): void {
    this.advance();
    this.failures += 1;
    this.lastError = error;
    if (this.current === 'half-open') {
      this.trialInFlight = false;
      this.open(`trial call failed: ${error}`, this.options.cooldownMs);
    } else if (this.current === 'closed' && this.failures >= this.options.failureThreshold) {
      this.open(`${this.failures} consecutive failures; last: ${error}`, this.options.cooldownMs);
    }
    // Already open: a late result of a call started before it opened changes nothing but counts.
  }

  /**
   * Opens the circuit for `ms` whatever its state (self-healing: anomaly → stop calling the model).
   * An already open circuit stays open until the later of both deadlines.
   */
  forceOpen(reason: string, ms: number): void {
    this.advance();
    const until = this.now() + Math.max(0, ms);
    if (this.current === 'open' && this.until !== null && this.until >= until) {
      this.reason = reason;
      return;
    }
    this.trialInFlight = false;
    this.open(reason, Math.max(0, ms));
  }

  /** Closes the circuit and forgets the failure count (an admin's "retry now"). */
  reset(): void {
    this.failures = 0;
    this.trialInFlight = false;
    if (this.current !== 'closed') this.transition('closed', null);
  }

  private open(reason: string, ms: number): void {
    const at = this.now();
    const wasOpen = this.current === 'open';
    this.openedAt = wasOpen && this.openedAt !== null ? this.openedAt : at;
    this.until = at + ms;
    if (wasOpen) {
      this.reason = reason;
      return;
    }
    this.transition('open', reason);
  }

  /** Open → half-open once the cooldown is over (lazily, on every read: no timers to leak). */
  private advance(): void {
    const now = this.now();
    if (this.current === 'open' && this.until !== null && now >= this.until) {
      this.trialInFlight = false;
      this.transition('half-open', this.reason);
    } else if (this.current === 'half-open' && this.trialInFlight && now - this.trialStartedAt >= this.trialTimeoutMs) {
      this.trialInFlight = false;
    }
  }

  private transition(to: CircuitState, reason: string | null): void {
    const from = this.current;
    this.current = to;
    this.reason = reason;
    if (to === 'closed') {
      this.openedAt = null;
      this.until = null;
    }
    if (to === 'half-open') this.until = null;
    const event: CircuitTransition = { from, to, reason, at: this.now() };
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        /* a listener must not break the breaker */
      }
    }
  }
}
