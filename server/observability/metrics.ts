import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Latency buckets in seconds: a keystroke should land in the first few. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface MetricsSources {
  /** Sockets connected to this process right now. */
  sockets(): number;
  /** Docs with at least one subscriber in this process (ShareDB pubsub streams). */
  docSubscriptions(): number;
  /** Workspaces someone has open in this process. */
  workspacesOpen(): number;
  /** AI review tasks by state, from the store (shared by every process). */
  aiTasks?(): Promise<Record<'queued' | 'running' | 'done' | 'failed', number>>;
}

/**
 * Prometheus metrics of one process (`GET /metrics`, issue 6 §3). Names follow Prometheus
 * conventions (`_total`, `_seconds`). No label carries an id or student content: labels are
 * bounded sets (collection, error code, transport), so the series count stays small.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly opsCommitted: Counter<'collection'>;
  readonly submitToCommit: Histogram<'collection'>;
  readonly fanOut: Histogram;
  readonly storeCommit: Histogram;
  readonly errors: Counter<'code' | 'via'>;
  /** AI review (issue 5): how long a review task takes, and provider calls by outcome. */
  readonly aiReviewDuration: Histogram<'outcome'>;
  readonly aiProviderCalls: Counter<'outcome'>;
  /** Review jobs moved from the idle-priority host to a normal one because it got no CPU. */
  readonly aiReviewsStarved: Counter;
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'tandem_' });
    new Gauge({ name: 'tandem_sockets_active', help: 'Socket.io connections open in this process', registers, collect() {
      this.set(sources.sockets());
    } });
    new Gauge({ name: 'tandem_doc_subscriptions', help: 'Documents with live subscribers in this process', registers, collect() {
      this.set(sources.docSubscriptions());
    } });
    new Gauge({ name: 'tandem_rooms_open', help: 'Workspaces someone has open in this process', registers, collect() {
      this.set(sources.workspacesOpen());
    } });
    this.opsCommitted = new Counter({ name: 'tandem_ops_committed_total', help: 'Ops committed, by collection (rate() gives ops/s)', labelNames: ['collection'], registers });
    this.submitToCommit = new Histogram({
      name: 'tandem_submit_to_commit_seconds',
      help: 'From an op arriving at the server to its commit being acknowledged',
      labelNames: ['collection'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.fanOut = new Histogram({
      name: 'tandem_fanout_seconds',
      help: 'From an op arriving at the server to its delivery to each subscriber',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.storeCommit = new Histogram({ name: 'tandem_store_commit_seconds', help: 'Time the store takes to commit one op', buckets: LATENCY_BUCKETS, registers });
    this.errors = new Counter({ name: 'tandem_errors_total', help: 'Errors answered to clients, by code and path (http, sharedb)', labelNames: ['code', 'via'], registers });
    const loopDelay = this.loopDelay;
    loopDelay.enable();
    this.aiReviewDuration = new Histogram({
      name: 'tandem_ai_review_seconds',
      help: 'Duration of AI review tasks (analysers and model), by outcome (done, retry, failed)',
      labelNames: ['outcome'],
      buckets: [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    });
    this.aiProviderCalls = new Counter({ name: 'tandem_ai_provider_calls_total', help: 'AI provider requests, by outcome (ok, error, timeout, invalid)', labelNames: ['outcome'], registers });
    this.aiReviewsStarved = new Counter({
      name: 'tandem_ai_reviews_starved_total',
      help: 'Review jobs moved to normal CPU priority because the idle-priority review process got no CPU (machine saturated)',
      registers,
    });
    new Gauge({
      name: 'tandem_ai_review_queue',
      help: 'AI review tasks by state (queue depth = queued + running)',
      labelNames: ['state'],
      registers,
      async collect() {
        if (!sources.aiTasks) return;
        const counts = await sources.aiTasks();
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
    new Gauge({ name: 'tandem_event_loop_delay_p99_seconds', help: 'p99 event-loop delay since the last scrape', registers, collect() {
      this.set(loopDelay.percentile(99) / 1e9);
      loopDelay.reset();
    } });
  }

  /** Arrival time of recently committed ops, by `collection/id/version`, for the fan-out histogram. */
  private readonly arrivals = new Map<string, number>();
  private sweepAt = 0;

  /** An op was committed; `arrivedAt` is when its submit reached the server. */
  committed(collection: string, id: string, version: number, arrivedAt: number): void {
    const now = Date.now();
    this.opsCommitted.inc({ collection });
    this.submitToCommit.observe({ collection }, (now - arrivedAt) / 1000);
    this.arrivals.set(`${collection}/${id}/${version}`, arrivedAt);
    // Deliveries happen within milliseconds; forget arrivals after 10 s so the map stays small.
    if (now > this.sweepAt) {
      this.sweepAt = now + 1000;
      for (const [key, at] of this.arrivals) {
        if (at < now - 10_000) this.arrivals.delete(key);
        else break;
      }
    }
  }

  /** An op was delivered to one subscriber. */
  delivered(collection: string, id: string, version: number): void {
    const at = this.arrivals.get(`${collection}/${id}/${version}`);
    if (at !== undefined) this.fanOut.observe((Date.now() - at) / 1000);
  }

  close(): void {
    this.loopDelay.disable();
  }
}
