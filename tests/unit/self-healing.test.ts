import pino from 'pino';
import { ErrorCode } from '../../lib/protocol';
import { ConfigError, SELF_HEALING, loadConfig, type SelfHealingConfig } from '../../server/config';
import { Metrics } from '../../server/observability/metrics';
import { SelfHealing, type HealthEvent } from '../../server/observability/self-healing';

const CONFIG: SelfHealingConfig = {
  sampleMs: 1000,
  eventLoopDelayLimitMs: 200,
  eventLoopOverloadMs: 10_000,
  loadShedding: true,
  baselineAlpha: 0.05,
  adaptWhileAnomalous: 0.1,
  anomalySigmas: 4,
  anomalySamples: 3,
  anomalyWarmupSamples: 10,
  eventLoopFloorMs: 100,
  commitLatencyFloorMs: 250,
  errorRateFloorPerSecond: 1,
  shedRetryAfterMs: 1000,
  drainWindowMs: 1000,
  drainBatchMs: 1000,
  drainToken: null,
  faultInjection: false,
};

/** Wiring of watchdog + detector → shedder, readiness, metrics and the onAnomaly hook (P-OPS-1..4). */
describe('SelfHealing', () => {
  let metrics: Metrics;
  beforeEach(() => {
    metrics = new Metrics({ sockets: () => 0, docSubscriptions: () => 0, workspacesOpen: () => 0 });
  });
  afterEach(() => metrics.close());

  function selfHealing(config: Partial<SelfHealingConfig> = {}) {
    return new SelfHealing({ config: { ...CONFIG, ...config }, metrics, logger: pino({ level: 'silent' }) });
  }

  async function metric(series: string): Promise<number> {
    const line = (await metrics.registry.metrics()).split('\n').find((l) => l.startsWith(`${series} `));
    return line ? Number(line.slice(series.length + 1)) : NaN;
  }

  test('[P-OPS-3][P-OPS-4][P-OPS-1] an anomaly sheds, fails readiness by name and is announced; recovery undoes all three', async () => {
    const sh = selfHealing();
    const heard: HealthEvent[] = [];
    const recovered: HealthEvent[] = [];
    sh.onAnomaly((e) => heard.push(e));
    sh.onAnomaly(() => {
      throw new Error('a broken subscriber');
    });
    sh.onRecovery((e) => recovered.push(e));
    for (let i = 0; i < 20; i++) sh.detector.observe('commit-latency', 20 + (i % 3));
    expect(sh.admitHandshake()).toBeNull();
    expect(sh.readinessChecks()).toEqual([]);

    for (let i = 0; i < CONFIG.anomalySamples; i++) sh.detector.observe('commit-latency', 900);
    expect(heard).toEqual([expect.objectContaining({ signal: 'commit-latency', source: 'baseline', value: 900 })]);
    const refusal = sh.admitHandshake() as Error & { data: unknown };
    expect(refusal.message).toMatch(/^unavailable/);
    expect(refusal.data).toMatchObject({ code: ErrorCode.Unavailable, reason: 'overloaded' });
    const checks = sh.readinessChecks();
    expect(checks.map(([name]) => name)).toEqual(['commit-latency']);
    await expect(checks[0]![1]).rejects.toThrow('commit-latency');
    expect(await metric('tandem_anomaly_active{signal="commit-latency"}')).toBe(1);
    expect(await metric('tandem_anomalies_total{signal="commit-latency"}')).toBe(1);
    expect(await metric('tandem_load_shedding')).toBe(1);
    expect(await metric('tandem_handshakes_shed_total{reason="overloaded"}')).toBe(1);

    for (let i = 0; i < CONFIG.anomalySamples; i++) sh.detector.observe('commit-latency', 21);
    expect(recovered).toEqual([expect.objectContaining({ signal: 'commit-latency' })]);
    expect(sh.admitHandshake()).toBeNull();
    expect(sh.readinessChecks()).toEqual([]);
    expect(await metric('tandem_load_shedding')).toBe(0);
  });

  test('[P-OPS-2] the watchdog and the event-loop baseline share one cause: it clears only when both are fine', () => {
    let t = 0;
    // The watchdog needs 4 s either way; the baseline 3 samples (one a second).
    const sh = new SelfHealing({ config: { ...CONFIG, eventLoopOverloadMs: 4000 }, metrics, logger: pino({ level: 'silent' }), clock: () => t });
    const heard: HealthEvent[] = [];
    sh.onAnomaly((e) => heard.push(e));
    const feed = (ms: number, times = 1) => {
      for (let i = 0; i < times; i++) {
        t += 1000;
        sh.watchdog.observe(ms);
        sh.detector.observe('event-loop', ms);
      }
    };
    feed(10, 20);
    feed(500, 3);
    expect(sh.detector.isAnomalous('event-loop')).toBe(true);
    expect(sh.watchdog.overloaded).toBe(false);
    expect(sh.shedder.notReadyCauses()).toEqual(['event-loop']);
    feed(500);
    expect(sh.watchdog.overloaded).toBe(true);
    expect(heard.map((e) => e.source)).toEqual(['baseline', 'limit']);
    expect(heard[1]).toMatchObject({ signal: 'event-loop', threshold: CONFIG.eventLoopDelayLimitMs, value: 500, at: t });
    feed(10, 3);
    expect(sh.detector.isAnomalous('event-loop')).toBe(false);
    expect(sh.watchdog.overloaded).toBe(true);
    expect(sh.shedder.notReadyCauses()).toEqual(['event-loop']);
    feed(10);
    expect(sh.watchdog.overloaded).toBe(false);
    expect(sh.shedder.notReadyCauses()).toEqual([]);
    expect(sh.admitHandshake()).toBeNull();
  });

  test('[P-OPS-3] commit latency and the server-fault error rate are sampled from the /metrics series', async () => {
    const sh = selfHealing();
    const sample = () => (sh as unknown as { sampleMetrics(): Promise<void> }).sampleMetrics();
    const observed: Array<[string, number | null]> = [];
    const observe = sh.detector.observe.bind(sh.detector);
    sh.detector.observe = (signal, value) => {
      observed.push([signal, value]);
      return observe(signal, value);
    };
    await sample();
    const now = Date.now();
    metrics.committed('files', 'w:f', 1, now - 100);
    metrics.committed('files', 'w:f', 2, now - 300);
    metrics.errors.inc({ code: ErrorCode.Internal, via: 'http' });
    metrics.errors.inc({ code: ErrorCode.Forbidden, via: 'sharedb' }); // a client's mistake, not a fault
    await new Promise((r) => setTimeout(r, 20));
    await sample();
    const latency = observed.find(([s]) => s === 'commit-latency')![1]!;
    expect(latency).toBeGreaterThanOrEqual(199);
    expect(latency).toBeLessThan(260);
    const rate = observed.find(([s]) => s === 'error-rate')![1]!;
    expect(rate).toBeGreaterThan(0);
    expect(rate).toBeLessThanOrEqual(1 / 0.02 + 1);
    observed.length = 0;
    await new Promise((r) => setTimeout(r, 20));
    await sample();
    expect(observed).toEqual([
      ['commit-latency', null],
      ['error-rate', 0],
    ]);
  });

  test('[P-OPS-4] with LOAD_SHEDDING=0 anomalies are announced but neither shed nor fail readiness', () => {
    const sh = selfHealing({ loadShedding: false });
    const heard: HealthEvent[] = [];
    sh.onAnomaly((e) => heard.push(e));
    for (let i = 0; i < 20; i++) sh.detector.observe('error-rate', 0);
    for (let i = 0; i < CONFIG.anomalySamples; i++) sh.detector.observe('error-rate', 50);
    expect(heard).toHaveLength(1);
    expect(sh.admitHandshake()).toBeNull();
    expect(sh.readinessChecks()).toEqual([]);
  });
});

