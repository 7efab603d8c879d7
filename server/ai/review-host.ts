import os from 'node:os';
import path from 'node:path';
import { Piscina } from 'piscina';
import type { ReviewJob, ReviewJobResult } from './review-pipeline';

/**
 * The review host: a child process of the server that runs review jobs in its own worker threads
 * (Piscina). It exists to be NICE: with 20 reviews on a 2-core machine, worker threads and the
 * pyright processes they start would otherwise take the CPU from the editing event loop
 * (measured: keystroke p99 went from 11 ms to 3.2 s — docs/benchmarks.md). At the lowest
 * priority the kernel gives the server's own threads the CPU whenever they want it; reviews get
 * what is left. Threads and processes started from here inherit the priority.
 *
 * The same file also runs as the 'normal' lane: at the server's own priority, for when the
 * background host is starved (review-pool.ts).
 *
 * Protocol (process.send): in {type:'run', id, job, timeoutMs} | {type:'cancel', id};
 * out {type:'done', id, result} | {type:'failed', id, error} | {type:'beat'} (every 500 ms: the
 * pool's evidence that this process gets CPU at all).
 */

export type HostLane = 'background' | 'normal';
export type HostRequest = { type: 'run'; id: number; job: ReviewJob; timeoutMs: number } | { type: 'cancel'; id: number };
export type HostReply =
  | { type: 'done'; id: number; result: ReviewJobResult }
  | { type: 'failed'; id: number; error: string }
  | { type: 'beat' };

const BEAT_MS = 500;

function main(): void {
  if (process.env.TANDEM_REVIEW_LANE !== 'normal') {
    try {
      os.setPriority(19);
    } catch {
      // Not permitted (some container runtimes): reviews still run, just without the courtesy.
    }
  }
  const concurrency = Math.max(1, Number(process.env.TANDEM_REVIEW_CONCURRENCY) || 2);
  const piscina = new Piscina({
    filename: path.join(__dirname, 'review-worker.js'),
    minThreads: 0,
    maxThreads: concurrency,
    idleTimeout: 60_000,
    // A worker's heap is bounded so one pathological file cannot take the host down.
    resourceLimits: { maxOldGenerationSizeMb: 512 },
  });
  const running = new Map<number, AbortController>();
  const send = (reply: HostReply) => {
    if (process.connected) process.send?.(reply);
  };
  setInterval(() => send({ type: 'beat' }), BEAT_MS).unref();
  process.on('message', (message: HostRequest) => {
    if (message.type === 'cancel') {
      running.get(message.id)?.abort(new Error('cancelled'));
      return;
    }
    const controller = new AbortController();
    running.set(message.id, controller);
    const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(message.timeoutMs)]);
    (piscina.run(message.job, { signal }) as Promise<ReviewJobResult>).then(
      (result) => send({ type: 'done', id: message.id, result }),
      (err: unknown) => send({ type: 'failed', id: message.id, error: err instanceof Error ? err.message : String(err) }),
    ).finally(() => running.delete(message.id));
  });
  // The server went away (crash or stop): so do we, and our workers with us.
  process.on('disconnect', () => {
    void piscina.destroy().finally(() => process.exit(0));
  });
}

if (require.main === module) main();
