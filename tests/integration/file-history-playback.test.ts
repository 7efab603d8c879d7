import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ShareDB from 'sharedb';
import * as otText from 'ot-text-unicode';
import { compactDocOps, openStore, type Store } from '../../prisma-free-db';
import { COLLECTIONS, TEXT_TYPE_URI, fileDocId } from '../../lib/protocol';
import { FileHistoryReader } from '../../server/review/file-history';
import fc from 'fast-check';
import { TRICKY_CHARS, propertyConfig } from '../unit/support/property';

/**
 * HS-2 (one playback step) rebuilds a version from the nearest milestone snapshot plus the ops
 * after it, instead of replaying the whole log. Checked against what was typed, and against the
 * whole-log replay, for every version of random histories on a real SQLite file: with milestones
 * saved as ShareDB saves them, with and without op retention's compaction, across a delete and
 * re-create of the doc, and past the current version (fast-check; TANDEM_SEED replays a run).
 */

ShareDB.types.register(otText.type as unknown as Parameters<typeof ShareDB.types.register>[0]);

const INTERVAL = 7;
let dir: string;
let store: Store;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-history-playback-'));
  store = await openStore({ dataDir: dir, milestoneInterval: INTERVAL });
});

afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function call(fn: (cb: (err?: unknown, ok?: unknown) => void) => void): Promise<unknown> {
  return new Promise((resolve, reject) => fn((err, ok) => (err ? reject(err) : resolve(ok))));
}

type Step = readonly [kind: 'type' | 'erase' | 'drop', at: number, chars: string];

/** What a history is made of: mostly typing, some erasing, now and then the file deleted (and created again). */
const steps = fc.array(
  fc.tuple(fc.constantFrom<Step[0]>('type', 'type', 'type', 'erase', 'erase', 'drop'), fc.nat(), fc.constantFrom(...TRICKY_CHARS)),
  { minLength: 5, maxLength: 70 },
);

let docs = 0;

/**
 * Commits `script` to a new file doc and returns its id and the text after each number of ops
 * (index = version). Milestones are saved every INTERVAL versions, as ShareDB's submit does.
 * Positions count code points, as text-unicode does.
 */
async function typeHistory(script: readonly Step[]): Promise<{ fileId: string; texts: string[] }> {
  const fileId = `f${++docs}`;
  const id = fileDocId('w', fileId);
  const texts = [''];
  let text: string[] | null = null;
  for (let v = 0; v < script.length; v++) {
    const [kind, n, chars] = script[v]!;
    let op: Record<string, unknown>;
    if (text === null) {
      const initial = n % 2 ? '' : 'starter\n';
      op = { create: { type: TEXT_TYPE_URI, data: initial } };
      text = [...initial];
    } else if (kind === 'drop' && v > 3) {
      op = { del: true };
      text = null;
    } else if (kind === 'erase' && text.length > 0) {
      const at = n % text.length;
      const count = 1 + (n % Math.min(3, text.length - at));
      op = { op: at > 0 ? [at, { d: count }] : [{ d: count }] };
      text.splice(at, count);
    } else {
      const at = n % (text.length + 1);
      op = { op: at > 0 ? [at, chars] : [chars] };
      text.splice(at, 0, ...chars);
    }
    const data = text?.join('');
    const snapshot = { v: v + 1, type: text === null ? null : TEXT_TYPE_URI, data, m: { ctime: 1, mtime: 1 } };
    const ok = await call((cb) => store.db.commit(COLLECTIONS.files, id, { v, src: 's', seq: v + 1, m: { ts: v, author: 'u1' }, ...op } as never, snapshot as never, null, cb as never));
    expect(ok).toBe(true);
    if (snapshot.v % INTERVAL === 0) await call((cb) => store.milestoneDb.saveMilestoneSnapshot(COLLECTIONS.files, { id, ...snapshot } as never, cb as never));
    texts.push(data ?? '');
  }
  return { fileId, texts };
}

async function expectEveryVersion(fileId: string, texts: string[], expected: (v: number) => string | null): Promise<void> {
  const reader = new FileHistoryReader(store);
  const log = await reader.read('w', fileId);
  // The whole log read a few ops at a time is the same log.
  const chunked = await new FileHistoryReader(store, 3).read('w', fileId);
  expect(chunked?.ops).toEqual(log?.ops);
  expect(chunked?.retainedFrom).toBe(log?.retainedFrom);
  // What submit records, read from the snapshot alone.
  expect(await reader.version('w', fileId)).toBe(log!.version);
  for (let v = 0; v < texts.length + 3; v++) {
    const at = await reader.textAt('w', fileId, v);
    expect({ v, text: at?.text }).toEqual({ v, text: expected(v) });
    expect({ v, text: at?.text }).toEqual({ v, text: log!.textAt(v) });
    expect(at?.retainedFrom).toBe(log!.retainedFrom);
  }
}

test('[HS-2] every version from milestones equals what was typed and the whole-log replay', async () => {
  await fc.assert(
    fc.asyncProperty(steps, async (script) => {
      const { fileId, texts } = await typeHistory(script);
      await expectEveryVersion(fileId, texts, (v) => texts[v] ?? null);
    }),
    propertyConfig(25),
  );
});

test('[HS-2] after op retention: kept versions as before, compacted ones only where a milestone was kept', async () => {
  await fc.assert(
    fc.asyncProperty(steps, fc.nat(), fc.array(fc.nat(), { maxLength: 3 }), async (script, cut, keepSeeds) => {
      const { fileId, texts } = await typeHistory(script);
      const before = 1 + (cut % script.length);
      const keep = keepSeeds.map((k) => k % before);
      const { retainedFrom } = await compactDocOps(store, COLLECTIONS.files, fileDocId('w', fileId), { before, keepVersions: keep });
      expect(retainedFrom).toBe(before);
      // Below the kept history: the kept versions, the ShareDB milestones (every INTERVAL) and 0.
      const viewable = (v: number) => v === 0 || keep.includes(v) || v % INTERVAL === 0;
      await expectEveryVersion(fileId, texts, (v) => (v >= before || viewable(v) ? (texts[v] ?? null) : null));
    }),
    propertyConfig(25),
  );
});

test('[HS-2] a file that never existed has no versions', async () => {
  const reader = new FileHistoryReader(store);
  expect(await reader.version('w', 'nope')).toBe(0);
  expect(await reader.textAt('w', 'nope', 0)).toBeNull();
  expect(await reader.textAt('w', 'nope', 5)).toBeNull();
});
