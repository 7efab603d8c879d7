import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrateSchema } from './sqlite-schema';
import { StorageError, StorageErrorCode, toStorageError } from './storage-error';
import {
  SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES,
  WalCheckpointer,
  type WalCheckpointOptions,
  type WalCheckpointStats,
} from './wal-checkpointer';

/**
 * WARNING: `NORMAL` (the default) is durable against a crash or SIGKILL of the process in WAL
 * mode: every committed transaction is in the WAL file, which the OS keeps. It is NOT durable
 * against power loss or a kernel panic: the last transactions before the outage may be lost
 * (the file stays consistent, it just rolls back to an earlier commit). Use `FULL` (an fsync
 * per commit, noticeably slower on spinning or network disks) when the host can lose power.
 */
export type SqliteSynchronous = 'NORMAL' | 'FULL';

/** How to open a Tandem SQLite file. */
export interface SqliteConnectionOptions {
  /** Path of the database file; its parent directory is created if missing. */
  filename: string;
  /** See {@link SqliteSynchronous}. Defaults to `NORMAL`. */
  synchronous?: SqliteSynchronous;
  /** How long a write waits for another process's lock before failing with SQLITE_BUSY. */
  busyTimeoutMs?: number;
  /** Where WAL checkpoints run; by default on a worker thread, off the event loop (wal-checkpointer.ts). */
  walCheckpoints?: WalCheckpointOptions;
}

/** Long enough to ride out another process's checkpoint; short enough to surface a stuck lock. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

/** Bounds the WAL file after checkpoints, so a burst of writes does not leave a huge file. */
const JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

const SYNCHRONOUS_MODES: readonly SqliteSynchronous[] = ['NORMAL', 'FULL'];

/**
 * One open SQLite file shared by the ShareDB DB adapter and the milestone DB of a process.
 * better-sqlite3 is synchronous, so a single connection serialises all access in this process;
 * other processes on the same file are coordinated by SQLite's locks (WAL + busy_timeout).
 *
 * Users `retain()` the connection and `release()` it when they close; the file is closed
 * (after a WAL checkpoint) when the last user releases it. That lets ShareDB's Backend close
 * its `db` and `milestoneDb` in any order.
 */
export class SqliteConnection {
  private users = 0;
  private closed = false;
  private documentsOwner: object | undefined;
  private checkpointer: WalCheckpointer | undefined;

  private constructor(
    /** Absolute path of the database file. */
    readonly filename: string,
    private readonly db: Database.Database,
  ) {}

  /**
   * Open (creating if needed) a Tandem database file, switch it to WAL, and migrate its schema.
   * Throws a StorageError (OpenFailed / SchemaTooNew) instead of returning a half-open handle.
   */
  static open(options: SqliteConnectionOptions): SqliteConnection {
    const filename = path.resolve(options.filename);
    const synchronous = options.synchronous ?? 'NORMAL';
    if (!SYNCHRONOUS_MODES.includes(synchronous)) {
      throw new StorageError(
        StorageErrorCode.InvalidArgument,
        `Unknown SQLite synchronous mode: ${String(synchronous)}.`,
      );
    }
    const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
      throw new StorageError(
        StorageErrorCode.InvalidArgument,
        `Invalid SQLite busy timeout: ${String(busyTimeoutMs)}.`,
      );
    }
    let checkpointOptions: ReturnType<typeof WalCheckpointer.resolveOptions>;
    try {
      checkpointOptions = WalCheckpointer.resolveOptions(options.walCheckpoints);
    } catch (err) {
      throw new StorageError(StorageErrorCode.InvalidArgument, describe(err));
    }

    let db: Database.Database;
    try {
      fs.mkdirSync(path.dirname(filename), { recursive: true });
      db = new Database(filename, { timeout: busyTimeoutMs });
    } catch (err) {
      throw new StorageError(StorageErrorCode.OpenFailed, `Cannot open SQLite database ${filename}: ${describe(err)}`, {
        cause: err,
      });
    }

