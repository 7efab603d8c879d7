import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileDocId } from '../lib/protocol';
import { withConcurrency, type Target } from './bench-client';
import { BenchServer, ROOT } from './bench-server';
import { Histogram, type LatencySummary } from './histogram';
import { KEYSTROKE_POOL_SIZE } from './keystroke-chars';
import type {
  DriverToIdleWorker,
  DriverToLoadWorker,
  IdleWorkerToDriver,
  LoadWorkerResult,
  LoadWorkerToDriver,
  RoomProblem,
  RoomSpec,
} from './messages';
import { formatProfileSummary, newestProfile, summarizeProfile, type ProfileSummary } from './profile-summary';
import { RssSampler, cpuTimeMs, machineBusyPct, machineCpu, rssKb } from './proc-stats';

/**
 * Tandem's load benchmark (issue "Collaborative core", Benchmark section).
 *
 *   npm run bench -- --rooms 50 --editors 10 --cps 5 --duration 30 --warmup 5 --target both --idle 5000
 *
 * For each target (Tandem with its SQLite store over Socket.io, and raw ShareDB with MemoryDB
 * over plain WebSockets) it starts the server in its own process, creates one room (workspace
 * with one file) per `--rooms`, and forks load-worker processes that hold every editor of a room,
 * so send and receive times come from one clock. Each editor types `--cps` unique characters per
 * second (Poisson arrivals) at random positions. After the warmup, for `--duration` seconds, it
 * measures keystroke → every-peer latency, acked ops/s, and the server's CPU and RSS from /proc.
 * Then typing stops, every room must converge (all editors equal to each other and to a fresh
 * fetch, every keystroke present once). The idle run opens `--idle` connections that each
 * subscribe to one small doc and reports server RSS per connection. Results: a table on stdout
 * and JSON in `--out`.
 */

const WORKER = path.join(__dirname, 'load-worker.js');
const IDLE_WORKER = path.join(__dirname, 'idle-worker.js');
const SEED_TEXT = 'def greet(name):\n    return f"Hello, {name}!"\n\n\nprint(greet("Tandem"))\n';
const SETTLE_BUDGET_MS = 120_000;
const IDLE_SETTLE_MS = 5_000;

/** The issue's goals, for the 2-core machine. */
const GOAL = { rooms: 50, editors: 10, cps: 5, p99Ms: 100, idleConnections: 5000, idleKbPerConnection: 20 };

interface Options {
  rooms: number;
  editors: number;
  cps: number;
  durationS: number;
  warmupS: number;
  targets: Target[];
  rounds: number;
  /** Wait up to this many seconds for other jobs on the machine to go quiet before each run. */
  waitQuietS: number;
  idle: number;
  idlePerDoc: number;
  workers: number;
  idleWorkers: number;
  seed: number;
  out: string;
  profile: boolean;
  serverNodeArgs: string[];
  serverEnv: Record<string, string>;
}

interface LoadRun {
  target: Target;
  round: number;
  clients: number;
  connectMs: number;
  windowS: number;
  latency: LatencySummary;
  ack: LatencySummary;
  keystrokesInWindow: number;
  ackedOps: number;
  ackedOpsPerSec: number;
  commitsPerSec: number;
  ackErrors: number;
  firstAckError: string | null;
  deliveriesExpected: number;
  deliveriesReceived: number;
  disconnects: number;
  converged: boolean;
  roomsConverged: number;
  roomProblems: RoomProblem[];
  settleMs: number;
  server: {
    cpuPct: number;
    cpuMs: number;
    cpuMsPerAckedOp: number;
    cpuMsPerCommit: number;
    rssKbEnd: number;
    rssKbPeak: number;
    /** Commits that lost a race and were retried, per successful commit (raw only: Tandem exposes no counter). */
    submitRetriesPerCommit: number | null;
  };
  loadGenerator: { workers: number; cpuPct: number; loopDelayP99Ms: number; loopDelayMaxMs: number };
  machineBusyPct: number;
  /** CPU used by processes other than this server and its load generator (other jobs on the box). */
  otherProcessesCpuPct: number;
  profile: ProfileSummary | null;
}

