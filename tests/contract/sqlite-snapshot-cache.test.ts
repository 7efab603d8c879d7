import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import ShareDB from 'sharedb';
import * as otText from 'ot-text-unicode';
import { openSqliteStore, SqliteDB, type SqliteStore } from '../../prisma-free-db';
import type { SnapshotCacheOptions } from '../../prisma-free-db/sqlite-db';

/**
 * SqliteDB's write-through snapshot cache and deferred snapshot rows (issue 6), on real files:
 * what callers can and cannot do to cached snapshots, when rows are written, that a doc whose
 * row is behind its ops is rebuilt exactly (also after SIGKILL), eviction under the byte
 * budget, queries, other connections, and the background WAL checkpointer. Rule IDs [SN…].
 */

ShareDB.types.register(otText.type as unknown as Parameters<typeof ShareDB.types.register>[0]);

const TEXT = otText.type.uri;
const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-snapshot-cache-'));
let fileCounter = 0;
const freshFile = (): string => path.join(tempDir, `cache-${++fileCounter}.sqlite`);
const open: SqliteDB[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((db) => new Promise<void>((resolve) => db.close(() => resolve()))));
});

afterAll(() => {
  fs.rmSync(tempDir, { recursive: true, force: true });
});

function openDb(filename: string, snapshotCache?: SnapshotCacheOptions): SqliteDB {
  const db = new SqliteDB({ filename, snapshotCache, walCheckpoints: { mode: 'inline' } });
  open.push(db);
  return db;
}

function closeDb(db: SqliteDB): Promise<void> {
  open.splice(open.indexOf(db), 1);
  return new Promise((resolve, reject) => db.close((err) => (err ? reject(err) : resolve())));
}

function call<T>(fn: (cb: (err?: unknown, result?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, result) => (err ? reject(err) : resolve(result as T))));
}

const getSnapshot = (db: SqliteDB, id: string, options: { metadata?: boolean } | null = null, collection = 'files') =>
  call<ShareDB.Snapshot>((cb) => db.getSnapshot(collection, id, null, options, cb));

function commit(db: SqliteDB, id: string, op: Record<string, unknown>, snapshot: object, collection = 'files') {
  return call<boolean>((cb) => db.commit(collection, id, op, snapshot as never, null, cb));
}

/** A text doc typed one character per version, as ShareDB would commit it. */
async function typeText(db: SqliteDB, id: string, versions: number, start = 'start:'): Promise<string> {
  let text = start;
  await commit(db, id, { v: 0, src: 's', seq: 1, m: { ts: 1000 }, create: { type: TEXT, data: text } }, {
    v: 1,
    type: TEXT,
    data: text,
    m: { ctime: 1000, mtime: 1000, _create: { src: 's', seq: 1, v: 0 } },
  });
  for (let v = 1; v < versions; v++) {
    const char = String.fromCodePoint(0x4e00 + v); // CJK: one code point, one UTF-16 unit
    const length = [...text].length;
    const ok = await commit(db, id, { v, src: 's', seq: v + 1, m: { ts: 1000 + v }, op: length ? [length, char] : [char] }, {
      v: v + 1,
      type: TEXT,
      data: (text += char),
      m: { ctime: 1000, mtime: 1000 + v, _create: { src: 's', seq: 1, v: 0 } },
    });
    if (!ok) throw new Error(`commit at ${v} was refused`);
  }
  return text;
}

/** The snapshot row as it is on disk, read through a separate connection. */
function storedRow(filename: string, id: string): { version: number; data: string | null } | undefined {
  const raw = new Database(filename, { readonly: true });
  try {
    return raw.prepare('SELECT version, data FROM snapshots WHERE doc_id = ?').get(id) as
      | { version: number; data: string | null }
      | undefined;
  } finally {
    raw.close();
  }
}

