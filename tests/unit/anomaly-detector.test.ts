import { AnomalyDetector, SignalBaseline, type AnomalyEvent, type SignalPolicy } from '../../server/observability/anomaly-detector';

const POLICY: SignalPolicy = { alpha: 0.1, sigmas: 4, floor: 50, samples: 3, warmup: 20, adaptWhileAnomalous: 0 };

/** 10, 12, 10, 12 …: mean 11, σ ≈ 1. */
function warmUp(baseline: { observe(v: number | null): unknown }, count = 100): void {
  for (let i = 0; i < count; i++) baseline.observe(i % 2 ? 12 : 10);
}

describe('AnomalyDetector (P-OPS-3)', () => {
  test('[P-OPS-3] the EWMA baseline learns mean and variance of a steady signal', () => {
    const b = new SignalBaseline(POLICY);
    warmUp(b);
    const { mean, sigma, samples } = b.snapshot();
    expect(mean).toBeCloseTo(11, 0);
    expect(sigma).toBeGreaterThan(0.5);
    expect(sigma).toBeLessThan(1.5);
    expect(samples).toBe(100);
    expect(b.anomalous).toBe(false);
  });

  test('[P-OPS-3] nothing is an anomaly before the baseline is warm', () => {
    const b = new SignalBaseline(POLICY);
    for (let i = 0; i < POLICY.warmup - 1; i++) expect(b.observe(i < 5 ? 10 : 10_000)).toBeNull();
    expect(b.anomalous).toBe(false);
  });

  test('[P-OPS-3] a spike is declared only after N samples in a row above baseline + k·σ and the floor', () => {
    let t = 1000;
    const d = new AnomalyDetector({ latency: POLICY }, () => t);
    const events: AnomalyEvent[] = [];
    d.onAnomaly((e) => events.push(e));
    warmUp({ observe: (v) => d.observe('latency', v) });
    const before = d.baseline('latency');
    t = 5000;
    expect(d.observe('latency', 300)).toBeNull();
    expect(d.observe('latency', 300)).toBeNull();
    expect(events).toHaveLength(0);
    expect(d.observe('latency', 300)).toBe('anomaly');
    expect(d.isAnomalous('latency')).toBe(true);
    expect(d.anomalies()).toEqual(['latency']);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ signal: 'latency', value: 300, at: 5000 });
    expect(events[0]!.threshold).toBe(Math.max(POLICY.floor, before.mean + POLICY.sigmas * before.sigma));
    // The spike was held out of the baseline, so it did not teach the baseline that spikes are normal.
    expect(d.baseline('latency').mean).toBeCloseTo(before.mean, 6);
  });

  test('[P-OPS-3] a streak broken before N samples is no anomaly, and its spikes do not move the baseline', () => {
    const b = new SignalBaseline(POLICY);
    warmUp(b);
    const before = b.snapshot();
    for (let round = 0; round < 10; round++) {
      expect(b.observe(500)).toBeNull();
      expect(b.observe(500)).toBeNull();
      expect(b.observe(11)).toBeNull();
    }
    expect(b.anomalous).toBe(false);
    expect(b.snapshot().mean).toBeCloseTo(before.mean, 0);
    expect(b.snapshot().sigma).toBeLessThan(2);
  });

  test('[P-OPS-3] values many σ above a flat baseline but not above the absolute floor are not anomalies', () => {
    const flat = () => {
      const b = new SignalBaseline(POLICY);
      for (let i = 0; i < 100; i++) b.observe(1);
      expect(b.snapshot().sigma).toBe(0);
      return b;
    };
    const atFloor = flat();
    for (let i = 0; i < POLICY.samples; i++) expect(atFloor.observe(POLICY.floor)).toBeNull();
    expect(atFloor.anomalous).toBe(false);
    const overFloor = flat();
    for (let i = 0; i < POLICY.samples; i++) overFloor.observe(POLICY.floor + 1);
    expect(overFloor.anomalous).toBe(true);
  });

  test('[P-OPS-3] recovery after N samples back near the baseline; a relapse restarts the count', () => {
    const d = new AnomalyDetector({ latency: POLICY });
    const recovered: AnomalyEvent[] = [];
    d.onRecovery((e) => recovered.push(e));
    warmUp({ observe: (v) => d.observe('latency', v) });
    for (let i = 0; i < POLICY.samples; i++) d.observe('latency', 400);
    expect(d.isAnomalous('latency')).toBe(true);
    expect(d.observe('latency', 11)).toBeNull();
    expect(d.observe('latency', 11)).toBeNull();
    expect(d.observe('latency', 400)).toBeNull(); // relapse
    expect(d.observe('latency', 11)).toBeNull();
    expect(d.observe('latency', 12)).toBeNull();
    expect(d.observe('latency', 10)).toBe('recovery');
    expect(d.isAnomalous('latency')).toBe(false);
    expect(recovered).toHaveLength(1);
    expect(recovered[0]).toMatchObject({ signal: 'latency', value: 10 });
  });

  test('[P-OPS-3] periods without data count toward recovery and break a high streak', () => {
    const b = new SignalBaseline(POLICY);
    warmUp(b);
    b.observe(400);
    b.observe(400);
    b.observe(null);
    expect(b.observe(400)).toBeNull();
    for (let i = 0; i < POLICY.samples; i++) b.observe(400);
    expect(b.anomalous).toBe(true);
    expect(b.observe(null)).toBeNull();
    expect(b.observe(null)).toBeNull();
    expect(b.observe(null)).toBe('recovery');
  });

  test('[P-OPS-3] a lasting new level becomes the baseline while anomalous, so the anomaly ends', () => {
    const b = new SignalBaseline({ ...POLICY, adaptWhileAnomalous: 0.1 });
    warmUp(b);
    let recoveredAfter = -1;
    for (let i = 0; i < 5000 && recoveredAfter < 0; i++) {
      if (b.observe(i % 2 ? 300 : 310) === 'recovery') recoveredAfter = i;
    }
    expect(recoveredAfter).toBeGreaterThan(POLICY.samples);
    expect(b.anomalous).toBe(false);
    // Back to normal, the new level is folded in at full weight and stays normal.
    for (let i = 0; i < 200; i++) expect(b.observe(i % 2 ? 300 : 310)).toBeNull();
    expect(b.snapshot().mean).toBeGreaterThan(290);
  });

  test('[P-OPS-3] signals are independent, and a throwing listener neither stops others nor the detector', () => {
    const errors: unknown[] = [];
    const d = new AnomalyDetector({ a: POLICY, b: POLICY }, Date.now, (err) => errors.push(err));
    const heard: string[] = [];
    d.onAnomaly(() => {
      throw new Error('listener bug');
    });
    const off = d.onAnomaly((e) => heard.push(e.signal));
    warmUp({ observe: (v) => (d.observe('a', v), d.observe('b', v)) });
    for (let i = 0; i < POLICY.samples; i++) d.observe('a', 999);
    expect(d.anomalies()).toEqual(['a']);
    expect(heard).toEqual(['a']);
    expect(errors).toHaveLength(1);
    off();
    for (let i = 0; i < POLICY.samples; i++) d.observe('b', 999);
    expect(d.anomalies()).toEqual(['a', 'b']);
    expect(heard).toEqual(['a']);
    expect(() => d.observe('c' as 'a', 1)).toThrow(RangeError);
  });
});
