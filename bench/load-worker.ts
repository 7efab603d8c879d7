import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { Doc } from 'sharedb/lib/client';
import { COLLECTIONS } from '../lib/protocol';
import { call, describeError, openClient, subscribeText, whenConnected, withConcurrency, type BenchClient } from './bench-client';
import { Histogram } from './histogram';
import { isKeystrokeChar, keystrokeChar } from './keystroke-chars';
import type { DriverToLoadWorker, LoadSetup, LoadStart, LoadWorkerResult, LoadWorkerToDriver, RoomProblem } from './messages';
import { poissonDelayMs, seededRandom } from './rng';

/**
 * A load-generator process, forked by load.ts. It holds every editor of its rooms, so a
 * keystroke's send time and each peer's receive time are read from one clock
 * (`performance.now()` of this process). Protocol: `setup` → connect and subscribe everyone →
 * `ready`; `start` → type until the window ends → settle → check convergence → `result` → exit.
 */

const CONNECT_TIMEOUT_MS = 30_000;
const CONNECT_CONCURRENCY = 20;
/** After typing stops: how long to wait for acks, then for every peer to catch up. */
const SETTLE_TIMEOUT_MS = 60_000;

interface Editor {
  index: number;
  client: BenchClient;
  doc: Doc<string>;
  rand: () => number;
  timer: ReturnType<typeof setTimeout> | null;
}

interface Room {
  docId: string;
  editors: Editor[];
  /** Keystroke character → performance.now() when it was typed. */
  sentAt: Map<string, number>;
  typed: number;
  versionAtWindowStart: number;
  versionAtWindowEnd: number;
}

let setup: LoadSetup | null = null;
const rooms: Room[] = [];
const latency = new Histogram();
const ack = new Histogram();
const counters = {
  keystrokesInWindow: 0,
  ackedInWindow: 0,
  ackErrors: 0,
  firstAckError: null as string | null,
  deliveriesReceived: 0,
};
let windowStart = Infinity;
let windowEnd = Infinity;

function send(message: LoadWorkerToDriver): Promise<void> {
  return new Promise((resolve) => process.send!(message, () => resolve()));
}

async function connectAll(config: LoadSetup): Promise<void> {
  const started = performance.now();
  const slots = config.rooms.flatMap((room) => Array.from({ length: config.editors }, (_, e) => ({ room, e })));
  const editors = await withConcurrency(CONNECT_CONCURRENCY, slots.length, async (i) => {
    const { room, e } = slots[i]!;
    const client = openClient(config.target, room.editorUrls?.[e] ?? config.url, `bench-r${room.index}-e${e}`, config.cookie);
    await whenConnected(client.connection, CONNECT_TIMEOUT_MS);
    const doc = await subscribeText(client.connection, COLLECTIONS.files, room.docId);
    const editor: Editor = { index: e, client, doc, rand: seededRandom(config.seed + room.index * 1009 + e), timer: null };
    return { room, editor };
  });
  for (const spec of config.rooms) {
    const room: Room = {
      docId: spec.docId,
      editors: editors.filter((x) => x.room === spec).map((x) => x.editor),
      sentAt: new Map(),
      typed: 0,
      versionAtWindowStart: 0,
      versionAtWindowEnd: 0,
    };
    for (const editor of room.editors) listenForPeers(room, editor);
    rooms.push(room);
  }
  await send({ type: 'ready', connectMs: performance.now() - started, clients: editors.length });
}

/** Attribute every character a peer's op inserts to the keystroke that typed it. */
function listenForPeers(room: Room, editor: Editor): void {
  editor.doc.on('op', (op: unknown, source: unknown) => {
    if (source) return; // our own keystroke, applied locally
    const now = performance.now();
    for (const component of op as unknown[]) {
      if (typeof component !== 'string') continue;
      for (const ch of component) {
        const sentAt = room.sentAt.get(ch);
        if (sentAt === undefined) continue;
        counters.deliveriesReceived++;
        if (sentAt >= windowStart && sentAt < windowEnd) latency.record(now - sentAt);
      }
    }
  });
}

function typeOne(room: Room, editor: Editor): void {
  const ch = keystrokeChar(room.typed++);
  const text = editor.doc.data;
  // Bench text is all BMP, so string length equals the number of ot-text-unicode positions.
  const position = Math.floor(editor.rand() * (text.length + 1));
  const sentAt = performance.now();
  room.sentAt.set(ch, sentAt);
  const inWindow = sentAt >= windowStart && sentAt < windowEnd;
  if (inWindow) counters.keystrokesInWindow++;
  editor.doc.submitOp(position > 0 ? [position, ch] : [ch], undefined, (err) => {
    const now = performance.now();
    if (err) {
      counters.ackErrors++;
      counters.firstAckError ??= describeError(err);
      return;
    }
    if (now >= windowStart && now < windowEnd) counters.ackedInWindow++;
    if (inWindow) ack.record(now - sentAt);
  });
}

