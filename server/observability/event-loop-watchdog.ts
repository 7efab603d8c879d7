import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';

export interface EventLoopWatchdogOptions {
  /** p99 event-loop delay (ms) above which a sample counts as overloaded (EVENT_LOOP_DELAY_LIMIT_MS). */
  limitMs: number;
  /** Over the limit this long → overloaded; under it this long → recovered (EVENT_LOOP_OVERLOAD_SECONDS). */
  sustainMs: number;
  /** Injected clock in milliseconds (tests). */
  clock?: () => number;
}

/**
 * P-OPS-2: decides from periodic p99 event-loop delay samples whether the process is overloaded.
 * Pure state machine; `EventLoopDelaySampler` feeds it in the server. Both directions need the
 * condition to hold for `sustainMs`, so one slow garbage collection neither flips readiness nor
 * ends an overload.
 */
export class EventLoopWatchdog {
  private readonly clock: () => number;
  private overloadedValue = false;
  /** When the current run of samples on the "other" side of the limit began. */
  private crossedSince: number | null = null;
  private lastSampleAt: number | null = null;
  private lastP99 = 0;
  private readonly listeners = new Set<(overloaded: boolean, p99Ms: number) => void>();

  constructor(private readonly options: EventLoopWatchdogOptions) {
    this.clock = options.clock ?? Date.now;
  }

  get overloaded(): boolean {
    return this.overloadedValue;
  }

  /** The last p99 sample, milliseconds. */
  get p99Ms(): number {
    return this.lastP99;
  }

  /** Feed the p99 delay (ms) measured over the period that ends now. */
  observe(p99Ms: number): void {
    const now = this.clock();
    // A sample describes the period since the previous one, so a run starts there.
    const periodStart = this.lastSampleAt ?? now;
    this.lastSampleAt = now;
    this.lastP99 = p99Ms;
    const over = p99Ms > this.options.limitMs;
    if (over === this.overloadedValue) {
      this.crossedSince = null;
      return;
    }
    this.crossedSince ??= periodStart;
    if (now - this.crossedSince < this.options.sustainMs) return;
    this.overloadedValue = over;
    this.crossedSince = null;
    for (const listener of this.listeners) listener(over, p99Ms);
  }

  /** Called on every flip (overloaded or recovered). Returns an unsubscribe function. */
  onChange(listener: (overloaded: boolean, p99Ms: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/**
 * Measures event-loop delay every `intervalMs` with two probes and reports the larger, in ms:
 * perf_hooks' `monitorEventLoopDelay` p99 (reset each period; a separate histogram from the
 * `/metrics` one, which resets on scrape), and the drift of the sampling timer itself, which
 * still reports a loop that was blocked for the whole period.
 */
export class EventLoopDelaySampler {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly intervalMs: number,
    private readonly onSample: (p99Ms: number) => void,
  ) {}

  start(): void {
    if (this.timer) return;
    this.histogram.enable();
    this.schedule();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.histogram.disable();
  }

  private schedule(): void {
    const expected = performance.now() + this.intervalMs;
    this.timer = setTimeout(() => {
      const driftMs = Math.max(0, performance.now() - expected);
      const p99Ms = this.histogram.count > 0 ? this.histogram.percentile(99) / 1e6 : 0;
      this.histogram.reset();
      this.schedule();
      this.onSample(Math.max(p99Ms, driftMs));
    }, this.intervalMs);
    // The watchdog must never be what keeps a stopping process alive.
    this.timer.unref();
  }
}
