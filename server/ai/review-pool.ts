import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { runReviewPipeline, type ReviewJob, type ReviewJobResult } from './review-pipeline';
import type { HostReply, HostRequest, HostLane } from './review-host';

/**
 * Reviews run off the editing process entirely: in worker threads of a child process at the
 * lowest CPU priority (review-host.ts), at most `concurrency` at once, so sync latency does not
 * move while they run (issue 5 §1). A job that outlives its timeout is aborted, which terminates
 * its worker; if the host dies, its jobs fail (their tasks retry) and the next job starts a new
 * host.
 *
 * The lowest priority can starve: under SCHED_IDLE the host gets (almost) no CPU while normal
 * threads keep both cores busy — a machine saturated by other work for minutes would hold every
 * review until its timeout, then fail it. So the host reports a heartbeat; when the background
 * host has work and its heartbeat stops for `starvationMs`, its jobs move to a host at normal
 * priority (they had made no progress to speak of) and new jobs follow them there until the
 * machine has been quiet for a while. Reviews then compete fairly with editing — the behaviour
 * before the background host existed — instead of never finishing.
 *
 * Under ts-jest there is no compiled host; the pool then runs jobs in-process (unit tests only —
 * the server always runs from dist/).
 */
const CHRT_PATHS = ['/usr/bin/chrt', '/bin/chrt'];

export interface ReviewPoolOptions {
  concurrency: number;
  jobTimeoutMs: number;
  /** Background host with work but no heartbeat for this long counts as starved. */
  starvationMs: number;
  /** Called once per job moved to the normal-priority host. */
  onStarved?: (info: { jobs: number; silentMs: number }) => void;
}

interface Job {
  job: ReviewJob;
  deadline: number;
  lane: HostLane;
  hostId: number;
  resolve: (r: ReviewJobResult) => void;
  reject: (e: Error) => void;
}

interface Host {
  lane: HostLane;
  child: ChildProcess;
  lastBeat: number;
}

const HEARTBEAT_CHECK_MS = 1000;

export class ReviewPool {
  private readonly hostFile = path.join(__dirname, 'review-host.js');
  private readonly hosts: Partial<Record<HostLane, Host>> = {};
  private nextId = 1;
  private readonly jobs = new Map<number, Job>();
  private running = 0;
  private closed = false;
  /** While set, new jobs go to the normal-priority host (the background host was starved). */
  private normalUntil = 0;
  private watchdog: NodeJS.Timeout | null = null;

  constructor(private readonly options: ReviewPoolOptions) {}

  get active(): number {
    return this.running;
  }

  /** Which host new jobs go to now: 'background' unless the background host was recently starved. */
  get lane(): HostLane {
    return Date.now() < this.normalUntil ? 'normal' : 'background';
  }

  /** `timeoutMs` bounds the whole job (analysers and every model attempt). */
  async run(job: ReviewJob, abort: AbortSignal, timeoutMs = this.options.jobTimeoutMs): Promise<ReviewJobResult> {
    if (this.closed) throw new Error('the review pool is closed');
    this.running++;
    try {
      if (!fs.existsSync(this.hostFile)) return await runReviewPipeline(job);
      let id = 0;
      const onAbort = () => {
        const entry = this.jobs.get(id);
        if (entry) this.hosts[entry.lane]?.child.send({ type: 'cancel', id: entry.hostId } satisfies HostRequest);
      };
      abort.addEventListener('abort', onAbort, { once: true });
      try {
        return await new Promise<ReviewJobResult>((resolve, reject) => {
          id = this.nextId++;
          const entry: Job = { job, deadline: Date.now() + timeoutMs, lane: this.lane, hostId: id, resolve, reject };
          this.jobs.set(id, entry);
          this.dispatch(id, entry);
        });
      } finally {
        abort.removeEventListener('abort', onAbort);
      }
    } finally {
      this.running--;
    }
  }