describe('self-healing configuration', () => {
  test('[P-OPS-2][P-OPS-5] defaults are the named constants; env overrides are validated', () => {
    const defaults = loadConfig({}).selfHealing;
    expect(defaults).toMatchObject({
      sampleMs: SELF_HEALING.sampleSeconds * 1000,
      eventLoopDelayLimitMs: SELF_HEALING.eventLoopDelayLimitMs,
      eventLoopOverloadMs: SELF_HEALING.eventLoopOverloadSeconds * 1000,
      loadShedding: true,
      drainWindowMs: SELF_HEALING.drainWindowSeconds * 1000,
      drainToken: null,
      faultInjection: false,
    });
    const custom = loadConfig({ SELF_HEALING_SAMPLE_SECONDS: '0.1', LOAD_SHEDDING: '0', DRAIN_TOKEN: 'x'.repeat(32), DRAIN_WINDOW_SECONDS: '0' });
    expect(custom.selfHealing).toMatchObject({ sampleMs: 100, loadShedding: false, drainToken: 'x'.repeat(32), drainWindowMs: 0 });
    expect(() => loadConfig({ DRAIN_TOKEN: 'short' })).toThrow(ConfigError);
    expect(() => loadConfig({ EVENT_LOOP_DELAY_LIMIT_MS: '1' })).toThrow(/EVENT_LOOP_DELAY_LIMIT_MS/);
  });
});
