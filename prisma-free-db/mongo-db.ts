import { MongoClient, type Db, type WriteConcernSettings } from 'mongodb';
import ShareDbMongo from 'sharedb-mongo';
import { milestoneCollectionName, MongoMilestoneDB } from './mongo-milestone-db';
import { StorageError, StorageErrorCode, toStorageError } from './storage-error';
import type { Store } from './store';

/**
 * Every write is acknowledged only once a majority of the replica set has it in its on-disk
 * journal (`journal` is the driver's current name for `j`), so an acknowledged keystroke
 * survives the primary crashing. `wtimeoutMS` turns a lost majority into an error instead of a
 * commit that never calls back; the client then resends, and ShareDB recognises the op if it
 * did land.
 */
export const MONGO_WRITE_CONCERN: Readonly<WriteConcernSettings> = { w: 'majority', journal: true, wtimeoutMS: 10_000 };

/** How long start-up waits for a server before failing with ERR_STORAGE_UNREACHABLE. */
export const DEFAULT_SERVER_SELECTION_TIMEOUT_MS = 10_000;

/** /readyz must answer quickly even when the server is gone. */
const PING_TIMEOUT_MS = 3_000;

/** Options of {@link createMongoStore}. */
export interface MongoStoreOptions {
  /** Save a milestone snapshot every N versions. Unset: only when middleware asks. */
  milestoneInterval?: number | undefined;
  /** Collections to index at start-up, in addition to those that already have ops. */
  collections?: readonly string[] | undefined;
  serverSelectionTimeoutMS?: number | undefined;
}

/** The MongoDB-backed store. */
export interface MongoStore extends Store {
  readonly kind: 'mongo';
  readonly milestoneDb: MongoMilestoneDB;
  /** Name of the database inside the deployment (from the URL). */
  readonly databaseName: string;
}

/**
 * Connect to MongoDB and build the store: sharedb-mongo for snapshots and ops (collections `c`
 * and `o_c`), MongoMilestoneDB for milestones (`m_c`), all on one MongoClient with
 * {@link MONGO_WRITE_CONCERN}.
 *
 * We connect first and hand sharedb-mongo the connected client: given a URL, sharedb-mongo
 * connects in its constructor and an unreachable server becomes an unhandled rejection that
 * kills the process. Here it is a StorageError(ERR_STORAGE_UNREACHABLE) from this function.
 *
 * sharedb-mongo creates its op indexes lazily, on a collection's first op request; we create
 * them (and the milestone indexes) here, before the first request, for `collections` and for
 * every collection that already has ops.
 */
