import { Worker } from 'node:worker_threads';

/**
 * Moves SQLite's WAL checkpoints off the event loop.
 *
 * By default SQLite checkpoints inside the commit that pushes the WAL past 1,000 pages: that
 * commit copies the WAL into the database file and fsyncs both, on the event loop, while every
 * socket waits (docs/benchmarks.md, "Where Tandem's time goes"). With a checkpointer, the serving
 * connection runs with `wal_autocheckpoint = 0` and a worker thread with its own connection runs
 * `wal_checkpoint(PASSIVE)` every `intervalMs`. PASSIVE never takes the write lock, so commits
 * go on during it; once it has copied every frame, the next commit restarts the WAL from its
 * start, which keeps the file bounded. While writes outpace it (the WAL has grown past
 * `catchUpFrames`), it runs again right away; past `restartFrames` (a reader or a write burst
 * kept it from catching up) it runs `wal_checkpoint(RESTART)`, which briefly waits for the
 * writer, so the WAL cannot grow without bound.
 *
 * Durability is unchanged: a commit is durable when it is in the WAL (see SqliteSynchronous);
 * checkpoints only move data from the WAL into the main file.
 *
 * The worker is started `startDelayMs` after the file opens, so short-lived connections (tests,
 * CLI tools) never pay for a thread; until then SQLite's own auto-checkpoint stays on. If the
 * worker fails, the connection falls back to the auto-checkpoint.
 */
export interface WalCheckpointOptions {
  /** `background` (default): the worker described above. `inline`: SQLite's auto-checkpoint. */
  mode?: 'background' | 'inline';
  /** Pause between passive checkpoints while the WAL is small. */
  intervalMs?: number;
  /** Delay before the worker starts. */
  startDelayMs?: number;
  /** WAL size (frames = pages) from which the worker checkpoints again without pausing. */
  catchUpFrames?: number;
  /** WAL size (frames) from which the worker forces a RESTART checkpoint. */
  restartFrames?: number;
}

export const DEFAULT_CHECKPOINT_INTERVAL_MS = 500;
export const DEFAULT_CHECKPOINT_START_DELAY_MS = 1_000;
/** 1,000 pages is SQLite's own auto-checkpoint threshold (4 MB with 4 KiB pages). */
export const DEFAULT_CATCH_UP_FRAMES = 1_000;
/** 16,384 pages = 64 MiB with 4 KiB pages, the connection's journal_size_limit. */
export const DEFAULT_RESTART_FRAMES = 16_384;

/** SQLite's default `wal_autocheckpoint`, restored when the worker cannot run. */
export const SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES = 1_000;

/** What the checkpointer has done so far (read from memory shared with the worker). */
export interface WalCheckpointStats {
  state: 'scheduled' | 'starting' | 'running' | 'stopped' | 'failed' | 'inline';
  /** Checkpoints run by the worker. */
  checkpoints: number;
  /** Frames in the WAL at the last checkpoint, and the most seen at any checkpoint. */
  lastWalFrames: number;
  maxWalFrames: number;
  /** RESTART checkpoints forced because the WAL passed `restartFrames`. */
  restarts: number;
  /** Why the worker stopped, if it failed. */
  error?: string;
}

// Layout of the Int32Array shared with the worker.
const SLOT_STATE = 0;
const SLOT_CHECKPOINTS = 1;
const SLOT_LAST_FRAMES = 2;
const SLOT_MAX_FRAMES = 3;
const SLOT_RESTARTS = 4;
const SLOT_COUNT = 5;

// Values of SLOT_STATE. The main thread and the worker move between them with compareExchange.
const STARTING = 0; // worker booting; it has not opened the file
const RUNNING = 1; // worker has the file open and checkpoints
const STOP = 2; // main thread asked the running worker to stop
const STOPPED = 3; // worker closed its connection (or never opened one)

/** How long `stop()` waits for a running worker to finish its current checkpoint. */
const STOP_TIMEOUT_MS = 5_000;

