import ShareDB from 'sharedb';
import * as otText from 'ot-text-unicode';
import { compactDocOps, type Store, type StoreKind } from '../../prisma-free-db';

/**
 * Tandem's storage contract: what the rest of Tandem relies on from ANY store, beyond ShareDB's
 * own adapter suite. Every adapter runs it (tests/contract/*-store.test.ts); a new adapter is
 * done when this is green. Rule IDs [SC…] are cited in test titles.
 *
 * Losing or duplicating a keystroke is the worst bug Tandem can have, so most rules are about
 * what is on disk after a close/reopen, not about what one process remembers.
 */

/** Options a harness must honour when opening a store. */
export interface OpenOptions {
  milestoneInterval?: number;
}

/** One empty place to keep data (a temp directory, a throwaway Mongo database). */
export interface StoreLocation {
  /** Open a store on this location; calling it again after close reopens the same data. */
  open(options?: OpenOptions): Promise<Store>;
  /** Delete the location and everything in it. */
  dispose(): Promise<void>;
}

export interface StoreContractHarness {
  kind: StoreKind;
  createLocation(): Promise<StoreLocation>;
}

ShareDB.types.register(otText.type as unknown as Parameters<typeof ShareDB.types.register>[0]);

const TEXT_TYPE = otText.type.uri;
const COLLECTION = 'files';

