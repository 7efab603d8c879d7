/**
 * A log-bucketed latency histogram (1 % wide buckets from 1 µs to ~100 s) that merges by
 * addition, so worker processes can send theirs to the driver and percentiles stay exact to 1 %
 * without shipping every sample. The maximum and the sum are kept exactly.
 */

const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
/** Bucket 0 holds everything up to 1 µs; bucket i holds (GROWTH^(i-1), GROWTH^i] µs. */
const BUCKETS = Math.ceil(Math.log(100e6) / LOG_GROWTH) + 2;

export interface HistogramData {
  counts: number[];
  count: number;
  sumMs: number;
  maxMs: number;
}

export interface LatencySummary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

export class Histogram {
  private counts = new Float64Array(BUCKETS);
  count = 0;
  sumMs = 0;
  maxMs = 0;

  record(ms: number): void {
    const us = Math.max(ms * 1000, 0);
    const index = us <= 1 ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(us) / LOG_GROWTH));
    this.counts[index] = (this.counts[index] ?? 0) + 1;
    this.count++;
    this.sumMs += ms;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  merge(other: HistogramData): void {
    other.counts.forEach((n, i) => {
      if (n) this.counts[i] = (this.counts[i] ?? 0) + n;
    });
    this.count += other.count;
    this.sumMs += other.sumMs;
    this.maxMs = Math.max(this.maxMs, other.maxMs);
  }

  /** The upper edge of the bucket holding the q-quantile (so it never under-reports), capped at max. */
  quantileMs(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(GROWTH ** i / 1000, this.maxMs);
    }
    return this.maxMs;
  }

  summary(): LatencySummary {
    return {
      count: this.count,
      meanMs: this.count ? this.sumMs / this.count : 0,
      p50Ms: this.quantileMs(0.5),
      p90Ms: this.quantileMs(0.9),
      p99Ms: this.quantileMs(0.99),
      p999Ms: this.quantileMs(0.999),
      maxMs: this.maxMs,
    };
  }

  toJSON(): HistogramData {
    return { counts: Array.from(this.counts), count: this.count, sumMs: this.sumMs, maxMs: this.maxMs };
  }
}