describe('[SN1] cached snapshots are isolated from callers', () => {
  test('mutating a snapshot returned by getSnapshot / getSnapshotBulk does not change the cache', async () => {
    const db = openDb(freshFile());
    const data = { files: [{ name: 'a.py', tags: ['x'] }], title: 'one' };
    await commit(db, 'w', { v: 0, create: { type: 'json0', data } }, { v: 1, type: 'json0', data, m: { ctime: 1, mtime: 1 } }, 'workspaces');

    const first = await getSnapshot(db, 'w', { metadata: true }, 'workspaces');
    (first.data as typeof data).files[0]!.tags.push('mutated');
    (first.data as typeof data).title = 'mutated';
    first.m!.mtime = 999;
    const bulk = await call<Record<string, ShareDB.Snapshot>>((cb) =>
      db.getSnapshotBulk('workspaces', ['w'], null, { metadata: true }, cb),
    );
    (bulk['w']!.data as typeof data).files.length = 0;

    const again = await getSnapshot(db, 'w', { metadata: true }, 'workspaces');
    expect(again).toEqual({ id: 'w', v: 1, type: 'json0', data: { files: [{ name: 'a.py', tags: ['x'] }], title: 'one' }, m: { ctime: 1, mtime: 1 } });
    expect(db.stats().cacheHits).toBeGreaterThanOrEqual(2);
  });

  test('mutating the snapshot (or op) after commit does not change what was committed', async () => {
    const db = openDb(freshFile());
    const data = { list: [1, 2] };
    const snapshot = { v: 1, type: 'json0', data, m: { ctime: 1, mtime: 1 } };
    await commit(db, 'w', { v: 0, create: { type: 'json0', data: { list: [1, 2] } } }, snapshot, 'workspaces');
    data.list.push(3);
    snapshot.m.mtime = 5;
    expect(await getSnapshot(db, 'w', { metadata: true }, 'workspaces')).toMatchObject({ data: { list: [1, 2] }, m: { mtime: 1 } });
  });

  test('ShareDB submitting json0 ops (which edit the fetched data in place) keeps cache and store equal', async () => {
    const filename = freshFile();
    const db = openDb(filename);
    const backend = new ShareDB({ db });
    const doc = backend.connect().get('workspaces', 'w');
    await call((cb) => doc.create({ files: [] }, 'json0', cb));
    for (let i = 0; i < 10; i++) await call((cb) => doc.submitOp([{ p: ['files', i], li: { name: `f${i}.py` } }], {}, cb));
    const cached = await getSnapshot(db, 'w', null, 'workspaces');
    await closeDb(db);
    const reopened = openDb(filename);
    expect(await getSnapshot(reopened, 'w', null, 'workspaces')).toEqual(cached);
    expect((cached.data as { files: unknown[] }).files).toHaveLength(10);
  });
});

describe('[SN2] the snapshot row is written every N versions, not on every commit', () => {
  test('with persistEveryVersions 10, 25 versions leave the row at version 21 and reads stay current', async () => {
    const filename = freshFile();
    const db = openDb(filename, { persistEveryVersions: 10, persistWhenIdleMs: 3_600_000 });
    const text = await typeText(db, 'doc', 25);
    // Written by the create (v1), then 10 versions after each row: v11, v21.
    expect(storedRow(filename, 'doc')?.version).toBe(21);
    expect(await getSnapshot(db, 'doc')).toMatchObject({ v: 25, data: text });
    const ops = await call<unknown[]>((cb) => db.getOps('files', 'doc', 0, null, null, cb));
    expect(ops).toHaveLength(25);
    expect(db.stats().snapshotWrites).toBe(3);
  });

  test('a second connection rebuilds the current snapshot from the row plus the ops after it', async () => {
    const filename = freshFile();
    const writer = openDb(filename, { persistEveryVersions: 10, persistWhenIdleMs: 3_600_000 });
    const text = await typeText(writer, 'doc', 27);
    const reader = openDb(filename);
    expect(await getSnapshot(reader, 'doc', { metadata: true })).toEqual({
      id: 'doc',
      v: 27,
      type: TEXT,
      data: text,
      m: { ctime: 1000, mtime: 1026, _create: { src: 's', seq: 1, v: 0 } },
    });
    expect(reader.stats()).toMatchObject({ replays: 1, replayedOps: 6 }); // row at v21
  });

  test('an idle doc gets its row written by the idle timer', async () => {
    const filename = freshFile();
    const db = openDb(filename, { persistEveryVersions: 1000, persistWhenIdleMs: 40 });
    await typeText(db, 'doc', 5);
    expect(storedRow(filename, 'doc')?.version).toBe(1);
    await waitFor(() => storedRow(filename, 'doc')?.version === 5);
    expect(db.stats().dirtyDocs).toBe(0);
  });

  test('close writes every dirty row', async () => {
    const filename = freshFile();
    const db = openDb(filename, { persistEveryVersions: 1000, persistWhenIdleMs: 3_600_000 });
    const text = await typeText(db, 'doc', 12);
    await closeDb(db);
    expect(storedRow(filename, 'doc')).toEqual({ version: 12, data: JSON.stringify(text) });
  });

  test('edits of a type this process cannot replay write the row on every commit', async () => {
    const filename = freshFile();
    const db = openDb(filename, { persistEveryVersions: 1000 });
    const type = 'http://example.com/types/unregistered';
    await commit(db, 'u', { v: 0, create: { type, data: 'a' } }, { v: 1, type, data: 'a' });
    await commit(db, 'u', { v: 1, op: ['b'] }, { v: 2, type, data: 'ab' });
    expect(storedRow(filename, 'u')?.version).toBe(2);
  });
});

