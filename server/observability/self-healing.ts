import type { Server as IoServer } from 'socket.io';
import { Counter, Gauge } from 'prom-client';
import { ErrorCode } from '../../lib/protocol';
import type { SelfHealingConfig } from '../config';
import { TandemError } from '../errors';
import type { Logger } from '../logger';
import type { Metrics } from './metrics';
import { AnomalyDetector, type AnomalyEvent, type SignalPolicy } from './anomaly-detector';
import { EventLoopDelaySampler, EventLoopWatchdog } from './event-loop-watchdog';
import { EventLoopFault } from './fault-injection';
import { LoadShedder, refusalError } from './load-shedder';
import { SocketDrainer, type DrainStatus } from './socket-drain';

/** The telemetry the process judges itself by; also the names in `/readyz`'s `down` list. */
export const HEALTH_SIGNALS = ['event-loop', 'commit-latency', 'error-rate'] as const;
export type HealthSignal = (typeof HEALTH_SIGNALS)[number];

/**
 * What `onAnomaly` / `onRecovery` listeners receive. Units: `event-loop` p99 delay in ms,
 * `commit-latency` mean submit→commit in ms over one sample period, `error-rate` server-fault
 * errors (HTTP 5xx codes, over HTTP and ShareDB) per second.
 */
export interface HealthEvent extends AnomalyEvent<HealthSignal> {
  /** `limit`: the event-loop watchdog's absolute limit (P-OPS-2); `baseline`: the anomaly detector (P-OPS-3). */
  source: 'limit' | 'baseline';
}

export type HealthListener = (event: HealthEvent) => void;

/** Error codes that mean the server, not the request, failed: these make up the error rate. */
const SERVER_FAULT_CODES = new Set<string>(
  Object.values(ErrorCode).filter((code) => new TandemError(code, '').httpStatus >= 500),
);

export interface SelfHealingOptions {
  config: SelfHealingConfig;
  metrics: Metrics;
  logger: Logger;
  /** Injected clock in milliseconds (tests). */
  clock?: () => number;
}

/**
 * Self-healing of one process (issue 6 §3–4, P-OPS-1..5): an event-loop watchdog and an anomaly
 * detector over the process's own telemetry feed a load shedder, which refuses new sockets and
 * fails readiness while anything is wrong, and recovers by itself when values return to normal.
 * The drain (rolling deploys) goes through the same shedder.
 *
 * Hooks for other components (e.g. a circuit breaker in front of AI review): `onAnomaly(listener)`
 * fires when a signal turns anomalous or the event loop is overloaded; `onRecovery(listener)` when it
 * is back to normal. Listeners run synchronously on the sampling timer, must be quick, and a
 * throwing listener is logged and ignored. Both return an unsubscribe function. They fire whether
 * or not LOAD_SHEDDING is on.
 */
export class SelfHealing {
  readonly watchdog: EventLoopWatchdog;
  readonly detector: AnomalyDetector<HealthSignal>;
  readonly shedder: LoadShedder;
  /** Test-only fault injection (P-OPS-7); null unless TANDEM_FAULT_INJECTION=1. */
  readonly fault: EventLoopFault | null;
  private readonly sampler: EventLoopDelaySampler;
  private drainer: SocketDrainer | null = null;
  private readonly anomalyListeners = new Set<HealthListener>();
  private readonly recoveryListeners = new Set<HealthListener>();
  private readonly logger: Logger;
  private readonly metrics: Metrics;
  private readonly clock: () => number;
  private readonly counters: { anomalies: Counter<'signal'>; shed: Counter<'reason'>; drained: Counter };
  private previous: { at: number; latencySum: number; latencyCount: number; errors: number } | null = null;
  private sampling = false;

