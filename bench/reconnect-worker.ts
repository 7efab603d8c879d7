import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Connection, Doc } from 'sharedb/lib/client';
import { TandemClient } from '../lib/client/tandem-client';
import { COLLECTIONS, type ConnectRefusal } from '../lib/protocol';
import { call, describeError, subscribeText, whenConnected, withConcurrency } from './bench-client';
import { isKeystrokeChar, keystrokeChar } from './keystroke-chars';
import type {
  ClientReconnect,
  ClientTrace,
  DriverToReconnectWorker,
  KeystrokeCheck,
  KeystrokeCount,
  ReconnectSetup,
  ReconnectWorkerResult,
  ReconnectWorkerToDriver,
} from './reconnect-messages';
import { poissonDelayMs, seededRandom } from './rng';

/**
 * A load-generator process of the reconnect-storm bench, forked by reconnect-storm.ts. It holds
 * every client of its docs (so it can compare them), each a `TandemClient` with the product's own
 * reconnection settings. Protocol: `setup` → connect and subscribe → `ready`; `type` → editors
 * type; `killing` → from now on reconnects are recorded, and each editor keeps typing until its
 * own client is connected again; `restarted` → `progress` every second and `back` once every
 * client is back; `check` → settle, compare, `result`; `close` → exit.
 */

const CONNECT_TIMEOUT_MS = 60_000;
const SCAN_INTERVAL_MS = 100;
const PROGRESS_INTERVAL_MS = 1000;

interface Keystroke {
  typedAt: number;
  ackedAt: number | null;
}

interface Client {
  index: number;
  editor: boolean;
  tandem: TandemClient;
  connection: Connection;
  doc: Doc<string>;
  /** Epoch ms of every connection attempt (a Manager `open` from the closed state). */
  attemptStarts: number[];
  /** Epoch ms of every Socket.io `connect`. */
  connects: number[];
  /** Every `connect_error`: when, and the refusal it carried, if any. */
  errors: Array<{ at: number; retryAfterMs: number | null; reason: string | null; message: string }>;
  disconnects: number[];
  /** Last ShareDB `connected` (handshake done). */
  connectedAt: number;
  /** Every moment it was connected, subscribed and had nothing pending after a (re)connect. */
  syncs: number[];
}

interface DocGroup {
  docId: string;
  clients: Client[];
  typed: number;
  keystrokes: Map<string, Keystroke>;
}

let setup: ReconnectSetup | null = null;
const groups: DocGroup[] = [];
const clients: Client[] = [];
const typingTimers: Array<ReturnType<typeof setTimeout> | null> = [];
let killEpochMs: number | null = null;
let listeningEpochMs: number | null = null;
let scanTimer: ReturnType<typeof setInterval> | null = null;
let loopDelay: IntervalHistogram | null = null;
const ackState = { errors: 0, first: null as string | null };

function send(message: ReconnectWorkerToDriver): Promise<void> {
  return new Promise((resolve) => process.send!(message, () => resolve()));
}

/**
 * A client exactly as the product builds one, except what a browser gives each tab for free: its
 * own Socket.io Manager (`forceNew`; in one Node process Managers would otherwise be shared per
 * URL) and the session cookie. Backoff, transports and timeouts are TandemClient's defaults.
 */
function openProductClient(url: string, name: string, cookie: string | null): { tandem: TandemClient; attemptStarts: number[] } {
  const tandem = new TandemClient({
    url,
    clientId: name,
    displayName: name,
    io: { forceNew: true, extraHeaders: cookie ? { cookie } : {} },
  });
  // Every attempt, whether Socket.io's own backoff or TandemClient's retry after a refusal, goes
  // through Manager.open from the closed state; wrapping it only records the moment.
  const attemptStarts: number[] = [];
  const manager = tandem.socket.io as unknown as { open: (fn?: (err?: Error) => void) => unknown; _readyState: string };
  const open = manager.open.bind(manager);
  manager.open = (fn) => {
    if (manager._readyState === 'closed') attemptStarts.push(Date.now());
    return open(fn);
  };
  return { tandem, attemptStarts };
}