/**
 * The worker's program, as a string so it runs unchanged from `dist/` and under ts-jest (a
 * worker cannot load a .ts file). It needs only the driver, whose resolved path it is given.
 */
const WORKER_SOURCE = `
'use strict';
const { workerData, parentPort } = require('node:worker_threads');
const [STARTING, RUNNING, STOP, STOPPED] = [${STARTING}, ${RUNNING}, ${STOP}, ${STOPPED}];
const state = new Int32Array(workerData.shared);
(function main() {
  if (Atomics.compareExchange(state, ${SLOT_STATE}, STARTING, RUNNING) !== STARTING) return;
  let db;
  try {
    const Database = require(workerData.driverPath);
    db = new Database(workerData.filename, { fileMustExist: true, timeout: workerData.busyTimeoutMs });
    db.pragma('wal_autocheckpoint = 0');
    while (Atomics.load(state, ${SLOT_STATE}) === RUNNING) {
      let behind = false;
      try {
        // Another process's checkpoint in progress shows as busy = 1 and log = -1, not an error.
        let [result] = db.pragma('wal_checkpoint(PASSIVE)');
        if (result.log >= workerData.restartFrames) {
          [result] = db.pragma('wal_checkpoint(RESTART)');
          Atomics.add(state, ${SLOT_RESTARTS}, 1);
        }
        const frames = Math.max(0, result.log);
        Atomics.add(state, ${SLOT_CHECKPOINTS}, 1);
        Atomics.store(state, ${SLOT_LAST_FRAMES}, frames);
        if (frames > Atomics.load(state, ${SLOT_MAX_FRAMES})) Atomics.store(state, ${SLOT_MAX_FRAMES}, frames);
        behind = frames >= workerData.catchUpFrames && result.checkpointed < frames;
      } catch (err) {
        // A lock held elsewhere (RESTART waiting past the busy timeout): try again next time.
        if (!err || (err.code !== 'SQLITE_BUSY' && err.code !== 'SQLITE_LOCKED')) throw err;
      }
      Atomics.wait(state, ${SLOT_STATE}, RUNNING, behind ? 1 : workerData.intervalMs);
    }
  } catch (err) {
    parentPort.postMessage({ error: String((err && err.message) || err) });
  } finally {
    try {
      if (db) db.close();
    } finally {
      Atomics.store(state, ${SLOT_STATE}, STOPPED);
      Atomics.notify(state, ${SLOT_STATE});
    }
  }
})();
`;

/** Called when the worker cannot checkpoint, so the owner restores inline checkpoints. */
type FallbackHandler = (reason: string) => void;

/** The background checkpointer of one SqliteConnection (see {@link WalCheckpointOptions}). */
export class WalCheckpointer {
  private readonly shared = new Int32Array(new SharedArrayBuffer(SLOT_COUNT * Int32Array.BYTES_PER_ELEMENT));
  private readonly startTimer: NodeJS.Timeout | undefined;
  private worker: Worker | undefined;
  private phase: WalCheckpointStats['state'];
  private error: string | undefined;

  /**
   * Schedules the worker. `onStart` is called on the main thread right before the worker starts
   * (the owner turns the auto-checkpoint off); `onFallback` when it stops unexpectedly.
   */
  constructor(
    private readonly filename: string,
    private readonly busyTimeoutMs: number,
    private readonly options: Required<Omit<WalCheckpointOptions, 'mode'>> & { mode: 'background' | 'inline' },
    private readonly onStart: () => void,
    private readonly onFallback: FallbackHandler,
  ) {
    if (options.mode === 'inline') {
      this.phase = 'inline';
      return;
    }
    this.phase = 'scheduled';
    this.startTimer = setTimeout(() => this.start(), options.startDelayMs);
    this.startTimer.unref();
  }