/** Registers the contract's tests; call inside a `describe`. */
export function runStoreContract(harness: StoreContractHarness): void {
  let location: StoreLocation;
  const open: Store[] = [];

  async function openStore(options?: OpenOptions): Promise<Store> {
    const store = await location.open(options);
    open.push(store);
    return store;
  }

  async function reopen(store: Store, options?: OpenOptions): Promise<Store> {
    await store.close();
    return openStore(options);
  }

  beforeEach(async () => {
    location = await harness.createLocation();
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
    await location.dispose();
  });

  test('[SC1] committed snapshots and ops survive close and reopen', async () => {
    let store = await openStore();
    await createText(store, 'w:a', 'hello', 'c1', 1);
    await editText(store, 'w:a', 1, [5, ' world'], 'hello world', 'c1', 2);

    store = await reopen(store);

    expect(await getSnapshot(store, 'w:a')).toMatchObject({ id: 'w:a', v: 2, type: TEXT_TYPE, data: 'hello world' });
    const ops = await getOps(store, 'w:a', 0, null);
    expect(ops.map((op) => op['v'])).toEqual([0, 1]);
  });

  test('[SC1b] a commit is durable without a clean shutdown: a fresh connection sees it', async () => {
    const writer = await openStore();
    await createText(writer, 'w:crash', 'kept', 'c1', 1);
    await editText(writer, 'w:crash', 1, [4, '!'], 'kept!', 'c1', 2);
    // No close(), as after a SIGKILL: the writer's WAL (SQLite) is not checkpointed, and the new
    // connection must recover the commits from it, exactly as a restarted server would.
    const restarted = await openStore();
    expect(await getSnapshot(restarted, 'w:crash')).toMatchObject({ v: 2, data: 'kept!' });
    expect(await getOps(restarted, 'w:crash', 0, null)).toHaveLength(2);
  });

  test('[SC2] of concurrent commits at the same version exactly one wins and only its op is stored', async () => {
    const store = await openStore();
    const creates = await Promise.all(
      [1, 2, 3, 4, 5].map((n) => createText(store, 'w:race', `v${n}`, `c${n}`, 1)),
    );
    expect(creates.filter(Boolean)).toHaveLength(1);
    const winner = creates.indexOf(true) + 1;

    const edits = await Promise.all(
      [1, 2, 3].map((n) => editText(store, 'w:race', 1, [`${n}`], `${n}v${winner}`, `e${n}`, 1)),
    );
    expect(edits.filter(Boolean)).toHaveLength(1);
    const editor = edits.indexOf(true) + 1;

    const ops = await getOps(store, 'w:race', 0, null);
    expect(ops.map((op) => op['src'])).toEqual([`c${winner}`, `e${editor}`]);
    expect((await getSnapshot(store, 'w:race')).data).toBe(`${editor}v${winner}`);
  });

  test('[SC3] ops are kept in version order with src, seq, m and create/del intact', async () => {
    let store = await openStore();
    const m = { ts: 1_700_000_000_000, custom: { by: 'teacher' } };
    await commit(store, 'w:h', { v: 0, src: 'cA', seq: 7, m, create: { type: TEXT_TYPE, data: '' } }, snap(1, ''));
    await commit(store, 'w:h', { v: 1, src: 'cB', seq: 3, m, op: ['x'] }, snap(2, 'x'));
    await commit(store, 'w:h', { v: 2, src: 'cA', seq: 8, m, del: true }, { v: 3, type: null, m: null });
    store = await reopen(store);

    const withMeta = await getOps(store, 'w:h', 0, null, { metadata: true });
    expect(withMeta).toEqual([
      { v: 0, src: 'cA', seq: 7, m, create: { type: TEXT_TYPE, data: '' } },
      { v: 1, src: 'cB', seq: 3, m, op: ['x'] },
      { v: 2, src: 'cA', seq: 8, m, del: true },
    ]);
    const plain = await getOps(store, 'w:h', 1, 3);
    expect(plain).toEqual([
      { v: 1, src: 'cB', seq: 3, op: ['x'] },
      { v: 2, src: 'cA', seq: 8, del: true },
    ]);
    // A deleted doc keeps its history and its version; it is just no longer there.
    expect(await getSnapshot(store, 'w:h')).toEqual({ id: 'w:h', v: 3, type: null, data: undefined, m: null });
  });

  test('[SC4] getCommittedOpVersion recognises a resent op after a restart', async () => {
    let store = await openStore();
    await createText(store, 'w:r', '', 'cR', 1);
    await editText(store, 'w:r', 1, ['a'], 'a', 'cR', 2);
    store = await reopen(store);

    const current = await getSnapshot(store, 'w:r');
    expect(await committedVersion(store, 'w:r', current, { src: 'cR', seq: 1 })).toBe(0);
    expect(await committedVersion(store, 'w:r', current, { src: 'cR', seq: 2 })).toBe(1);
    expect(await committedVersion(store, 'w:r', current, { src: 'cR', seq: 3 })).toBeUndefined();
    expect(await committedVersion(store, 'w:r', current, { src: 'other', seq: 1 })).toBeUndefined();
  });

  test('[SC-PURGE] purged docs are gone for good: snapshot, ops and milestones, after a reopen too, and others are untouched', async () => {
    let store = await openStore();
    await createText(store, 'w:gone', 'secret', 'c1', 1);
    await editText(store, 'w:gone', 1, [6, '!'], 'secret!', 'c1', 2);
    await saveMilestone(store, { id: 'w:gone', ...snap(2, 'secret!') });
    await createText(store, 'w:kept', 'kept', 'c1', 3);
    // Read through the store first, so a cached copy exists and must be dropped too.
    expect((await getSnapshot(store, 'w:gone')).data).toBe('secret!');
    expect(await store.purgeDocs(COLLECTION, { ids: ['w:gone', 'w:never'] })).toBe(1);
    const check = async (s: Store) => {
      expect(await getSnapshot(s, 'w:gone')).toMatchObject({ v: 0, type: null });
      expect(await getOps(s, 'w:gone', 0, null)).toEqual([]);
      expect(await milestone(s, 'byVersion', null, 'w:gone')).toBeUndefined();
      expect((await getSnapshot(s, 'w:kept')).data).toBe('kept');
    };
    await check(store);
    store = await reopen(store);
    await check(store);
    // A stale client's op for the purged doc is refused, not resurrecting it.
    expect(await editText(store, 'w:gone', 2, [7, '?'], 'secret!?', 'c1', 4)).toBe(false);
  });

  test('[SC-PURGE] purging by id prefix erases exactly the docs whose ids start with it', async () => {
    let store = await openStore();
    for (const id of ['ws1:a', 'ws1:b', 'ws10:a', 'ws2:a']) await createText(store, id, id, 'c', 1);
    await saveMilestone(store, { id: 'ws1:c', ...snap(3, 'milestone only') });
    expect(await store.purgeDocs(COLLECTION, { idPrefix: 'ws1:' })).toBeGreaterThanOrEqual(2);
    store = await reopen(store);
    for (const id of ['ws1:a', 'ws1:b']) expect((await getSnapshot(store, id)).type).toBeNull();
    expect(await milestone(store, 'byVersion', null, 'ws1:c')).toBeUndefined();
    for (const id of ['ws10:a', 'ws2:a']) expect((await getSnapshot(store, id)).data).toBe(id);
  });

  test('[SC-COMPACT] compaction keeps milestones at the kept versions, deletes older ops, and the doc carries on', async () => {
    let store = await openStore();
    await createText(store, 'w:c', '', 'c', 1);
    let text = '';
    for (let v = 1; v <= 10; v++) {
      const ch = String.fromCharCode(96 + v); // a..j
      await editText(store, 'w:c', v, text.length ? [text.length, ch] : [ch], text + ch, 'c', v + 1);
      text += ch;
    }
    const result = await compactDocOps(store, COLLECTION, 'w:c', { before: 8, keepVersions: [3, 5] });
    expect(result.retainedFrom).toBe(8);
    expect(result.milestones).toEqual([3, 5, 8]);
    expect(await store.firstOpVersion(COLLECTION, 'w:c')).toBe(8);
    await expect(getOps(store, 'w:c', 0, null)).rejects.toMatchObject({ code: 'ERR_STORAGE_MISSING_OPS' });
    expect((await getOps(store, 'w:c', 8, null)).map((o) => o['v'])).toEqual([8, 9, 10]);
    expect(await milestone(store, 'byVersion', 3, 'w:c')).toMatchObject({ v: 3, data: 'ab' });
    expect(await milestone(store, 'byVersion', 8, 'w:c')).toMatchObject({ v: 8, data: 'abcdefg' });
    // Idempotent, and the doc keeps taking ops, across a reopen.
    expect((await compactDocOps(store, COLLECTION, 'w:c', { before: 8, keepVersions: [3, 5] })).retainedFrom).toBe(8);
    store = await reopen(store);
    expect((await getSnapshot(store, 'w:c')).data).toBe('abcdefghij');
    expect(await editText(store, 'w:c', 11, [10, 'k'], 'abcdefghijk', 'c', 20)).toBe(true);
    expect((await getOps(store, 'w:c', 8, null)).length).toBe(4);
    // Compacting further starts from the milestone left last time.
    expect((await compactDocOps(store, COLLECTION, 'w:c', { before: 10, keepVersions: [] })).retainedFrom).toBe(10);
    expect(await milestone(store, 'byVersion', 10, 'w:c')).toMatchObject({ v: 10, data: 'abcdefghi' });
  });

  test('[SC-SCRUB] an author is replaced in every stored op of every doc, and nobody else is', async () => {
    let store = await openStore();
    const withAuthor = (v: number, author: string, op: unknown[]) => ({ v, src: 'c', seq: v + 1, op, m: { ts: 1, author } });
    await createText(store, 'w:s', '', 'c', 1);
    await commit(store, 'w:s', withAuthor(1, 'alice', ['a']), snap(2, 'a'));
    await commit(store, 'w:s', withAuthor(2, 'bob', [1, 'b']), snap(3, 'ab'));
    await commit(store, 'w:s', withAuthor(3, 'alice', [2, 'c']), snap(4, 'abc'));
    expect(await store.scrubOpAuthor('alice', 'deleted-user')).toBe(2);
    store = await reopen(store);
    const ops = await getOps(store, 'w:s', 1, null, { metadata: true });
    expect(ops.map((o) => (o['m'] as { author: string }).author)).toEqual(['deleted-user', 'bob', 'deleted-user']);
    expect((await getSnapshot(store, 'w:s')).data).toBe('abc');
  });

  test('[SC5] milestone snapshots round-trip and are picked by version and by time', async () => {
    let store = await openStore();
    const at = (v: number, mtime: number, data: string) => ({
      id: 'w:m',
      v,
      type: TEXT_TYPE,
      data,
      m: { ctime: 1000, mtime },
    });
    await saveMilestone(store, at(10, 1000, 'ten'));
    await saveMilestone(store, at(20, 2000, 'twenty'));
    await saveMilestone(store, at(30, 3000, 'thirty'));
    store = await reopen(store);

    expect(await milestone(store, 'byVersion', 25)).toEqual(at(20, 2000, 'twenty'));
    expect(await milestone(store, 'byVersion', 30)).toEqual(at(30, 3000, 'thirty'));
    expect(await milestone(store, 'byVersion', null)).toEqual(at(30, 3000, 'thirty'));
    expect(await milestone(store, 'byVersion', 9)).toBeUndefined();
    expect(await milestone(store, 'atOrBefore', 2500)).toEqual(at(20, 2000, 'twenty'));
    expect(await milestone(store, 'atOrBefore', 999)).toBeUndefined();
    expect(await milestone(store, 'atOrAfter', 2000)).toEqual(at(20, 2000, 'twenty'));
    expect(await milestone(store, 'atOrAfter', 2001)).toEqual(at(30, 3000, 'thirty'));
    expect(await milestone(store, 'atOrAfter', 3001)).toBeUndefined();
  });

  test('[SC6] text with astral chars, emoji, CJK, combining marks and CRLF round-trips byte-exactly', async () => {
    let store = await openStore();
    const text = [
      'def greet():\r\n',
      '    return "héllo 😀 👩🏽‍💻 🇳🇴"\r\n', // astral, skin tone, ZWJ sequence, flag
      '# 漢字かなカナ 한국어\n', // CJK
      'e\u0301 vs \u00e9, a\u0308\u0323\n', // combining marks (NFD) next to NFC: must not be normalised
      '\t𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u200b zero-width \ufeff bom\r',
    ].join('');
    await commit(store, 'w:u', { v: 0, src: 'c', seq: 1, create: { type: TEXT_TYPE, data: text } }, snap(1, text));
    store = await reopen(store);

    const data = (await getSnapshot(store, 'w:u')).data as string;
    expect(data).toBe(text);
    expect(Buffer.from(data, 'utf8').equals(Buffer.from(text, 'utf8'))).toBe(true);
    const [op] = await getOps(store, 'w:u', 0, null);
    expect((op?.['create'] as { data: string }).data).toBe(text);
  });

  test('[SC7] a 2 MB snapshot commits and reads back whole', async () => {
    let store = await openStore();
    const line = 'const x = "ünïcødé 😀";\r\n';
    const big = line.repeat(Math.ceil((2 * 1024 * 1024) / Buffer.byteLength(line))).slice(0, 2 * 1024 * 1024 - 8);
    expect(await createText(store, 'w:big', big)).toBe(true);
    store = await reopen(store);
    expect((await getSnapshot(store, 'w:big')).data).toBe(big);
  });

  test('[SC8] a rejected (stale) commit persists nothing', async () => {
    let store = await openStore();
    await createText(store, 'w:s', 'a', 'c', 1);
    await editText(store, 'w:s', 1, ['b'], 'ba', 'c', 2);

    // Built on version 1, but the doc is at 2: must be refused without a trace.
    expect(await editText(store, 'w:s', 1, ['X'], 'Xa', 'late', 1)).toBe(false);
    // A re-create of an existing doc is just as stale.
    expect(await createText(store, 'w:s', 'Z', 'late', 2)).toBe(false);
    store = await reopen(store);

    expect(await getSnapshot(store, 'w:s')).toMatchObject({ v: 2, data: 'ba' });
    const ops = await getOps(store, 'w:s', 0, null);
    expect(ops.map((op) => op['src'])).toEqual(['c', 'c']);
    expect(await committedVersion(store, 'w:s', { v: 2 }, { src: 'late', seq: 1 })).toBeUndefined();
  });

  test('[SC9] ping() resolves while open and rejects once closed', async () => {
    const store = await openStore();
    await expect(store.ping()).resolves.toBeUndefined();
    await store.close();
    await expect(store.ping()).rejects.toMatchObject({ code: 'ERR_STORAGE_CLOSED' });
    await store.close(); // idempotent
  });

  test('[SC10] end to end: two clients edit one text doc, the server restarts, text and history are intact', async () => {
    const interval = 5;
    let store = await openStore({ milestoneInterval: interval });
    let backend = new ShareDB({ db: store.db, milestoneDb: store.milestoneDb });
    const c1 = backend.connect();
    const c2 = backend.connect();
    const d1 = c1.get(COLLECTION, 'w1:main.py');
    const d2 = c2.get(COLLECTION, 'w1:main.py');
    const errors: unknown[] = [];
    for (const doc of [d1, d2]) doc.on('error', (err: unknown) => errors.push(err));

    await call((cb) => d1.create('', TEXT_TYPE, cb));
    await call((cb) => d1.subscribe(cb));
    await call((cb) => d2.subscribe(cb));

    // Interleaved, unacknowledged edits from both sides force real transforms on the server.
    const acks: Array<Promise<void>> = [];
    for (let i = 0; i < 20; i++) {
      acks.push(call((cb) => d1.submitOp([0, `é😀${i}\r\n`], {}, cb)));
      acks.push(call((cb) => d2.submitOp([0, `漢${i}\n`], {}, cb)));
      if (i % 4 === 0) await Promise.all(acks.splice(0));
    }
    await Promise.all(acks);
    await waitFor(() => d1.version === d2.version && d1.data === d2.data);
    expect(errors).toEqual([]);
    const text = d1.data as string;
    const version = d1.version as number;
    expect([...text.matchAll(/😀/gu)]).toHaveLength(20);
    expect([...text.matchAll(/漢/gu)]).toHaveLength(20);

    // Shut down like the server does: clients gone, then the store (which lets in-flight
    // milestone saves finish before closing).
    c1.close();
    c2.close();
    await store.close();

    store = await openStore({ milestoneInterval: interval });
    backend = new ShareDB({ db: store.db, milestoneDb: store.milestoneDb });
    const c3 = backend.connect();
    const d3 = c3.get(COLLECTION, 'w1:main.py');
    await call((cb) => d3.fetch(cb));
    expect(d3.data).toBe(text);
    expect(d3.version).toBe(version);

    // History: every version is rebuildable (from milestones + ops) after the restart.
    const ops = await getOps(store, 'w1:main.py', 0, null, { metadata: true });
    expect(ops).toHaveLength(version);
    let replayed = '';
    for (const op of ops.slice(0, 7)) {
      const create = op['create'] as { data?: string } | undefined;
      replayed = create ? (create.data ?? '') : otText.type.apply(replayed, op['op'] as otText.TextOp);
    }
    const atSeven = await call<ShareDB.Snapshot>((cb) => c3.fetchSnapshot(COLLECTION, 'w1:main.py', 7, cb));
    expect(atSeven).toMatchObject({ v: 7, data: replayed });
    expect(await milestone(store, 'byVersion', 7, 'w1:main.py')).toMatchObject({ v: 5 });

    c3.close();
    await call((cb) => backend.close(cb));
  });
}

