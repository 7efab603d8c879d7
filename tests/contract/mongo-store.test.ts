import crypto from 'node:crypto';
import runDbConformanceSuite from 'sharedb/test/db';
import { createMongoStore, dropMongoDatabase, StorageErrorCode, type MongoStore } from '../../prisma-free-db';
import { toMongoStyleQuery } from './generic-query';
import { installMochaCompat } from './mocha-compat';
import { runStoreContract } from './store-contract';

/**
 * The MongoDB store (sharedb-mongo + MongoMilestoneDB) against ShareDB's conformance suites
 * and Tandem's storage contract. Needs a real server: set MONGODB_URL (a replica set, since
 * the store writes with w: 'majority'). Every test works in its own throwaway database.
 */

const MONGODB_URL = process.env['MONGODB_URL'];
const describeMongo = MONGODB_URL ? describe : describe.skip;

if (!MONGODB_URL) {
  console.log(
    'skipping MongoDB contract tests: MONGODB_URL is not set (no MongoDB server can be installed on CI machines)',
  );
}

installMochaCompat();

/** The same deployment, a fresh database name: mongodb://host/db?opts → mongodb://host/<name>?opts. */
function throwawayDatabaseUrl(url: string): string {
  const name = `tandem_contract_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  const match = /^(mongodb(?:\+srv)?:\/\/[^/?]+)(?:\/[^?]*)?(\?.*)?$/.exec(url);
  if (!match) throw new Error(`MONGODB_URL is not a mongodb:// URL: ${url.replace(/\/\/[^@/]*@/, '//***@')}`);
  return `${match[1]}/${name}${match[2] ?? ''}`;
}

describeMongo('MongoDB store', () => {
  const url = MONGODB_URL as string;
  const opened: MongoStore[] = [];
  const databases = new Set<string>();

  function freshUrl(): string {
    const dbUrl = throwawayDatabaseUrl(url);
    databases.add(dbUrl);
    return dbUrl;
  }

  /** Like sharedb-mongo's own test: one database, dropped before every test's store is created. */
  function emptyStore(dbUrl: string, milestoneInterval?: number): Promise<MongoStore> {
    return dropMongoDatabase(dbUrl)
      .then(() => createMongoStore(dbUrl, { milestoneInterval }))
      .then((store) => {
        opened.push(store);
        return store;
      });
  }

  afterAll(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close().catch(() => undefined)));
    for (const dbUrl of databases) await dropMongoDatabase(dbUrl);
  });

  describe('sharedb-mongo: sharedb/test/db conformance suite', () => {
    let dbUrl: string | undefined; // chosen on first use: describe bodies also run when skipped
    runDbConformanceSuite({
      create(callback) {
        dbUrl ??= freshUrl();
        emptyStore(dbUrl).then(
          (store) => callback(null, store.db),
          (err: Error) => callback(err),
        );
      },
      getQuery: toMongoStyleQuery,
    });
  });

  describe('MongoMilestoneDB: sharedb/test/milestone-db conformance suite', () => {
    // Required here, not imported: the module also registers sharedb's own base-class tests,
    // which the SQLite file already runs; here they belong under this (maybe skipped) block.
    const runMilestoneDbConformanceSuite: typeof import('sharedb/test/milestone-db') =
      require('sharedb/test/milestone-db');
    let dbUrl: string | undefined;
    runMilestoneDbConformanceSuite({
      create(options, callback) {
        const done = typeof options === 'function' ? options : callback;
        const interval = typeof options === 'object' && options ? options.interval : undefined;
        if (!done) throw new TypeError('create() needs a callback');
        dbUrl ??= freshUrl();
        emptyStore(dbUrl, interval).then(
          (store) => done(null, store.milestoneDb),
          (err: Error) => done(err),
        );
      },
    });
  });

  describe('storage contract', () => {
    runStoreContract({
      kind: 'mongo',
      async createLocation() {
        const dbUrl = freshUrl();
        return {
          open: (options) =>
            createMongoStore(dbUrl, { milestoneInterval: options?.milestoneInterval, collections: ['files'] }),
          dispose: () => dropMongoDatabase(dbUrl),
        };
      },
    });
  });
});

describe('MongoDB store without a server', () => {
  test('[MG1] an unreachable server is a clear ERR_STORAGE_UNREACHABLE, not a crash', async () => {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    await expect(
      createMongoStore('mongodb://tandem:secret@127.0.0.1:9/tandem', { serverSelectionTimeoutMS: 500 }),
    ).rejects.toMatchObject({
      code: StorageErrorCode.Unreachable,
      message: expect.not.stringContaining('secret'),
    });
  });

  test('[MG2] a malformed URL is ERR_STORAGE_OPEN_FAILED', async () => {
    await expect(createMongoStore('mongodb://')).rejects.toMatchObject({ code: StorageErrorCode.OpenFailed });
  });
});