function track(index: number, editor: boolean, tandem: TandemClient, attemptStarts: number[], doc: Doc<string>): Client {
  const client: Client = {
    index,
    editor,
    tandem,
    connection: tandem.connection,
    doc,
    attemptStarts,
    connects: [],
    errors: [],
    disconnects: [],
    connectedAt: Date.now(),
    syncs: [Date.now()],
  };
  tandem.socket.on('connect', () => client.connects.push(Date.now()));
  tandem.socket.on('disconnect', () => client.disconnects.push(Date.now()));
  tandem.socket.on('connect_error', (err: Error & { data?: unknown }) => {
    const refusal = err.data as Partial<ConnectRefusal> | undefined;
    const retryAfterMs = typeof refusal?.retryAfterMs === 'number' ? refusal.retryAfterMs : null;
    client.errors.push({ at: Date.now(), retryAfterMs, reason: retryAfterMs !== null ? (refusal?.reason ?? 'unknown') : null, message: err.message });
  });
  // ShareDB resubscribes and resends pending ops inside the state change, before `connected` is
  // emitted, so "nothing pending" after it means: resubscribed and every pending op acked.
  tandem.connection.on('connected', () => {
    client.connectedAt = Date.now();
    doc.whenNothingPending(() => {
      if (tandem.connection.state === 'connected' && doc.subscribed) client.syncs.push(Date.now());
    });
  });
  doc.on('error', (err: unknown) => {
    ackState.errors++;
    ackState.first ??= `doc error: ${describeError(err)}`;
  });
  return client;
}

async function connectAll(config: ReconnectSetup): Promise<void> {
  const started = Date.now();
  let failed = 0;
  let firstError: string | null = null;
  const total = config.docs.length * config.perDoc;
  const opened = await withConcurrency(config.concurrency, total, async (i) => {
    const spec = config.docs[Math.floor(i / config.perDoc)]!;
    const { tandem, attemptStarts } = openProductClient(config.url, `bench-storm-${config.firstClient + i}`, config.cookie);
    try {
      await whenConnected(tandem.connection, CONNECT_TIMEOUT_MS);
      const doc = await subscribeText(tandem.connection, COLLECTIONS.files, spec.docId);
      return track(config.firstClient + i, i % config.perDoc < config.editorsPerDoc, tandem, attemptStarts, doc);
    } catch (err) {
      failed++;
      firstError ??= (err as Error).message;
      tandem.close();
      return null;
    }
  });
  config.docs.forEach((spec, d) => {
    const members = opened.slice(d * config.perDoc, (d + 1) * config.perDoc).filter((c): c is Client => c !== null);
    groups.push({ docId: spec.docId, clients: members, typed: 0, keystrokes: new Map() });
    clients.push(...members);
  });
  await send({ type: 'ready', connected: clients.length, failed, firstError, connectMs: Date.now() - started });
}

/** The editor has come back after the kill: it stops typing, as a user would once the indicator turns green. */
function reconnectedSinceKill(client: Client): boolean {
  return killEpochMs !== null && client.connectedAt > killEpochMs;
}

function typeOne(group: DocGroup, client: Client, rand: () => number): void {
  const ch = keystrokeChar(group.typed++);
  const text = client.doc.data;
  // Bench text is all BMP, so string length equals the number of ot-text-unicode positions.
  const position = Math.floor(rand() * (text.length + 1));
  const keystroke: Keystroke = { typedAt: Date.now(), ackedAt: null };
  group.keystrokes.set(ch, keystroke);
  client.doc.submitOp(position > 0 ? [position, ch] : [ch], undefined, (err) => {
    if (err) {
      ackState.errors++;
      ackState.first ??= describeError(err);
      return;
    }
    keystroke.ackedAt = Date.now();
  });
}

