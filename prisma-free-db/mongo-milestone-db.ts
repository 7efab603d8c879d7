import ShareDB from 'sharedb';
import type { Collection, Db, Document, Sort } from 'mongodb';
import { checkCollection, checkDocId, checkVersion, invalidArgument, nullableVersion } from './argument-checks';
import type { CloseCallback, MilestoneCallback, Snapshot } from './sharedb-shapes';
import { StorageError, StorageErrorCode, toStorageError } from './storage-error';

/** Options of {@link MongoMilestoneDB}. */
export interface MongoMilestoneDBOptions {
  /** The database (of the client shared with sharedb-mongo). The client's write concern applies. */
  db: Db;
  /** Save a milestone every `interval` versions (read by ShareDB's SubmitRequest). */
  interval?: number;
}

/** Which milestone to read: the first match of `filter` in `sort` order. */
interface FindPlan {
  filter: Document;
  sort: Sort;
}

/** One stored milestone: the snapshot plus the doc id `d`. */
interface MilestoneDocument {
  d: string;
  v: number;
  type: string | null;
  data?: unknown;
  m: Snapshot['m'];
}

/** Milestones of collection `c` live in `m_c`, next to sharedb-mongo's `c` and `o_c`. */
export function milestoneCollectionName(collection: string): string {
  return `m_${collection}`;
}

const DUPLICATE_KEY = 11000;

/**
 * ShareDB milestone snapshots in MongoDB, one `m_<collection>` collection per ShareDB
 * collection, indexed on (d, v) (unique: one milestone per version) and (d, m.mtime).
 * Same semantics as SqliteMilestoneDB, so history behaves identically on both stores.
 * It does not own the MongoClient: closing it only stops further calls.
 */
export class MongoMilestoneDB extends ShareDB.MilestoneDB {
  /** Read by ShareDB's SubmitRequest: save a milestone when `snapshot.v % interval === 0`. */
  interval: number | undefined;

  private closed = false;
  private readonly db: Db;
  /** Reads and saves not yet called back; close() waits for them. */
  private readonly inflight = new Set<Promise<void>>();
  /** Index creation per collection, started once and shared by concurrent saves. */
  private readonly indexed = new Map<string, Promise<void>>();

  constructor(options: MongoMilestoneDBOptions) {
    super();
    if (options.interval !== undefined && (!Number.isSafeInteger(options.interval) || options.interval < 1)) {
      throw invalidArgument('milestone interval must be a positive integer');
    }
    this.interval = options.interval;
    this.db = options.db;
  }

  /**
   * Create the milestone indexes of `collection` (idempotent). The store calls this at start-up
   * for known collections so the first history request is not slowed down by index builds;
   * saves call it lazily for any other collection.
   */
  ensureIndexes(collection: string): Promise<void> {
    checkMongoCollection(collection);
    let pending = this.indexed.get(collection);
    if (!pending) {
      const milestones = this.collection(collection);
      pending = Promise.all([
        milestones.createIndex({ d: 1, v: 1 }, { unique: true }),
        milestones.createIndex({ d: 1, 'm.mtime': 1 }),
      ]).then(() => undefined);
      // A failed build is retried by the next save instead of being remembered forever.
      pending.catch(() => this.indexed.delete(collection));
      this.indexed.set(collection, pending);
    }
    return pending;
  }

  /** Upsert `snapshot` as the milestone of its version. Without a callback, emits `save`/`error`. */
  override saveMilestoneSnapshot(collection: string, snapshot: Snapshot, callback?: CloseCallback): void {
    this.settle(
      'saving a milestone snapshot',
      async () => {
        this.checkOpen();
        checkMongoCollection(collection);
        if (snapshot === null || typeof snapshot !== 'object') throw invalidArgument('snapshot must be an object');
        checkDocId(snapshot.id);
        checkVersion(snapshot.v, 'snapshot.v');
        const doc: MilestoneDocument = {
          d: snapshot.id,
          v: snapshot.v,
          type: snapshot.type ?? null,
          m: snapshot.m ?? null,
        };
        if (doc.type !== null && snapshot.data !== undefined) doc.data = snapshot.data;
        await this.ensureIndexes(collection);
        try {
          await this.collection(collection).replaceOne({ d: doc.d, v: doc.v }, doc, { upsert: true });
        } catch (err) {
          // Two upserts of the same new (d, v) raced; the other one stored this same version.
          if ((err as { code?: unknown }).code !== DUPLICATE_KEY) throw err;
        }
      },
      (err) => {
        if (callback) return err ? callback(err) : callback();
        if (err) this.emitError(err);
        else this.emit('save', collection, snapshot);
      },
    );
  }

