import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { runReviewPipeline, type ReviewJob, type ReviewJobResult } from './review-pipeline';
import type { HostReply, HostRequest } from './review-host';

/**
 * Reviews run off the editing process entirely: in worker threads of a child process at the
 * lowest CPU priority (review-host.ts), at most `concurrency` at once, so sync latency does not
 * move while they run (issue 5 §1). A job that outlives its timeout is aborted, which terminates
 * its worker; if the host dies, its jobs fail (their tasks retry) and the next job starts a new
 * host.
 *
 * Under ts-jest there is no compiled host; the pool then runs jobs in-process (unit tests only —
 * the server always runs from dist/).
 */
const CHRT_PATHS = ['/usr/bin/chrt', '/bin/chrt'];

export class ReviewPool {
  private readonly hostFile = path.join(__dirname, 'review-host.js');
  private host: ChildProcess | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: ReviewJobResult) => void; reject: (e: Error) => void }>();
  private running = 0;
  private closed = false;

  constructor(private readonly options: { concurrency: number; jobTimeoutMs: number }) {}

  get active(): number {
    return this.running;
  }

  /** `timeoutMs` bounds the whole job (analysers and every model attempt). */
  async run(job: ReviewJob, abort: AbortSignal, timeoutMs = this.options.jobTimeoutMs): Promise<ReviewJobResult> {
    if (this.closed) throw new Error('the review pool is closed');
    this.running++;
    try {
      if (!fs.existsSync(this.hostFile)) return await runReviewPipeline(job);
      const host = this.ensureHost();
      const id = this.nextId++;
      const onAbort = () => host.send({ type: 'cancel', id } satisfies HostRequest);
      abort.addEventListener('abort', onAbort, { once: true });
      try {
        return await new Promise<ReviewJobResult>((resolve, reject) => {
          this.pending.set(id, { resolve, reject });
          host.send({ type: 'run', id, job, timeoutMs } satisfies HostRequest, (err) => {
            if (err) this.settle(id, { type: 'failed', id, error: `review host unreachable: ${err.message}` });
          });
        });
      } finally {
        abort.removeEventListener('abort', onAbort);
      }
    } finally {
      this.running--;
    }
  }

  private ensureHost(): ChildProcess {
    if (this.host && this.host.connected) return this.host;
    const options = {
      env: { ...process.env, TANDEM_REVIEW_CONCURRENCY: String(this.options.concurrency) },
      serialization: 'advanced' as const,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'] as Array<'ignore' | 'inherit' | 'ipc'>,
    };
    // SCHED_IDLE (Linux): the host runs only when no normal thread wants the CPU, and a waking
    // editing thread preempts it at once. Nice 19 alone still cost the keystroke p99 ~1.75×
    // (docs/benchmarks.md). Without chrt the host lowers its own nice value instead.
    const chrt = CHRT_PATHS.find((p) => fs.existsSync(p));
    const host = chrt
      ? spawn(chrt, ['--idle', '0', process.execPath, this.hostFile], options)
      : fork(this.hostFile, [], options);
    host.on('message', (reply: HostReply) => this.settle(reply.id, reply));
    host.once('exit', (code, signal) => {
      if (this.host === host) this.host = null;
      for (const id of [...this.pending.keys()]) {
        this.settle(id, { type: 'failed', id, error: `review host exited (code ${code}, signal ${signal})` });
      }
    });
    this.host = host;
    return host;
  }

  private settle(id: number, reply: HostReply): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    if (reply.type === 'done') entry.resolve(reply.result);
    else entry.reject(new Error(reply.error));
  }

  async close(): Promise<void> {
    this.closed = true;
    const host = this.host;
    this.host = null;
    if (!host || host.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => host.kill('SIGKILL'), 5000);
      host.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      host.disconnect();
    });
  }
}