// ---- promisified store calls ------------------------------------------------------------------

type Op = Record<string, unknown>;
interface SnapshotLike {
  id?: string;
  v: number;
  type?: string | null;
  data?: unknown;
  m?: Record<string, unknown> | null;
}

function snap(v: number, data: string): SnapshotLike {
  return { v, type: TEXT_TYPE, data, m: { ctime: 1, mtime: 1 } };
}

function call<T = void>(fn: (cb: (err?: unknown, result?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, result) => (err ? reject(err) : resolve(result as T))));
}

function commit(store: Store, id: string, op: Op, snapshot: SnapshotLike): Promise<boolean> {
  return call<boolean>((cb) => store.db.commit(COLLECTION, id, op, snapshot, null, cb));
}

/** Commit the create of a text doc, as SubmitRequest would hand it to the store. */
function createText(store: Store, id: string, text: string, src = 'c', seq = 1): Promise<boolean> {
  return commit(store, id, { v: 0, src, seq, create: { type: TEXT_TYPE, data: text } }, snap(1, text));
}

/** Commit a text op on version `v`; `after` is the text it produces. */
function editText(store: Store, id: string, v: number, op: unknown[], after: string, src: string, seq: number) {
  return commit(store, id, { v, src, seq, op }, snap(v + 1, after));
}

