import ShareDB from 'sharedb';
import type Database from 'better-sqlite3';
import { checkCollection, checkDocId, checkVersion, invalidArgument, nullableVersion } from './argument-checks';
import { settleLater } from './settle-later';
import type { CloseCallback, MilestoneCallback, Snapshot } from './sharedb-shapes';
import { SqliteConnection, type SqliteConnectionOptions } from './sqlite-connection';
import { StorageError, StorageErrorCode, toStorageError } from './storage-error';

/** Share the SqliteDB's connection (the normal case) or open a file of its own. */
export type SqliteMilestoneDBOptions = (SqliteConnectionOptions | { connection: SqliteConnection }) & {
  /**
   * Save a milestone every `interval` versions of a doc. ShareDB's SubmitRequest reads it from
   * the milestone DB; leave it unset to save milestones only when middleware asks for one.
   */
  interval?: number;
};

interface MilestoneRow {
  doc_id: string;
  version: number;
  doc_type: string | null;
  data: string | null;
  metadata: string | null;
}

const MILESTONE_COLUMNS = 'doc_id, version, doc_type, data, metadata';

/**
 * ShareDB milestone snapshots in the `milestones` table of the Tandem SQLite file. Milestones
 * let ShareDB rebuild an old version (history view) from the nearest milestone instead of
 * replaying every op since creation. Saving one is idempotent per (doc, version).
 */
export class SqliteMilestoneDB extends ShareDB.MilestoneDB {
  /** Read by ShareDB's SubmitRequest: save a milestone when `snapshot.v % interval === 0`. */
  interval: number | undefined;
  /** The SQLite file this milestone DB uses. */
  readonly connection: SqliteConnection;

  private closed = false;
  private readonly statements: ReturnType<typeof prepareStatements>;

  /** Opens (or shares) the file synchronously; throws a StorageError if it cannot. */
  constructor(options: SqliteMilestoneDBOptions) {
    super();
    if (options.interval !== undefined && (!Number.isSafeInteger(options.interval) || options.interval < 1)) {
      throw invalidArgument('milestone interval must be a positive integer');
    }
    this.interval = options.interval;
    this.connection = 'connection' in options ? options.connection : SqliteConnection.open(options);
    this.connection.retain();
    this.statements = prepareStatements(this.connection.database);
  }

  /**
   * Store `snapshot` as the milestone of its version. Without a callback, emits `save` on
   * success and `error` on failure (ShareDB saves milestones fire-and-forget after commits).
   */
  override saveMilestoneSnapshot(collection: string, snapshot: Snapshot, callback?: CloseCallback): void {
    settleLater(
      'saving a milestone snapshot',
      () => {
        this.checkOpen();
        checkCollection(collection);
        if (snapshot === null || typeof snapshot !== 'object') throw invalidArgument('snapshot must be an object');
        checkDocId(snapshot.id);
        checkVersion(snapshot.v, 'snapshot.v');
        const version = snapshot.v;
        const type = snapshot.type ?? null;
        const mtime = snapshot.m?.mtime;
        this.statements.upsert.run(
          collection,
          snapshot.id,
          version,
          type,
          type === null ? null : (JSON.stringify(snapshot.data) ?? null),
          snapshot.m == null ? null : JSON.stringify(snapshot.m),
          typeof mtime === 'number' && Number.isFinite(mtime) ? Math.trunc(mtime) : null,
        );
      },
      (err) => {
        if (callback) return err ? callback(err) : callback();
        if (err) this.emitError(err);
        else this.emit('save', collection, snapshot);
      },
    );
  }

  /** Versions that have a milestone, ascending. */
  versions(collection: string, id: string): number[] {
    this.checkOpen();
    checkCollection(collection);
    checkDocId(id);
    return this.connection.database
      .prepare('SELECT version FROM milestones WHERE collection = ? AND doc_id = ? ORDER BY version')
      .pluck()
      .all(collection, id) as number[];
  }

  /** The milestone with the highest version <= `version` (any version when null), or undefined. */
  override getMilestoneSnapshot(
    collection: string,
    id: string,
    version: number | null,
    callback: MilestoneCallback,
  ): void {
    this.find(callback, collection, id, () => {
      const upTo = nullableVersion(version, 'version');
      return upTo === null
        ? this.statements.latest.get(collection, id)
        : this.statements.atOrBeforeVersion.get(collection, id, upTo);
    });
  }

