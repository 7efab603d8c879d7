/**
 * Anomaly detection on the process's own telemetry (issue 6 §4, P-OPS-3). Pure logic: no timers,
 * no I/O; the caller feeds one sample per signal per period and the clock is injected, so tests
 * are deterministic.
 *
 * Each signal keeps an EWMA baseline (mean and variance). A sample is *high* when it is above
 * `max(floor, mean + sigmas·σ)`. `samples` high samples in a row make the signal anomalous;
 * `samples` samples at or below the threshold in a row make it normal again.
 */

/** How one signal is judged. */
export interface SignalPolicy {
  /** Weight of a new sample in the EWMA (0 < alpha ≤ 1): 0.05 ≈ the last ~20 samples dominate. */
  alpha: number;
  /** A sample is high when it exceeds the baseline mean by this many standard deviations… */
  sigmas: number;
  /** …and this absolute value, so a flat baseline's tiny wobble is never an anomaly. */
  floor: number;
  /** High samples in a row before an anomaly is declared; normal samples in a row before recovery. */
  samples: number;
  /** Samples folded into the baseline before it is trusted; no anomaly is declared before that. */
  warmup: number;
  /**
   * While anomalous, samples are folded in at `alpha · adaptWhileAnomalous`, so a lasting change of
   * level (a bigger class, a slower disk) becomes the new normal within minutes instead of
   * shedding forever. 0 freezes the baseline during an anomaly.
   */
  adaptWhileAnomalous: number;
}

/** What a listener is told when a signal turns anomalous or recovers. */
export interface AnomalyEvent<S extends string = string> {
  signal: S;
  /** The sample that caused the transition. `null` when recovery came from a period without data. */
  value: number | null;
  /** Baseline mean and standard deviation at the transition. */
  mean: number;
  sigma: number;
  /** `max(floor, mean + sigmas·σ)` at the transition. */
  threshold: number;
  /** Injected clock, milliseconds. */
  at: number;
}

export type AnomalyListener<S extends string> = (event: AnomalyEvent<S>) => void;

/** One signal's EWMA baseline and its high/normal streaks. */
export class SignalBaseline {
  private mean = 0;
  private variance = 0;
  private folded = 0;
  private highStreak = 0;
  private normalStreak = 0;
  private anomalousValue = false;

  constructor(readonly policy: SignalPolicy) {
    if (!(policy.alpha > 0 && policy.alpha <= 1)) throw new RangeError('alpha must be in (0, 1]');
    if (!(policy.samples >= 1)) throw new RangeError('samples must be at least 1');
  }

  get anomalous(): boolean {
    return this.anomalousValue;
  }

  /** Baseline trusted: at least `warmup` samples folded in. */
  get warm(): boolean {
    return this.folded >= this.policy.warmup;
  }

  get sigma(): number {
    return Math.sqrt(this.variance);
  }

  /** Current baseline, for logs, tests and the `/metrics` threshold gauges. */
  snapshot(): { mean: number; sigma: number; threshold: number; samples: number } {
    return { mean: this.mean, sigma: this.sigma, threshold: this.threshold(), samples: this.folded };
  }

  threshold(): number {
    return Math.max(this.policy.floor, this.mean + this.policy.sigmas * this.sigma);
  }

  /**
   * Feed one sample; `null` means the period had no data (no commits, say). Returns the
   * transition it caused, if any.
   */
  observe(value: number | null): 'anomaly' | 'recovery' | null {
    if (value === null || !Number.isFinite(value)) return this.observeNoData();
    if (!this.warm) {
      this.fold(value, this.policy.alpha);
      return null;
    }
    const high = value > this.threshold();
    if (this.anomalousValue) {
      this.fold(value, this.policy.alpha * this.policy.adaptWhileAnomalous);
      return this.countNormal(!high);
    }
    if (high) {
      // Held out of the baseline: folding the spike in would raise σ until the spike looks normal.
      this.highStreak++;
      if (this.highStreak >= this.policy.samples) {
        this.anomalousValue = true;
        this.highStreak = 0;
        this.normalStreak = 0;
        return 'anomaly';
      }
      return null;
    }
    this.highStreak = 0;
    this.fold(value, this.policy.alpha);
    return null;
  }