interface WindowUsage {
  cpuMs: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

/** Type until the window ends; resolves with what this process used inside the window. */
function startTyping(config: LoadSetup, start: LoadStart): Promise<WindowUsage> {
  const startPerf = performance.now() + (start.startEpochMs - Date.now());
  windowStart = startPerf + start.warmupMs;
  windowEnd = windowStart + start.durationMs;
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  let cpuAtStart = process.cpuUsage();

  setTimeout(() => {
    loopDelay.enable();
    cpuAtStart = process.cpuUsage();
    for (const room of rooms) room.versionAtWindowStart = room.editors[0]?.doc.version ?? 0;
  }, windowStart - performance.now());

  return new Promise((resolve) => {
    setTimeout(() => {
      loopDelay.disable();
      const used = process.cpuUsage(cpuAtStart);
      for (const room of rooms) {
        room.versionAtWindowEnd = room.editors[0]?.doc.version ?? 0;
        for (const editor of room.editors) if (editor.timer) clearTimeout(editor.timer);
      }
      resolve({
        cpuMs: (used.user + used.system) / 1000,
        // The histogram counts nanoseconds.
        loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
        loopDelayMaxMs: loopDelay.max / 1e6,
      });
    }, windowEnd - performance.now());

    for (const room of rooms) {
      for (const editor of room.editors) {
        const next = (): void => {
          editor.timer = setTimeout(() => {
            if (performance.now() >= windowEnd) return;
            typeOne(room, editor);
            next();
          }, poissonDelayMs(editor.rand, config.cps));
        };
        // Nobody types before the start; the first delay of a Poisson process is itself random.
        editor.timer = setTimeout(next, Math.max(0, startPerf - performance.now()));
      }
    }
  });
}

function nothingPending(doc: Doc): Promise<void> {
  return new Promise((resolve) => doc.whenNothingPending(() => resolve()));
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Wait until each room's editors are all at the room's highest version, or the deadline passes. */
async function waitForPeers(deadline: number): Promise<void> {
  const caughtUp = () =>
    rooms.every((room) => {
      const versions = room.editors.map((e) => e.doc.version ?? -1);
      return versions.every((v) => v === versions[0]);
    });
  while (!caughtUp() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

/** Every editor's text equal, equal to a fresh fetch, and holding each keystroke exactly once. */
async function checkRoom(room: Room, fresh: BenchClient): Promise<string | null> {
  const texts = room.editors.map((e) => e.doc.data);
  const first = texts[0] ?? '';
  const differing = texts.filter((t) => t !== first).length;
  if (differing) return `${differing} of ${texts.length} editors differ from editor 0`;
  const doc = fresh.connection.get(COLLECTIONS.files, room.docId) as Doc<string>;
  await call((cb) => doc.fetch(cb));
  if (doc.data !== first) return `a fresh fetch (v${doc.version}) differs from the editors (v${room.editors[0]?.doc.version})`;
  const seen = new Set<string>();
  for (const ch of first) {
    if (!isKeystrokeChar(ch)) continue;
    if (seen.has(ch)) return `keystroke ${JSON.stringify(ch)} appears twice`;
    seen.add(ch);
  }
  if (seen.size !== room.sentAt.size) return `${room.sentAt.size - seen.size} of ${room.sentAt.size} keystrokes are missing`;
  return null;
}

async function settleAndCheck(config: LoadSetup): Promise<Pick<LoadWorkerResult, 'roomsConverged' | 'roomProblems' | 'settleMs'>> {
  const started = performance.now();
  const deadline = started + SETTLE_TIMEOUT_MS;
  const problems: RoomProblem[] = [];
  try {
    await withTimeout(
      Promise.all(rooms.flatMap((room) => room.editors.map((e) => nothingPending(e.doc)))),
      SETTLE_TIMEOUT_MS,
      'waiting for acks',
    );
  } catch (err) {
    problems.push({ docId: '*', problem: (err as Error).message });
  }
  await waitForPeers(deadline);
  const fresh = openClient(config.target, config.url, `bench-fresh-${process.pid}`, config.cookie);
  let converged = 0;
  try {
    await whenConnected(fresh.connection, CONNECT_TIMEOUT_MS);
    for (const room of rooms) {
      const problem = await checkRoom(room, fresh);
      if (problem) problems.push({ docId: room.docId, problem });
      else converged++;
    }
  } finally {
    fresh.close();
  }
  return { roomsConverged: converged, roomProblems: problems.slice(0, 20), settleMs: performance.now() - started };
}

async function run(config: LoadSetup, start: LoadStart): Promise<void> {
  const usage = await startTyping(config, start);
  const checked = await settleAndCheck(config);
  const keystrokesTotal = rooms.reduce((n, r) => n + r.sentAt.size, 0);
  const result: LoadWorkerResult = {
    type: 'result',
    latency: latency.toJSON(),
    ack: ack.toJSON(),
    keystrokesTotal,
    keystrokesInWindow: counters.keystrokesInWindow,
    ackedInWindow: counters.ackedInWindow,
    ackErrors: counters.ackErrors,
    firstAckError: counters.firstAckError,
    commitsInWindow: rooms.reduce((n, r) => n + (r.versionAtWindowEnd - r.versionAtWindowStart), 0),
    deliveriesExpected: keystrokesTotal * (config.editors - 1),
    deliveriesReceived: counters.deliveriesReceived,
    disconnects: rooms.reduce((n, r) => n + r.editors.reduce((m, e) => m + e.client.disconnects, 0), 0),
    ...checked,
    ...usage,
  };
  for (const room of rooms) for (const editor of room.editors) editor.client.close();
  await send(result);
}

function fail(err: unknown): void {
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  void send({ type: 'error', message }).finally(() => process.exit(1));
}

process.on('message', (message: DriverToLoadWorker) => {
  if (message.type === 'setup') {
    setup = message;
    connectAll(message).catch(fail);
  } else if (message.type === 'start' && setup) {
    run(setup, message).then(() => process.exit(0), fail);
  }
});
process.on('disconnect', () => process.exit(0));
