import ShareDB from 'sharedb';
import type Database from 'better-sqlite3';
import { checkCollection, checkDocId, checkVersion, invalidArgument, optionalVersion } from './argument-checks';
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
  VersionMap,
} from './sharedb-shapes';
import { SqliteConnection, type SqliteConnectionOptions } from './sqlite-connection';
import { compileQuery, type CompiledQuery } from './sqlite-query';
import { StorageError, StorageErrorCode, toStorageError } from './storage-error';

/** Open a file of its own, or share a connection with a SqliteMilestoneDB. */
export type SqliteDBOptions = (SqliteConnectionOptions | { connection: SqliteConnection }) & {
  /** Minimum ms between re-runs of one subscribed query (ShareDB's QueryEmitter reads it). */
  pollDebounce?: number;
};

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

interface CommitRow {
  collection: string;
  id: string;
  opVersion: number;
  src: string | null;
  seq: number | null;
  op: string;
  type: string | null;
  version: number;
  data: string | null;
  metadata: string | null;
}

/** Distinct query shapes kept prepared; client queries differ in values far more than in shape. */
const MAX_CACHED_QUERY_STATEMENTS = 64;

const SNAPSHOT_COLUMNS = 'doc_id, doc_type, version, data, metadata';

/**
 * ShareDB database adapter backed by one SQLite file (better-sqlite3, WAL mode).
 *
 * Durability: `commit` writes the op and the new snapshot in ONE immediate transaction, after
 * checking that the stored version is exactly `snapshot.v - 1`; a concurrent commit that lost
 * the race gets `false` and nothing of it is stored, so ShareDB transforms and retries it.
 * Ops are kept forever (history is a feature; see `getCommittedOpVersion` for why it matters).
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
  private readonly commitTransaction: Database.Transaction<(row: CommitRow) => boolean>;
  private readonly queryStatements = new Map<string, Database.Statement<unknown[], unknown>>();

  /** Opens (or shares) the file synchronously; throws a StorageError if it cannot. */
  constructor(options: SqliteDBOptions) {
    super();
    this.pollDebounce = options.pollDebounce;
    this.pollInterval = undefined;
    this.connection = 'connection' in options ? options.connection : SqliteConnection.open(options);
    this.connection.retain();
    this.db = this.connection.database;
    const statements = prepareStatements(this.db);
    this.statements = statements;
    this.commitTransaction = this.db.transaction((row: CommitRow): boolean => {
      const stored = statements.selectVersion.get(row.collection, row.id) ?? 0;
      if (stored !== row.opVersion) return false;
      statements.insertOp.run(row.collection, row.id, row.opVersion, row.src, row.seq, row.op);
      statements.upsertSnapshot.run(row.collection, row.id, row.type, row.version, row.data, row.metadata);
      return true;
    });
  }

  /**
   * Persist `op` at version `op.v` and `snapshot` (version `op.v + 1`) atomically, if and only if
   * the stored version is still `op.v`. Calls back `(null, true)` on success, `(null, false)`
   * when another commit got there first (nothing is written), or `(err)`.
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
    settleLater(
      'committing an op',
      // IMMEDIATE takes the write lock before reading the version, so no other connection can
      // commit between our check and our write.
      () => this.commitTransaction.immediate(this.commitRow(collection, id, op, snapshot)),
      callback,
    );
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
        const row = this.statements.selectSnapshot.get(collection, id);
        return toSnapshot(id, row, wantsMetadata(fields, options));
      },
      callback,
    );
  }

  /** Snapshots of many docs of one collection in one statement; missing docs come back as v0. */
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
        const rows = this.statements.selectSnapshots.all(collection, JSON.stringify(ids));
        const byId = new Map(rows.map((row) => [row.doc_id, row]));
        const includeMetadata = wantsMetadata(fields, options);
        const result: SnapshotMap = Object.create(null) as SnapshotMap;
        for (const id of ids) result[id] = toSnapshot(id, byId.get(id), includeMetadata);
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
      () => this.readOps(collection, id, from, versionOf(snapshot), options?.metadata === true),
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
   * match (the base class would match two src-less ops with each other).
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
   * Release the SQLite file (closed and WAL-checkpointed once the milestone DB sharing it is
   * closed too). Idempotent; later calls on this adapter fail with ERR_STORAGE_CLOSED.
   */
  override close(callback?: CloseCallback): void {
    let error: StorageError | undefined;
    if (!this.closed) {
      this.closed = true;
      this.queryStatements.clear();
      try {
        this.connection.release();
      } catch (err) {
        error = toStorageError(err, 'closing the database');
      }
    }
    if (callback) process.nextTick(() => (error ? callback(error) : callback()));
  }

  /** Cheap health check for /readyz; throws a StorageError when closed or unreadable. */
  ping(): void {
    this.checkOpen();
    this.connection.ping();
  }

  private checkOpen(): void {
    if (this.closed) throw new StorageError(StorageErrorCode.Closed, 'The store is closed.');
  }

  private commitRow(collection: string, id: string, op: ShareDBOp, snapshot: CommitSnapshot): CommitRow {
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
      return {
        collection,
        id,
        opVersion: op.v,
        src: typeof op.src === 'string' ? op.src : null,
        seq: Number.isSafeInteger(op.seq) ? (op.seq as number) : null,
        op: JSON.stringify(op),
        type,
        version: snapshot.v,
        data: type === null ? null : (JSON.stringify(snapshot.data) ?? null),
        metadata: snapshot.m == null ? null : JSON.stringify(snapshot.m),
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
   * Ops [from, min(to, current version)). Every op up to the current version must exist, since
   * ops and snapshots are written in one transaction and never deleted; a gap is an error rather
   * than a silently shorter history.
   */
  private readOps(collection: string, id: string, from: unknown, to: unknown, includeMetadata: boolean): ShareDBOp[] {
    this.checkOpen();
    checkCollection(collection);
    checkDocId(id);
    const start = optionalVersion(from, 'from') ?? 0;
    const requestedEnd = optionalVersion(to, 'to');
    const current = this.statements.selectVersion.get(collection, id) ?? 0;
    const end = requestedEnd === null ? current : Math.min(requestedEnd, current);
    if (end <= start) return [];
    const rows = this.statements.selectOps.all(collection, id, start, end);
    if (rows.length !== end - start) {
      throw new StorageError(
        StorageErrorCode.MissingOps,
        `Ops ${start}..${end - 1} of this document are incomplete in the store (found ${rows.length}).`,
      );
    }
    return rows.map((row) => {
      const op = JSON.parse(row.op) as ShareDBOp;
      if (!includeMetadata) delete op.m;
      return op;
    });
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

function prepareStatements(db: Database.Database) {
  return {
    selectVersion: db
      .prepare<[string, string], number>('SELECT version FROM snapshots WHERE collection = ? AND doc_id = ?')
      .pluck(),
    selectSnapshot: db.prepare<[string, string], SnapshotRow>(
      `SELECT ${SNAPSHOT_COLUMNS} FROM snapshots WHERE collection = ? AND doc_id = ?`,
    ),
    selectSnapshots: db.prepare<[string, string], SnapshotRow>(
      `SELECT ${SNAPSHOT_COLUMNS} FROM snapshots WHERE collection = ? AND doc_id IN (SELECT value FROM json_each(?))`,
    ),
    selectOps: db.prepare<[string, string, number, number], OpRow>(
      'SELECT version, op FROM ops WHERE collection = ? AND doc_id = ? AND version >= ? AND version < ? ' +
        'ORDER BY version',
    ),
    selectCommittedVersion: db
      .prepare<[string, string, string, number, number], number>(
        'SELECT version FROM ops WHERE collection = ? AND doc_id = ? AND src = ? AND seq = ? AND version < ? ' +
          'ORDER BY version DESC LIMIT 1',
      )
      .pluck(),
    insertOp: db.prepare<[string, string, number, string | null, number | null, string]>(
      'INSERT INTO ops (collection, doc_id, version, src, seq, op) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    upsertSnapshot: db.prepare<[string, string, string | null, number, string | null, string | null]>(
      'INSERT INTO snapshots (collection, doc_id, doc_type, version, data, metadata) VALUES (?, ?, ?, ?, ?, ?) ' +
        'ON CONFLICT (collection, doc_id) DO UPDATE SET doc_type = excluded.doc_type, version = excluded.version, ' +
        'data = excluded.data, metadata = excluded.metadata',
    ),
  };
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
