import { randomBytes } from 'node:crypto';
import type { AiStore, AiTask, AiTaskKind } from '../../prisma-free-db';
import type { Logger } from '../logger';

/**
 * The persisted task queue's runner (issue 5 §1), in the style of Outline's BaseTask:
 * a task is enqueued only after the write that caused it committed, `perform` does the work,
 * failures retry with exponential backoff, and after the last attempt `onFailed` runs so the
 * teacher sees it. Tasks live in the store, so they survive a restart: a task whose process
 * died is taken over when its lease runs out, and the stored result is idempotent per task, so
 * it completes exactly once.
 */

export interface TaskHandler {
  perform(task: AiTask, signal: AbortSignal): Promise<void>;
  /** After the last attempt failed. */
  onFailed(task: AiTask, error: string): Promise<void>;
}

export interface TaskRunnerOptions {
  store: AiStore;
  handlers: Record<AiTaskKind, TaskHandler>;
  concurrency: number;
  attempts: number;
  leaseMs: number;
  logger: Logger;
  /** How often to look for due tasks when nothing woke the runner. */
  pollMs?: number;
  /** Base of the exponential backoff (attempt n waits base·4^(n-1), ±25 %). */
  backoffBaseMs?: number;
}

export class TaskRunner {
  /** Unique per process start: a restarted process does not inherit its predecessor's leases. */
  readonly owner = `proc-${process.pid}-${randomBytes(4).toString('hex')}`;
  private readonly running = new Map<string, AbortController>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;
  private pumping = false;
  private pumpAgain = false;

  constructor(private readonly options: TaskRunnerOptions) {}

  start(): void {
    this.stopped = false;
    const poll = this.options.pollMs ?? 1000;
    this.timer = setInterval(() => this.wake(), poll);
    this.timer.unref();
    this.wake();
  }

  /** Something was enqueued (or finished): look for work now rather than at the next poll. */
  wake(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    void this.pump().finally(() => {
      this.pumping = false;
      if (this.pumpAgain) {
        this.pumpAgain = false;
        this.wake();
      }
    });
  }

  get active(): number {
    return this.running.size;
  }

  private async pump(): Promise<void> {
    const { store, concurrency, leaseMs, logger } = this.options;
    while (!this.stopped && this.running.size < concurrency) {
      let task: AiTask | null;
      try {
        task = await store.claimTask(this.owner, Date.now(), leaseMs);
      } catch (err) {
        logger.warn({ err }, 'ai task claim failed');
        return;
      }
      if (!task) return;
      this.launch(task);
    }
  }

  private launch(task: AiTask): void {
    const { store, leaseMs, logger } = this.options;
    const controller = new AbortController();
    this.running.set(task.id, controller);
    // Keep the lease while working; if it was lost (another process took over), stop.
    const renew = setInterval(() => {
      store.renewLease(task.id, this.owner, Date.now() + leaseMs).then(
        (held) => {
          if (!held) controller.abort(new Error('lease lost'));
        },
        (err: unknown) => logger.warn({ err, taskId: task.id }, 'ai task lease renewal failed'),
      );
    }, Math.max(250, Math.floor(leaseMs / 3)));
    renew.unref();
    const handler = this.options.handlers[task.kind];
    const started = Date.now();
    void handler
      .perform(task, controller.signal)
      .then(
        async () => {
          await store.completeTask(task.id, this.owner, Date.now());
          logger.info({ taskId: task.id, kind: task.kind, attempt: task.attempts, ms: Date.now() - started }, 'ai task done');
        },
        async (err: unknown) => {
          const message = err instanceof Error ? err.message : String(err);
          if (this.stopped) {
            // Interrupted by shutdown: back in the queue now, so the next start resumes it at once.
            await store.failTask(task.id, this.owner, `interrupted: ${message}`, Date.now(), Date.now());
            return;
          }
          if (task.attempts < this.options.attempts) {
            const retryAt = Date.now() + this.backoff(task.attempts);
            logger.warn({ taskId: task.id, kind: task.kind, attempt: task.attempts, err: message }, 'ai task failed; will retry');
            await store.failTask(task.id, this.owner, message, retryAt, Date.now());
          } else {
            logger.error({ taskId: task.id, kind: task.kind, attempt: task.attempts, err: message }, 'ai task failed for good');
            await handler.onFailed(task, message).catch((e: unknown) => logger.error({ err: e, taskId: task.id }, 'ai task onFailed threw'));
            await store.failTask(task.id, this.owner, message, null, Date.now());
          }
        },
      )
      .catch((err: unknown) => logger.error({ err, taskId: task.id }, 'ai task bookkeeping failed'))
      .finally(() => {
        clearInterval(renew);
        this.running.delete(task.id);
        this.wake();
      });
  }

  private backoff(attempt: number): number {
    const base = this.options.backoffBaseMs ?? 2000;
    const ms = base * 4 ** Math.max(0, attempt - 1);
    return Math.round(Math.min(ms, 10 * 60_000) * (0.75 + Math.random() * 0.5));
  }

  /**
   * Stop taking tasks, abort running ones and put them back in the queue (bounded by `waitMs`).
   * After a crash there is no such courtesy: the leases lapse and another start takes over.
   */
  async stop(waitMs = 5000): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const c of this.running.values()) c.abort(new Error('shutting down'));
    const deadline = Date.now() + waitMs;
    while (this.running.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }
}