  constructor(private readonly options: SelfHealingOptions) {
    const { config, logger, metrics } = options;
    const clock = options.clock ?? Date.now;
    this.clock = clock;
    this.logger = logger;
    this.metrics = metrics;
    this.watchdog = new EventLoopWatchdog({ limitMs: config.eventLoopDelayLimitMs, sustainMs: config.eventLoopOverloadMs, clock });
    const policy = (floor: number): SignalPolicy => ({
      alpha: config.baselineAlpha,
      sigmas: config.anomalySigmas,
      floor,
      samples: config.anomalySamples,
      warmup: config.anomalyWarmupSamples,
      adaptWhileAnomalous: config.adaptWhileAnomalous,
    });
    this.detector = new AnomalyDetector<HealthSignal>(
      {
        'event-loop': policy(config.eventLoopFloorMs),
        'commit-latency': policy(config.commitLatencyFloorMs),
        'error-rate': policy(config.errorRateFloorPerSecond),
      },
      clock,
      (err) => logger.error({ err }, 'anomaly listener failed'),
    );
    this.shedder = new LoadShedder({ enabled: config.loadShedding, retryAfterMs: config.shedRetryAfterMs });
    this.fault = config.faultInjection ? new EventLoopFault() : null;
    this.counters = this.registerMetrics();

    this.watchdog.onChange((overloaded, p99Ms) => {
      const base = this.detector.baseline('event-loop');
      const event: HealthEvent = {
        signal: 'event-loop',
        source: 'limit',
        value: p99Ms,
        mean: base.mean,
        sigma: base.sigma,
        threshold: config.eventLoopDelayLimitMs,
        at: clock(),
      };
      this.transition(overloaded, event);
    });
    this.detector.onAnomaly((e) => this.transition(true, { ...e, source: 'baseline' }));
    this.detector.onRecovery((e) => this.transition(false, { ...e, source: 'baseline' }));
    this.sampler = new EventLoopDelaySampler(config.sampleMs, (p99Ms) => this.sample(p99Ms));
  }

  start(): void {
    if (this.options.config.faultInjection) {
      this.logger.warn('TANDEM_FAULT_INJECTION is on: admins can block the event loop on purpose (tests only)');
    }
    this.sampler.start();
  }

  /** Stop sampling, pending drain batches and any injected fault (shutdown). */
  stop(): void {
    this.sampler.stop();
    this.drainer?.stop();
    this.fault?.stop();
  }

  /** Give the drain access to this process's own sockets. */
  attach(io: IoServer): void {
    const { drainWindowMs, drainBatchMs } = this.options.config;
    this.drainer = new SocketDrainer({
      sockets: () => io.of('/').sockets.values(),
      windowMs: drainWindowMs,
      batchMs: drainBatchMs,
      logger: this.logger,
      onClosed: (count) => this.counters.drained.inc(count),
    });
  }

  /** See the class comment. Returns an unsubscribe function. */
  onAnomaly(listener: HealthListener): () => void {
    this.anomalyListeners.add(listener);
    return () => this.anomalyListeners.delete(listener);
  }

  /** See the class comment. Returns an unsubscribe function. */
  onRecovery(listener: HealthListener): () => void {
    this.recoveryListeners.add(listener);
    return () => this.recoveryListeners.delete(listener);
  }

  /**
   * For the `io.use` handshake middleware (P-OPS-4): an error to pass to `next()` when this new
   * socket must be refused, or null.
   */
  admitHandshake(): Error | null {
    const refusal = this.shedder.admit();
    if (!refusal) return null;
    this.counters.shed.inc({ reason: refusal.reason });
    return refusalError(refusal);
  }

  /** Entries for `/readyz`'s named checks (P-OPS-1): one failing check per active cause. */
  readinessChecks(): Array<[string, Promise<void> | undefined]> {
    return this.shedder.notReadyCauses().map((cause) => {
      const failed = Promise.reject(new Error(cause));
      failed.catch(() => {}); // settled by /readyz; never an unhandled rejection if nobody awaits it
      return [cause, failed];
    });
  }

  get draining(): boolean {
    return this.shedder.draining;
  }

  /** P-OPS-5: stop taking sockets, fail readiness, and move connected clients away over the window. */
  drain(): DrainStatus {
    if (!this.drainer) throw new Error('SelfHealing.attach(io) must run before drain()');
    if (!this.shedder.draining) {
      this.shedder.startDraining();
      this.logger.warn('drain requested: refusing new sockets and failing readiness');
    }
    return this.drainer.start();
  }

  drainStatus(): DrainStatus | null {
    return this.drainer?.status() ?? null;
  }

