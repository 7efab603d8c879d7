import { SqliteConnection, type SqliteSynchronous } from './sqlite-connection';
import { SqliteDB, type SnapshotCacheOptions } from './sqlite-db';
import { SqliteMilestoneDB } from './sqlite-milestone-db';
import type { Store } from './store';
import type { WalCheckpointOptions, WalCheckpointStats } from './wal-checkpointer';

/** Options of {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /** Path of the database file; its directory is created if missing. */
  filename: string;
  /** See {@link SqliteSynchronous}; default NORMAL. */
  synchronous?: SqliteSynchronous | undefined;
  /** Save a milestone snapshot every N versions. Unset: only when middleware asks. */
  milestoneInterval?: number | undefined;
  /** Snapshot cache budget and persistence cadence; see SnapshotCacheOptions for the defaults. */
  snapshotCache?: SnapshotCacheOptions | undefined;
  /** Where WAL checkpoints run; default: a worker thread (wal-checkpointer.ts). */
  walCheckpoints?: WalCheckpointOptions | undefined;
  /** One write transaction per event-loop turn for its commits; see SqliteDBOptions. Default off. */
  groupCommit?: boolean | undefined;
  /** See SqliteDBOptions.onGroupQueued. */
  onGroupQueued?: (() => void) | undefined;
}

/** The embedded store, with the SQLite specifics tests and operators may look at. */
export interface SqliteStore extends Store {
  readonly kind: 'sqlite';
  readonly db: SqliteDB;
  readonly milestoneDb: SqliteMilestoneDB;
  /** Absolute path of the database file. */
  readonly filename: string;
  /** The journal mode in effect; always `wal` for a store this module opened. */
  journalMode(): string;
  /** What the background WAL checkpointer has done so far. */
  walCheckpointStats(): WalCheckpointStats;
}

/**
 * Open one SQLite file for both the ShareDB DB and the milestone DB (one connection, so
 * milestones and ops share a single writer). Throws a StorageError if the file cannot be used.
 */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const connection = SqliteConnection.open({
    filename: options.filename,
    synchronous: options.synchronous,
    walCheckpoints: options.walCheckpoints,
  });
  let db: SqliteDB;
  let milestoneDb: SqliteMilestoneDB;
  try {
    db = new SqliteDB({
      connection,
      snapshotCache: options.snapshotCache,
      groupCommit: options.groupCommit === true,
      ...(options.onGroupQueued ? { onGroupQueued: options.onGroupQueued } : {}),
    });
    milestoneDb = new SqliteMilestoneDB({ connection, interval: options.milestoneInterval });
  } catch (err) {
    connection.close();
    throw err;
  }

  let closing: Promise<void> | undefined;
  return {
    kind: 'sqlite',
    db,
    milestoneDb,
    filename: connection.filename,
    journalMode: () => connection.journalMode(),
    walCheckpointStats: () => connection.walCheckpointStats(),
    ping: async () => db.ping(),
    purgeDocs: async (collection, which) => db.purgeDocs(collection, which),
    scrubOpAuthor: async (authorId, replacement) => db.scrubOpAuthor(authorId, replacement),
    firstOpVersion: async (collection, id) => db.firstOpVersion(collection, id),
    deleteOpsBefore: async (collection, id, version) => db.deleteOpsBefore(collection, id, version),
    milestoneVersions: async (collection, id) => milestoneDb.versions(collection, id),
    close: () => {
      closing ??= (async () => {
        await new Promise<void>((resolve, reject) => milestoneDb.close((err) => (err ? reject(err) : resolve())));
        await new Promise<void>((resolve, reject) => db.close((err) => (err ? reject(err) : resolve())));
      })();
      return closing;
    },
  };
}
