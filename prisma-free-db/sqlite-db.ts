import ShareDB from 'sharedb';
import type Database from 'better-sqlite3';
import { checkCollection, checkDocId, checkVersion, invalidArgument, optionalVersion } from './argument-checks';
import { copyJson, copyJsonMeasured, estimateBytesFromJson } from './json-copy';
import { settleLater, requireCallback } from './settle-later';
import type {
  CloseCallback,
  CommitSnapshot,
  OpsMap,
  ProjectionFields,
  QueryCallback,
  QueryPollCallback,
  ReadOptions,
  ResultCallback,
  ShareDBOp,
  Snapshot,
  SnapshotMap,
  SnapshotMeta,
  VersionMap,
} from './sharedb-shapes';
import { SnapshotCache, type CachedSnapshot } from './snapshot-cache';
import type { DocSelector } from './store';
import { canReplay, replayOps, type ReplayedSnapshot } from './snapshot-replay';
import { SqliteConnection, type SqliteConnectionOptions } from './sqlite-connection';
import { compileQuery, type CompiledQuery } from './sqlite-query';
import { StorageError, StorageErrorCode, toStorageError } from './storage-error';

/** How SqliteDB keeps snapshots in memory and when it writes them to the `snapshots` table. */
export interface SnapshotCacheOptions {
  /**
   * Budget of the write-through snapshot cache, in estimated heap bytes of the cached data
   * (two bytes per UTF-16 unit of text). Least recently used docs are evicted beyond it.
   * 0 disables the cache, and then every commit writes its snapshot row, as before the cache.
   */
  maxBytes?: number;
  /** Write a doc's snapshot row at least every N versions; 1 writes it on every commit. */
  persistEveryVersions?: number;
  /** Write a doc's snapshot row once it has had no commit for this long. */
  persistWhenIdleMs?: number;
  /**
   * Reads look for commits by other processes (SQLite's data_version) at most this often; 0
   * looks on every read. Default 50 ms, for a file this process alone writes. Processes that
   * share the file need 0: a client can base an op on a version another process committed a
   * moment ago, and a read that has not looked yet answers with the older snapshot, which
   * ShareDB refuses ("Op version newer than current snapshot").
   */
  foreignWriteCheckMs?: number;
}

/** 64 MiB: about 2,700 typical 12-kilo-character files; a 2 MB file (the size limit) fits 16 times. */
export const DEFAULT_SNAPSHOT_CACHE_BYTES = 64 * 1024 * 1024;
/** A reload after a crash replays at most this many ops per doc (about 1–3 ms for a text doc). */
export const DEFAULT_PERSIST_EVERY_VERSIONS = 100;
/** A typist who pauses for this long gets a fresh snapshot row. */
export const DEFAULT_PERSIST_WHEN_IDLE_MS = 2_000;
/** Idle persists are written in batches of at most this many rows per timer tick. */
const MAX_IDLE_PERSISTS_PER_TICK = 64;
/**
 * Ops kept in memory per cached doc (as JSON text, ~150–200 bytes each for a keystroke). A late
 * submit is transformed against the ops committed since its base version: at the goal workload
 * that is about one room's commits within one round trip, well below this.
 */
const MAX_RECENT_OPS = 64;
/** A bigger op (a create with a whole file, a paste) is not kept, and restarts the list. */
const MAX_RECENT_OP_CHARS = 4_096;
/**
 * Reads check SQLite's data_version (another process committed to the file) at most this often
 * unless told otherwise (SnapshotCacheOptions.foreignWriteCheckMs); commits always check, inside
 * their transaction. Connections of this process are noticed at once (see `localWriteEpochs`).
 */
const DEFAULT_FOREIGN_WRITE_CHECK_MS = 50;

/**
 * Per database file, a counter bumped by every write of any SqliteDB in this process, so a
 * SqliteDB learns at once (without a SQLite call) that another connection here wrote.
 */
const localWriteEpochs = new Map<string, number>();

/** Open a file of its own, or share a connection with a SqliteMilestoneDB. */
export type SqliteDBOptions = (SqliteConnectionOptions | { connection: SqliteConnection }) & {
  /** Minimum ms between re-runs of one subscribed query (ShareDB's QueryEmitter reads it). */
  pollDebounce?: number;
  /** See {@link SnapshotCacheOptions}; every field has a default. */
  snapshotCache?: SnapshotCacheOptions;
  /**
   * Group commit: the commits of one event-loop turn share one write transaction, and each is
   * acknowledged once that transaction has committed. Off by default; only for a file that no
   * other process writes, since the write lock is held until the end of the turn.
   */
  groupCommit?: boolean;
  /**
   * Called each time group commit queues the end of a turn's group with setImmediate. An immediate
   * queued by this callback runs after that group's COMMIT and its callbacks, in the same turn: the
   * server uses it to send the acks and ops they release without waiting a loop iteration.
   */
  onGroupQueued?: () => void;
};

/** Counters for tests, the benchmark and operators; all monotonic except the cache gauges. */
export interface SqliteDBStats {
  cachedDocs: number;
  cachedBytes: number;
  /** Cached docs whose snapshot row is older than their current version. */
  dirtyDocs: number;
  cacheHits: number;
  cacheMisses: number;
  /** Snapshot rows written (inside commits, and on idle / eviction / query / close). */
  snapshotWrites: number;
  /** Loads that had to apply stored ops on top of an older snapshot row. */
  replays: number;
  replayedOps: number;
  /** Times a write by another connection to the file was noticed (through data_version). */
  foreignWritesSeen: number;
  /** Cached docs found behind the store after such a write, and dropped. */
  staleEntriesDropped: number;
  /** getOpsToSnapshot calls answered from the cached recent ops, without SQLite. */
  recentOpsHits: number;
  /** Write transactions that committed ops (with group commit, one per turn that had commits). */
  commitTransactions: number;
  /** Group commits whose COMMIT failed; every op in them was reported as failed. */
  failedCommitGroups: number;
}

interface SnapshotRow {
  doc_id: string;
  doc_type: string | null;
  version: number;
  data: string | null;
  metadata: string | null;
}

interface OpRow {
  version: number;
  op: string;
}

interface HeadRow {
  /** Version of the snapshot row, or null if the doc has none. */
  stored: number | null;
  /** Version of the newest op, or null if the doc has none. */
  lastOp: number | null;
}

/** A commit, validated and serialised before the transaction starts. */
interface PreparedCommit {
  collection: string;
  id: string;
  opVersion: number;
  src: string | null;
  seq: number | null;
  op: string;
  /** The committed snapshot as the cache will hold it (its own copy of data and m). */
  snapshot: { v: number; type: string | null; data: unknown; m: SnapshotMeta | null };
  bytes: number;
  /** The snapshot row must be written in this commit: not replayable, or too big to cache. */
  persistNow: boolean;
}