    try {
      const journalMode = String(db.pragma('journal_mode = WAL', { simple: true })).toLowerCase();
      if (journalMode !== 'wal') {
        // SQLite silently keeps another mode where WAL is impossible (e.g. some network file
        // systems). Without WAL, NORMAL is no longer crash-safe, so refuse to run.
        throw new StorageError(
          StorageErrorCode.OpenFailed,
          `SQLite could not switch ${filename} to WAL journal mode (got "${journalMode}"); use a local disk.`,
        );
      }
      // PRAGMA values cannot be bound as parameters; all three values are validated above.
      db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      db.pragma(`synchronous = ${synchronous}`);
      db.pragma('foreign_keys = ON');
      db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`);
      migrateSchema(db, filename);
    } catch (err) {
      db.close();
      if (err instanceof StorageError) throw err;
      throw new StorageError(
        StorageErrorCode.OpenFailed,
        `Cannot prepare SQLite database ${filename}: ${describe(err)}`,
        { cause: err },
      );
    }
    const connection = new SqliteConnection(filename, db);
    connection.checkpointer = new WalCheckpointer(
      filename,
      busyTimeoutMs,
      checkpointOptions,
      () => db.pragma('wal_autocheckpoint = 0'),
      (reason) => {
        // The worker could not run: let commits checkpoint again rather than grow the WAL forever.
        try {
          if (!connection.closed) db.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES}`);
        } catch {
          // Runs from a worker event, where a throw would crash the process; the file is unusable anyway.
        }
        process.emitWarning(`SQLite WAL checkpoint worker stopped (${reason}); checkpoints run inside commits again.`);
      },
    );
    return connection;
  }

  /** Whether the file is still open. */
  get isOpen(): boolean {
    return !this.closed;
  }

  /** The better-sqlite3 handle. Throws ERR_STORAGE_CLOSED once the connection is closed. */
  get database(): Database.Database {
    if (this.closed) throw closedError();
    return this.db;
  }

  /**
   * Register `owner` as the one ShareDB DB adapter of this connection (SqliteDB caches
   * snapshots, which is exact only while every commit to the file goes through it or through
   * another connection, whose writes SQLite's data_version reveals). Throws if another owns it.
   */
  claimDocuments(owner: object): void {
    if (this.closed) throw closedError();
    if (this.documentsOwner !== undefined && this.documentsOwner !== owner) {
      throw new StorageError(
        StorageErrorCode.InvalidArgument,
        'Invalid storage request: this SQLite connection already has a document adapter; open another connection.',
      );
    }
    this.documentsOwner = owner;
  }

  /** Undo `claimDocuments` (when the adapter closes). */
  releaseDocuments(owner: object): void {
    if (this.documentsOwner === owner) this.documentsOwner = undefined;
  }

  /** What the background WAL checkpointer has done (for tests, the benchmark and operators). */
  walCheckpointStats(): WalCheckpointStats {
    return this.checkpointer?.stats() ?? {
      state: 'inline',
      checkpoints: 0,
      lastWalFrames: 0,
      maxWalFrames: 0,
      restarts: 0,
    };
  }

  /** Register a user; it must call `release()` exactly once when it closes. */
  retain(): void {
    if (this.closed) throw closedError();
    this.users++;
  }

  /** Unregister a user; the last one out checkpoints the WAL and closes the file. */
  release(): void {
    if (this.closed || this.users === 0) return;
    this.users--;
    if (this.users === 0) this.close();
  }

  /**
   * Cheap liveness check for readiness probes: reads the file header through SQLite.
   * Throws a StorageError when the connection is closed or the file is unreadable.
   */
  ping(): void {
    try {
      this.database.pragma('user_version', { simple: true });
    } catch (err) {
      throw toStorageError(err, 'checking the database');
    }
  }

  /** The active journal mode (`wal` in every supported configuration); used by tests and ops. */
  journalMode(): string {
    return String(this.database.pragma('journal_mode', { simple: true })).toLowerCase();
  }

  /** Close now regardless of users. Prefer `release()`; this exists for fatal shutdowns. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    // First, so the final checkpoint below does not find the worker's checkpoint in progress.
    this.checkpointer?.stop();
    try {
      // Fold the WAL back into the main file so a backup of tandem.sqlite alone is complete.
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // Another process may be reading; SQLite will checkpoint when the last connection closes.
    }
    this.db.close();
  }
}

function closedError(): StorageError {
  return new StorageError(StorageErrorCode.Closed, 'The store is closed.');
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
