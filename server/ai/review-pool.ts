import fs from 'node:fs';
import path from 'node:path';
import { Piscina } from 'piscina';
import { runReviewPipeline, type ReviewJob, type ReviewJobResult } from './review-pipeline';

/**
 * Reviews run in worker threads (Piscina), at most `concurrency` at once, so sync latency does
 * not move while they run (issue 5 §1). A job that outlives `jobTimeoutMs` (a hung analyser or a
 * provider that trickles) is aborted, which terminates its worker; the task is then retried.
 *
 * Under ts-jest there is no compiled worker file; the pool then runs jobs in-process (unit
 * tests only — the server always runs from dist/).
 */
export class ReviewPool {
  private readonly piscina: Piscina | null;
  private running = 0;

  constructor(
    private readonly options: { concurrency: number; jobTimeoutMs: number },
  ) {
    const workerFile = path.join(__dirname, 'review-worker.js');
    this.piscina = fs.existsSync(workerFile)
      ? new Piscina({
          filename: workerFile,
          minThreads: 0,
          maxThreads: options.concurrency,
          idleTimeout: 60_000,
          // A worker's heap is bounded so one pathological file cannot take the process down.
          resourceLimits: { maxOldGenerationSizeMb: 512 },
        })
      : null;
  }

  get active(): number {
    return this.running;
  }

  /** `timeoutMs` bounds the whole job (analysers and every model attempt). */
  async run(job: ReviewJob, abort: AbortSignal, timeoutMs = this.options.jobTimeoutMs): Promise<ReviewJobResult> {
    this.running++;
    const signal = AbortSignal.any([abort, AbortSignal.timeout(timeoutMs)]);
    try {
      if (!this.piscina) return await runReviewPipeline(job);
      return (await this.piscina.run(job, { signal })) as ReviewJobResult;
    } finally {
      this.running--;
    }
  }

  async close(): Promise<void> {
    await this.piscina?.destroy();
  }
}