function startTyping(config: ReconnectSetup, startEpochMs: number): void {
  groups.forEach((group, g) => {
    const docIndex = config.docs[g]!.index;
    group.clients.slice(0, config.editorsPerDoc).forEach((client, e) => {
      const rand = seededRandom(config.seed + docIndex * 1009 + e);
      const slot = typingTimers.length;
      const next = (): void => {
        typingTimers[slot] = setTimeout(() => {
          if (reconnectedSinceKill(client)) {
            typingTimers[slot] = null;
            return;
          }
          typeOne(group, client, rand);
          next();
        }, poissonDelayMs(rand, config.cps));
      };
      typingTimers.push(setTimeout(next, Math.max(0, startEpochMs - Date.now())));
    });
  });
}

function stopTyping(): void {
  for (const timer of typingTimers) if (timer) clearTimeout(timer);
  typingTimers.length = 0;
}

function isBack(client: Client, since: number): boolean {
  const last = client.syncs[client.syncs.length - 1] ?? 0;
  return last >= since && client.connection.state === 'connected' && client.doc.subscribed && !client.doc.hasPending();
}

function watchStorm(since: number): void {
  loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  let sentBack = false;
  let lastProgress = 0;
  scanTimer = setInterval(() => {
    const back = clients.filter((c) => isBack(c, since));
    const now = Date.now();
    if (now - lastProgress >= PROGRESS_INTERVAL_MS) {
      lastProgress = now;
      void send({ type: 'progress', back: back.length, connected: clients.filter((c) => c.connection.state === 'connected').length });
    }
    if (!sentBack && back.length === clients.length) {
      sentBack = true;
      loopDelay?.disable();
      void send({ type: 'back', lastBackEpochMs: back.reduce((latest, c) => Math.max(latest, c.syncs[c.syncs.length - 1]!), since) });
    }
  }, SCAN_INTERVAL_MS);
}

/**
 * When the attempt that ended at `at` started. A failure is counted as "after the restart" only
 * if its attempt started after it: an attempt that began while the old port was still closed can
 * fail a few milliseconds after the new server logged "listening".
 */
function attemptStartBefore(client: Client, at: number): number {
  for (let i = client.attemptStarts.length - 1; i >= 0; i--) if (client.attemptStarts[i]! <= at) return client.attemptStarts[i]!;
  return -Infinity;
}

function reconnectOf(client: Client, kill: number, listening: number): ClientReconnect {
  const back = isBack(client, listening);
  const backAt = back ? client.syncs[client.syncs.length - 1]! : null;
  const attemptsAfter = client.attemptStarts.filter((t) => t >= listening);
  const lastConnect = [...client.connects].reverse().find((t) => t >= listening) ?? null;
  const winningAttempt = lastConnect === null ? undefined : [...client.attemptStarts].reverse().find((t) => t <= lastConnect);
  const errorsAfter = client.errors.filter((e) => attemptStartBefore(client, e.at) >= listening);
  const firstSyncAfter = client.syncs.find((t) => t >= listening);
  const handshakeDone = lastConnect !== null && client.connectedAt >= lastConnect ? client.connectedAt : null;
  return {
    client: client.index,
    editor: client.editor,
    backMs: backAt === null ? null : backAt - listening,
    firstAttemptMs: attemptsAfter.length ? attemptsAfter[0]! - listening : null,
    attempts: attemptsAfter.length,
    attemptsDuringOutage: client.attemptStarts.filter((t) => t >= kill && t < listening).length,
    handshakeMs: lastConnect !== null && winningAttempt !== undefined ? lastConnect - Math.max(winningAttempt, listening) : null,
    resyncMs: backAt !== null && lastConnect !== null ? backAt - lastConnect : null,
    sharedbHandshakeMs: handshakeDone !== null ? handshakeDone - lastConnect! : null,
    resubscribeMs: backAt !== null && handshakeDone !== null ? backAt - handshakeDone : null,
    refusals: errorsAfter.filter((e) => e.retryAfterMs !== null).length,
    connectErrors: errorsAfter.filter((e) => e.retryAfterMs === null).length,
    dropsAfterBack: firstSyncAfter === undefined ? 0 : client.disconnects.filter((t) => t > firstSyncAfter).length,
  };
}