describe('[SN7] recent ops are served from memory to transform late submits', () => {
  test('getOpsToSnapshot returns what the store holds, as fresh objects, with m only when asked', async () => {
    const filename = freshFile();
    const db = openDb(filename);
    await typeText(db, 'doc', 30);
    const snapshot = await getSnapshot(db, 'doc');
    const toSnapshot = (from: number, options: { metadata?: boolean } | null) =>
      call<Array<Record<string, unknown>>>((cb) => db.getOpsToSnapshot('files', 'doc', from, snapshot, options, cb));
    const fromStore = (from: number, options: { metadata?: boolean } | null) =>
      call<Array<Record<string, unknown>>>((cb) => db.getOps('files', 'doc', from, 30, options, cb));

    const withMeta = await toSnapshot(20, { metadata: true });
    expect(withMeta).toEqual(await fromStore(20, { metadata: true }));
    expect(withMeta[0]).toMatchObject({ v: 20, m: { ts: 1020 } });
    const plain = await toSnapshot(25, null);
    expect(plain).toEqual(await fromStore(25, null));
    expect(plain[0]).not.toHaveProperty('m');
    expect(db.stats().recentOpsHits).toBe(2);

    // ShareDB deletes `m` from the ops it transforms against: the next reader still gets it.
    delete withMeta[0]!['m'];
    expect((await toSnapshot(20, { metadata: true }))[0]).toMatchObject({ m: { ts: 1020 } });
    // From the very first op (the create) too.
    expect(await toSnapshot(0, null)).toEqual(await fromStore(0, null));
  });

  test('a real ShareDB with concurrent clients converges while late ops are transformed from memory', async () => {
    const db = openDb(freshFile());
    const backend = new ShareDB({ db });
    const docs = [0, 1, 2].map(() => backend.connect().get('files', 'race'));
    await call((cb) => docs[0]!.create('', TEXT, cb));
    await Promise.all(docs.map((d) => call((cb) => d.subscribe(cb))));
    const acks: Array<Promise<unknown>> = [];
    for (let i = 0; i < 30; i++) {
      for (const [n, d] of docs.entries()) acks.push(call((cb) => d.submitOp([`${n}`], {}, cb)));
    }
    await Promise.all(acks);
    await waitFor(() => docs.every((d) => d.version === docs[0]!.version && d.data === docs[0]!.data));
    expect((docs[0]!.data as string).length).toBe(90);
    expect(db.stats().recentOpsHits).toBeGreaterThan(0);
    const stored = await call<ShareDB.Snapshot>((cb) => db.getSnapshot('files', 'race', null, null, cb));
    expect(stored.data).toBe(docs[0]!.data);
  });
});