/** Result of the commit transaction; `stale` (with the stored version) when it was not `op.v`. */
type CommitOutcome = { stale: true; currentVersion: number } | { stale: false; persistedVersion: number };

/** Tells one commit's caller its outcome once its group's transaction has ended (null: it committed). */
type SettleCommit = (groupFailure: StorageError | null) => void;

/** Distinct query shapes kept prepared; client queries differ in values far more than in shape. */
const MAX_CACHED_QUERY_STATEMENTS = 64;

const SNAPSHOT_COLUMNS = 'doc_id, doc_type, version, data, metadata';

/**
 * ShareDB database adapter backed by one SQLite file (better-sqlite3, WAL mode).
 *
 * Durability: `commit` writes the op in ONE immediate transaction, after checking that the
 * stored version is exactly `snapshot.v - 1`; a concurrent commit that lost the race gets
 * `false` and nothing of it is stored, so ShareDB transforms and retries it. Ops are kept
 * forever (history is a feature; see `getCommittedOpVersion` for why it matters), so the ops
 * alone define a doc: its version is one past its newest op.
 *
 * Snapshots: the latest snapshot of recently used docs lives in a write-through cache
 * (snapshot-cache.ts), so reads of hot docs touch neither SQLite nor JSON.parse. The snapshot
 * row in SQLite is written every `persistEveryVersions` versions, when the doc goes idle, when
 * it is evicted, before a query, on close, and always for creates, deletes and docs whose type
 * is not registered here. A doc whose row is older than its ops (after a crash, or when another
 * connection wrote) is rebuilt on load from that row plus the ops after it (snapshot-replay.ts),
 * so a crash loses no acknowledged op and duplicates none: each op is committed exactly once,
 * in its own transaction, and the row is only ever a shortcut to a version the ops define.
 * Writes by other connections to the same file (other server processes, tools, tests) are
 * noticed through SQLite's `data_version`; cached docs are then re-checked against the store
 * before use, and only those that moved on are reloaded.
 *
 * Concurrency: better-sqlite3 is synchronous, so each call does its SQL immediately (commits are
 * linearised in call order) and calls back on the next tick. Statements are short point reads
 * and writes by primary key; queries scan one collection (see sqlite-query.ts).
 *
 * Queries: a documented Mongo subset compiled to SQL (sqlite-query.ts). Projections are left to
 * ShareDB (`projectsSnapshots` stays false), which applies `fields` to what this returns.
 */
export class SqliteDB extends ShareDB.DB {
  /** Read by ShareDB's QueryEmitter: minimum ms between polls of a subscribed query. */
  pollDebounce: number | undefined;
  /** Read by ShareDB's QueryEmitter: re-poll subscribed queries every N ms (unset: only on ops). */
  pollInterval: number | undefined;
  /** The SQLite file this adapter uses; hand it to a SqliteMilestoneDB to share it. */
  readonly connection: SqliteConnection;

  private closed = false;
  private readonly db: Database.Database;
  private readonly statements: ReturnType<typeof prepareStatements>;
  private readonly commitTransaction: Database.Transaction<(commit: PreparedCommit) => CommitOutcome>;
  private readonly persistTransaction: Database.Transaction<(entries: readonly CachedSnapshot[]) => void>;
  private readonly queryStatements = new Map<string, Database.Statement<unknown[], unknown>>();
  private readonly cache: SnapshotCache;
  private readonly persistEveryVersions: number;
  private readonly persistWhenIdleMs: number;
  private readonly foreignWriteCheckMs: number;
  private readonly idleTimer: NodeJS.Timeout | undefined;
  private readonly groupCommit: boolean;
  private readonly onGroupQueued: (() => void) | null;
  private readonly groupStatements: { begin: Database.Statement; commit: Database.Statement; rollback: Database.Statement };
  /** The commits of the current turn, in call order, while a group's transaction is open. */
  private group: SettleCommit[] | null = null;
  /** SQLite's data_version as last seen; it changes when another connection commits. */
  private knownDataVersion: number;
  /** When data_version was last read (performance.now()), and `localWriteEpochs` as then seen. */
  private foreignCheckAt = 0;
  private seenLocalEpoch = 0;
  /** Counts the times data_version showed a write by another connection (see freshEntry). */
  private foreignEpoch = 0;
  private readonly counters = {
    cacheHits: 0,
    cacheMisses: 0,
    snapshotWrites: 0,
    replays: 0,
    replayedOps: 0,
    foreignWritesSeen: 0,
    staleEntriesDropped: 0,
    recentOpsHits: 0,
    commitTransactions: 0,
    failedCommitGroups: 0,
  };

  /** Opens (or shares) the file synchronously; throws a StorageError if it cannot. */
  constructor(options: SqliteDBOptions) {
    super();
    const cacheOptions = options.snapshotCache ?? {};
    const maxBytes = cacheOptions.maxBytes ?? DEFAULT_SNAPSHOT_CACHE_BYTES;
    const persistEveryVersions = cacheOptions.persistEveryVersions ?? DEFAULT_PERSIST_EVERY_VERSIONS;
    const persistWhenIdleMs = cacheOptions.persistWhenIdleMs ?? DEFAULT_PERSIST_WHEN_IDLE_MS;
    const foreignWriteCheckMs = cacheOptions.foreignWriteCheckMs ?? DEFAULT_FOREIGN_WRITE_CHECK_MS;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw invalidArgument('snapshot cache bytes must be >= 0');
    if (!Number.isSafeInteger(persistEveryVersions) || persistEveryVersions < 1) {
      throw invalidArgument('persistEveryVersions must be a positive integer');
    }
    if (!Number.isSafeInteger(persistWhenIdleMs) || persistWhenIdleMs < 1) {
      throw invalidArgument('persistWhenIdleMs must be a positive integer');
    }
    if (!Number.isSafeInteger(foreignWriteCheckMs) || foreignWriteCheckMs < 0) {
      throw invalidArgument('foreignWriteCheckMs must be an integer >= 0');
    }
    this.pollDebounce = options.pollDebounce;
    this.pollInterval = undefined;
    this.groupCommit = options.groupCommit === true;
    this.onGroupQueued = options.onGroupQueued ?? null;
    this.cache = new SnapshotCache(maxBytes);
    this.persistEveryVersions = persistEveryVersions;
    this.persistWhenIdleMs = persistWhenIdleMs;
    this.foreignWriteCheckMs = foreignWriteCheckMs;
    this.connection = 'connection' in options ? options.connection : SqliteConnection.open(options);
    // Only the adapter that commits can keep a cache exact: a second SqliteDB on this connection
    // would write without changing data_version, so its commits would go unnoticed here.
    this.connection.claimDocuments(this);
    this.connection.retain();
    this.db = this.connection.database;
    const statements = prepareStatements(this.db);
    this.statements = statements;
    this.groupStatements = {
      begin: this.db.prepare('BEGIN IMMEDIATE'),
      commit: this.db.prepare('COMMIT'),
      rollback: this.db.prepare('ROLLBACK'),
    };
    this.knownDataVersion = statements.dataVersion.get() ?? 0;
    this.seenLocalEpoch = localWriteEpochs.get(this.connection.filename) ?? 0;
    this.foreignCheckAt = performance.now();
    this.commitTransaction = this.db.transaction((commit: PreparedCommit): CommitOutcome => {
      // Inside the transaction: cheap (the locks are held) and exact (nobody can write now).
      this.noticeForeignWrites(true);
      const head = statements.selectHead.get(commit.collection, commit.id, commit.collection, commit.id);
      const stored = head?.stored ?? 0;
      const current = Math.max(stored, head?.lastOp == null ? 0 : head.lastOp + 1);
      if (current !== commit.opVersion) return { stale: true, currentVersion: current };
      statements.insertOp.run(commit.collection, commit.id, commit.opVersion, commit.src, commit.seq, commit.op);
      if (commit.persistNow || commit.snapshot.v - stored >= this.persistEveryVersions) {
        this.writeSnapshotRow(commit.collection, commit.id, commit.snapshot);
        return { stale: false, persistedVersion: commit.snapshot.v };
      }
      return { stale: false, persistedVersion: stored };
    });
    this.persistTransaction = this.db.transaction((entries: readonly CachedSnapshot[]) => {
      this.noticeForeignWrites(true);
      for (const entry of entries) this.writeSnapshotRow(entry.collection, entry.id, entry);
    });
    this.idleTimer = setInterval(() => this.persistIdle(), Math.max(1, Math.floor(persistWhenIdleMs / 2)));
    this.idleTimer.unref();
  }

