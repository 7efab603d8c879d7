import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import runDbConformanceSuite from 'sharedb/test/db';
import runMilestoneDbConformanceSuite from 'sharedb/test/milestone-db';
import { SqliteDB, SqliteMilestoneDB, StorageErrorCode } from '../../prisma-free-db';
import { toMongoStyleQuery } from './generic-query';
import { installMochaCompat } from './mocha-compat';

/**
 * ShareDB's own adapter conformance suites, unmodified, against the SQLite adapters, each test
 * on a fresh database FILE (not :memory:), with the query tests enabled. Then the parts of
 * SqliteDB that go beyond ShareDB's suite: the query subset, skipPoll and input checks.
 */

installMochaCompat();

const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-sqlite-conformance-'));
let fileCounter = 0;
const freshFile = (): string => path.join(tempDir, `conformance-${++fileCounter}.sqlite`);

afterAll(() => {
  fs.rmSync(tempDir, { recursive: true, force: true });
});

// Once as each commit in its own transaction, once with group commit (what the server runs alone).
describe.each([
  ['one transaction per commit', false],
  ['group commit', true],
])('SqliteDB (%s): sharedb/test/db conformance suite', (_name, groupCommit) => {
  runDbConformanceSuite({
    create(callback) {
      let db: SqliteDB;
      try {
        db = new SqliteDB({ filename: freshFile(), groupCommit });
      } catch (err) {
        return callback(err as Error);
      }
      callback(null, db);
    },
    getQuery: toMongoStyleQuery,
  });
});

describe('SqliteMilestoneDB: sharedb/test/milestone-db conformance suite', () => {
  runMilestoneDbConformanceSuite({
    create(options, callback) {
      const done = typeof options === 'function' ? options : callback;
      const interval = typeof options === 'object' && options ? options.interval : undefined;
      if (!done) throw new TypeError('create() needs a callback');
      let db: SqliteMilestoneDB;
      try {
        db = new SqliteMilestoneDB({ filename: freshFile(), interval });
      } catch (err) {
        return done(err as Error);
      }
      done(null, db);
    },
  });
});