describe('[SN3] eviction under the byte budget', () => {
  test('the cache stays within budget; evicted dirty docs are written and read back exactly', async () => {
    const filename = freshFile();
    // Each doc is ~10,000 UTF-16 units (~20 KB): a 70 KB budget holds three of them.
    const db = openDb(filename, { maxBytes: 70_000, persistEveryVersions: 1000, persistWhenIdleMs: 3_600_000 });
    const texts: string[] = [];
    for (let d = 0; d < 6; d++) texts.push(await typeText(db, `doc${d}`, 4, `${d}`.repeat(10_000)));
    const stats = db.stats();
    expect(stats.cachedBytes).toBeLessThanOrEqual(70_000);
    expect(stats.cachedDocs).toBe(3);
    for (let d = 0; d < 3; d++) expect(storedRow(filename, `doc${d}`)?.version).toBe(4); // evicted: written
    for (let d = 3; d < 6; d++) expect(storedRow(filename, `doc${d}`)?.version).toBe(1); // cached: still dirty
    for (let d = 0; d < 6; d++) expect((await getSnapshot(db, `doc${d}`)).data).toBe(texts[d]);
    expect(db.stats().cachedBytes).toBeLessThanOrEqual(70_000);
  });

  test('a doc bigger than the whole budget is not cached and writes its row on every commit', async () => {
    const filename = freshFile();
    const db = openDb(filename, { maxBytes: 10_000, persistEveryVersions: 1000 });
    const text = await typeText(db, 'big', 3, 'x'.repeat(20_000));
    expect(storedRow(filename, 'big')?.version).toBe(3);
    expect(db.stats().cachedDocs).toBe(0);
    expect((await getSnapshot(db, 'big')).data).toBe(text);
  });

  test('a budget of 0 turns the cache off: every commit writes its row', async () => {
    const filename = freshFile();
    const db = openDb(filename, { maxBytes: 0 });
    await typeText(db, 'doc', 5);
    expect(storedRow(filename, 'doc')?.version).toBe(5);
  });
});

describe('[SN4] queries and other connections see current data', () => {
  test('a query sees edits whose rows were deferred', async () => {
    const db = openDb(freshFile(), { persistEveryVersions: 1000, persistWhenIdleMs: 3_600_000 });
    const backend = new ShareDB({ db });
    const doc = backend.connect().get('workspaces', 'w');
    await call((cb) => doc.create({ status: 'draft' }, 'json0', cb));
    await call((cb) => doc.submitOp([{ p: ['status'], od: 'draft', oi: 'submitted' }], {}, cb));
    const ids = await call<string[]>((cb) => db.queryPoll('workspaces', { status: 'submitted' }, null, cb));
    expect(ids).toEqual(['w']);
    const matches = await call<boolean>((cb) => db.queryPollDoc('workspaces', 'w', { status: 'submitted' }, null, cb));
    expect(matches).toBe(true);
  });

  test('a commit by another connection makes its doc reload; a stale commit is refused, then succeeds on retry', async () => {
    const filename = freshFile();
    const a = openDb(filename, { persistEveryVersions: 1000 });
    const b = openDb(filename, { persistEveryVersions: 1000 });
    await typeText(a, 'doc', 3, '');
    expect(await getSnapshot(a, 'doc')).toMatchObject({ v: 3 });
    const fromB = await getSnapshot(b, 'doc');
    await commit(b, 'doc', { v: 3, op: [[...(fromB.data as string)].length, 'B'] }, { v: 4, type: TEXT, data: `${fromB.data as string}B` });
    expect(b.stats().replays).toBe(1); // b had to rebuild: a's rows were deferred

    const seenByA = await getSnapshot(a, 'doc');
    expect(seenByA).toMatchObject({ v: 4, data: `${fromB.data as string}B` });
    expect(a.stats()).toMatchObject({ foreignWritesSeen: 1, staleEntriesDropped: 1 });
    expect(await commit(a, 'doc', { v: 3, op: ['A'] }, { v: 4, type: TEXT, data: 'A' })).toBe(false);
    expect(await commit(a, 'doc', { v: 4, op: ['A'] }, { v: 5, type: TEXT, data: `A${seenByA.data as string}` })).toBe(true);
    expect(await getSnapshot(b, 'doc')).toMatchObject({ v: 5, data: `A${seenByA.data as string}` });
  });

  test("another connection's writes to other docs leave this connection's cached docs alone", async () => {
    const filename = freshFile();
    const a = openDb(filename, { persistEveryVersions: 1000 });
    const b = openDb(filename, { persistEveryVersions: 1000 });
    const mine = await typeText(a, 'mine', 5);
    await typeText(b, 'theirs', 5);
    const before = a.stats();
    expect(await getSnapshot(a, 'mine')).toMatchObject({ v: 5, data: mine });
    const after = a.stats();
    expect(after.foreignWritesSeen).toBeGreaterThan(before.foreignWritesSeen);
    // Confirmed by one version lookup, not reloaded: a hit, no miss, no replay.
    expect(after.cacheHits - before.cacheHits).toBe(1);
    expect(after.cacheMisses - before.cacheMisses).toBe(0);
    expect(after.replays).toBe(before.replays);
    expect(after.staleEntriesDropped).toBe(0);
  });

  test('foreignWriteCheckMs 0 (processes sharing the file): a read sees a commit another process made a moment ago', async () => {
    // Another process's commit, written the way SqliteDB writes it, through a connection
    // SqliteDB cannot hear about except through SQLite's data_version.
    const commitElsewhere = (filename: string, text: string) => {
      const other = new Database(filename);
      try {
        other.transaction(() => {
          other
            .prepare('INSERT INTO ops (collection, doc_id, version, src, seq, op) VALUES (?, ?, ?, ?, ?, ?)')
            .run('files', 'doc', 3, 'other', 1, JSON.stringify({ src: 'other', seq: 1, v: 3, m: { ts: 2000 }, op: [[...text].length, 'F'] }));
          other
            .prepare('UPDATE snapshots SET version = 4, data = ?, metadata = ? WHERE collection = ? AND doc_id = ?')
            .run(JSON.stringify(`${text}F`), JSON.stringify({ ctime: 1000, mtime: 2000, _create: { src: 's', seq: 1, v: 0 } }), 'files', 'doc');
        }).immediate();
      } finally {
        other.close();
      }
    };
    const shared = freshFile();
    const a = openDb(shared, { persistEveryVersions: 1, foreignWriteCheckMs: 0 });
    const text = await typeText(a, 'doc', 3, '');
    expect(await getSnapshot(a, 'doc')).toMatchObject({ v: 3, data: text });
    commitElsewhere(shared, text);
    expect(await getSnapshot(a, 'doc')).toMatchObject({ v: 4, data: `${text}F` });
    expect(a.stats()).toMatchObject({ foreignWritesSeen: 1, staleEntriesDropped: 1 });
    // The cache still serves: the next read is a hit confirmed by one version lookup.
    const hits = a.stats().cacheHits;
    expect(await getSnapshot(a, 'doc')).toMatchObject({ v: 4 });
    expect(a.stats().cacheHits).toBe(hits + 1);

    // Control: a process that looks only every minute still answers with the old version.
    const alone = freshFile();
    const b = openDb(alone, { persistEveryVersions: 1, foreignWriteCheckMs: 60_000 });
    await typeText(b, 'doc', 3, '');
    commitElsewhere(alone, text);
    expect(await getSnapshot(b, 'doc')).toMatchObject({ v: 3, data: text });
  });

  test('foreignWriteCheckMs must be a whole number of ms >= 0', () => {
    for (const bad of [-1, 1.5, Number.NaN]) {
      expect(() => new SqliteDB({ filename: freshFile(), snapshotCache: { foreignWriteCheckMs: bad } })).toThrow(/foreignWriteCheckMs/);
    }
  });

  test('one connection has one document adapter', () => {
    const store = openSqliteStore({ filename: freshFile(), walCheckpoints: { mode: 'inline' } });
    try {
      expect(() => new SqliteDB({ connection: store.db.connection })).toThrow(/already has a document adapter/);
    } finally {
      void store.close();
    }
  });
});

