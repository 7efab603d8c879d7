import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import ShareDB from 'sharedb';
import * as otText from 'ot-text-unicode';
import { openStore, type Store } from '../prisma-free-db';
import { COLLECTIONS, TEXT_TYPE_URI, fileDocId } from '../lib/protocol';
import { FileHistoryReader } from '../server/review/file-history';
import { intArg } from './options';
import { seededRandom } from './rng';

/**
 * What one step of history playback costs the server. The teacher's scrubber asks
 * `GET …/files/:f/versions/:v` for one version per step (server/review/history-service.ts).
 * Measured on a real SQLite file holding one file doc typed keystroke by keystroke (inserts at a
 * moving cursor, one in ten a backspace, the text growing to about --chars characters), with a
 * milestone snapshot every --milestone-interval versions as ShareDB's submit saves them
 * (MILESTONE_INTERVAL, default 500), for several history lengths:
 *
 * - log read: every op of the file, as the history list (HS-1) and blame read it;
 * - version: the file's current version from its snapshot (FileHistoryReader.version), which
 *   submit and the AI review's request now use instead of a log read;
 * - step from the whole log: that read, then a replay up to v (how a step was served before);
 * - step from a milestone: the nearest milestone at or below v plus the ops after it
 *   (FileHistoryReader.textAt, how a step is served now).
 *
 *   npm run build:server && node dist/bench/history-playback.js
 *   node dist/bench/history-playback.js --steps 50 --chars 6000 --milestone-interval 500
 *
 * Prints medians (and p95) over --steps random versions per history length, and the longest
 * the event loop was held ("stall") during each kind of request: what every other socket of
 * the process waited meanwhile.
 */
const STEPS = intArg('steps', 40, 10_000);
const CHARS = intArg('chars', 6_000, 1_000_000);
const INTERVAL = intArg('milestone-interval', 500, 100_000);
const LENGTHS = [1_000, 5_000, 20_000, 50_000];

ShareDB.types.register(otText.type as unknown as Parameters<typeof ShareDB.types.register>[0]);

async function main(): Promise<void> {
  console.log(`history playback: one file, text up to ~${CHARS} chars, a milestone every ${INTERVAL} versions, ${STEPS} steps per length (node ${process.version})`);
  console.log('         log read (HS-1)   version | step from the whole log     | step from a milestone       |');
  console.log('ops        p50 ms  stall ms  p50 ms |  p50 ms  p95 ms  stall ms |  p50 ms  p95 ms  stall ms |  chars');
  for (const length of LENGTHS) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-bench-history-'));
    const store = await openStore({ dataDir: dir });
    try {
      const finalText = await typeFile(store, length);
      const reader = new FileHistoryReader(store);
      const rand = seededRandom(length);
      const reads: number[] = [];
      const versions: number[] = [];
      const whole: number[] = [];
      const nearest: number[] = [];
      // The longest the event loop was held (every other socket of the process waits that long).
      let readStall = 0;
      let wholeStall = 0;
      let nearestStall = 0;
      for (let i = 0; i < STEPS; i++) {
        const v = 1 + Math.floor(rand() * length);
        let probe = stallProbe();
        let t = performance.now();
        await reader.read('w', 'f');
        reads.push(performance.now() - t);
        readStall = Math.max(readStall, await probe());
        t = performance.now();
        if ((await reader.version('w', 'f')) !== length) throw new Error('wrong current version');
        versions.push(performance.now() - t);
        probe = stallProbe();
        t = performance.now();
        const log = await reader.read('w', 'f');
        const a = log?.textAt(v);
        whole.push(performance.now() - t);
        wholeStall = Math.max(wholeStall, await probe());
        probe = stallProbe();
        t = performance.now();
        const b = await reader.textAt('w', 'f', v);
        nearest.push(performance.now() - t);
        nearestStall = Math.max(nearestStall, await probe());
        if (a === null || a === undefined || b?.text !== a) throw new Error(`the two ways disagree at version ${v}`);
      }
      console.log(
        [
          String(length).padEnd(7),
          fmt(pct(reads, 50)),
          fmt(readStall),
          fmt(pct(versions, 50)),
          fmt(pct(whole, 50)),
          fmt(pct(whole, 95)),
          fmt(wholeStall),
          fmt(pct(nearest, 50)),
          fmt(pct(nearest, 95)),
          fmt(nearestStall),
          String(finalText.length).padStart(6),
        ].join(' '),
      );
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** Commit a create and `length - 1` keystrokes; returns the final text. */
async function typeFile(store: Store, length: number): Promise<string> {
  const id = fileDocId('w', 'f');
  const rand = seededRandom(7);
  const commit = (op: Record<string, unknown>, v: number, data: string) =>
    new Promise<void>((resolve, reject) =>
      store.db.commit(COLLECTIONS.files, id, op as never, { v, type: TEXT_TYPE_URI, data, m: { ctime: 1, mtime: 1 } } as never, null, (err, ok) =>
        err ? reject(err) : ok ? resolve() : reject(new Error('commit refused')),
      ),
    );
  await commit({ v: 0, src: 's', seq: 1, create: { type: TEXT_TYPE_URI, data: '' } }, 1, '');
  let text = '';
  let cursor = 0;
  for (let v = 1; v < length; v++) {
    // Mostly typing on at the cursor; sometimes the cursor jumps; one in ten a backspace, more once the file is full.
    if (rand() < 0.02) cursor = Math.floor(rand() * (text.length + 1));
    const backspace = cursor > 0 && rand() < (text.length >= CHARS ? 0.5 : 0.1);
    let op: unknown[];
    if (backspace) {
      op = cursor > 1 ? [cursor - 1, { d: 1 }] : [{ d: 1 }];
      text = text.slice(0, cursor - 1) + text.slice(cursor);
      cursor--;
    } else {
      const ch = rand() < 0.05 ? '\n' : String.fromCharCode(97 + Math.floor(rand() * 26));
      op = cursor > 0 ? [cursor, ch] : [ch];
      text = text.slice(0, cursor) + ch + text.slice(cursor);
      cursor++;
    }
    await commit({ v, src: 's', seq: v + 1, op, m: { ts: 1_764_000_000_000 + v * 200, author: 'u_5f2c9a7e1b', source: 'typed' } }, v + 1, text);
    if ((v + 1) % INTERVAL === 0) {
      const milestone = { id, v: v + 1, type: TEXT_TYPE_URI, data: text, m: { ctime: 1, mtime: 1 } };
      await new Promise<void>((resolve, reject) => store.milestoneDb.saveMilestoneSnapshot(COLLECTIONS.files, milestone as never, (err) => (err ? reject(err) : resolve())));
    }
  }
  return text;
}

/** Starts watching the event loop; the returned function stops and gives the longest gap between 1 ms ticks, in ms. */
function stallProbe(): () => Promise<number> {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  return async () => {
    await new Promise((r) => setTimeout(r, 3)); // one more tick, so a stall at the end is seen
    clearInterval(timer);
    return longest;
  };
}

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function fmt(ms: number): string {
  return ms.toFixed(1).padStart(8);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