function getSnapshot(store: Store, id: string): Promise<SnapshotLike & { id: string }> {
  return call((cb) => store.db.getSnapshot(COLLECTION, id, null, null, cb));
}

function getOps(store: Store, id: string, from: number, to: number | null, options?: object): Promise<Op[]> {
  return call((cb) => store.db.getOps(COLLECTION, id, from, to, options ?? null, cb));
}

function committedVersion(store: Store, id: string, snapshot: { v: number }, op: Op): Promise<number | undefined> {
  return call((cb) => store.db.getCommittedOpVersion(COLLECTION, id, snapshot, op, null, cb));
}

function saveMilestone(store: Store, snapshot: SnapshotLike & { id: string }): Promise<void> {
  return call((cb) => store.milestoneDb.saveMilestoneSnapshot(COLLECTION, snapshot as ShareDB.Snapshot, cb));
}

type MilestoneLookup = 'byVersion' | 'atOrBefore' | 'atOrAfter';

function milestone(store: Store, how: MilestoneLookup, at: number | null, id = 'w:m'): Promise<unknown> {
  // @types/sharedb declares these callbacks as (err?) => void; they also receive the snapshot.
  const db = store.milestoneDb as unknown as Record<
    'getMilestoneSnapshot' | 'getMilestoneSnapshotAtOrBeforeTime' | 'getMilestoneSnapshotAtOrAfterTime',
    (collection: string, id: string, at: number | null, cb: (err?: unknown, snapshot?: unknown) => void) => void
  >;
  const method =
    how === 'byVersion'
      ? 'getMilestoneSnapshot'
      : how === 'atOrBefore'
        ? 'getMilestoneSnapshotAtOrBeforeTime'
        : 'getMilestoneSnapshotAtOrAfterTime';
  return call((cb) => db[method].call(store.milestoneDb, COLLECTION, id, at, cb));
}

async function waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
