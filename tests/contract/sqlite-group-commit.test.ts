import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteDB } from '../../prisma-free-db';
import type { Snapshot } from '../../prisma-free-db/sharedb-shapes';

/**
 * Group commit: the commits of one event-loop turn share one write transaction, and none is
 * acknowledged before that transaction has committed. A second connection to the same file is
 * the witness of what is on disk.
 */

const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-group-commit-'));
let fileCounter = 0;
const freshFile = (): string => path.join(tempDir, `group-${++fileCounter}.sqlite`);

afterAll(() => {
  fs.rmSync(tempDir, { recursive: true, force: true });
});

type Outcome = { ok: boolean } | { error: Error };

describe('SqliteDB group commit', () => {
  let db: SqliteDB;
  let filename: string;
  let witness: Database.Database;

  beforeEach(() => {
    filename = freshFile();
    db = new SqliteDB({ filename, groupCommit: true });
    witness = new Database(filename, { readonly: true });
  });

  afterEach(async () => {
    witness.close();
    await new Promise<void>((resolve) => db.close(() => resolve()));
  });

  const opsOnDisk = (): number => witness.prepare('SELECT count(*) FROM ops').pluck().get() as number;

  /** Start a commit of version `v` (1 creates the doc); the promise settles with its callback. */
  function commit(id: string, v: number, data: unknown = { v }): Promise<Outcome> {
    const op = v === 1 ? { v: 0, create: { type: 'json0', data } } : { v: v - 1, op: [] };
    return new Promise((resolve) =>
      db.commit('dogs', id, op, { v, type: 'json0', data, m: null }, null, (err, ok) =>
        resolve(err ? { error: err } : { ok: ok === true }),
      ),
    );
  }

  function snapshot(id: string): Promise<Snapshot> {
    return new Promise((resolve, reject) =>
      db.getSnapshot('dogs', id, null, null, (err, snap) => (err || !snap ? reject(err) : resolve(snap))),
    );
  }

  test('the commits of one turn are one transaction, acknowledged only once it is on disk', async () => {
    const before = db.stats().commitTransactions;
    const pending = [commit('a', 1), commit('b', 1), commit('a', 2), commit('a', 3), commit('c', 1)];
    // Still inside the turn: nothing is visible to another connection, nothing acknowledged.
    expect(opsOnDisk()).toBe(0);
    let settled = 0;
    for (const p of pending) void p.then(() => settled++);
    await Promise.resolve();
    expect(settled).toBe(0);

    const outcomes = await Promise.all(pending);
    expect(outcomes).toEqual(Array(5).fill({ ok: true }));
    expect(opsOnDisk()).toBe(5);
    expect(db.stats().commitTransactions - before).toBe(1);
    expect((await snapshot('a')).v).toBe(3);
  });

  test('a commit that lost the race inside a group gets false; the others commit', async () => {
    await commit('a', 1);
    const outcomes = await Promise.all([commit('a', 2, { first: true }), commit('a', 2, { second: true }), commit('b', 1)]);
    expect(outcomes).toEqual([{ ok: true }, { ok: false }, { ok: true }]);
    expect((await snapshot('a')).data).toEqual({ first: true });
    expect(opsOnDisk()).toBe(3);
  });

  test('separate turns are separate transactions', async () => {
    const before = db.stats().commitTransactions;
    await commit('a', 1);
    await commit('a', 2);
    expect(db.stats().commitTransactions - before).toBe(2);
  });

  test('when the group cannot commit, every op in it fails, nothing is stored and the cache forgets it', async () => {
    await commit('a', 1, { base: true });
    const pending = [commit('a', 2), commit('b', 1)];
    // Another user of the connection ends the group's transaction: its COMMIT then fails.
    db.connection.database.exec('ROLLBACK');
    // A commit later in the same turn must not be stored on its own outside the group.
    pending.push(commit('c', 1));
    const outcomes = await Promise.all(pending);
    for (const outcome of outcomes.slice(0, 2)) {
      expect(outcome).toHaveProperty('error');
      expect((outcome as { error: Error }).error.message).toMatch(/committing a group of ops/);
    }
    expect((outcomes[2] as { error: Error }).error.message).toMatch(/group transaction was rolled back/);
    expect(db.stats().failedCommitGroups).toBe(1);
    expect(opsOnDisk()).toBe(1);
    expect(await snapshot('a')).toMatchObject({ v: 1, data: { base: true } });
    expect((await snapshot('b')).v).toBe(0);
    expect((await snapshot('c')).v).toBe(0);
    // The adapter carries on: the same versions commit in a later turn.
    expect(await Promise.all([commit('a', 2), commit('b', 1)])).toEqual([{ ok: true }, { ok: true }]);
    expect(opsOnDisk()).toBe(3);
  });

  test('close() commits the open group before releasing the file', async () => {
    const pending = [commit('a', 1), commit('a', 2)];
    await new Promise<void>((resolve) => db.close(() => resolve()));
    expect(await Promise.all(pending)).toEqual([{ ok: true }, { ok: true }]);
    expect(opsOnDisk()).toBe(2);
    db = new SqliteDB({ filename, groupCommit: true });
    expect((await snapshot('a')).v).toBe(2);
  });
});

describe('SqliteDB group commit: onGroupQueued', () => {
  const dbs: SqliteDB[] = [];
  afterAll(async () => {
    for (const db of dbs) await new Promise<void>((resolve) => db.close(() => resolve()));
  });

  function commitOn(db: SqliteDB, id: string, log: string[]): void {
    db.commit('dogs', id, { v: 0, create: { type: 'json0', data: {} } }, { v: 1, type: 'json0', data: {}, m: null }, null, (err, ok) => {
      log.push(`${id} ${err ? `error ${err.message}` : String(ok)}`);
      // What ShareDB does next (the ack, the publish) partly runs from process.nextTick.
      process.nextTick(() => log.push(`${id} tick`));
    });
  }

  test('runs once per group; an immediate it queues runs after the group’s callbacks, in the same turn', async () => {
    const log: string[] = [];
    const db = new SqliteDB({
      filename: freshFile(),
      groupCommit: true,
      onGroupQueued: () => {
        log.push('queued');
        setImmediate(() => log.push('after the group'));
      },
    });
    dbs.push(db);
    commitOn(db, 'a', log);
    commitOn(db, 'b', log);
    // Queued in the same turn, after the group: it must see the group and the hook's immediate done.
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['queued', 'a true', 'b true', 'a tick', 'b tick', 'after the group']);
    commitOn(db, 'c', log);
    await new Promise((resolve) => setImmediate(resolve));
    expect(log.filter((entry) => entry === 'queued')).toHaveLength(2);
  });

  test('a hook that throws is a warning; the commit still succeeds', async () => {
    const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const log: string[] = [];
      const db = new SqliteDB({
        filename: freshFile(),
        groupCommit: true,
        onGroupQueued: () => {
          throw new Error('hook failed');
        },
      });
      dbs.push(db);
      commitOn(db, 'a', log);
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      expect(log).toEqual(['a true', 'a tick']);
      expect(emitWarning).toHaveBeenCalledWith('onGroupQueued failed: hook failed');
    } finally {
      emitWarning.mockRestore();
    }
  });
});