  /** Fill in defaults and validate; throws a RangeError naming the bad option. */
  static resolveOptions(options: WalCheckpointOptions = {}): ConstructorParameters<typeof WalCheckpointer>[2] {
    const resolved = {
      mode: options.mode ?? 'background',
      intervalMs: options.intervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS,
      startDelayMs: options.startDelayMs ?? DEFAULT_CHECKPOINT_START_DELAY_MS,
      catchUpFrames: options.catchUpFrames ?? DEFAULT_CATCH_UP_FRAMES,
      restartFrames: options.restartFrames ?? DEFAULT_RESTART_FRAMES,
    };
    if (resolved.mode !== 'background' && resolved.mode !== 'inline') {
      throw new RangeError(`Unknown WAL checkpoint mode: ${String(resolved.mode)}`);
    }
    for (const key of ['intervalMs', 'startDelayMs', 'catchUpFrames', 'restartFrames'] as const) {
      const value = resolved[key];
      if (!Number.isSafeInteger(value) || value < 0 || (key !== 'startDelayMs' && value === 0)) {
        throw new RangeError(`Invalid WAL checkpoint option ${key}: ${String(value)}`);
      }
    }
    return resolved;
  }

  /** Counters shared with the worker. */
  stats(): WalCheckpointStats {
    const result: WalCheckpointStats = {
      state: this.phase === 'starting' && Atomics.load(this.shared, SLOT_STATE) === RUNNING ? 'running' : this.phase,
      checkpoints: Atomics.load(this.shared, SLOT_CHECKPOINTS),
      lastWalFrames: Atomics.load(this.shared, SLOT_LAST_FRAMES),
      maxWalFrames: Atomics.load(this.shared, SLOT_MAX_FRAMES),
      restarts: Atomics.load(this.shared, SLOT_RESTARTS),
    };
    if (this.error !== undefined) result.error = this.error;
    return result;
  }

  /**
   * Stop the worker and wait (synchronously, at most STOP_TIMEOUT_MS) until it has closed its
   * connection, so the owner's final checkpoint does not find it busy. A worker still booting
   * is told never to open the file and is not waited for.
   */
  stop(): void {
    if (this.startTimer) clearTimeout(this.startTimer);
    if (this.phase === 'inline' || this.phase === 'stopped' || this.phase === 'failed') return;
    const wasScheduled = this.phase === 'scheduled';
    this.phase = 'stopped';
    if (wasScheduled) return;
    const before = Atomics.compareExchange(this.shared, SLOT_STATE, STARTING, STOPPED);
    if (before === STARTING) {
      void this.worker?.terminate();
      return;
    }
    if (Atomics.compareExchange(this.shared, SLOT_STATE, RUNNING, STOP) === RUNNING) {
      Atomics.notify(this.shared, SLOT_STATE);
    }
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (Atomics.load(this.shared, SLOT_STATE) !== STOPPED) {
      const left = deadline - Date.now();
      if (left <= 0) {
        // Stuck in a checkpoint: the owner's own checkpoint will find the file busy and skip.
        void this.worker?.terminate();
        return;
      }
      Atomics.wait(this.shared, SLOT_STATE, STOP, left);
    }
  }

  private start(): void {
    if (this.phase !== 'scheduled') return;
    this.phase = 'starting';
    let driverPath: string;
    try {
      driverPath = require.resolve('better-sqlite3');
      this.onStart();
      this.worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: {
          shared: this.shared.buffer,
          driverPath,
          filename: this.filename,
          busyTimeoutMs: this.busyTimeoutMs,
          intervalMs: this.options.intervalMs,
          catchUpFrames: this.options.catchUpFrames,
          restartFrames: this.options.restartFrames,
        },
      });
    } catch (err) {
      this.fail(describe(err));
      return;
    }
    this.worker.unref();
    this.worker.on('message', (message: { error?: string }) => {
      if (message?.error !== undefined) this.fail(message.error);
    });
    this.worker.on('error', (err) => this.fail(describe(err)));
    this.worker.on('exit', () => {
      if (this.phase === 'starting') this.fail('the checkpoint worker exited');
    });
  }

  private fail(reason: string): void {
    if (this.phase !== 'starting') return;
    this.phase = 'failed';
    this.error = reason;
    this.onFallback(reason);
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