  /** The milestone with the highest version <= `version` (any version when null), or undefined. */
  override getMilestoneSnapshot(
    collection: string,
    id: string,
    version: number | null,
    callback: MilestoneCallback,
  ): void {
    this.find(callback, collection, id, (): FindPlan => {
      const upTo = nullableVersion(version, 'version');
      return { filter: upTo === null ? { d: id } : { d: id, v: { $lte: upTo } }, sort: { v: -1 } };
    });
  }

  /** The latest milestone with `m.mtime` <= `timestamp`; the first milestone when null. */
  override getMilestoneSnapshotAtOrBeforeTime(
    collection: string,
    id: string,
    timestamp: number | null,
    callback: MilestoneCallback,
  ): void {
    this.find(callback, collection, id, (): FindPlan => {
      const time = nullableVersion(timestamp, 'timestamp');
      return time === null
        ? { filter: { d: id }, sort: { v: 1 } }
        : { filter: { d: id, 'm.mtime': { $lte: time } }, sort: { 'm.mtime': -1, v: -1 } };
    });
  }

  /** The earliest milestone with `m.mtime` >= `timestamp`; the latest milestone when null. */
  override getMilestoneSnapshotAtOrAfterTime(
    collection: string,
    id: string,
    timestamp: number | null,
    callback: MilestoneCallback,
  ): void {
    this.find(callback, collection, id, (): FindPlan => {
      const time = nullableVersion(timestamp, 'timestamp');
      return time === null
        ? { filter: { d: id }, sort: { v: -1 } }
        : { filter: { d: id, 'm.mtime': { $gte: time } }, sort: { 'm.mtime': 1, v: 1 } };
    });
  }

  /**
   * Stops further calls and calls back once in-flight work has finished, so a graceful shutdown
   * does not cut off the milestone ShareDB just asked for. The MongoClient belongs to the store.
   */
  override close(callback?: CloseCallback): void {
    this.closed = true;
    void Promise.allSettled([...this.inflight]).then(() => {
      if (callback) process.nextTick(() => callback());
    });
  }

  private find(
    callback: MilestoneCallback,
    collection: string,
    id: string,
    plan: () => FindPlan,
  ): void {
    this.settle(
      'reading a milestone snapshot',
      async () => {
        this.checkOpen();
        checkMongoCollection(collection);
        checkDocId(id);
        const { filter, sort } = plan();
        const doc = await this.collection(collection).findOne(filter, { sort, projection: { _id: 0 } });
        return doc ? toSnapshot(doc) : undefined;
      },
      (err, snapshot) => {
        if (typeof callback === 'function') return err ? callback(err) : callback(null, snapshot);
        if (err) this.emitError(err);
      },
    );
  }

  private collection(collection: string): Collection<MilestoneDocument> {
    return this.db.collection<MilestoneDocument>(milestoneCollectionName(collection));
  }

  /** Runs async work and reports on a later tick; never throws into ShareDB. */
  private settle<T>(
    action: string,
    work: () => Promise<T>,
    done: (err: StorageError | null, result?: T) => void,
  ): void {
    // Report from a fresh tick, outside the promise chain: a callback that throws must surface
    // as an exception, not as an unhandled rejection carrying ShareDB's state.
    const running = work().then(
      (result) => process.nextTick(done, null, result),
      (err: unknown) => process.nextTick(done, toStorageError(err, action)),
    );
    this.inflight.add(running);
    void running.finally(() => this.inflight.delete(running));
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

/** MongoDB collection names may not contain '$' or start with 'system.'. */
function checkMongoCollection(collection: unknown): asserts collection is string {
  checkCollection(collection);
  if (collection.includes('$') || collection.startsWith('system.')) {
    throw invalidArgument('collection name is not allowed in MongoDB');
  }
}

function toSnapshot(doc: MilestoneDocument): Snapshot {
  const type = doc.type ?? null;
  return { id: doc.d, v: doc.v, type, data: type === null ? undefined : doc.data, m: doc.m ?? null };
}
