import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ShareDB from 'sharedb';
import * as otText from 'ot-text-unicode';
import { compactDocOps, openStore, type Store } from '../../prisma-free-db';
import { COLLECTIONS, TEXT_TYPE_URI, fileDocId } from '../../lib/protocol';
import { FileHistoryReader } from '../../server/review/file-history';

/**
 * HS-1 during op retention: a teacher opening a file's history while the retention sweep (of this
 * process or another) compacts it got a 500, because the reader learnt where the log starts, then
 * the oldest ops were deleted, then it asked for ops that were gone (CI, retention-scale.test.ts).
 * Here the compaction is slotted exactly into that gap, on a real SQLite file.
 */

ShareDB.types.register(otText.type as unknown as Parameters<typeof ShareDB.types.register>[0]);

const WORKSPACE = 'w1';
const FILE = 'f1';
const DOC = fileDocId(WORKSPACE, FILE);

let dir: string;
let store: Store;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-history-race-'));
  store = await openStore({ dataDir: dir });
  await commit({ v: 0, src: 'c', seq: 1, create: { type: TEXT_TYPE_URI, data: '' } }, 1, '');
  let text = '';
  for (const ch of 'abcdefghij') {
    await commit({ v: text.length + 1, src: 'c', seq: text.length + 2, op: text.length ? [text.length, ch] : [ch], m: { ts: 1, author: 'u1' } }, text.length + 2, text + ch);
    text += ch;
  }
});

afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function commit(op: Record<string, unknown>, v: number, data: string): Promise<void> {
  return new Promise((resolve, reject) =>
    store.db.commit(COLLECTIONS.files, DOC, op as never, { v, type: TEXT_TYPE_URI, data, m: { ctime: 1, mtime: 1 } } as never, null, (err, ok) =>
      err ? reject(err) : ok ? resolve() : reject(new Error('commit refused')),
    ),
  );
}

/** The store, except that the first time the reader asks where the log starts, `between` runs right after. */
function racing(between: () => Promise<unknown>): Store {
  let raced = false;
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'firstOpVersion') {
        return async (collection: string, id: string) => {
          const from = await target.firstOpVersion(collection, id);
          if (!raced) {
            raced = true;
            await between();
          }
          return from;
        };
      }
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

test('[HS-1] history read while the oldest ops are being compacted is the compacted history, not an error', async () => {
  const reader = new FileHistoryReader(racing(() => compactDocOps(store, COLLECTIONS.files, DOC, { before: 8, keepVersions: [4] })));
  const log = await reader.read(WORKSPACE, FILE);
  expect(log).not.toBeNull();
  expect(log!.retainedFrom).toBe(8);
  expect(log!.version).toBe(11);
  expect(log!.ops.map((o) => o.v)).toEqual([8, 9, 10]);
  expect(log!.textAt(11)).toBe('abcdefghij');
  expect(log!.textAt(8)).toBe('abcdefg');
  expect(log!.keptVersions).toEqual([4]);
  expect(log!.textAt(4)).toBe('abc');
});

test('[HS-1] a history compacted down to its current version reads as such, not as a missing file', async () => {
  const reader = new FileHistoryReader(racing(() => compactDocOps(store, COLLECTIONS.files, DOC, { before: 11, keepVersions: [] })));
  const log = await reader.read(WORKSPACE, FILE);
  expect(log?.retainedFrom).toBe(11);
  expect(log?.ops).toEqual([]);
  expect(log?.textAt(11)).toBe('abcdefghij');
});

test('[HS-1] a gap that no compaction explains is still reported', async () => {
  // Ops deleted behind the store's back, without moving where the log starts: damage, not a race.
  const reader = new FileHistoryReader(
    new Proxy(store, {
      get(target, prop) {
        if (prop === 'firstOpVersion') return async () => 0;
        const value = Reflect.get(target, prop) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    }),
  );
  await compactDocOps(store, COLLECTIONS.files, DOC, { before: 5, keepVersions: [] });
  await expect(reader.read(WORKSPACE, FILE)).rejects.toMatchObject({ code: 'ERR_STORAGE_MISSING_OPS' });
});

test('[HS-2] a playback step while the oldest ops are being compacted answers from what is kept, not with an error', async () => {
  // Version 6 was to be rebuilt from the milestone at 4 and ops 4 and 5, which the compaction removes.
  const compaction = () => compactDocOps(store, COLLECTIONS.files, DOC, { before: 8, keepVersions: [4] });
  expect(await new FileHistoryReader(racing(compaction)).textAt(WORKSPACE, FILE, 6)).toEqual({ text: null, retainedFrom: 8 });
  expect(await new FileHistoryReader(store).textAt(WORKSPACE, FILE, 4)).toEqual({ text: 'abc', retainedFrom: 8 });
  expect(await new FileHistoryReader(store).textAt(WORKSPACE, FILE, 9)).toEqual({ text: 'abcdefgh', retainedFrom: 8 });
});