export async function createMongoStore(url: string, options: MongoStoreOptions = {}): Promise<MongoStore> {
  const client = newClient(url, options.serverSelectionTimeoutMS ?? DEFAULT_SERVER_SELECTION_TIMEOUT_MS);
  try {
    await client.connect();
  } catch (err) {
    await client.close().catch(() => undefined);
    throw new StorageError(
      StorageErrorCode.Unreachable,
      `MongoDB at ${redactUrl(url)} is unreachable: ${redactUrl(err instanceof Error ? err.message : String(err))}`,
      { cause: err },
    );
  }

  try {
    const mongo = client.db();
    const milestoneDb = new MongoMilestoneDB({ db: mongo, interval: options.milestoneInterval });
    const db = new ShareDbMongo((callback) => callback(null, client));
    reserveMilestoneCollections(db);
    const indexed = await ensureIndexes(mongo, db, milestoneDb, options.collections ?? []);
    // Tell sharedb-mongo these op collections are done, so it does not re-issue createIndex.
    for (const collection of indexed) db.opIndexes[collection] = true;

    let closed = false;
    let closing: Promise<void> | undefined;
    return {
      kind: 'mongo',
      db,
      milestoneDb,
      databaseName: mongo.databaseName,
      ping: async () => {
        if (closed) throw new StorageError(StorageErrorCode.Closed, 'The store is closed.');
        try {
          await withTimeout(client.db('admin').command({ ping: 1 }), PING_TIMEOUT_MS);
        } catch (err) {
          throw new StorageError(
            StorageErrorCode.Unreachable,
            `MongoDB at ${redactUrl(url)} did not answer a ping.`,
            { cause: err },
          );
        }
      },
      purgeDocs: async (collection, which) => {
        if (closed) throw new StorageError(StorageErrorCode.Closed, 'The store is closed.');
        try {
          const match: { $in: string[] } | { $regex: RegExp } =
            'ids' in which ? { $in: [...which.ids] } : { $regex: new RegExp(`^${escapeRegExp(which.idPrefix)}`) };
          const [snapshots] = await Promise.all([
            mongo.collection<{ _id: string }>(collection).deleteMany({ _id: match }),
            mongo.collection(db.getOplogCollectionName(collection)).deleteMany({ d: match }),
            mongo.collection(milestoneCollectionName(collection)).deleteMany({ d: match }),
          ]);
          return snapshots.deletedCount;
        } catch (err) {
          throw toStorageError(err, 'erasing documents');
        }
      },
      scrubOpAuthor: async (authorId, replacement) => {
        if (closed) throw new StorageError(StorageErrorCode.Closed, 'The store is closed.');
        try {
          const names = (await mongo.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).filter((n) => n.startsWith('o_'));
          let changed = 0;
          for (const name of names) {
            changed += (await mongo.collection(name).updateMany({ 'm.author': authorId }, { $set: { 'm.author': replacement } })).modifiedCount;
          }
          return changed;
        } catch (err) {
          throw toStorageError(err, 'removing an author from the op log');
        }
      },
      firstOpVersion: async (collection, id) => {
        const first = await mongo
          .collection<{ d: string; v: number }>(db.getOplogCollectionName(collection))
          .find({ d: id }, { projection: { v: 1 }, sort: { v: 1 }, limit: 1 })
          .toArray();
        if (first[0]) return first[0].v;
        const snapshot = await mongo.collection<{ _id: string; _v?: number }>(collection).findOne({ _id: id }, { projection: { _v: 1 } });
        return snapshot?._v ?? 0;
      },
      deleteOpsBefore: async (collection, id, version) => {
        // sharedb-mongo's snapshot is always current (it is written with each op), so every op
        // below `version` can go.
        try {
          await mongo.collection(db.getOplogCollectionName(collection)).deleteMany({ d: id, v: { $lt: version } });
        } catch (err) {
          throw toStorageError(err, 'compacting ops');
        }
        const first = await mongo
          .collection<{ d: string; v: number }>(db.getOplogCollectionName(collection))
          .find({ d: id }, { projection: { v: 1 }, sort: { v: 1 }, limit: 1 })
          .toArray();
        return first[0]?.v ?? version;
      },
      milestoneVersions: async (collection, id) =>
        (
          await mongo
            .collection<{ d: string; v: number }>(milestoneCollectionName(collection))
            .find({ d: id }, { projection: { v: 1 }, sort: { v: 1 } })
            .toArray()
        ).map((m) => m.v),
      close: () => {
        closing ??= (async () => {
          closed = true;
          await new Promise<void>((resolve) => milestoneDb.close(() => resolve()));
          try {
            // sharedb-mongo closes the client it was given.
            await new Promise<void>((resolve, reject) => db.close((err) => (err ? reject(err) : resolve())));
          } finally {
            await client.close();
          }
        })();
        return closing;
      },
    };
  } catch (err) {
    await client.close().catch(() => undefined);
    throw toStorageError(err, 'preparing MongoDB indexes');
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Delete the whole database named in `url`.
 * WARNING: irreversible. For throwaway test databases (the contract suites) only.
 */
export async function dropMongoDatabase(url: string): Promise<void> {
  const client = newClient(url, DEFAULT_SERVER_SELECTION_TIMEOUT_MS);
  try {
    await client.connect();
    await client.db().dropDatabase();
  } catch (err) {
    throw toStorageError(err, 'dropping a MongoDB database');
  } finally {
    await client.close().catch(() => undefined);
  }
}

function newClient(url: string, serverSelectionTimeoutMS: number): MongoClient {
  try {
    // Options given here override the same options in the URL: the write concern is not negotiable.
    return new MongoClient(url, { writeConcern: MONGO_WRITE_CONCERN, serverSelectionTimeoutMS, appName: 'tandem' });
  } catch (err) {
    throw new StorageError(
      StorageErrorCode.OpenFailed,
      `Invalid MongoDB URL ${redactUrl(url)}: ${redactUrl(err instanceof Error ? err.message : String(err))}`,
      { cause: err },
    );
  }
}

/** Op indexes exactly as sharedb-mongo defines them (same keys, names and options), plus milestones. */
async function ensureIndexes(
  mongo: Db,
  db: ShareDbMongo.Instance,
  milestoneDb: MongoMilestoneDB,
  collections: readonly string[],
): Promise<string[]> {
  const names = new Set<string>();
  for (const collection of collections) {
    const invalid = db.validateCollectionName(collection);
    if (invalid) throw new StorageError(StorageErrorCode.InvalidArgument, invalid.message);
    names.add(collection);
  }
  const existing = await mongo.listCollections({}, { nameOnly: true }).toArray();
  for (const { name } of existing) {
    if (name.startsWith('o_') && name.length > 2) names.add(name.slice(2));
  }
  await Promise.all(
    [...names].map(async (collection) => {
      const ops = mongo.collection(db.getOplogCollectionName(collection));
      // Byte-for-byte sharedb-mongo's own specs (background is a no-op on MongoDB >= 4.2), so an
      // index it already built is found, not reported as "exists with different options".
      await Promise.all([
        ops.createIndex({ d: 1, v: 1 }, { background: true }),
        ops.createIndex({ src: 1, seq: 1, v: 1 }, { background: true }),
        milestoneDb.ensureIndexes(collection),
      ]);
    }),
  );
  return [...names];
}

/**
 * sharedb-mongo refuses ShareDB collections named `o_*` (its op logs); `m_*` holds our
 * milestones, so a ShareDB collection `m_files` would mix with the milestones of `files`.
 * Its validator is documented as overridable; extend it instead of hoping nobody picks the name.
 */
function reserveMilestoneCollections(db: ShareDbMongo.Instance): void {
  const validate = db.validateCollectionName.bind(db);
  db.validateCollectionName = (collection) =>
    typeof collection === 'string' && collection.startsWith('m_')
      ? { code: 4102, message: `Invalid collection name ${collection} (m_ is reserved for milestones)` }
      : validate(collection);
}

/** Never log or return credentials embedded in a connection string (also inside driver messages). */
function redactUrl(text: string): string {
  return text.replace(/(mongodb(?:\+srv)?:\/\/)[^@/\s]*@/g, '$1***@');
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