  /**
   * The latest milestone saved at or before `timestamp` (ms, by `m.mtime`), or undefined. A null
   * timestamp means "the beginning of time" and returns the first milestone, as in ShareDB's
   * MemoryMilestoneDB. Milestones without an mtime never match a timestamp.
   */
  override getMilestoneSnapshotAtOrBeforeTime(
    collection: string,
    id: string,
    timestamp: number | null,
    callback: MilestoneCallback,
  ): void {
    this.find(callback, collection, id, () => {
      const time = nullableVersion(timestamp, 'timestamp');
      return time === null
        ? this.statements.first.get(collection, id)
        : this.statements.atOrBeforeTime.get(collection, id, time);
    });
  }

  /**
   * The earliest milestone saved at or after `timestamp` (by `m.mtime`), or undefined. A null
   * timestamp means "the end of time" and returns the latest milestone.
   */
  override getMilestoneSnapshotAtOrAfterTime(
    collection: string,
    id: string,
    timestamp: number | null,
    callback: MilestoneCallback,
  ): void {
    this.find(callback, collection, id, () => {
      const time = nullableVersion(timestamp, 'timestamp');
      return time === null
        ? this.statements.latest.get(collection, id)
        : this.statements.atOrAfterTime.get(collection, id, time);
    });
  }

  /** Release the SQLite file (closed once the SqliteDB sharing it is closed too). Idempotent. */
  override close(callback?: CloseCallback): void {
    let error: StorageError | undefined;
    if (!this.closed) {
      this.closed = true;
      try {
        this.connection.release();
      } catch (err) {
        error = toStorageError(err, 'closing the database');
      }
    }
    if (callback) process.nextTick(() => (error ? callback(error) : callback()));
  }

  private find(
    callback: MilestoneCallback,
    collection: string,
    id: string,
    select: () => MilestoneRow | undefined,
  ): void {
    settleLater(
      'reading a milestone snapshot',
      () => {
        this.checkOpen();
        checkCollection(collection);
        checkDocId(id);
        const row = select();
        return row ? toSnapshot(row) : undefined;
      },
      (err, snapshot) => {
        // ShareDB's base class emits when there is no callback; keep that contract.
        if (typeof callback === 'function') return err ? callback(err) : callback(null, snapshot);
        if (err) this.emitError(err);
      },
    );
  }

  /**
   * ShareDB saves milestones fire-and-forget and never listens for `error`, so an unheard
   * `error` event would crash the process over a milestone, which is only a cache of what the
   * ops already hold. Without a listener the failure becomes a process warning instead.
   */
  private emitError(err: StorageError): void {
    if (this.listenerCount('error') === 0) {
      process.emitWarning(`Milestone snapshot operation failed: ${err.message}`, { code: err.code });
      return;
    }
    // @types/sharedb types the payload as `{code: number}`; ShareDB error codes are strings.
    (this.emit as (event: 'error', error: Error) => boolean).call(this, 'error', err);
  }

  private checkOpen(): void {
    if (this.closed) throw new StorageError(StorageErrorCode.Closed, 'The store is closed.');
  }
}

function prepareStatements(db: Database.Database) {
  const select = (where: string, order: string) =>
    db.prepare<unknown[], MilestoneRow>(
      `SELECT ${MILESTONE_COLUMNS} FROM milestones WHERE collection = ? AND doc_id = ? ${where} ` +
        `ORDER BY ${order} LIMIT 1`,
    );
  return {
    upsert: db.prepare<[string, string, number, string | null, string | null, string | null, number | null]>(
      'INSERT INTO milestones (collection, doc_id, version, doc_type, data, metadata, mtime) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?) ' +
        'ON CONFLICT (collection, doc_id, version) DO UPDATE SET doc_type = excluded.doc_type, data = excluded.data, ' +
        'metadata = excluded.metadata, mtime = excluded.mtime',
    ),
    latest: select('', 'version DESC'),
    first: select('', 'version ASC'),
    atOrBeforeVersion: select('AND version <= ?', 'version DESC'),
    // Ordered by time first, then version, exactly like MongoMilestoneDB, so both stores pick
    // the same milestone even if clocks went backwards between saves.
    atOrBeforeTime: select('AND mtime <= ?', 'mtime DESC, version DESC'),
    atOrAfterTime: select('AND mtime >= ?', 'mtime ASC, version ASC'),
  };
}

function toSnapshot(row: MilestoneRow): Snapshot {
  return {
    id: row.doc_id,
    v: row.version,
    type: row.doc_type,
    data: row.doc_type === null || row.data === null ? undefined : (JSON.parse(row.data) as unknown),
    m: row.metadata === null ? null : (JSON.parse(row.metadata) as Snapshot['m']),
  };
}