describe('SqliteDB beyond the ShareDB suite', () => {
  let db: SqliteDB;

  beforeEach(() => {
    db = new SqliteDB({ filename: freshFile() });
  });

  afterEach(async () => {
    await new Promise<void>((resolve) => db.close(() => resolve()));
  });

  function commit(id: string, data: unknown, v = 1): Promise<boolean> {
    const op = v === 1 ? { v: 0, create: { type: 'json0', data } } : { v: v - 1, op: [] };
    return new Promise((resolve, reject) =>
      db.commit('dogs', id, op, { v, type: 'json0', data, m: null }, null, (err, ok) =>
        err ? reject(err) : resolve(ok === true),
      ),
    );
  }

  function queryIds(query: unknown): Promise<string[]> {
    return new Promise((resolve, reject) =>
      db.queryPoll('dogs', query, null, (err, ids) => (err ? reject(err) : resolve(ids ?? []))),
    );
  }

  function queryError(query: unknown): Promise<{ code?: string }> {
    return new Promise((resolve) => db.queryPoll('dogs', query, null, (err) => resolve(err as { code?: string })));
  }

  describe('query language (Mongo subset, same meaning as sharedb-mongo)', () => {
    beforeEach(async () => {
      await commit('a', { age: 3, name: 'Ada', good: true, owner: { name: 'Kim' } });
      await commit('b', { age: 5, name: 'Bo', good: false });
      await commit('c', { age: '3', name: 'Cy', good: null });
      await commit('d', { name: 'Di', tags: ['x'] });
    });

    test('equality is type-strict: 3 does not match "3" or true', async () => {
      expect(await queryIds({ age: 3 })).toEqual(['a']);
      expect(await queryIds({ age: '3' })).toEqual(['c']);
      expect(await queryIds({ good: true })).toEqual(['a']);
    });

    test('null matches null and missing fields; $exists tells them apart', async () => {
      expect(await queryIds({ good: null })).toEqual(['c', 'd']);
      expect(await queryIds({ good: { $exists: true } })).toEqual(['a', 'b', 'c']);
      expect(await queryIds({ good: { $exists: false } })).toEqual(['d']);
    });

    test('$ne and $nin include docs where the field is missing, as in Mongo', async () => {
      expect(await queryIds({ age: { $ne: 3 } })).toEqual(['b', 'c', 'd']);
      expect(await queryIds({ age: { $nin: [3, 5] } })).toEqual(['c', 'd']);
      expect(await queryIds({ age: { $in: [3, '3'] } })).toEqual(['a', 'c']);
      expect(await queryIds({ age: { $in: [] } })).toEqual([]);
    });

    test('range operators compare only values of the operand type', async () => {
      expect(await queryIds({ age: { $gte: 3, $lt: 5 } })).toEqual(['a']);
      expect(await queryIds({ name: { $gt: 'B' } })).toEqual(['b', 'c', 'd']);
    });

    test('dotted paths, $and and $or', async () => {
      expect(await queryIds({ 'owner.name': 'Kim' })).toEqual(['a']);
      expect(await queryIds({ $or: [{ age: 5 }, { name: 'Di' }] })).toEqual(['b', 'd']);
      expect(await queryIds({ $and: [{ age: { $exists: true } }, { good: { $ne: null } }] })).toEqual(['a', 'b']);
    });

    test('$sort, $skip and $limit page in a stable order', async () => {
      expect(await queryIds({ $sort: { name: -1 } })).toEqual(['d', 'c', 'b', 'a']);
      expect(await queryIds({ $sort: [['name', 1]], $skip: 1, $limit: 2 })).toEqual(['b', 'c']);
      expect(await queryIds({ $limit: 0 })).toEqual(['a', 'b', 'c', 'd']);
    });

    test('deleted docs never match', async () => {
      await new Promise<void>((resolve, reject) =>
        db.commit('dogs', 'a', { v: 1, del: true }, { v: 2, type: null, m: null }, null, (err) =>
          err ? reject(err) : resolve(),
        ),
      );
      expect(await queryIds({})).toEqual(['b', 'c', 'd']);
    });

    test.each([
      [{ $where: 'true' }],
      [{ age: { $regex: '3' } }],
      [{ owner: { name: 'Kim' } }],
      [{ tags: ['x'] }],
      [{ _id: 'a' }],
      [{ 'a"b': 1 }],
      [{ age: { $gt: null } }],
      [{ $sort: { age: 2 } }],
      [{ $limit: -1 }],
      [[1, 2]],
    ])('rejects %j with ERR_STORAGE_UNSUPPORTED_QUERY instead of guessing', async (query) => {
      expect((await queryError(query)).code).toBe(StorageErrorCode.UnsupportedQuery);
    });

    test('canPollDoc is false exactly when other docs decide membership', () => {
      expect(db.canPollDoc('dogs', { age: 3 })).toBe(true);
      expect(db.canPollDoc('dogs', { age: 3, $sort: { age: 1 } })).toBe(false);
      expect(db.canPollDoc('dogs', { $limit: 3 })).toBe(false);
      expect(db.canPollDoc('dogs', { $where: 'x' })).toBe(false);
    });

    test('skipPoll skips only edits that cannot touch the queried fields', () => {
      const edit = (p: Array<string | number>) => ({ v: 3, op: [{ p, oi: 1 }] });
      expect(db.skipPoll('dogs', 'a', edit(['name']), { age: 3 })).toBe(true);
      expect(db.skipPoll('dogs', 'a', edit(['age']), { age: 3 })).toBe(false);
      expect(db.skipPoll('dogs', 'a', edit(['name']), { $sort: { name: 1 } })).toBe(false);
      expect(db.skipPoll('dogs', 'a', { v: 3, op: [1, 'text'] }, {})).toBe(true);
      expect(db.skipPoll('dogs', 'a', { v: 3, op: [1, 'text'] }, { name: 'Ada' })).toBe(false);
      expect(db.skipPoll('dogs', 'a', { v: 0, create: { type: 'json0', data: {} } }, {})).toBe(false);
      expect(db.skipPoll('dogs', 'a', { v: 3, del: true }, {})).toBe(false);
    });
  });

  describe('input checks', () => {
    test.each([
      ['empty', ''],
      ['a lone surrogate (would merge with other ids as U+FFFD)', '\ud83d'],
      ['containing NUL', 'a\u0000b'],
      ['2000 characters long', 'x'.repeat(2000)],
    ])('rejects a doc id that is %s with ERR_STORAGE_INVALID_ARGUMENT', async (_label, id) => {
      const err = await new Promise<unknown>((resolve) => db.getSnapshot('dogs', id, null, null, resolve));
      expect((err as { code?: string }).code).toBe(StorageErrorCode.InvalidArgument);
    });

    test('a commit whose op.v does not match the snapshot is refused, and nothing is stored', async () => {
      const op = { v: 3, create: { type: 'json0', data: {} } };
      const err = await new Promise<unknown>((resolve) =>
        db.commit('dogs', 'x', op, { v: 1, type: 'json0', data: {} }, null, resolve),
      );
      expect((err as { code?: string }).code).toBe(StorageErrorCode.InvalidArgument);
      const snapshot = await new Promise((resolve) => db.getSnapshot('dogs', 'x', null, null, (_e, s) => resolve(s)));
      expect(snapshot).toEqual({ id: 'x', v: 0, type: null, data: undefined, m: null });
    });

    test('calls back asynchronously, never synchronously, even on errors', () => {
      let calledBack = false;
      db.getSnapshot('', 'x', null, null, () => {
        calledBack = true;
      });
      expect(calledBack).toBe(false);
    });

    test('methods fail with ERR_STORAGE_CLOSED after close, without throwing', async () => {
      await new Promise<void>((resolve) => db.close(() => resolve()));
      const err = await new Promise<unknown>((resolve) => db.getOps('dogs', 'a', 0, null, null, resolve));
      expect((err as { code?: string }).code).toBe(StorageErrorCode.Closed);
      expect(() => db.ping()).toThrow(expect.objectContaining({ code: StorageErrorCode.Closed }));
    });
  });

  test('getOps reports a gap in the history instead of returning a shorter one', async () => {
    await commit('g', { n: 1 }, 1);
    await commit('g', { n: 1 }, 2);
    await commit('g', { n: 1 }, 3);
    db.connection.database.prepare("DELETE FROM ops WHERE doc_id = 'g' AND version = 1").run();
    const err = await new Promise<unknown>((resolve) => db.getOps('dogs', 'g', 0, null, null, resolve));
    expect((err as { code?: string }).code).toBe(StorageErrorCode.MissingOps);
  });
});