interface IdleRun {
  target: Target;
  requested: number;
  connected: number;
  failed: number;
  firstError: string | null;
  docs: number;
  workers: number;
  connectMs: number;
  rssBeforeKb: number;
  rssAfterKb: number;
  kbPerConnection: number;
  idleServerCpuPct: number;
  stillConnected: number;
  disconnects: number;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      rooms: { type: 'string', default: '50' },
      editors: { type: 'string', default: '10' },
      cps: { type: 'string', default: '5' },
      duration: { type: 'string', default: '30' },
      warmup: { type: 'string', default: '5' },
      target: { type: 'string', default: 'both' },
      rounds: { type: 'string', default: '1' },
      'wait-quiet': { type: 'string', default: '180' },
      idle: { type: 'string', default: '5000' },
      'idle-per-doc': { type: 'string', default: '10' },
      workers: { type: 'string', default: '2' },
      'idle-workers': { type: 'string', default: '4' },
      seed: { type: 'string' },
      out: { type: 'string' },
      profile: { type: 'boolean', default: false },
      'server-node-args': { type: 'string', default: '' },
      'server-env': { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(
      [
        'usage: npm run bench -- [flags]',
        '  --rooms 50 --editors 10 --cps 5     workload (rooms × editors × chars/s); --rooms 0 skips the load run',
        '  --duration 30 --warmup 5           measured seconds, after warmup seconds',
        '  --target both|tandem|raw           servers to run against (same workload for each)',
        '  --rounds 1                         load runs per target, alternating targets; the table shows the least disturbed round',
        '  --wait-quiet 180                   before each run wait up to N s for the machine to be idle (0: do not wait)',
        '  --idle 5000 --idle-per-doc 10      idle-connection run (0 skips it); connections per doc',
        '  --workers 2 --idle-workers 4       load-generator processes',
        '  --seed N                           keystroke stream seed (printed; random by default)',
        '  --out bench/results/<ts>.json      where the JSON goes',
        '  --profile                          run servers under --cpu-prof and summarise the load window',
        '  --server-node-args "..."           extra node flags for the server processes',
        '  --server-env KEY=VALUE             extra env for the Tandem server (repeatable)',
      ].join('\n'),
    );
    process.exit(0);
  }
  const int = (name: string, value: string | undefined, min: number): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min} (got ${value})`);
    return n;
  };
  const target = values.target;
  if (target !== 'both' && target !== 'tandem' && target !== 'raw') throw new Error('--target must be tandem, raw or both');
  const serverEnv: Record<string, string> = {};
  for (const pair of values['server-env'] ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--server-env expects KEY=VALUE (got ${pair})`);
    serverEnv[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const options: Options = {
    rooms: int('rooms', values.rooms, 0),
    editors: int('editors', values.editors, 2),
    cps: int('cps', values.cps, 0.01),
    durationS: int('duration', values.duration, 1),
    warmupS: int('warmup', values.warmup, 0),
    targets: target === 'both' ? ['tandem', 'raw'] : [target],
    rounds: int('rounds', values.rounds, 1),
    waitQuietS: int('wait-quiet', values['wait-quiet'], 0),
    idle: int('idle', values.idle, 0),
    idlePerDoc: int('idle-per-doc', values['idle-per-doc'], 1),
    workers: int('workers', values.workers, 1),
    idleWorkers: int('idle-workers', values['idle-workers'], 1),
    seed: values.seed !== undefined ? int('seed', values.seed, 0) : Math.floor(Math.random() * 2 ** 31),
    out: path.resolve(ROOT, values.out ?? path.join('bench', 'results', `${stamp}.json`)),
    profile: values.profile ?? false,
    serverNodeArgs: (values['server-node-args'] ?? '').split(/\s+/).filter(Boolean),
    serverEnv,
  };
  // Generous: Poisson bursts can exceed the mean rate; the pool must never run out mid-run.
  const perRoom = options.editors * options.cps * (options.durationS + options.warmupS) * 1.5 + 100;
  if (perRoom > KEYSTROKE_POOL_SIZE) {
    throw new Error(`about ${Math.round(perRoom)} keystrokes per room exceed the ${KEYSTROKE_POOL_SIZE} unique characters available`);
  }
  return options;
}

// ---------------------------------------------------------------------------------------------
// Workers