  /**
   * Persist `op` at version `op.v`, if and only if the stored version is still `op.v`, and make
   * `snapshot` (version `op.v + 1`) the doc's current snapshot (cached; its row is written as
   * the class comment describes). Calls back `(null, true)` on success, `(null, false)` when
   * another commit got there first (nothing is written), or `(err)`.
   */
  override commit(
    collection: string,
    id: string,
    op: ShareDBOp,
    snapshot: CommitSnapshot,
    _options: unknown,
    callback: ResultCallback<boolean>,
  ): void {
    requireCallback(callback);
    if (!this.groupCommit) {
      settleLater(
        'committing an op',
        () => {
          const commit = this.prepareCommit(collection, id, op, snapshot);
          // IMMEDIATE takes the write lock before reading the version, so no other connection can
          // commit between our check and our write.
          const outcome = this.commitTransaction.immediate(commit);
          this.noteOwnWrite();
          this.counters.commitTransactions++;
          return this.settleInCache(commit, outcome);
        },
        callback,
      );
      return;
    }
    let committed: boolean;
    try {
      const commit = this.prepareCommit(collection, id, op, snapshot);
      this.openGroup();
      // Inside the group's transaction this runs as a savepoint: a commit that throws undoes
      // only itself, and reads (ours and the cache) already see the group's earlier commits.
      committed = this.settleInCache(commit, this.commitTransaction(commit));
    } catch (err) {
      const error = toStorageError(err, 'committing an op');
      if (this.group) this.group.push(() => callback(error));
      else process.nextTick(callback, error);
      return;
    }
    // Acknowledged only once the group's COMMIT has succeeded: an acked op is always on disk.
    this.group!.push((groupFailure) => (groupFailure ? callback(groupFailure) : callback(null, committed)));
  }

  /** The cache after a commit transaction: the new snapshot, or dropping a stale entry. */
  private settleInCache(commit: PreparedCommit, outcome: CommitOutcome): boolean {
    const { collection, id } = commit;
    if (outcome.stale) {
      // Normally another submit of this process won the race and the cache already holds
      // its snapshot; only an entry that is not at the stored version must go.
      const cached = this.cache.peek(collection, id);
      if (cached?.v === outcome.currentVersion) cached.verifiedEpoch = this.foreignEpoch;
      else this.cache.delete(collection, id);
      return false;
    }
    // The previous entry is replaced, so its op list can be taken over and extended.
    const previous = this.cache.peek(collection, id);
    let recentOps = previous && previous.v === commit.opVersion ? previous.recentOps : [];
    if (commit.op.length > MAX_RECENT_OP_CHARS) {
      recentOps = [];
    } else {
      recentOps.push(commit.op);
      if (recentOps.length > MAX_RECENT_OPS) recentOps.shift();
    }
    let opChars = 0;
    for (const text of recentOps) opChars += text.length;
    this.remember({
      collection,
      id,
      ...commit.snapshot,
      persistedVersion: outcome.persistedVersion,
      recentOps,
      bytes: commit.bytes + opChars * 2,
      changedAt: Date.now(),
      // The commit's transaction checked data_version first, so this is current now.
      verifiedEpoch: this.foreignEpoch,
    });
    return true;
  }