  /** Sends a job to its lane's host; host ids are fresh per dispatch so a moved job's late reply is ignored. */
  private dispatch(id: number, entry: Job): void {
    const host = this.ensureHost(entry.lane);
    entry.hostId = this.nextId++;
    const timeoutMs = Math.max(1, entry.deadline - Date.now());
    const hostId = entry.hostId;
    host.child.send({ type: 'run', id: hostId, job: entry.job, timeoutMs } satisfies HostRequest, (err) => {
      if (err) this.settle(entry.lane, hostId, { type: 'failed', id: hostId, error: `review host unreachable: ${err.message}` });
    });
    this.armWatchdog();
  }

  private ensureHost(lane: HostLane): Host {
    const existing = this.hosts[lane];
    if (existing && existing.child.connected) return existing;
    const options = {
      env: { ...process.env, TANDEM_REVIEW_CONCURRENCY: String(this.options.concurrency), TANDEM_REVIEW_LANE: lane },
      serialization: 'advanced' as const,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'] as Array<'ignore' | 'inherit' | 'ipc'>,
    };
    // SCHED_IDLE (Linux): the host runs only when no normal thread wants the CPU, and a waking
    // editing thread preempts it at once. Nice 19 alone still cost the keystroke p99 ~1.75×
    // (docs/benchmarks.md). Without chrt the host lowers its own nice value instead.
    const chrt = lane === 'background' ? CHRT_PATHS.find((p) => fs.existsSync(p)) : undefined;
    const child = chrt
      ? spawn(chrt, ['--idle', '0', process.execPath, this.hostFile], options)
      : fork(this.hostFile, [], options);
    const host: Host = { lane, child, lastBeat: Date.now() };
    child.on('message', (reply: HostReply) => {
      host.lastBeat = Date.now();
      if (reply.type !== 'beat') this.settle(lane, reply.id, reply);
    });
    child.once('exit', (code, signal) => {
      if (this.hosts[lane] === host) delete this.hosts[lane];
      for (const [id, entry] of [...this.jobs]) {
        if (entry.lane === lane) this.finish(id, { type: 'failed', id, error: `review host exited (code ${code}, signal ${signal})` });
      }
    });
    this.hosts[lane] = host;
    return host;
  }

  private settle(lane: HostLane, hostId: number, reply: HostReply): void {
    for (const [id, entry] of this.jobs) {
      if (entry.lane === lane && entry.hostId === hostId) {
        this.finish(id, reply);
        return;
      }
    }
  }

  private finish(id: number, reply: HostReply): void {
    const entry = this.jobs.get(id);
    if (!entry) return;
    this.jobs.delete(id);
    if (reply.type === 'done') entry.resolve(reply.result);
    else if (reply.type === 'failed') entry.reject(new Error(reply.error));
  }

  private armWatchdog(): void {
    if (this.watchdog) return;
    this.watchdog = setInterval(() => this.checkStarvation(), HEARTBEAT_CHECK_MS);
    this.watchdog.unref();
  }

  private checkStarvation(): void {
    const background = [...this.jobs].filter(([, e]) => e.lane === 'background');
    if (this.jobs.size === 0 && this.watchdog) {
      clearInterval(this.watchdog);
      this.watchdog = null;
    }
    const host = this.hosts.background;
    if (background.length === 0 || !host) return;
    const silentMs = Date.now() - host.lastBeat;
    if (silentMs < this.options.starvationMs) return;
    // Starved: the jobs go to a normal-priority host, and so do new ones for a while.
    this.normalUntil = Date.now() + 6 * this.options.starvationMs;
    for (const [id, entry] of background) {
      host.child.send({ type: 'cancel', id: entry.hostId } satisfies HostRequest);
      entry.lane = 'normal';
      this.dispatch(id, entry);
    }
    // Count from now: the next move needs another full silent period.
    host.lastBeat = Date.now();
    this.options.onStarved?.({ jobs: background.length, silentMs });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    const hosts = Object.values(this.hosts);
    for (const lane of Object.keys(this.hosts) as HostLane[]) delete this.hosts[lane];
    await Promise.all(hosts.map((host) => stopHost(host.child)));
  }
}

async function stopHost(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (child.connected) child.disconnect();
    else child.kill('SIGTERM');
  });
}
