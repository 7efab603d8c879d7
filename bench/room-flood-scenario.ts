import type { Doc } from 'sharedb/lib/client';
import { keystrokeChar } from './keystroke-chars';
import { poissonDelayMs, seededRandom } from './rng';

/**
 * The "hot room" scenario of issue 6 §2, shared by the integration test
 * (tests/integration/room-limits.test.ts) and the bench (bench/room-flood.ts): a quiet room whose
 * typists' keystroke → peer latency is measured, next to a flooding room whose editors submit as
 * fast as ShareDB lets them (the next op the moment the previous one is acknowledged).
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Code points inserted by a text-unicode op, in order. */
function insertedChars(op: unknown): string[] {
  if (!Array.isArray(op)) return [];
  const chars: string[] = [];
  for (const component of op) if (typeof component === 'string') chars.push(...component);
  return chars;
}

export interface QuietTypingOptions {
  /** Keystrokes per second per typist (Poisson arrivals). */
  cps: number;
  durationMs: number;
  /** Index of the first keystroke character (bench/keystroke-chars.ts), so phases never reuse one. */
  firstKeystroke: number;
  seed: number;
  /** Give up waiting for deliveries after this long once typing stopped. */
  settleTimeoutMs?: number;
}

export interface QuietTypingResult {
  /** Keystrokes typed (one op each, before ShareDB composes them). */
  keystrokes: number;
  /** Keystrokes acknowledged without error. */
  acked: number;
  /** Op callbacks that reported an error (a refused or rolled-back keystroke). */
  errors: number;
  /** One sample per (keystroke, peer): the peer's `op` event time − the keystroke's submit time. */
  latenciesMs: number[];
  /** (keystroke, peer) deliveries that never arrived within the settle timeout. */
  missing: number;
  /** Every character typed, to check the final text. */
  typed: string[];
}

/**
 * Every doc is one typist's view of the same file (each on its own connection). Each typist inserts
 * one unique character at a random position, `cps` times a second, for `durationMs`; every other
 * typist records when that character arrives in a remote op. All docs must live in this process,
 * so send and receive times come from one clock.
 */
export async function typeQuietly(docs: Array<Doc<string>>, options: QuietTypingOptions): Promise<QuietTypingResult> {
  const rand = seededRandom(options.seed);
  const sent = new Map<string, { at: number; by: number; pending: number }>();
  const result: QuietTypingResult = { keystrokes: 0, acked: 0, errors: 0, latenciesMs: [], missing: 0, typed: [] };
  let undelivered = 0;
  const listeners = docs.map((doc, index) => {
    const onOp = (op: unknown, source: unknown) => {
      if (source) return;
      const at = performance.now();
      for (const ch of insertedChars(op)) {
        const keystroke = sent.get(ch);
        if (!keystroke || keystroke.by === index) continue;
        result.latenciesMs.push(at - keystroke.at);
        keystroke.pending--;
        undelivered--;
      }
    };
    doc.on('op', onOp);
    return onOp;
  });
  let next = options.firstKeystroke;
  const started = performance.now();
  await Promise.all(
    docs.map(async (doc, index) => {
      let due = started + poissonDelayMs(rand, options.cps);
      while (due < started + options.durationMs) {
        await sleep(Math.max(0, due - performance.now()));
        const ch = keystrokeChar(next++);
        const length = [...doc.data].length;
        const position = Math.floor(rand() * (length + 1));
        sent.set(ch, { at: performance.now(), by: index, pending: docs.length - 1 });
        undelivered += docs.length - 1;
        result.keystrokes++;
        result.typed.push(ch);
        doc.submitOp(position > 0 ? [position, ch] : [ch], {}, (err?: unknown) => {
          if (err) result.errors++;
          else result.acked++;
        });
        due += poissonDelayMs(rand, options.cps);
      }
    }),
  );
  const settleBy = performance.now() + (options.settleTimeoutMs ?? 15_000);
  while ((undelivered > 0 || result.acked + result.errors < result.keystrokes) && performance.now() < settleBy) await sleep(10);
  docs.forEach((doc, index) => doc.off('op', listeners[index]!));
  result.missing = undelivered;
  return result;
}

export interface FloodResult {
  /** `performance.now()` of every acknowledged op, in order. */
  ackTimes: number[];
  /** Ops acknowledged per doc, in the order of the docs passed in. */
  ackedPerDoc: number[];
  errors: number;
}

export interface Flood {
  /** Acknowledged ops so far. */
  acked(): number;
  /** Stop submitting and resolve once every op in flight has been answered. */
  stop(): Promise<FloodResult>;
}

export interface FloodOptions {
  seed?: number;
  /**
   * At most this many ops per second per doc (unlimited by default). With one doc per socket,
   * a value under the per-socket message limit (P-LIM-4) makes a flood that limit cannot stop.
   */
  maxOpsPerSecondPerDoc?: number;
}

/**
 * Every doc submits a one-character insert, and the next one the moment the previous one is
 * acknowledged: as fast as a ShareDB client can go (it never has two ops of one doc in flight),
 * so the room's acknowledged ops per second is what the server lets it have.
 */
export function startFlood(docs: Array<Doc<string>>, options: FloodOptions = {}): Flood {
  const rand = seededRandom(options.seed ?? 1);
  const spacingMs = options.maxOpsPerSecondPerDoc ? 1000 / options.maxOpsPerSecondPerDoc : 0;
  const lastSubmitAt = docs.map(() => -Infinity);
  const result: FloodResult = { ackTimes: [], ackedPerDoc: docs.map(() => 0), errors: 0 };
  let stopping = false;
  const inFlight = new Set<number>();
  let allAnswered: (() => void) | null = null;
  const submit = (index: number) => {
    const doc = docs[index]!;
    if (stopping) {
      inFlight.delete(index);
      if (inFlight.size === 0) allAnswered?.();
      return;
    }
    inFlight.add(index);
    const wait = lastSubmitAt[index]! + spacingMs - performance.now();
    if (wait > 0) {
      setTimeout(() => submit(index), wait);
      return;
    }
    lastSubmitAt[index] = performance.now();
    const position = Math.floor(rand() * ([...doc.data].length + 1));
    const ch = String.fromCharCode(97 + Math.floor(rand() * 26));
    doc.submitOp(position > 0 ? [position, ch] : [ch], {}, (err?: unknown) => {
      if (err) result.errors++;
      else {
        result.ackTimes.push(performance.now());
        result.ackedPerDoc[index]!++;
      }
      submit(index);
    });
  };
  docs.forEach((_, index) => submit(index));
  return {
    acked: () => result.ackTimes.length,
    stop() {
      stopping = true;
      if (inFlight.size === 0) return Promise.resolve(result);
      return new Promise((resolve) => {
        allAnswered = () => resolve(result);
      });
    },
  };
}

/** Acknowledged ops per second between `from` and `to` (performance.now() times). */
export function ackRate(ackTimes: number[], from: number, to: number): number {
  const inWindow = ackTimes.filter((t) => t >= from && t < to).length;
  return (inWindow * 1000) / (to - from);
}

/** The q-quantile of `samples` (nearest rank), 0 for none. */
export function quantile(samples: number[], q: number): number {
  if (samples.length === 0) return 0;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
