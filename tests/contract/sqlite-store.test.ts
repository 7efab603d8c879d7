import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore, openStore, SQLITE_FILE_NAME, StorageErrorCode, type SqliteStore } from '../../prisma-free-db';
import { SELECT_COMMITTED_VERSION_SQL } from '../../prisma-free-db/sqlite-db';
import { runStoreContract } from './store-contract';

/** The storage contract against the embedded store, opened exactly as the server opens it. */

const roots: string[] = [];

function tempDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-sqlite-store-'));
  roots.push(dir);
  return path.join(dir, 'data'); // not created yet: openStore must create it
}

afterAll(() => {
  for (const dir of roots) fs.rmSync(dir, { recursive: true, force: true });
});

describe('SQLite store: storage contract', () => {
  runStoreContract({
    kind: 'sqlite',
    async createLocation() {
      const dataDir = tempDataDir();
      return {
        open: (options) => openStore({ dataDir, milestoneInterval: options?.milestoneInterval }),
        dispose: async () => fs.rmSync(path.dirname(dataDir), { recursive: true, force: true }),
      };
    },
  });
});

describe('SQLite store specifics', () => {
  test('[SQ1] the file lives at ${dataDir}/tandem.sqlite and is in WAL journal mode', async () => {
    const dataDir = tempDataDir();
    const store = (await openStore({ dataDir })) as SqliteStore;
    try {
      expect(store.kind).toBe('sqlite');
      expect(store.filename).toBe(path.join(dataDir, SQLITE_FILE_NAME));
      expect(fs.existsSync(store.filename)).toBe(true);
      expect(store.journalMode()).toBe('wal');
    } finally {
      await store.close();
    }
  });

  test('[SQ2] synchronous FULL opens too; an unknown mode is refused', async () => {
    const dataDir = tempDataDir();
    const store = await openStore({ dataDir, sqliteSynchronous: 'FULL' });
    await store.close();
    await expect(openStore({ dataDir, sqliteSynchronous: 'OFF' as 'FULL' })).rejects.toMatchObject({
      code: StorageErrorCode.InvalidArgument,
    });
  });

  test('[SQ3] a file that is not a database fails to open with a clear error, not a crash', async () => {
    const dataDir = tempDataDir();
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(path.join(dataDir, SQLITE_FILE_NAME), 'this is not sqlite'.repeat(100));
    await expect(openStore({ dataDir })).rejects.toMatchObject({ code: StorageErrorCode.OpenFailed });
  });

  test('[SQ4] reopening an existing file is idempotent (schema not recreated, data kept)', async () => {
    const dataDir = tempDataDir();
    for (let i = 0; i < 3; i++) {
      const store = await openStore({ dataDir });
      const op = { v: 0, create: { type: 'json0', data: { i } } };
      const snapshot = { v: 1, type: 'json0', data: { i } };
      const ok = await new Promise((resolve, reject) =>
        store.db.commit('files', `doc${i}`, op, snapshot, null, (err: unknown, done: boolean) =>
          err ? reject(err) : resolve(done),
        ),
      );
      expect(ok).toBe(true);
      const ids = await new Promise((resolve, reject) =>
        store.db.queryPoll('files', {}, null, (err: unknown, found: string[]) => (err ? reject(err) : resolve(found))),
      );
      expect(ids).toEqual(Array.from({ length: i + 1 }, (_, n) => `doc${n}`));
      await store.close();
    }
  });

  test('[SQ5] every acknowledged commit survives SIGKILL of the writing process (WAL, synchronous=NORMAL)', async () => {
    const filename = path.join(tempDataDir(), SQLITE_FILE_NAME);
    const edits = 300;
    const writer = path.join(__dirname, 'fixtures', 'sqlite-crash-writer.js');
    const child = spawn(process.execPath, [writer, filename, `${edits}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('exit', (exitCode, exitSignal) => resolve([exitCode, exitSignal])),
    );
    expect({ code, signal, stderr }).toEqual({ code: null, signal: 'SIGKILL', stderr: '' });
    const acked = Math.max(...[...stdout.matchAll(/^acked (\d+)$/gm)].map((m) => Number(m[1])));
    expect(acked).toBe(edits + 1);
    // The writer never closed: its commits are in a WAL that nobody checkpointed on shutdown.
    expect(fs.existsSync(`${filename}-wal`)).toBe(true);

    const store = openSqliteStore({ filename });
    try {
      const snapshot = await new Promise((resolve, reject) =>
        store.db.getSnapshot('files', 'w:crash', null, null, (err, s) => (err ? reject(err) : resolve(s))),
      );
      const expected = Array.from({ length: edits }, (_, i) => `${(i + 1) % 10}`).join('');
      expect(snapshot).toMatchObject({ v: acked, data: expected });
      const ops = await new Promise((resolve, reject) =>
        store.db.getOps('files', 'w:crash', 0, null, null, (err, o) => (err ? reject(err) : resolve(o))),
      );
      expect(ops).toHaveLength(acked);
    } finally {
      await store.close();
    }
  });

  test('[SQ6] schema v2: a v1 file loses ops_by_source and keeps its ops; the resent-op lookup searches the primary key', async () => {
    const filename = path.join(tempDataDir(), SQLITE_FILE_NAME);
    const commit = (store: SqliteStore, id: string, op: object, snapshot: object) =>
      new Promise((resolve, reject) =>
        store.db.commit('files', id, op as never, snapshot as never, null, (err: unknown, ok?: boolean) => (err ? reject(err) : resolve(ok))),
      );
    let store = openSqliteStore({ filename });
    await expect(commit(store, 'w:a', { v: 0, src: 'cA', seq: 1, create: { type: 'http://sharejs.org/types/JSONv0', data: { n: 0 } } }, { v: 1, type: 'http://sharejs.org/types/JSONv0', data: { n: 0 } })).resolves.toBe(true);
    for (let v = 1; v <= 5; v++) {
      const op = { v, src: 'cA', seq: v + 1, op: [{ p: ['n'], na: 1 }] };
      await expect(commit(store, 'w:a', op, { v: v + 1, type: 'http://sharejs.org/types/JSONv0', data: { n: v } })).resolves.toBe(true);
    }
    await store.close();

    const indexesOfOps = (db: Database.Database) =>
      (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ops' ORDER BY name").pluck().all() as string[]);
    // Make a v1 file: today's schema plus the index migration 2 dropped.
    let raw = new Database(filename);
    expect(raw.pragma('user_version', { simple: true })).toBe(2);
    expect(indexesOfOps(raw)).toEqual(['sqlite_autoindex_ops_1']);
    raw.exec('CREATE INDEX ops_by_source ON ops (collection, doc_id, src, seq); PRAGMA user_version = 1;');
    raw.close();

    store = openSqliteStore({ filename });
    try {
      raw = new Database(filename, { readonly: true });
      try {
        expect(raw.pragma('user_version', { simple: true })).toBe(2);
        expect(indexesOfOps(raw)).toEqual(['sqlite_autoindex_ops_1']);
        const plan = (raw.prepare(`EXPLAIN QUERY PLAN ${SELECT_COMMITTED_VERSION_SQL}`).all('files', 'w:a', 'cA', 3, 6) as { detail: string }[])
          .map((row) => row.detail)
          .join('; ');
        // A range of one doc's primary key, walked newest first: no full scan, no sort.
        expect(plan).toMatch(/^SEARCH ops USING INDEX sqlite_autoindex_ops_1 \(collection=\? AND doc_id=\? AND version<\?\)$/);
      } finally {
        raw.close();
      }
      const ops = await new Promise<unknown[]>((resolve, reject) =>
        store.db.getOps('files', 'w:a', 0, null, null, (err, o) => (err ? reject(err) : resolve(o ?? []))),
      );
      expect(ops.map((op) => (op as { seq: number }).seq)).toEqual([1, 2, 3, 4, 5, 6]);
      const lookup = (src: string, seq: number) =>
        new Promise((resolve, reject) =>
          store.db.getCommittedOpVersion('files', 'w:a', { v: 6 } as never, { src, seq } as never, null, (err, v) => (err ? reject(err) : resolve(v))),
        );
      expect(await lookup('cA', 3)).toBe(2);
      expect(await lookup('cA', 1)).toBe(0);
      expect(await lookup('cA', 7)).toBeUndefined();
      expect(await lookup('cB', 3)).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