function forkWorker(file: string): ChildProcess {
  return fork(file, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** The next message of `type` from `child`; rejects on an `error` message, an early exit or the timeout. */
function nextMessage<M extends { type: string }, T extends M['type']>(
  child: ChildProcess,
  type: T,
  timeoutMs: number,
): Promise<Extract<M, { type: T }>> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`worker ${child.pid}: no "${type}" within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (message: M) => {
      if (message.type === type) {
        cleanup();
        resolve(message as Extract<M, { type: T }>);
      } else if (message.type === 'error') {
        cleanup();
        reject(new Error(`worker ${child.pid}: ${(message as unknown as { message: string }).message}`));
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`worker ${child.pid} exited (code ${code}) before "${type}"`));
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

function killAll(children: ChildProcess[]): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function profileNodeArgs(options: Options, label: string): { args: string[]; dir: string | null } {
  if (!options.profile) return { args: options.serverNodeArgs, dir: null };
  const dir = path.join(path.dirname(options.out), 'profiles', `${path.basename(options.out, '.json')}-${label}`);
  fs.mkdirSync(dir, { recursive: true });
  return { args: [...options.serverNodeArgs, '--cpu-prof', `--cpu-prof-dir=${dir}`], dir };
}

async function createRooms(server: BenchServer, count: number): Promise<string[]> {
  return withConcurrency(4, count, async (i) => {
    const workspace = await server.post<{ id: string; files: { id: string }[] }>('/api/workspaces', {
      name: `bench room ${i}`,
      files: [{ name: 'main.py', content: SEED_TEXT }],
    });
    return fileDocId(workspace.id, workspace.files[0]!.id);
  });
}

// ---------------------------------------------------------------------------------------------
// Load run

async function runLoad(target: Target, round: number, options: Options): Promise<LoadRun> {
  const profiling = profileNodeArgs(options, `${target}-load${options.rounds > 1 ? `-r${round}` : ''}`);
  const server = await BenchServer.start(target, { nodeArgs: profiling.args, env: target === 'tandem' ? options.serverEnv : {} });
  const workers: ChildProcess[] = [];
  try {
    const docIds = await createRooms(server, options.rooms);
    const workerCount = Math.min(options.workers, options.rooms);
    const shares: RoomSpec[][] = Array.from({ length: workerCount }, () => []);
    docIds.forEach((docId, index) => shares[index % workerCount]!.push({ index, docId }));

    const connectStarted = Date.now();
    for (let w = 0; w < workerCount; w++) workers.push(forkWorker(WORKER));
    const ready = workers.map((worker, w) => {
      const message: DriverToLoadWorker = {
        type: 'setup',
        target,
        url: server.url,
        rooms: shares[w]!,
        editors: options.editors,
        cps: options.cps,
        seed: options.seed,
      };
      worker.send(message);
      return nextMessage<LoadWorkerToDriver, 'ready'>(worker, 'ready', 180_000);
    });
    const readies = await Promise.all(ready);
    const connectMs = Date.now() - connectStarted;
    const clients = readies.reduce((n, r) => n + r.clients, 0);
    log(`${target}: ${clients} editors connected and subscribed in ${(connectMs / 1000).toFixed(1)} s; typing…`);

    const warmupMs = options.warmupS * 1000;
    const durationMs = options.durationS * 1000;
    const startEpochMs = Date.now() + 1000;
    const results = workers.map((worker) =>
      nextMessage<LoadWorkerToDriver, 'result'>(worker, 'result', 1000 + warmupMs + durationMs + SETTLE_BUDGET_MS),
    );
    for (const worker of workers) worker.send({ type: 'start', startEpochMs, warmupMs, durationMs } satisfies DriverToLoadWorker);

    // The server side of the window, measured from outside the server process.
    await sleep(startEpochMs + warmupMs - Date.now());
    const cpu0 = cpuTimeMs(server.pid);
    const machine0 = machineCpu();
    const hr0 = process.hrtime.bigint();
    const rss = new RssSampler(server.pid).start();
    const retries0 = await submitRetries(server);
    await sleep(startEpochMs + warmupMs + durationMs - Date.now());
    const cpu1 = cpuTimeMs(server.pid);
    const machine1 = machineCpu();
    const hr1 = process.hrtime.bigint();
    rss.stop();
    const retries1 = await submitRetries(server);
    log(`${target}: window over; waiting for acks and checking convergence…`);

    const finished = await Promise.all(results);
    await server.stop();
    const profile = profiling.dir ? summarizeWindow(profiling.dir, hr0, hr1) : null;
    return summarizeLoad(target, round, options, finished, {
      clients,
      connectMs,
      windowS: Number(hr1 - hr0) / 1e9,
      serverCpuMs: cpu1 - cpu0,
      machineBusyPct: machineBusyPct(machine0, machine1),
      rssKbEnd: rss.lastKb,
      rssKbPeak: rss.peakKb,
      submitRetries: retries0 !== null && retries1 !== null ? retries1 - retries0 : null,
      workerCount,
      profile,
    });
  } catch (err) {
    console.error(`--- ${target} server output (last lines) ---\n${server.logs.slice(-30).join('\n')}`);
    throw err;
  } finally {
    killAll(workers);
    await server.stop();
  }
}

/** The raw baseline counts ShareDB's submit retries; Tandem has no such endpoint (null). */
async function submitRetries(server: BenchServer): Promise<number | null> {
  if (server.target !== 'raw') return null;
  const res = await fetch(`${server.url}/bench/stats`);
  return ((await res.json()) as { submitRetries: number }).submitRetries;
}

function summarizeWindow(dir: string, hr0: bigint, hr1: bigint): ProfileSummary | null {
  const file = newestProfile(dir);
  if (!file) {
    log(`no .cpuprofile was written in ${dir}`);
    return null;
  }
  return summarizeProfile(file, { top: 30, fromUs: Number(hr0 / 1000n), toUs: Number(hr1 / 1000n) });
}

interface ServerSide {
  clients: number;
  connectMs: number;
  windowS: number;
  serverCpuMs: number;
  machineBusyPct: number;
  rssKbEnd: number;
  rssKbPeak: number;
  submitRetries: number | null;
  workerCount: number;
  profile: ProfileSummary | null;
}

function summarizeLoad(target: Target, round: number, options: Options, results: LoadWorkerResult[], side: ServerSide): LoadRun {
  const latency = new Histogram();
  const ack = new Histogram();
  const sum = (pick: (r: LoadWorkerResult) => number) => results.reduce((n, r) => n + pick(r), 0);
  for (const r of results) {
    latency.merge(r.latency);
    ack.merge(r.ack);
  }
  const ackedOps = sum((r) => r.ackedInWindow);
  const serverCpuPct = (100 * side.serverCpuMs) / 1000 / side.windowS;
  const loadGenCpuPct = (100 * sum((r) => r.cpuMs)) / 1000 / side.windowS;
  const commits = sum((r) => r.commitsInWindow);
  const roomsConverged = sum((r) => r.roomsConverged);
  const deliveriesExpected = sum((r) => r.deliveriesExpected);
  const deliveriesReceived = sum((r) => r.deliveriesReceived);
  return {
    target,
    round,
    clients: side.clients,
    connectMs: side.connectMs,
    windowS: side.windowS,
    latency: latency.summary(),
    ack: ack.summary(),
    keystrokesInWindow: sum((r) => r.keystrokesInWindow),
    ackedOps,
    ackedOpsPerSec: ackedOps / side.windowS,
    commitsPerSec: commits / side.windowS,
    ackErrors: sum((r) => r.ackErrors),
    firstAckError: results.find((r) => r.firstAckError)?.firstAckError ?? null,
    deliveriesExpected,
    deliveriesReceived,
    disconnects: sum((r) => r.disconnects),
    converged: roomsConverged === options.rooms && deliveriesReceived === deliveriesExpected,
    roomsConverged,
    roomProblems: results.flatMap((r) => r.roomProblems).slice(0, 20),
    settleMs: Math.max(...results.map((r) => r.settleMs)),
    server: {
      cpuPct: serverCpuPct,
      cpuMs: side.serverCpuMs,
      cpuMsPerAckedOp: ackedOps ? side.serverCpuMs / ackedOps : NaN,
      cpuMsPerCommit: commits ? side.serverCpuMs / commits : NaN,
      rssKbEnd: side.rssKbEnd,
      rssKbPeak: side.rssKbPeak,
      submitRetriesPerCommit: side.submitRetries !== null && commits ? side.submitRetries / commits : null,
    },
    loadGenerator: {
      workers: side.workerCount,
      cpuPct: loadGenCpuPct,
      loopDelayP99Ms: Math.max(...results.map((r) => r.loopDelayP99Ms)),
      loopDelayMaxMs: Math.max(...results.map((r) => r.loopDelayMaxMs)),
    },
    machineBusyPct: side.machineBusyPct,
    otherProcessesCpuPct: Math.max(0, side.machineBusyPct * os.availableParallelism() - serverCpuPct - loadGenCpuPct),
    profile: side.profile,
  };
}

// ---------------------------------------------------------------------------------------------
// Idle-connection run

async function medianRssKb(pid: number, samples = 5, gapMs = 300): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < samples; i++) {
    values.push(rssKb(pid));
    if (i < samples - 1) await sleep(gapMs);
  }
  values.sort((a, b) => a - b);
  return values[Math.floor(values.length / 2)]!;
}

async function runIdle(target: Target, options: Options): Promise<IdleRun> {
  const server = await BenchServer.start(target, { nodeArgs: options.serverNodeArgs, env: target === 'tandem' ? options.serverEnv : {} });
  const workers: ChildProcess[] = [];
  try {
    const docCount = Math.ceil(options.idle / options.idlePerDoc);
    const docIds = await createRooms(server, docCount);
    await sleep(2000);
    const rssBeforeKb = await medianRssKb(server.pid);

    const workerCount = Math.min(options.idleWorkers, options.idle);
    const started = Date.now();
    let first = 0;
    const ready = [];
    for (let w = 0; w < workerCount; w++) {
      const count = Math.floor(options.idle / workerCount) + (w < options.idle % workerCount ? 1 : 0);
      const worker = forkWorker(IDLE_WORKER);
      workers.push(worker);
      const message: DriverToIdleWorker = { type: 'setup', target, url: server.url, docIds, first, count, concurrency: 50 };
      worker.send(message);
      ready.push(nextMessage<IdleWorkerToDriver, 'ready'>(worker, 'ready', 600_000));
      first += count;
    }
    const readies = await Promise.all(ready);
    const connectMs = Date.now() - started;
    const connected = readies.reduce((n, r) => n + r.connected, 0);
    log(`${target}: ${connected} idle connections in ${(connectMs / 1000).toFixed(1)} s; settling…`);

    const cpu0 = cpuTimeMs(server.pid);
    await sleep(IDLE_SETTLE_MS);
    const idleServerCpuPct = (100 * (cpuTimeMs(server.pid) - cpu0)) / IDLE_SETTLE_MS;
    const rssAfterKb = await medianRssKb(server.pid);
    const statuses = await Promise.all(
      workers.map((worker) => {
        const reply = nextMessage<IdleWorkerToDriver, 'status'>(worker, 'status', 30_000);
        worker.send({ type: 'status' } satisfies DriverToIdleWorker);
        return reply;
      }),
    );
    for (const worker of workers) worker.send({ type: 'close' } satisfies DriverToIdleWorker);
    await Promise.all(workers.map((w) => new Promise((resolve) => (w.exitCode !== null ? resolve(null) : w.once('exit', resolve)))));
    return {
      target,
      requested: options.idle,
      connected,
      failed: readies.reduce((n, r) => n + r.failed, 0),
      firstError: readies.find((r) => r.firstError)?.firstError ?? null,
      docs: docCount,
      workers: workerCount,
      connectMs,
      rssBeforeKb,
      rssAfterKb,
      kbPerConnection: connected ? (rssAfterKb - rssBeforeKb) / connected : NaN,
      idleServerCpuPct,
      stillConnected: statuses.reduce((n, s) => n + s.connected, 0),
      disconnects: statuses.reduce((n, s) => n + s.disconnects, 0),
    };
  } catch (err) {
    console.error(`--- ${target} server output (last lines) ---\n${server.logs.slice(-30).join('\n')}`);
    throw err;
  } finally {
    killAll(workers);
    await server.stop();
  }
}

/**
 * Per target, the round least disturbed by other jobs on the machine (lowest "other processes
 * CPU"). Chosen by the disturbance, never by the result; every round is in the JSON and the
 * rounds table.
 */
function leastDisturbedRounds(runs: LoadRun[]): Partial<Record<Target, LoadRun>> {
  const picked: Partial<Record<Target, LoadRun>> = {};
  for (const target of ['tandem', 'raw'] as const) {
    const mine = runs.filter((r) => r.target === target).sort((a, b) => a.otherProcessesCpuPct - b.otherProcessesCpuPct);
    if (mine.length) picked[target] = mine[0];
  }
  return picked;
}

/**
 * Other engineers' builds and test runs share this 2-core machine. Before a run, wait until the
 * whole machine has been under QUIET_BUSY_PCT busy for QUIET_SECONDS in a row (or give up after
 * `maxWaitS` and run anyway); each run also reports the CPU others used during its window.
 */
const QUIET_BUSY_PCT = 20;
const QUIET_SECONDS = 3;

async function waitForQuietMachine(maxWaitS: number): Promise<void> {
  if (maxWaitS <= 0) return;
  const started = Date.now();
  let quietFor = 0;
  let before = machineCpu();
  while (quietFor < QUIET_SECONDS) {
    if (Date.now() - started > maxWaitS * 1000) {
      log(`machine still busy after ${maxWaitS} s; running anyway (see "other processes CPU")`);
      return;
    }
    await sleep(1000);
    const now = machineCpu();
    quietFor = machineBusyPct(before, now) < QUIET_BUSY_PCT ? quietFor + 1 : 0;
    before = now;
  }
  const waited = (Date.now() - started) / 1000;
  if (waited > QUIET_SECONDS + 1) log(`waited ${waited.toFixed(0)} s for the machine to be quiet`);
}

// ---------------------------------------------------------------------------------------------
// Report

function log(line: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

const fmt = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : '–');
const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : NaN;

interface Goal {
  goal: string;
  met: boolean | null;
  detail: string;
}

function evaluateGoals(
  options: Options,
  load: Partial<Record<Target, LoadRun>>,
  rounds: LoadRun[],
  idle: Partial<Record<Target, IdleRun>>,
): Goal[] {
  const goals: Goal[] = [];
  const tandem = load.tandem;
  const raw = load.raw;
  const atGoalWorkload = options.rooms === GOAL.rooms && options.editors === GOAL.editors && options.cps === GOAL.cps;
  if (tandem) {
    goals.push({
      goal: `${GOAL.rooms}×${GOAL.editors}×${GOAL.cps} keystroke→peer p99 < ${GOAL.p99Ms} ms (Tandem, SQLite)`,
      met: atGoalWorkload ? tandem.latency.p99Ms < GOAL.p99Ms : null,
      detail: `p99 ${fmt(tandem.latency.p99Ms)} ms at ${options.rooms}×${options.editors}×${options.cps}${atGoalWorkload ? '' : ' (not the goal workload)'}`,
    });
    const tandemRounds = rounds.filter((r) => r.target === 'tandem');
    goals.push({
      goal: 'converged (every room equal everywhere, every keystroke once)',
      met: tandemRounds.every((r) => r.converged),
      detail: tandemRounds
        .map((r) => `round ${r.round}: ${r.roomsConverged}/${options.rooms} rooms, deliveries ${r.deliveriesReceived}/${r.deliveriesExpected}`)
        .join('; '),
    });
  }
  if (tandem && raw) {
    // Per keystroke alone would flatter the slower server: once a server falls behind, ShareDB
    // clients compose queued keystrokes into fewer ops, so each commit carries more keystrokes.
    // The server's cost per op it commits and acks is compared too, and both must hold.
    const perKeystroke = ratio(tandem.server.cpuMsPerAckedOp, raw.server.cpuMsPerAckedOp);
    const perCommit = ratio(tandem.server.cpuMsPerCommit, raw.server.cpuMsPerCommit);
    goals.push({
      goal: 'server CPU per acked op ≤ raw in-memory ShareDB (per keystroke and per committed op)',
      met: perKeystroke <= 1 && perCommit <= 1,
      detail:
        `per keystroke ${fmt(tandem.server.cpuMsPerAckedOp, 3)} vs ${fmt(raw.server.cpuMsPerAckedOp, 3)} ms (×${fmt(perKeystroke, 2)}); ` +
        `per committed op ${fmt(tandem.server.cpuMsPerCommit, 3)} vs ${fmt(raw.server.cpuMsPerCommit, 3)} ms (×${fmt(perCommit, 2)}); ` +
        `keystrokes per commit ${fmt(tandem.ackedOpsPerSec / tandem.commitsPerSec, 2)} vs ${fmt(raw.ackedOpsPerSec / raw.commitsPerSec, 2)}`,
    });
  }
  if (idle.tandem) {
    const run = idle.tandem;
    goals.push({
      goal: `${GOAL.idleConnections} idle connections under ${GOAL.idleKbPerConnection} KB each (Tandem)`,
      met: run.connected >= GOAL.idleConnections ? run.kbPerConnection < GOAL.idleKbPerConnection : null,
      detail: `${fmt(run.kbPerConnection)} KB/conn over ${run.connected} connections${run.connected >= GOAL.idleConnections ? '' : ' (fewer than the goal)'}`,
    });
  }
  return goals;
}

function loadTable(load: Partial<Record<Target, LoadRun>>): string {
  const t = load.tandem;
  const r = load.raw;
  const rows: string[][] = [['', 'tandem', 'raw', 'tandem/raw']];
  const add = (label: string, pick: (run: LoadRun) => number, digits = 1) => {
    const a = t ? pick(t) : undefined;
    const b = r ? pick(r) : undefined;
    rows.push([label, a === undefined ? '' : fmt(a, digits), b === undefined ? '' : fmt(b, digits), fmt(ratio(a, b), 2)]);
  };
  add('keystroke→peer p50 (ms)', (x) => x.latency.p50Ms, 2);
  add('keystroke→peer p99 (ms)', (x) => x.latency.p99Ms, 2);
  add('keystroke→peer p99.9 (ms)', (x) => x.latency.p999Ms, 2);
  add('keystroke→peer max (ms)', (x) => x.latency.maxMs, 1);
  add('keystroke→ack p50 (ms)', (x) => x.ack.p50Ms, 2);
  add('keystroke→ack p99 (ms)', (x) => x.ack.p99Ms, 2);
  add('acked ops/s', (x) => x.ackedOpsPerSec);
  add('server commits/s', (x) => x.commitsPerSec);
  add('keystrokes per commit', (x) => x.ackedOpsPerSec / x.commitsPerSec, 2);
  add('server CPU % (100 = 1 core)', (x) => x.server.cpuPct);
  add('server CPU-ms per acked op', (x) => x.server.cpuMsPerAckedOp, 3);
  add('server CPU-ms per commit', (x) => x.server.cpuMsPerCommit, 3);
  add('submit retries per commit', (x) => x.server.submitRetriesPerCommit ?? NaN, 2);
  add('server RSS end (MB)', (x) => x.server.rssKbEnd / 1024);
  add('server RSS peak (MB)', (x) => x.server.rssKbPeak / 1024);
  add('load-gen CPU % (all workers)', (x) => x.loadGenerator.cpuPct);
  add('load-gen loop delay p99 (ms)', (x) => x.loadGenerator.loopDelayP99Ms, 1);
  add('machine busy % (all cores)', (x) => x.machineBusyPct);
  add('other processes CPU % (noise)', (x) => x.otherProcessesCpuPct);
  add('latency samples', (x) => x.latency.count, 0);
  add('ack errors', (x) => x.ackErrors, 0);
  add('disconnects', (x) => x.disconnects, 0);
  rows.push(['converged', t ? (t.converged ? 'yes' : 'NO') : '', r ? (r.converged ? 'yes' : 'NO') : '', '']);
  return table(rows);
}

function roundsTable(runs: LoadRun[]): string {
  const rows: string[][] = [['round', 'target', 'p50 ms', 'p99 ms', 'max ms', 'acked/s', 'commits/s', 'CPU %', 'CPU-ms/op', 'other CPU %', 'converged']];
  for (const r of runs) {
    rows.push([
      String(r.round),
      r.target,
      fmt(r.latency.p50Ms, 2),
      fmt(r.latency.p99Ms, 2),
      fmt(r.latency.maxMs, 1),
      fmt(r.ackedOpsPerSec),
      fmt(r.commitsPerSec),
      fmt(r.server.cpuPct),
      fmt(r.server.cpuMsPerAckedOp, 3),
      fmt(r.otherProcessesCpuPct),
      r.converged ? 'yes' : 'NO',
    ]);
  }
  return table(rows);
}

function idleTable(idle: Partial<Record<Target, IdleRun>>): string {
  const t = idle.tandem;
  const r = idle.raw;
  const rows: string[][] = [['', 'tandem', 'raw', 'tandem/raw']];
  const add = (label: string, pick: (run: IdleRun) => number, digits = 1) => {
    const a = t ? pick(t) : undefined;
    const b = r ? pick(r) : undefined;
    rows.push([label, a === undefined ? '' : fmt(a, digits), b === undefined ? '' : fmt(b, digits), fmt(ratio(a, b), 2)]);
  };
  add('connections (subscribed)', (x) => x.connected, 0);
  add('failed', (x) => x.failed, 0);
  add('time to connect all (s)', (x) => x.connectMs / 1000);
  add('server RSS before (MB)', (x) => x.rssBeforeKb / 1024);
  add('server RSS after (MB)', (x) => x.rssAfterKb / 1024);
  add('KB per connection', (x) => x.kbPerConnection);
  add('idle server CPU %', (x) => x.idleServerCpuPct);
  add('still connected at end', (x) => x.stillConnected, 0);
  return table(rows);
}

function machineFacts(): Record<string, unknown> {
  let ulimitN = 'unknown';
  try {
    ulimitN = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
  } catch {
    // keep unknown
  }
  return {
    date: new Date().toISOString(),
    node: process.version,
    nproc: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    ulimitN,
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const machine = machineFacts();
  log(
    `workload ${options.rooms} rooms × ${options.editors} editors × ${options.cps} chars/s, ${options.warmupS} s warmup + ${options.durationS} s measured; ` +
      `targets ${options.targets.join(', ')}; idle ${options.idle}; seed ${options.seed}; ulimit -n ${String(machine.ulimitN)}`,
  );
  const ulimit = Number(machine.ulimitN);
  if (Number.isFinite(ulimit) && options.idle + 200 > ulimit) {
    log(`WARNING: ulimit -n ${ulimit} is below the ${options.idle} idle connections the server must hold; raise it`);
  }

  const rounds: LoadRun[] = [];
  const idle: Partial<Record<Target, IdleRun>> = {};
  if (options.rooms > 0) {
    for (let round = 1; round <= options.rounds; round++) {
      // Alternate which target goes first, so neither always runs on the warmer (or busier) machine.
      const order = round % 2 === 1 ? options.targets : [...options.targets].reverse();
      for (const target of order) {
        await waitForQuietMachine(options.waitQuietS);
        rounds.push(await runLoad(target, round, options));
      }
    }
  }
  const load = leastDisturbedRounds(rounds);
  if (options.idle > 0) {
    for (const target of options.targets) {
      await waitForQuietMachine(options.waitQuietS);
      idle[target] = await runIdle(target, options);
    }
  }
  const goals = evaluateGoals(options, load, rounds, idle);

  const report = {
    machine,
    options: { ...options, out: path.relative(ROOT, options.out) },
    load,
    loadRounds: rounds,
    idle,
    ratios: {
      load:
        load.tandem && load.raw
          ? {
              p50: ratio(load.tandem.latency.p50Ms, load.raw.latency.p50Ms),
              p99: ratio(load.tandem.latency.p99Ms, load.raw.latency.p99Ms),
              max: ratio(load.tandem.latency.maxMs, load.raw.latency.maxMs),
              ackedOpsPerSec: ratio(load.tandem.ackedOpsPerSec, load.raw.ackedOpsPerSec),
              serverCpuPct: ratio(load.tandem.server.cpuPct, load.raw.server.cpuPct),
              cpuMsPerAckedOp: ratio(load.tandem.server.cpuMsPerAckedOp, load.raw.server.cpuMsPerAckedOp),
              cpuMsPerCommit: ratio(load.tandem.server.cpuMsPerCommit, load.raw.server.cpuMsPerCommit),
              rssEnd: ratio(load.tandem.server.rssKbEnd, load.raw.server.rssKbEnd),
            }
          : null,
      idleKbPerConnection: idle.tandem && idle.raw ? ratio(idle.tandem.kbPerConnection, idle.raw.kbPerConnection) : null,
    },
    goals,
  };
  fs.mkdirSync(path.dirname(options.out), { recursive: true });
  fs.writeFileSync(options.out, `${JSON.stringify(report, null, 2)}\n`);

  console.log('');
  console.log(
    `machine: ${String(machine.nproc)} cores (${String(machine.cpuModel)}), ${String(machine.memGiB)} GiB, node ${process.version}, ${String(machine.date)}`,
  );
  if (options.rooms > 0) {
    console.log(
      `\nLOAD ${options.rooms} rooms × ${options.editors} editors × ${options.cps} chars/s, ${options.durationS} s measured after ${options.warmupS} s warmup (seed ${options.seed})`,
    );
    console.log(loadTable(load));
    if (options.rounds > 1) console.log(`\nrounds (the table above shows each target's least disturbed round: lowest "other CPU %"):\n${roundsTable(rounds)}`);
    for (const run of Object.values(load)) {
      for (const problem of run.roomProblems) console.log(`  ${run.target} room ${problem.docId}: ${problem.problem}`);
      if (run.firstAckError) console.log(`  ${run.target} first ack error: ${run.firstAckError}`);
    }
  }
  if (options.idle > 0) {
    console.log(`\nIDLE ${options.idle} connections, each subscribed to one small doc (${options.idlePerDoc} per doc)`);
    console.log(idleTable(idle));
  }
  console.log('\nGOALS');
  for (const goal of goals) console.log(`  [${goal.met === null ? 'n/a' : goal.met ? 'met' : 'MISSED'}] ${goal.goal}: ${goal.detail}`);
  for (const run of Object.values(load)) {
    if (run.profile) console.log(`\n${run.target.toUpperCase()} SERVER ${formatProfileSummary(run.profile)}`);
  }
  console.log(`\nJSON: ${path.relative(process.cwd(), options.out)}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