describe('[SN5] a crash between snapshot rows loses and duplicates nothing', () => {
  test('SIGKILL after ops committed without a row: reopening rebuilds exactly the last acked snapshot', async () => {
    const filename = freshFile();
    const edits = 120;
    const writer = path.join(__dirname, 'fixtures', 'sqlite-deferred-snapshot-writer.js');
    const child = spawn(process.execPath, [writer, filename, `${edits}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('exit', (exitCode, exitSignal) => resolve([exitCode, exitSignal])),
    );
    expect({ code, signal, stderr }).toEqual({ code: null, signal: 'SIGKILL', stderr: '' });
    const acks = [...stdout.matchAll(/^acked (\d+) (.*)$/gm)].map((m) => ({ v: Number(m[1]), snapshot: JSON.parse(m[2]!) }));
    expect(acks.map((a) => a.v)).toEqual(Array.from({ length: edits + 1 }, (_, i) => i + 1));
    const lastAcked = acks[acks.length - 1]!.snapshot as ShareDB.Snapshot;

    // Only the create wrote a row: everything after it exists only as ops.
    expect(storedRow(filename, 'w:deferred')?.version).toBe(1);

    const store: SqliteStore = openSqliteStore({ filename, walCheckpoints: { mode: 'inline' } });
    try {
      const rebuilt = await call<ShareDB.Snapshot>((cb) => store.db.getSnapshot('files', 'w:deferred', null, { metadata: true }, cb));
      expect(rebuilt).toEqual(lastAcked);
      expect(store.db.stats()).toMatchObject({ replays: 1, replayedOps: edits });
      const ops = await call<Array<{ v?: number }>>((cb) => store.db.getOps('files', 'w:deferred', 0, null, null, cb));
      expect(ops.map((op) => op.v)).toEqual(Array.from({ length: edits + 1 }, (_, i) => i));

      // ShareDB on the reopened store continues from the rebuilt snapshot.
      const backend = new ShareDB({ db: store.db, milestoneDb: store.milestoneDb });
      const doc = backend.connect().get('files', 'w:deferred');
      await call((cb) => doc.fetch(cb));
      await call((cb) => doc.submitOp([0, '!'], {}, cb));
      expect(doc.data).toBe(`!${lastAcked.data as string}`);
      expect(doc.version).toBe(edits + 2);
    } finally {
      await store.close();
    }
    // The rebuilt snapshot was written on close.
    expect(storedRow(filename, 'w:deferred')?.version).toBe(edits + 2);
  });
});

describe('[SN6] WAL checkpoints run on a worker thread, not in commits', () => {
  test('the serving connection never auto-checkpoints; the worker keeps the WAL bounded', async () => {
    const filename = freshFile();
    const store = openSqliteStore({
      filename,
      walCheckpoints: { startDelayMs: 0, intervalMs: 20 },
      snapshotCache: { persistEveryVersions: 1 }, // lots of pages per commit, to grow the WAL
    });
    try {
      await waitFor(() => store.walCheckpointStats().state === 'running');
      expect(store.db.connection.database.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
      await typeText(store.db, 'doc', 400, 'x'.repeat(20_000));
      const grown = store.walCheckpointStats();
      expect(grown.maxWalFrames).toBeGreaterThan(0);
      // Two more checkpoints with nothing written: the WAL is fully copied into the file...
      await waitFor(() => store.walCheckpointStats().checkpoints >= grown.checkpoints + 2);
      // ...so the next commit starts the WAL over from its beginning instead of growing it.
      await commit(store.db, 'doc', { v: 400, op: ['y'] }, { v: 401, type: TEXT, data: 'y' });
      await waitFor(() => store.walCheckpointStats().lastWalFrames <= 20);
      expect(store.walCheckpointStats().state).toBe('running');
    } finally {
      await store.close();
    }
    // The close stopped the worker first, so the final TRUNCATE checkpoint emptied the WAL.
    const walFile = `${filename}-wal`;
    expect(!fs.existsSync(walFile) || fs.statSync(walFile).size === 0).toBe(true);
    expect(storedRow(filename, 'doc')?.version).toBe(401);
  });

  test('two processes (here: two stores) on one file checkpoint side by side; neither worker gives up', async () => {
    const filename = freshFile();
    const options = { walCheckpoints: { startDelayMs: 0, intervalMs: 2 }, snapshotCache: { persistEveryVersions: 1 } };
    const one = openSqliteStore({ filename, ...options });
    const two = openSqliteStore({ filename, ...options });
    try {
      await waitFor(() => [one, two].every((s) => s.walCheckpointStats().state === 'running'));
      await Promise.all([typeText(one.db, 'a', 150, 'x'.repeat(8_000)), typeText(two.db, 'b', 150, 'y'.repeat(8_000))]);
      await waitFor(() => [one, two].every((s) => s.walCheckpointStats().checkpoints >= 20));
      expect([one, two].map((s) => s.walCheckpointStats().state)).toEqual(['running', 'running']);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  test('inline mode keeps SQLite auto-checkpointing, and no worker starts', async () => {
    const store = openSqliteStore({ filename: freshFile(), walCheckpoints: { mode: 'inline' } });
    try {
      expect(store.db.connection.database.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
      expect(store.walCheckpointStats().state).toBe('inline');
    } finally {
      await store.close();
    }
  });

  test('closing before the worker started (or while it boots) is immediate', async () => {
    for (const startDelayMs of [0, 60_000]) {
      const store = openSqliteStore({ filename: freshFile(), walCheckpoints: { startDelayMs } });
      const started = Date.now();
      await store.close();
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(store.walCheckpointStats().state).toBe('stopped');
    }
  });
});

async function waitFor(predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
