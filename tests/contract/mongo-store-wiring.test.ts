import { createMongoStore, MONGO_WRITE_CONCERN, StorageErrorCode } from '../../prisma-free-db';

/**
 * No MongoDB server can run on CI machines, so mongo-store.test.ts skips there. This file pins
 * the start-up and shutdown wiring of createMongoStore against a scripted stand-in for the
 * driver's MongoClient: write concern, eager index creation, reserved names, ping, close order.
 * It says nothing about MongoDB's behaviour; the contract suite with MONGODB_URL does that.
 */

interface FakeIndex {
  collection: string;
  keys: Record<string, number>;
  options?: Record<string, unknown>;
}

const mockDriver = {
  clients: [] as Array<{ url: string; options: Record<string, unknown> }>,
  indexes: [] as FakeIndex[],
  existingCollections: [] as string[],
  commands: [] as Array<Record<string, unknown>>,
  closes: 0,
  failConnect: null as Error | null,
};

jest.mock('mongodb', () => {
  const actual = jest.requireActual('mongodb');
  class FakeDb {
    constructor(readonly databaseName: string) {}
    collection(name: string) {
      return {
        createIndex: async (keys: Record<string, number>, options?: Record<string, unknown>) => {
          mockDriver.indexes.push({ collection: name, keys, options });
          return Object.keys(keys).join('_');
        },
      };
    }
    listCollections() {
      return { toArray: async () => mockDriver.existingCollections.map((name) => ({ name })) };
    }
    async command(command: Record<string, unknown>) {
      mockDriver.commands.push(command);
      return { ok: 1 };
    }
  }
  class MongoClient {
    constructor(url: string, options: Record<string, unknown>) {
      mockDriver.clients.push({ url, options });
    }
    async connect() {
      if (mockDriver.failConnect) throw mockDriver.failConnect;
      return this;
    }
    db(name?: string) {
      return new FakeDb(name ?? 'tandem');
    }
    async close() {
      mockDriver.closes++;
    }
  }
  return { ...actual, MongoClient };
});

beforeEach(() => {
  mockDriver.clients = [];
  mockDriver.indexes = [];
  mockDriver.existingCollections = [];
  mockDriver.commands = [];
  mockDriver.closes = 0;
  mockDriver.failConnect = null;
});

const URL = 'mongodb://user:pw@db.example:27017/tandem?replicaSet=rs0';

test('[MW1] the client is created with majority + journaled writes, whatever the URL says', async () => {
  const store = await createMongoStore(URL);
  expect(mockDriver.clients).toHaveLength(1);
  expect(mockDriver.clients[0]?.options).toMatchObject({ writeConcern: { w: 'majority', journal: true } });
  expect(MONGO_WRITE_CONCERN).toMatchObject({ w: 'majority', journal: true });
  await store.close();
});

test('[MW2] op and milestone indexes exist before the first request, for listed and existing collections', async () => {
  mockDriver.existingCollections = ['files', 'o_files', 'o_legacy', 'm_files', 'system.views'];
  const store = await createMongoStore(URL, { collections: ['files', 'workspaces'] });
  const byCollection = (name: string) => mockDriver.indexes.filter((i) => i.collection === name).map((i) => i.keys);
  for (const collection of ['files', 'workspaces', 'legacy']) {
    expect(byCollection(`o_${collection}`)).toEqual(expect.arrayContaining([{ d: 1, v: 1 }, { src: 1, seq: 1, v: 1 }]));
    expect(byCollection(`m_${collection}`)).toEqual(expect.arrayContaining([{ d: 1, v: 1 }, { d: 1, 'm.mtime': 1 }]));
  }
  expect(mockDriver.indexes.find((i) => i.collection === 'm_files' && i.keys['v'])?.options).toMatchObject({
    unique: true,
  });
  // sharedb-mongo is told, so it does not re-issue createIndex on the first op.
  expect((store.db as unknown as { opIndexes: Record<string, boolean> }).opIndexes).toMatchObject({
    files: true,
    workspaces: true,
    legacy: true,
  });
  await store.close();
});

test('[MW3] collection names sharedb-mongo or the milestones reserve are refused at start-up', async () => {
  await expect(createMongoStore(URL, { collections: ['o_files'] })).rejects.toMatchObject({
    code: StorageErrorCode.InvalidArgument,
  });
  await expect(createMongoStore(URL, { collections: ['m_files'] })).rejects.toMatchObject({
    code: StorageErrorCode.InvalidArgument,
  });
  expect(mockDriver.closes).toBe(2); // no client is leaked by a failed start
});

test('[MW4] a failed connect is ERR_STORAGE_UNREACHABLE without the password, and the client is closed', async () => {
  mockDriver.failConnect = new Error('connect ECONNREFUSED');
  const error = await createMongoStore(URL).catch((err: unknown) => err);
  expect(error).toMatchObject({ code: StorageErrorCode.Unreachable });
  expect((error as Error).message).toContain('mongodb://***@db.example:27017/tandem');
  expect((error as Error).message).not.toContain('pw');
  expect(mockDriver.closes).toBe(1);
});

test('[MW5] ping runs a server command while open and fails once closed; close is idempotent', async () => {
  const store = await createMongoStore(URL);
  await store.ping();
  expect(mockDriver.commands).toEqual([{ ping: 1 }]);
  await Promise.all([store.close(), store.close()]);
  await store.close();
  await expect(store.ping()).rejects.toMatchObject({ code: StorageErrorCode.Closed });
  expect(mockDriver.closes).toBeGreaterThanOrEqual(1);
});