  /** A period without data is no evidence of trouble: it breaks a high streak and counts toward recovery. */
  private observeNoData(): 'recovery' | null {
    this.highStreak = 0;
    return this.anomalousValue ? this.countNormal(true) : null;
  }

  private countNormal(normal: boolean): 'recovery' | null {
    this.normalStreak = normal ? this.normalStreak + 1 : 0;
    if (this.normalStreak < this.policy.samples) return null;
    this.anomalousValue = false;
    this.normalStreak = 0;
    return 'recovery';
  }

  /** Incremental EWMA of mean and variance (T. Finch, 2009); the first sample sets the mean. */
  private fold(value: number, alpha: number): void {
    if (this.folded === 0) {
      this.mean = value;
      this.variance = 0;
    } else if (alpha > 0) {
      const diff = value - this.mean;
      const increment = alpha * diff;
      this.mean += increment;
      this.variance = (1 - alpha) * (this.variance + diff * increment);
    }
    this.folded++;
  }
}

/**
 * Several named signals (event-loop delay, commit latency, error rate) judged independently.
 * Subscribers hear every transition through `onAnomaly` / `onRecovery`; a listener that throws
 * does not stop the others or the detector (the error goes to `onListenerError`).
 */
export class AnomalyDetector<S extends string> {
  private readonly signals: Map<S, SignalBaseline>;
  private readonly anomalyListeners = new Set<AnomalyListener<S>>();
  private readonly recoveryListeners = new Set<AnomalyListener<S>>();

  constructor(
    policies: Record<S, SignalPolicy>,
    private readonly clock: () => number = Date.now,
    private readonly onListenerError: (err: unknown) => void = () => {},
  ) {
    this.signals = new Map((Object.keys(policies) as S[]).map((s) => [s, new SignalBaseline(policies[s])]));
  }

  /** Feed one sample of `signal` (`null`: no data this period). Returns the transition, if any. */
  observe(signal: S, value: number | null): 'anomaly' | 'recovery' | null {
    const baseline = this.baselineOf(signal);
    const transition = baseline.observe(value);
    if (transition) {
      const { mean, sigma, threshold } = baseline.snapshot();
      const event: AnomalyEvent<S> = { signal, value, mean, sigma, threshold, at: this.clock() };
      for (const listener of transition === 'anomaly' ? this.anomalyListeners : this.recoveryListeners) {
        try {
          listener(event);
        } catch (err) {
          this.onListenerError(err);
        }
      }
    }
    return transition;
  }

  isAnomalous(signal: S): boolean {
    return this.baselineOf(signal).anomalous;
  }

  /** Signals anomalous right now, in declaration order. */
  anomalies(): S[] {
    return [...this.signals].filter(([, b]) => b.anomalous).map(([s]) => s);
  }

  signalNames(): S[] {
    return [...this.signals.keys()];
  }

  baseline(signal: S): ReturnType<SignalBaseline['snapshot']> {
    return this.baselineOf(signal).snapshot();
  }

  /** Called when a signal turns anomalous. Returns an unsubscribe function. */
  onAnomaly(listener: AnomalyListener<S>): () => void {
    this.anomalyListeners.add(listener);
    return () => this.anomalyListeners.delete(listener);
  }

  /** Called when an anomalous signal is back near its baseline. Returns an unsubscribe function. */
  onRecovery(listener: AnomalyListener<S>): () => void {
    this.recoveryListeners.add(listener);
    return () => this.recoveryListeners.delete(listener);
  }

  private baselineOf(signal: S): SignalBaseline {
    const baseline = this.signals.get(signal);
    if (!baseline) throw new RangeError(`unknown signal ${signal}`);
    return baseline;
  }
}
