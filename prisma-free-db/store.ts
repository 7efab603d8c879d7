import path from 'node:path';
import type ShareDB from 'sharedb';
import { createMongoStore } from './mongo-db';
import type { SqliteSynchronous } from './sqlite-connection';
import { openSqliteStore } from './sqlite-store';

/** Which adapter backs a Store. */
export type StoreKind = 'sqlite' | 'mongo';

/**
 * The storage port: everything the server needs from a database, and the only way any code
 * outside prisma-free-db/ reaches one. Both adapters pass the same conformance suites
 * (ShareDB's own and tests/contract/store-contract.ts).
 */
/** Docs named one by one, or every doc whose id starts with a prefix (a workspace's files). */
export type DocSelector = { ids: readonly string[] } | { idPrefix: string };

export interface Store {
  readonly kind: StoreKind;
  /** ShareDB DB adapter: pass as `new ShareDB({ db })`. */
  readonly db: ShareDB.DB;
  /** ShareDB milestone DB (history snapshots): pass as `new ShareDB({ milestoneDb })`. */
  readonly milestoneDb: ShareDB.MilestoneDB;
  /** Resolves when the store answers a trivial request; rejects (StorageError) when unreachable or closed. */
  ping(): Promise<void>;
  /**
   * Erase documents for good: snapshot, every op and every milestone (deletion on request).
   * Disconnect their subscribers first; an op a client still sends for a purged doc is refused.
   * Resolves to the number of docs that had anything stored.
   */
  purgeDocs(collection: string, which: DocSelector): Promise<number>;
  /** Replace `m.author` of every stored op written by `authorId` with `replacement`; resolves to ops changed. */
  scrubOpAuthor(authorId: string, replacement: string): Promise<number>;
  /**
   * Version of the doc's oldest stored op: 0 unless ops were compacted away (op-compaction.ts);
   * the doc's current version when it has no ops at all.
   */
  firstOpVersion(collection: string, id: string): Promise<number>;
  /**
   * Delete the doc's ops below `version` (never at or above the version its stored snapshot
   * can be rebuilt from). Resolves to the first version still kept. Use compactDocOps, which saves
   * the milestones that keep those versions viewable first.
   */
  deleteOpsBefore(collection: string, id: string, version: number): Promise<number>;
  /** Versions that have a milestone snapshot, ascending. */
  milestoneVersions(collection: string, id: string): Promise<number[]>;
  /**
   * Close the milestone db (waiting for in-flight milestone saves), then the db, and release the
   * file / connection. Idempotent. Call it after ShareDB has stopped submitting: in-flight
   * commits must have called back first.
   */
  close(): Promise<void>;
}

/** Options of {@link openStore}; the server fills them from its validated config. */
export interface OpenStoreOptions {
  /** When set, MongoDB (sharedb-mongo) is the store; otherwise the embedded SQLite file is. */
  mongodbUrl?: string | undefined;
  /** Directory of the SQLite file `tandem.sqlite` (created if missing). Unused with MongoDB. */
  dataDir: string;
  /** SQLite durability; see {@link SqliteSynchronous} for the power-loss WARNING. Default NORMAL. */
  sqliteSynchronous?: SqliteSynchronous;
  /**
   * Other processes write the same SQLite file (scale-out on one host). Every read then looks for
   * their commits first (a cached snapshot that lagged one made ShareDB refuse ops from clients
   * that had already seen the newer version), every commit writes its snapshot row (so the other
   * processes load a doc without replaying ops), and there is no group commit (it would hold the
   * write lock, which they wait for, until the end of our turn).
   */
  sharedWithOtherProcesses?: boolean;
  /**
   * SQLite with group commit only: called when a turn's group commit is queued (see
   * SqliteDBOptions.onGroupQueued). MongoDB settles commits from its own I/O and never calls it.
   */
  onGroupQueued?: () => void;
  /** Save a milestone snapshot every N versions of a doc (faster history loads). Unset: never. */
  milestoneInterval?: number;
  /**
   * ShareDB collections the app uses. MongoDB creates their op and milestone indexes at start-up
   * (collections that already have ops are found automatically). SQLite needs no per-collection setup.
   */
  collections?: readonly string[];
}

/** File name of the embedded store inside `dataDir`. */
export const SQLITE_FILE_NAME = 'tandem.sqlite';

/**
 * Open the configured store: MongoDB when `mongodbUrl` is set, else `${dataDir}/tandem.sqlite`.
 * Rejects with a StorageError (ERR_STORAGE_UNREACHABLE, ERR_STORAGE_OPEN_FAILED,
 * ERR_STORAGE_SCHEMA_TOO_NEW, ...) whose message says what to fix; it never half-opens.
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  if (options.mongodbUrl) {
    return createMongoStore(options.mongodbUrl, {
      milestoneInterval: options.milestoneInterval,
      collections: options.collections,
    });
  }
  return openSqliteStore({
    filename: path.join(options.dataDir, SQLITE_FILE_NAME),
    synchronous: options.sqliteSynchronous,
    milestoneInterval: options.milestoneInterval,
    ...(options.sharedWithOtherProcesses
      ? { snapshotCache: { persistEveryVersions: 1, foreignWriteCheckMs: 0 } }
      : { groupCommit: true, onGroupQueued: options.onGroupQueued }),
  });
}