const TRACE_EVENTS = 40;

function traceOf(client: Client, kill: number, listening: number): ClientTrace {
  const events: Array<[number, string]> = [
    ...client.attemptStarts.map((t): [number, string] => [t, 'attempt']),
    ...client.errors.map((e): [number, string] => [e.at, e.reason ? `refused (${e.reason}, retry in ${e.retryAfterMs} ms)` : `error: ${e.message}`]),
    ...client.connects.map((t): [number, string] => [t, 'socket.io connect']),
    ...client.disconnects.map((t): [number, string] => [t, 'disconnect']),
    ...client.syncs.map((t): [number, string] => [t, 'back (resubscribed, nothing pending)']),
  ]
    .filter(([t]) => t >= kill)
    .sort((a, b) => a[0] - b[0])
    .slice(0, TRACE_EVENTS)
    .map(([t, event]): [number, string] => [t - listening, event]);
  return { client: client.index, editor: client.editor, events };
}

function nothingPending(doc: Doc): Promise<void> {
  return new Promise((resolve) => doc.whenNothingPending(() => resolve()));
}

/** Wait for every ack, then for every client of a doc to reach the same version, or the deadline. */
async function settle(deadline: number): Promise<string | null> {
  const acked = Promise.all(clients.map((c) => nothingPending(c.doc)));
  const timedOut = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now())).unref());
  if ((await Promise.race([acked, timedOut])) === 'timeout') return 'timed out waiting for acks and resubscribes';
  const caughtUp = () => groups.every((g) => g.clients.every((c) => c.doc.version === g.clients[0]!.doc.version));
  while (!caughtUp() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return caughtUp() ? null : 'timed out waiting for every client of a doc to reach the same version';
}

function countKeystrokes(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const ch of text) if (isKeystrokeChar(ch)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  return counts;
}

const emptyCount = (): KeystrokeCount => ({ typed: 0, intact: 0, lost: 0, duplicated: 0 });