  private sample(p99Ms: number): void {
    this.watchdog.observe(p99Ms);
    this.detector.observe('event-loop', p99Ms);
    if (this.sampling) return;
    this.sampling = true;
    this.sampleMetrics().then(
      () => (this.sampling = false),
      (err: unknown) => {
        this.sampling = false;
        this.logger.warn({ err }, 'self-healing: metrics sample failed');
      },
    );
  }

  /** Commit latency and error rate over the last period, from the deltas of the `/metrics` series. */
  private async sampleMetrics(): Promise<void> {
    const [latency, errors] = await Promise.all([this.metrics.submitToCommit.get(), this.metrics.errors.get()]);
    let latencySum = 0;
    let latencyCount = 0;
    for (const v of latency.values) {
      if (v.metricName?.endsWith('_sum')) latencySum += v.value;
      else if (v.metricName?.endsWith('_count')) latencyCount += v.value;
    }
    let faults = 0;
    for (const v of errors.values) {
      if (SERVER_FAULT_CODES.has(String(v.labels.code))) faults += v.value;
    }
    const now = this.clock();
    const previous = this.previous;
    this.previous = { at: now, latencySum, latencyCount, errors: faults };
    if (!previous || now <= previous.at) return;
    const commits = latencyCount - previous.latencyCount;
    this.detector.observe('commit-latency', commits > 0 ? ((latencySum - previous.latencySum) / commits) * 1000 : null);
    const newFaults = faults - previous.errors;
    this.detector.observe('error-rate', newFaults >= 0 ? newFaults / ((now - previous.at) / 1000) : null);
  }

  private transition(bad: boolean, event: HealthEvent): void {
    const signal = event.signal;
    const active = this.detector.isAnomalous(signal) || (signal === 'event-loop' && this.watchdog.overloaded);
    this.shedder.set(signal, active);
    const fields = { signal, source: event.source, value: event.value, mean: event.mean, sigma: event.sigma, threshold: event.threshold };
    if (bad) {
      this.counters.anomalies.inc({ signal });
      this.logger.warn({ ...fields, shedding: this.shedder.shedding }, 'self-healing: anomaly');
    } else {
      this.logger.info({ ...fields, shedding: this.shedder.shedding }, 'self-healing: recovered');
    }
    for (const listener of bad ? this.anomalyListeners : this.recoveryListeners) {
      try {
        listener(event);
      } catch (err) {
        this.logger.error({ err }, 'self-healing listener failed');
      }
    }
  }

  /** Series named like the rest of metrics.ts; labels are the bounded sets above, never ids. */
  private registerMetrics(): SelfHealing['counters'] {
    const registers = [this.metrics.registry];
    const { watchdog, detector, shedder } = this;
    new Gauge({ name: 'tandem_event_loop_overloaded', help: '1 while the event-loop watchdog reports overload (P-OPS-2)', registers, collect() {
      this.set(watchdog.overloaded ? 1 : 0);
    } });
    new Gauge({ name: 'tandem_anomaly_active', help: '1 while a signal is anomalous against its baseline (P-OPS-3)', labelNames: ['signal'], registers, collect() {
      for (const signal of HEALTH_SIGNALS) this.set({ signal }, detector.isAnomalous(signal) ? 1 : 0);
    } });
    new Gauge({ name: 'tandem_load_shedding', help: '1 while new sockets are refused: overload, anomaly or drain (P-OPS-4)', registers, collect() {
      this.set(shedder.shedding ? 1 : 0);
    } });
    new Gauge({ name: 'tandem_draining', help: '1 once this process has been asked to drain (P-OPS-5)', registers, collect() {
      this.set(shedder.draining ? 1 : 0);
    } });
    const anomalies = new Counter({ name: 'tandem_anomalies_total', help: 'Anomalies and overloads declared, by signal', labelNames: ['signal'], registers });
    const shed = new Counter({ name: 'tandem_handshakes_shed_total', help: 'New sockets refused, by reason (overloaded, draining)', labelNames: ['reason'], registers });
    const drained = new Counter({ name: 'tandem_sockets_drained_total', help: 'Sockets closed by a drain', registers });
    for (const signal of HEALTH_SIGNALS) anomalies.inc({ signal }, 0);
    for (const reason of ['overloaded', 'draining'] as const) shed.inc({ reason }, 0);
    return { anomalies, shed, drained };
  }
}