  /** Begin this turn's group transaction, if none is open; it commits when the turn ends. */
  private openGroup(): void {
    if (this.group) {
      // SQLite can end a transaction by itself (e.g. after SQLITE_FULL or an I/O error); a commit
      // run now would be stored on its own while its group is told the COMMIT failed.
      if (!this.db.inTransaction) {
        throw new StorageError(StorageErrorCode.Failed, 'Storage failed while committing an op: its group transaction was rolled back.');
      }
      return;
    }
    this.checkOpen();
    // IMMEDIATE: the write lock is held from here, so the version checks inside stay exact.
    this.groupStatements.begin.run();
    this.group = [];
    setImmediate(() => this.endGroup());
    if (this.onGroupQueued) {
      try {
        this.onGroupQueued();
      } catch (err) {
        // A hook's failure must not fail the commit that opened the group.
        process.emitWarning(`onGroupQueued failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  /**
   * COMMIT the turn's group and tell each commit's caller, in call order. If COMMIT fails,
   * nothing of the group is stored: every caller gets the error (ShareDB acknowledges none of
   * them) and the cache is emptied, since entries may hold versions that were rolled back.
   */
  private endGroup(): void {
    const group = this.group;
    if (!group) return;
    this.group = null;
    let failure: StorageError | null = null;
    try {
      this.groupStatements.commit.run();
      this.counters.commitTransactions++;
    } catch (err) {
      failure = toStorageError(err, 'committing a group of ops');
      this.counters.failedCommitGroups++;
      try {
        if (this.db.inTransaction) this.groupStatements.rollback.run();
      } catch (rollbackError) {
        process.emitWarning(toStorageError(rollbackError, 'rolling back a group of ops'));
      }
      this.cache.clear();
    }
    this.noteOwnWrite();
    for (const settle of group) settle(failure);
  }

  /**
   * The current snapshot (`v: 0, type: null` if the doc was never created). Metadata (`m`) is
   * included only for `{metadata: true}` or the `{$submit: true}` projection SubmitRequest uses.
   */
  override getSnapshot(
    collection: string,
    id: string,
    fields: ProjectionFields,
    options: ReadOptions,
    callback: ResultCallback<Snapshot>,
  ): void {
    requireCallback(callback);
    settleLater(
      'reading a snapshot',
      () => {
        this.checkOpen();
        checkCollection(collection);
        checkDocId(id);
        this.noticeForeignWrites();
        return snapshotCopy(id, this.currentSnapshot(collection, id), wantsMetadata(fields, options));
      },
      callback,
    );
  }

  /** Snapshots of many docs of one collection (cached or loaded one by one); missing docs come back as v0. */
  override getSnapshotBulk(
    collection: string,
    ids: string[],
    fields: ProjectionFields,
    options: ReadOptions,
    callback: ResultCallback<SnapshotMap>,
  ): void {
    requireCallback(callback);
    settleLater(
      'reading snapshots',
      () => {
        this.checkOpen();
        checkCollection(collection);
        if (!Array.isArray(ids)) throw invalidArgument('ids must be an array');
        ids.forEach((id) => checkDocId(id));
        this.noticeForeignWrites();
        const includeMetadata = wantsMetadata(fields, options);
        const result: SnapshotMap = Object.create(null) as SnapshotMap;
        for (const id of ids) result[id] = snapshotCopy(id, this.currentSnapshot(collection, id), includeMetadata);
        return result;
      },
      callback,
    );
  }

  /**
   * Ops with versions in [from, to) (`from` null = 0, `to` null = up to the current version),
   * in version order, with `src`, `seq`, `create`/`del` intact; `m` only with `{metadata: true}`.
   * A `to` beyond the current version returns the ops that exist, as sharedb-mongo does.
   */
  override getOps(
    collection: string,
    id: string,
    from: number | null,
    to: number | null,
    options: ReadOptions,
    callback: ResultCallback<ShareDBOp[]>,
  ): void {
    requireCallback(callback);
    settleLater('reading ops', () => this.readOps(collection, id, from, to, options?.metadata === true), callback);
  }

  /**
   * Ops from `from` up to the version of `snapshot` (SubmitRequest uses it to transform a stale op).
   * @types/sharedb declares `snapshot` as a number; ShareDB passes a snapshot. Both are accepted.
   */
  override getOpsToSnapshot(
    collection: string,
    id: string,
    from: number | null,
    snapshot: number | Pick<Snapshot, 'v'>,
    options: ReadOptions,
    callback: ResultCallback<ShareDBOp[]>,
  ): void {
    requireCallback(callback);
    settleLater(
      'reading ops',
      () => this.readOps(collection, id, from, versionOf(snapshot), options?.metadata === true, true),
      callback,
    );
  }

  /** `getOps` for many docs of one collection; `toMap` may be null or omit ids (= to the end). */
  override getOpsBulk(
    collection: string,
    fromMap: VersionMap,
    toMap: VersionMap | null | undefined,
    options: ReadOptions,
    callback: ResultCallback<OpsMap>,
  ): void {
    requireCallback(callback);
    settleLater(
      'reading ops',
      () => {
        if (fromMap === null || typeof fromMap !== 'object') throw invalidArgument('fromMap must be an object');
        const result: OpsMap = Object.create(null) as OpsMap;
        // One statement per doc: each doc has its own range, and SQLite runs in-process, so
        // there is no round trip to save by merging them.
        for (const id of Object.keys(fromMap)) {
          result[id] = this.readOps(collection, id, fromMap[id], toMap?.[id], options?.metadata === true);
        }
        return result;
      },
      callback,
    );
  }

  /**
   * The version at which an op from the same client (`src`) with the same `seq` was committed,
   * or undefined. ShareDB asks when a client resends a create after losing the ack (e.g. the
   * server crashed after the commit): the answer turns a duplicate into "already submitted".
   * Only ops before `snapshot.v` count, like the base implementation; ops without a `src` never
   * match (the base class would match two src-less ops with each other). ShareDB 7 asks only for
   * snapshots without `m._create` (written before it recorded that), so there is no index on
   * (src, seq): the lookup walks the doc's primary key down from `snapshot.v` (schema v2).
   */
  override getCommittedOpVersion(
    collection: string,
    id: string,
    snapshot: Pick<Snapshot, 'v'>,
    op: ShareDBOp,
    _options: unknown,
    callback: ResultCallback<number | undefined>,
  ): void {
    requireCallback(callback);
    settleLater<number | undefined>(
      'looking up a committed op',
      () => {
        this.checkOpen();
        checkCollection(collection);
        checkDocId(id);
        const before = versionOf(snapshot);
        if (op === null || typeof op !== 'object') throw invalidArgument('op must be an object');
        if (typeof op.src !== 'string' || !Number.isSafeInteger(op.seq)) return undefined;
        const { selectCommittedVersion } = this.statements;
        return selectCommittedVersion.get(collection, id, op.src, op.seq as number, before) ?? undefined;
      },
      callback,
    );
  }

  /**
   * Run a query (see sqlite-query.ts for the language) over the live docs of a collection.
   * A property, not a method, because @types/sharedb declares it as one; the cast is needed
   * because those typings give the callback's error a numeric `code` (ShareDB's are strings).
   */
  override query = ((
    collection: string,
    query: unknown,
    _fields: ProjectionFields,
    options: ReadOptions,
    callback: QueryCallback,
  ): void => {
    requireCallback(callback);
    settleLater(
      'running a query',
      () => {
        const compiled = this.compileFor(collection, query);
        this.persistCollection(collection);
        const rows = this.runQuery<SnapshotRow>(SNAPSHOT_COLUMNS, collection, compiled);
        const includeMetadata = options?.metadata === true;
        return rows.map((row) => toSnapshot(row.doc_id, row, includeMetadata));
      },
      (err, snapshots) => (err ? callback(err) : callback(null, snapshots)),
    );
  }) as unknown as ShareDB.DBQueryMethod;

  /** Ids matching a subscribed query, in order; ShareDB diffs them against the last poll. */
  override queryPoll(collection: string, query: unknown, _options: ReadOptions, callback: QueryPollCallback): void {
    requireCallback(callback);
    settleLater(
      'polling a query',
      () => {
        const compiled = this.compileFor(collection, query);
        this.persistCollection(collection);
        return this.runQuery<{ doc_id: string }>('doc_id', collection, compiled).map((row) => row.doc_id);
      },
      (err, ids) => (err ? callback(err) : callback(null, ids)),
    );
  }

  /** Whether one doc matches a query's filter (used after an op when `canPollDoc` is true). */
  override queryPollDoc(
    collection: string,
    id: string,
    query: unknown,
    _options: ReadOptions,
    callback: ResultCallback<boolean>,
  ): void {
    requireCallback(callback);
    settleLater(
      'polling a query',
      () => {
        const compiled = this.compileFor(collection, query);
        checkDocId(id);
        this.persistDoc(collection, id);
        const sql =
          'SELECT EXISTS (SELECT 1 FROM snapshots WHERE collection = ? AND doc_id = ? AND doc_type IS NOT NULL ' +
          `AND ${compiled.where})`;
        return this.cachedStatement(sql).pluck().get(collection, id, ...compiled.whereParams) === 1;
      },
      callback,
    );
  }

  /**
   * True when a single changed doc can be re-checked on its own: the query has no $sort, $skip
   * or $limit. @types/sharedb declares no parameters; ShareDB passes (collection, query).
   */
  override canPollDoc(_collection?: string, query?: unknown): boolean {
    try {
      return !compileQuery(query).dependsOnOtherDocs;
    } catch {
      return false; // ShareDB calls this outside any callback; the query itself reports the error.
    }
  }

  /**
   * True when `op` cannot change a query's results, so ShareDB skips re-polling (as sharedb-mongo
   * does): it is an edit (not create/delete) whose json0 paths touch none of the top-level fields
   * the query filters or sorts on. A query that reads no fields skips every edit, which is what
   * keeps keystrokes in text docs from re-running "all files" queries.
   */
  override skipPoll(_collection?: string, _id?: string, op?: ShareDBOp, query?: unknown): boolean {
    if (!op || op.create || op.del) return false;
    let fields: ReadonlySet<string>;
    try {
      fields = compileQuery(query).topLevelFields;
    } catch {
      return false;
    }
    if (fields.size === 0) return true;
    if (!Array.isArray(op.op)) return false;
    return op.op.every((component: unknown) => {
      const path = (component as { p?: unknown } | null)?.p;
      return Array.isArray(path) && path.length > 0 && !fields.has(String(path[0]));
    });
  }

  /**
   * Write every dirty cached snapshot, then release the SQLite file (closed and WAL-checkpointed
   * once the milestone DB sharing it is closed too). Idempotent; later calls on this adapter fail
   * with ERR_STORAGE_CLOSED. If the final write fails the error is reported and nothing is lost:
   * the ops are stored, and the next open rebuilds the snapshots from them.
   */
  override close(callback?: CloseCallback): void {
    let error: StorageError | undefined;
    if (!this.closed) {
      clearInterval(this.idleTimer);
      // Commits of this turn are stored (and their callers told) before the file is released.
      this.endGroup();
      try {
        this.noticeForeignWrites();
        this.persist(this.cache.dirty());
      } catch (err) {
        error = toStorageError(err, 'writing snapshots before closing');
      }
      this.closed = true;
      this.cache.clear();
      this.queryStatements.clear();
      try {
        this.connection.releaseDocuments(this);
        this.connection.release();
      } catch (err) {
        error ??= toStorageError(err, 'closing the database');
      }
    }
    if (callback) process.nextTick(() => (error ? callback(error) : callback()));
  }

  /**
   * Erase docs for good (deletion on request): snapshot rows, every op and milestone, and the
   * cached copies, in one transaction. Returns how many docs had anything stored.
   */
  purgeDocs(collection: string, which: DocSelector): number {
    this.checkOpen();
    checkCollection(collection);
    const erase = this.db.transaction(() => {
      this.noticeForeignWrites(true);
      const ids = 'ids' in which ? [...which.ids] : this.docIdsWithPrefix(collection, which.idPrefix);
      for (const id of ids) checkDocId(id);
      let purged = 0;
      for (const id of ids) {
        // Dropped inside the transaction: a dirty entry must never write a purged snapshot back.
        this.cache.delete(collection, id);
        const rows =
          this.db.prepare('DELETE FROM snapshots WHERE collection = ? AND doc_id = ?').run(collection, id).changes +
          this.db.prepare('DELETE FROM ops WHERE collection = ? AND doc_id = ?').run(collection, id).changes +
          this.db.prepare('DELETE FROM milestones WHERE collection = ? AND doc_id = ?').run(collection, id).changes;
        if (rows > 0) purged++;
      }
      return purged;
    });
    try {
      return erase();
    } catch (err) {
      throw toStorageError(err, 'erasing documents');
    } finally {
      this.noteOwnWrite();
    }
  }

  /** Ids of every doc with anything stored whose id starts with `prefix`. */
  private docIdsWithPrefix(collection: string, prefix: string): string[] {
    if (prefix.length === 0) throw invalidArgument('an id prefix must not be empty');
    const ids = new Set<string>();
    for (const table of ['snapshots', 'ops', 'milestones']) {
      const rows = this.db
        .prepare(`SELECT DISTINCT doc_id FROM ${table} WHERE collection = ? AND substr(doc_id, 1, ?) = ?`)
        .pluck()
        .all(collection, [...prefix].length, prefix) as string[];
      for (const id of rows) ids.add(id);
    }
    for (const entry of this.cache.entriesOf(collection)) if (entry.id.startsWith(prefix)) ids.add(entry.id);
    return [...ids];
  }

  /** Replace `m.author` in every stored op written by `authorId` (deletion on request). */
  scrubOpAuthor(authorId: string, replacement: string): number {
    this.checkOpen();
    try {
      const changed = this.db.prepare(
        "UPDATE ops SET op = json_set(op, '$.m.author', ?) WHERE json_extract(op, '$.m.author') = ?",
      ).run(replacement, authorId).changes;
      this.noteOwnWrite();
      return changed;
    } catch (err) {
      throw toStorageError(err, 'removing an author from the op log');
    }
  }

  /** Version of the doc's oldest stored op; its current version when it has none. */
  firstOpVersion(collection: string, id: string): number {
    this.checkOpen();
    checkCollection(collection);
    checkDocId(id);
    const first = this.db.prepare('SELECT min(version) FROM ops WHERE collection = ? AND doc_id = ?').pluck().get(collection, id) as number | null;
    return first ?? this.currentVersion(collection, id);
  }

  /**
   * Delete the doc's ops below `version`, but never below what its snapshot row can be rebuilt
   * from: the row is brought up to date first. Returns the first version still kept.
   */
  deleteOpsBefore(collection: string, id: string, version: number): number {
    this.checkOpen();
    checkCollection(collection);
    checkDocId(id);
    checkVersion(version, 'version');
    this.noticeForeignWrites(true);
    // Loading brings the snapshot up to date (cached, or its row written when it cannot be).
    this.currentSnapshot(collection, id);
    this.persistDoc(collection, id);
    const remove = this.db.transaction(() => {
      const rowVersion = (this.statements.selectSnapshot.get(collection, id)?.version ?? 0) as number;
      const cutoff = Math.min(version, rowVersion);
      this.db.prepare('DELETE FROM ops WHERE collection = ? AND doc_id = ? AND version < ?').run(collection, id, cutoff);
      const first = this.db.prepare('SELECT min(version) FROM ops WHERE collection = ? AND doc_id = ?').pluck().get(collection, id) as number | null;
      return first ?? rowVersion;
    });
    try {
      return remove.immediate();
    } catch (err) {
      throw toStorageError(err, 'compacting ops');
    } finally {
      this.noteOwnWrite();
    }
  }

  /** Cheap health check for /readyz; throws a StorageError when closed or unreadable. */
  ping(): void {
    this.checkOpen();
    this.connection.ping();
  }

  /** Cache and persistence counters (see {@link SqliteDBStats}). */
  stats(): SqliteDBStats {
    return {
      cachedDocs: this.cache.size,
      cachedBytes: this.cache.totalBytes,
      dirtyDocs: this.cache.dirtyCount,
      ...this.counters,
    };
  }

  /**
   * Write the snapshot rows of every cached doc that is ahead of its row, now (normally the
   * idle timer, eviction, queries and close do this). For tests and for operators taking a
   * file-level backup while the server runs.
   */
  persistSnapshots(): void {
    this.checkOpen();
    this.noticeForeignWrites();
    this.persist(this.cache.dirty());
  }

  private checkOpen(): void {
    if (this.closed) throw new StorageError(StorageErrorCode.Closed, 'The store is closed.');
  }

  private prepareCommit(collection: string, id: string, op: ShareDBOp, snapshot: CommitSnapshot): PreparedCommit {
    this.checkOpen();
    checkCollection(collection);
    checkDocId(id);
    if (op === null || typeof op !== 'object') throw invalidArgument('op must be an object');
    if (snapshot === null || typeof snapshot !== 'object') throw invalidArgument('snapshot must be an object');
    checkVersion(snapshot.v, 'snapshot.v');
    if (snapshot.v < 1) throw invalidArgument('a committed snapshot has version 1 or more');
    if (op.v !== snapshot.v - 1) throw invalidArgument('op.v must be snapshot.v - 1');
    const type = snapshot.type ?? null;
    if (type !== null && typeof type !== 'string') throw invalidArgument('snapshot.type must be a string or null');
    try {
      // Copied now, before anything is written: the caller keeps (and may mutate) its snapshot,
      // and data that JSON cannot carry fails here rather than after the op is stored.
      const data = type === null ? { copy: undefined, bytes: 0 } : copyJsonMeasured(snapshot.data);
      const m = snapshot.m == null ? { copy: null, bytes: 0 } : copyJsonMeasured(snapshot.m);
      const bytes = data.bytes + m.bytes + CACHE_ENTRY_OVERHEAD_BYTES;
      return {
        collection,
        id,
        opVersion: op.v,
        src: typeof op.src === 'string' ? op.src : null,
        seq: Number.isSafeInteger(op.seq) ? (op.seq as number) : null,
        op: JSON.stringify(op),
        snapshot: { v: snapshot.v, type, data: data.copy, m: m.copy },
        bytes,
        persistNow: !this.cache.fits(bytes) || !isReplayableEdit(op, type),
      };
    } catch (err) {
      throw new StorageError(
        StorageErrorCode.InvalidArgument,
        'Invalid storage request: the op or snapshot is not JSON.',
        { cause: err },
      );
    }
  }

  /**
   * Notice whether another connection committed to the file since we last looked; if so, every
   * cached doc must be re-checked against SQLite before use (freshEntry), since any of them may
   * have moved on without us. `always` forces the SQLite check; otherwise it runs when a
   * connection of this process wrote, or `foreignWriteCheckMs` after the last one
   * (it costs a read transaction: two fcntl locks and an fstat, ~5 µs).
   */
  private noticeForeignWrites(always = false): void {
    const now = performance.now();
    const localEpoch = localWriteEpochs.get(this.connection.filename) ?? 0;
    if (!always && localEpoch === this.seenLocalEpoch && now - this.foreignCheckAt < this.foreignWriteCheckMs) {
      return;
    }
    this.seenLocalEpoch = localEpoch;
    this.foreignCheckAt = now;
    const dataVersion = this.statements.dataVersion.get() ?? 0;
    if (dataVersion === this.knownDataVersion) return;
    this.knownDataVersion = dataVersion;
    this.foreignEpoch++;
    this.counters.foreignWritesSeen++;
  }

  /**
   * The doc's cache entry if it is current, else undefined (a stale one is dropped). After a
   * write by another connection an entry is trusted again only once SQLite confirms the doc's
   * version (one index lookup): versions only grow, and each has exactly one op history, so
   * the same version means the same snapshot. Docs other processes do not touch keep their
   * entries; only the ones they changed are reloaded.
   */
  private freshEntry(collection: string, id: string, touch: boolean): CachedSnapshot | undefined {
    const entry = touch ? this.cache.get(collection, id) : this.cache.peek(collection, id);
    if (!entry || entry.verifiedEpoch === this.foreignEpoch) return entry;
    if (this.storedVersion(collection, id) === entry.v) {
      entry.verifiedEpoch = this.foreignEpoch;
      return entry;
    }
    this.cache.delete(collection, id);
    this.counters.staleEntriesDropped++;
    return undefined;
  }

  /** The doc's version in SQLite: one past its newest op (or its snapshot row's, for rows without ops). */
  private storedVersion(collection: string, id: string): number {
    const head = this.statements.selectHead.get(collection, id, collection, id);
    return Math.max(head?.stored ?? 0, head?.lastOp == null ? 0 : head.lastOp + 1);
  }

  /**
   * Tell the other SqliteDBs of this process on this file that it changed. Called right after
   * each of our write transactions, which checked data_version at their start, so nothing
   * another connection wrote before ours goes unnoticed by taking the new epoch as seen.
   */
  private noteOwnWrite(): void {
    const epoch = (localWriteEpochs.get(this.connection.filename) ?? 0) + 1;
    localWriteEpochs.set(this.connection.filename, epoch);
    this.seenLocalEpoch = epoch;
  }

  /** The doc's current snapshot from the cache, or loaded (and cached); undefined if it never existed. */
  private currentSnapshot(collection: string, id: string): CachedSnapshot | undefined {
    const cached = this.freshEntry(collection, id, true);
    if (cached) {
      this.counters.cacheHits++;
      return cached;
    }
    this.counters.cacheMisses++;
    return this.load(collection, id);
  }

  /**
   * Read the snapshot row and apply the ops stored after it. A doc that needed a replay is
   * dirty (its row is behind), so the idle timer writes the rebuilt snapshot; if the doc is too
   * big to cache, the row is written right away instead of replaying on every read.
   */
  private load(collection: string, id: string): CachedSnapshot | undefined {
    const row = this.statements.selectSnapshot.get(collection, id);
    const lastOp = this.statements.selectLastOpVersion.get(collection, id);
    const rowVersion = row?.version ?? 0;
    const version = Math.max(rowVersion, lastOp == null ? 0 : lastOp + 1);
    if (version === 0) return undefined;
    const snapshot: ReplayedSnapshot = {
      v: rowVersion,
      type: row?.doc_type ?? null,
      data: row && row.doc_type !== null && row.data !== null ? (JSON.parse(row.data) as unknown) : undefined,
      m: row?.metadata ? (JSON.parse(row.metadata) as SnapshotMeta) : null,
    };
    if (version > rowVersion) {
      replayOps(snapshot, this.readOpRange(collection, id, rowVersion, version, true));
      this.counters.replays++;
      this.counters.replayedOps += version - rowVersion;
    }
    const replayed = version > rowVersion;
    const bytes = replayed
      ? copyJsonMeasured(snapshot.data).bytes + CACHE_ENTRY_OVERHEAD_BYTES
      : estimateBytesFromJson((row?.data?.length ?? 0) + (row?.metadata?.length ?? 0)) + CACHE_ENTRY_OVERHEAD_BYTES;
    const entry: CachedSnapshot = {
      collection,
      id,
      ...snapshot,
      persistedVersion: rowVersion,
      recentOps: [],
      bytes,
      changedAt: Date.now(),
      verifiedEpoch: this.foreignEpoch,
    };
    if (!this.remember(entry) && replayed) this.persistOrWarn([entry], 'writing a rebuilt snapshot');
    return entry;
  }

  /**
   * Cache `entry` and write the rows of dirty entries it evicted. Returns whether it was cached.
   * Never throws: it runs after a commit succeeded, which must then be acknowledged (an error
   * would keep ShareDB from publishing a stored op). A failed write only costs a replay later.
   */
  private remember(entry: CachedSnapshot): boolean {
    const { cached, evicted } = this.cache.set(entry);
    const dirty = evicted.filter((e) => e.persistedVersion < e.v);
    if (dirty.length > 0) this.persistOrWarn(dirty, 'writing evicted snapshots');
    return cached;
  }

  private persistOrWarn(entries: readonly CachedSnapshot[], action: string): void {
    try {
      this.persist(entries);
    } catch (err) {
      process.emitWarning(toStorageError(err, action));
    }
  }

  /** Write the snapshot rows of `entries` in one transaction and mark them clean. */
  private persist(entries: readonly CachedSnapshot[]): void {
    if (entries.length === 0) return;
    this.persistTransaction.immediate(entries);
    this.noteOwnWrite();
    for (const entry of entries) this.cache.markPersisted(entry, entry.v);
  }

  /** The upsert never moves a row backwards (another connection may have written a newer one). */
  private writeSnapshotRow(
    collection: string,
    id: string,
    snapshot: { v: number; type: string | null; data: unknown; m: SnapshotMeta | null },
  ): void {
    this.statements.upsertSnapshot.run(
      collection,
      id,
      snapshot.type,
      snapshot.v,
      snapshot.type === null ? null : (JSON.stringify(snapshot.data) ?? null),
      snapshot.m == null ? null : JSON.stringify(snapshot.m),
    );
    this.counters.snapshotWrites++;
  }

  /** Queries read snapshot rows: bring the collection's rows up to date first. */
  private persistCollection(collection: string): void {
    this.noticeForeignWrites();
    this.persist(this.cache.dirty({ collection }));
  }

  private persistDoc(collection: string, id: string): void {
    this.noticeForeignWrites();
    const entry = this.cache.peek(collection, id);
    if (entry && entry.persistedVersion < entry.v) this.persist([entry]);
  }

  /** Timer: write the rows of docs that have had no commit for `persistWhenIdleMs`. */
  private persistIdle(): void {
    if (this.closed || this.cache.dirtyCount === 0) return;
    try {
      this.noticeForeignWrites();
    } catch (err) {
      process.emitWarning(toStorageError(err, 'checking for other writers'));
      return;
    }
    const idle = this.cache.dirty({ changedBefore: Date.now() - this.persistWhenIdleMs });
    // Nothing is lost on failure (the ops are stored); the next tick tries again.
    this.persistOrWarn(idle.slice(0, MAX_IDLE_PERSISTS_PER_TICK), 'writing idle snapshots');
  }

  /**
   * Ops [from, min(to, current version)). Every op up to the current version must exist, since
   * ops are never deleted; a gap is an error rather than a silently shorter history.
   * `fromMemory` (the submit path, getOpsToSnapshot) serves the range from the doc's cached
   * recent ops when they cover it; history reads (getOps) always read, and check, the store.
   */
  private readOps(
    collection: string,
    id: string,
    from: unknown,
    to: unknown,
    includeMetadata: boolean,
    fromMemory = false,
  ): ShareDBOp[] {
    this.checkOpen();
    checkCollection(collection);
    checkDocId(id);
    const start = optionalVersion(from, 'from') ?? 0;
    const requestedEnd = optionalVersion(to, 'to');
    this.noticeForeignWrites();
    const current = this.currentVersion(collection, id);
    const end = requestedEnd === null ? current : Math.min(requestedEnd, current);
    if (end <= start) return [];
    if (fromMemory) {
      const cached = this.freshEntry(collection, id, false);
      if (cached && end <= cached.v && start >= cached.v - cached.recentOps.length) {
        const first = start - (cached.v - cached.recentOps.length);
        this.counters.recentOpsHits++;
        return cached.recentOps.slice(first, first + end - start).map((text) => parseOp(text, includeMetadata));
      }
    }
    return this.readOpRange(collection, id, start, end, includeMetadata);
  }

  /** The doc's current version, from the cache when it is current there. */
  private currentVersion(collection: string, id: string): number {
    return this.freshEntry(collection, id, false)?.v ?? this.storedVersion(collection, id);
  }

  /** Ops [start, end) from SQLite, which must all exist. */
  private readOpRange(collection: string, id: string, start: number, end: number, includeMetadata: boolean): ShareDBOp[] {
    const rows = this.statements.selectOps.all(collection, id, start, end);
    if (rows.length !== end - start) {
      throw new StorageError(
        StorageErrorCode.MissingOps,
        `Ops ${start}..${end - 1} of this document are incomplete in the store (found ${rows.length}).`,
      );
    }
    return rows.map((row) => parseOp(row.op, includeMetadata));
  }

  private compileFor(collection: string, query: unknown): CompiledQuery {
    this.checkOpen();
    checkCollection(collection);
    return compileQuery(query);
  }

  private runQuery<Row>(columns: string, collection: string, compiled: CompiledQuery): Row[] {
    const sql =
      `SELECT ${columns} FROM snapshots WHERE collection = ? AND doc_type IS NOT NULL AND ${compiled.where} ` +
      `ORDER BY ${compiled.orderBy} LIMIT ? OFFSET ?`;
    return this.cachedStatement(sql).all(
      collection,
      ...compiled.whereParams,
      ...compiled.orderParams,
      compiled.limit,
      compiled.offset,
    ) as Row[];
  }

  /** Prepared statement for a query shape, kept in a small LRU keyed by its SQL text. */
  private cachedStatement(sql: string): Database.Statement<unknown[], unknown> {
    let statement = this.queryStatements.get(sql);
    if (statement) {
      this.queryStatements.delete(sql);
    } else {
      statement = this.db.prepare<unknown[], unknown>(sql);
      if (this.queryStatements.size >= MAX_CACHED_QUERY_STATEMENTS) {
        const oldest = this.queryStatements.keys().next().value;
        if (oldest !== undefined) this.queryStatements.delete(oldest);
      }
    }
    this.queryStatements.set(sql, statement);
    // pluck() is sticky on a statement; reset it so every caller starts from full rows.
    return statement.pluck(false);
  }
}

/**
 * getCommittedOpVersion's lookup: (collection, doc_id, src, seq, before). It searches the primary
 * key, newest first, so a client resending what it sent just before a crash is found at once
 * (tests/contract/sqlite-store.test.ts checks the plan).
 */
export const SELECT_COMMITTED_VERSION_SQL =
  'SELECT version FROM ops WHERE collection = ? AND doc_id = ? AND src = ? AND seq = ? AND version < ? ' +
  'ORDER BY version DESC LIMIT 1';

function prepareStatements(db: Database.Database) {
  return {
    dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
    // Reads `version` only, which sits before `data` in the row, so SQLite does not touch the
    // row's overflow pages; the newest op is the last entry of the primary key for the doc.
    selectHead: db.prepare<[string, string, string, string], HeadRow>(
      'SELECT (SELECT version FROM snapshots WHERE collection = ? AND doc_id = ?) AS stored, ' +
        '(SELECT version FROM ops WHERE collection = ? AND doc_id = ? ORDER BY version DESC LIMIT 1) AS lastOp',
    ),
    selectLastOpVersion: db
      .prepare<[string, string], number>(
        'SELECT version FROM ops WHERE collection = ? AND doc_id = ? ORDER BY version DESC LIMIT 1',
      )
      .pluck(),
    selectSnapshot: db.prepare<[string, string], SnapshotRow>(
      `SELECT ${SNAPSHOT_COLUMNS} FROM snapshots WHERE collection = ? AND doc_id = ?`,
    ),
    selectOps: db.prepare<[string, string, number, number], OpRow>(
      'SELECT version, op FROM ops WHERE collection = ? AND doc_id = ? AND version >= ? AND version < ? ' +
        'ORDER BY version',
    ),
    selectCommittedVersion: db.prepare<[string, string, string, number, number], number>(SELECT_COMMITTED_VERSION_SQL).pluck(),
    insertOp: db.prepare<[string, string, number, string | null, number | null, string]>(
      'INSERT INTO ops (collection, doc_id, version, src, seq, op) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    upsertSnapshot: db.prepare<[string, string, string | null, number, string | null, string | null]>(
      'INSERT INTO snapshots (collection, doc_id, doc_type, version, data, metadata) VALUES (?, ?, ?, ?, ?, ?) ' +
        'ON CONFLICT (collection, doc_id) DO UPDATE SET doc_type = excluded.doc_type, version = excluded.version, ' +
        'data = excluded.data, metadata = excluded.metadata WHERE excluded.version > snapshots.version',
    ),
  };
}

/** A stored op, as a fresh object the caller may mutate (ShareDB deletes `m` from ops it transforms against). */
function parseOp(text: string, includeMetadata: boolean): ShareDBOp {
  const op = JSON.parse(text) as ShareDBOp;
  if (!includeMetadata) delete op.m;
  return op;
}

/** Rough per-doc cost of an entry beyond its data: the entry object, its key and Map slot. */
const CACHE_ENTRY_OVERHEAD_BYTES = 256;

/**
 * A snapshot ShareDB may mutate, from a cache entry: data and m are copied (free for a text
 * doc, whose data is a string). Deleted docs keep their version; their type is null, data undefined.
 */
function snapshotCopy(id: string, entry: CachedSnapshot | undefined, includeMetadata: boolean): Snapshot {
  if (!entry) return { id, v: 0, type: null, data: undefined, m: null };
  return {
    id,
    v: entry.v,
    type: entry.type,
    data: entry.type === null ? undefined : copyJson(entry.data),
    m: includeMetadata && entry.m !== null ? (copyJson(entry.m) as Snapshot['m']) : null,
  };
}

/**
 * Whether a commit may leave its snapshot row behind: only edits of a type this process can
 * replay. Creates and deletes always write the row (they are rare, and a create's snapshot is
 * whatever the caller passed, which ShareDB's conformance suite does not derive from the op).
 */
function isReplayableEdit(op: ShareDBOp, type: string | null): boolean {
  return !op.create && !op.del && 'op' in op && canReplay(type);
}

/** Row → ShareDB snapshot. Deleted docs keep their version; their type is null and data undefined. */
function toSnapshot(id: string, row: SnapshotRow | undefined, includeMetadata: boolean): Snapshot {
  if (!row) return { id, v: 0, type: null, data: undefined, m: null };
  return {
    id,
    v: row.version,
    type: row.doc_type,
    data: row.doc_type === null || row.data === null ? undefined : (JSON.parse(row.data) as unknown),
    m: includeMetadata && row.metadata !== null ? (JSON.parse(row.metadata) as Snapshot['m']) : null,
  };
}

function wantsMetadata(fields: ProjectionFields, options: ReadOptions): boolean {
  return fields?.$submit === true || options?.metadata === true;
}

function versionOf(snapshot: number | Pick<Snapshot, 'v'>): number {
  const version = typeof snapshot === 'number' ? snapshot : snapshot?.v;
  checkVersion(version, 'snapshot.v');
  return version;
}