async function check(config: ReconnectSetup, timeoutMs: number): Promise<void> {
  if (scanTimer) clearInterval(scanTimer);
  stopTyping();
  const started = Date.now();
  const problems: Array<{ docId: string; problem: string }> = [];
  const settleProblem = await settle(started + timeoutMs);
  if (settleProblem) problems.push({ docId: '*', problem: settleProblem });
  const settleMs = Date.now() - started;

  const kill = killEpochMs ?? 0;
  const keystrokes: KeystrokeCheck = { ackedBeforeKill: emptyCount(), unackedAtKill: emptyCount(), typedDuringOutage: emptyCount() };
  const { tandem: fresh } = openProductClient(config.url, `bench-storm-fresh-${process.pid}`, config.cookie);
  let converged = 0;
  let freshError: string | null = null;
  try {
    await whenConnected(fresh.connection, CONNECT_TIMEOUT_MS);
  } catch (err) {
    freshError = `fresh client: ${(err as Error).message}`;
    problems.push({ docId: '*', problem: freshError });
  }
  try {
    for (const group of groups) {
      const doc = fresh.connection.get(COLLECTIONS.files, group.docId) as Doc<string>;
      if (!freshError) await call((cb) => doc.fetch(cb));
      // Without a fresh fetch the clients are still compared; the doc cannot count as converged.
      const texts = [...group.clients.map((c) => c.doc.data), ...(freshError ? [] : [doc.data])];
      const counts = texts.map(countKeystrokes);
      const groupProblems: string[] = [];
      const differing = texts.filter((t) => t !== texts[0]).length;
      if (differing) groupProblems.push(`${differing} of ${texts.length} copies (clients + fresh fetch) differ from client 0`);
      const versions = new Set([...group.clients.map((c) => c.doc.version), ...(freshError ? [] : [doc.version])]);
      if (versions.size > 1) groupProblems.push(`versions differ: ${[...versions].join(', ')}`);
      for (const [ch, keystroke] of group.keystrokes) {
        const kind =
          keystroke.ackedAt !== null && keystroke.ackedAt < kill
            ? keystrokes.ackedBeforeKill
            : keystroke.typedAt < kill
              ? keystrokes.unackedAtKill
              : keystrokes.typedDuringOutage;
        kind.typed++;
        const seen = counts.map((c) => c.get(ch) ?? 0);
        if (seen.some((n) => n === 0)) kind.lost++;
        else if (seen.some((n) => n > 1)) kind.duplicated++;
        else kind.intact++;
      }
      const lost = [...group.keystrokes.keys()].filter((ch) => counts.some((c) => !c.has(ch))).length;
      const duplicated = [...group.keystrokes.keys()].filter((ch) => counts.some((c) => (c.get(ch) ?? 0) > 1)).length;
      if (lost) groupProblems.push(`${lost} of ${group.keystrokes.size} keystrokes missing somewhere`);
      if (duplicated) groupProblems.push(`${duplicated} keystrokes appear more than once somewhere`);
      const foreign = counts.reduce((n, c) => n + [...c.keys()].filter((ch) => !group.keystrokes.has(ch)).length, 0);
      if (foreign) groupProblems.push(`${foreign} keystroke characters nobody typed`);
      if (groupProblems.length) problems.push({ docId: group.docId, problem: groupProblems.join('; ') });
      else if (!freshError) converged++;
    }
  } finally {
    fresh.close();
  }

  const listening = listeningEpochMs ?? kill;
  const samples = new Set<string>();
  const refusalsByReason: Record<string, number> = {};
  for (const client of clients) {
    for (const e of client.errors) {
      if (attemptStartBefore(client, e.at) < listening) continue;
      if (e.reason) refusalsByReason[e.reason] = (refusalsByReason[e.reason] ?? 0) + 1;
      else if (samples.size < 5) samples.add(e.message);
    }
  }
  const reconnects = clients.map((c) => reconnectOf(c, kill, listening));
  const slowest = clients
    .map((c, i) => ({ c, back: reconnects[i]!.backMs ?? Number.MAX_SAFE_INTEGER }))
    .sort((a, b) => b.back - a.back)
    .slice(0, 2)
    .map((x) => x.c);
  const traced = [...new Set([clients[0], ...slowest].filter((c): c is Client => c !== undefined))];
  const result: ReconnectWorkerResult = {
    type: 'result',
    clients: reconnects,
    traces: traced.map((c) => traceOf(c, kill, listening)),
    keystrokes,
    docsChecked: groups.length,
    docsConverged: converged,
    problems: problems.slice(0, 20),
    ackErrors: ackState.errors,
    firstAckError: ackState.first,
    connectErrorSamples: [...samples],
    refusalsByReason,
    settleMs,
    loopDelayP99Ms: loopDelay ? loopDelay.percentile(99) / 1e6 : 0,
    loopDelayMaxMs: loopDelay ? loopDelay.max / 1e6 : 0,
  };
  await send(result);
}

function fail(err: unknown): void {
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  void send({ type: 'error', message }).finally(() => process.exit(1));
}

process.on('message', (message: DriverToReconnectWorker) => {
  switch (message.type) {
    case 'setup':
      setup = message;
      connectAll(message).catch(fail);
      break;
    case 'type':
      if (setup) startTyping(setup, message.startEpochMs);
      break;
    case 'killing':
      killEpochMs = message.killEpochMs;
      break;
    case 'restarted':
      listeningEpochMs = message.listeningEpochMs;
      watchStorm(message.listeningEpochMs);
      break;
    case 'check':
      if (setup) check(setup, message.timeoutMs).catch(fail);
      break;
    case 'close':
      stopTyping();
      for (const client of clients) client.tandem.close();
      // Let the close frames go out before exiting.
      setTimeout(() => process.exit(0), 200);
      break;
  }
});
process.on('disconnect', () => process.exit(0));
