import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Doc } from 'sharedb/lib/client';
import { COLLECTIONS } from '../lib/protocol';
import { call, openClient, whenConnected } from './bench-client';
import type { BenchServer } from './bench-server';
import { Histogram, type LatencySummary } from './histogram';
import { summarizeProfileWindow, type ProfileSummary } from './profile-summary';
import type { DriverToLoadWorker, LoadWorkerResult, LoadWorkerToDriver, RoomProblem, RoomSpec } from './messages';
import { RssSampler, cpuTimeMs, machineBusyPct, machineCpu, rssKb, schedStat, type SchedStat } from './proc-stats';
import { log } from './report';
import { TandemCluster, scrapeCounters, type ProcessCounters, type RedisCounters } from './scale-out-cluster';
import type { ScaleOutOptions, ScaleOutMode } from './scale-out-options';
import { forkWorker, killAll, nextMessage } from './worker-ipc';

/**
 * One scale-out run in one mode: start the processes (and Redis), create the rooms through the
 * first process, place every editor on a process as the mode says, fork load-worker.js (the same
 * typing / latency / convergence worker as `npm run bench`), measure every server process and
 * redis-server from /proc and their own counters during the window, then check that every
 * process serves the same text and version of every room.
 */

const WORKER = path.join(__dirname, 'load-worker.js');
/** After the window: time allowed for acks, catch-up and the convergence check. */
const SETTLE_BUDGET_MS = 120_000;
const CONNECT_TIMEOUT_MS = 30_000;
/** Everyone connected and subscribed, nobody typing yet: how much CPU the processes use idle. */
const IDLE_SAMPLE_MS = 3_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface ProcessSide {
  label: string;
  pid: number;
  /** Sockets this process held at the start of the window. */
  sockets: number;
  /** CPU % with every editor connected and subscribed but nobody typing (before the warmup). */
  idleCpuPct: number;
  cpuPct: number;
  cpuMs: number;
  /** Event-loop thread: on a CPU, and runnable but waiting for a CPU, as % of the window. */
  mainThreadOnCpuPct: number;
  mainThreadRunQueuePct: number;
  rssKbEnd: number;
  rssKbPeak: number;
  /** Ops on file docs this process committed in the window (its /metrics). */
  commits: number;
  submitToCommitMeanMs: number;
  storeCommitMeanMs: number;
  /** Arrival → delivery for ops this process committed and delivered itself (cross-process deliveries are not counted). */
  localFanOutMeanMs: number;
  eventLoopP99Ms: number;
  /** Where its CPU went in the window (`--profile` only). */
  profile: ProfileSummary | null;
}

export interface RedisSide {
  pid: number;
  idleCpuPct: number;
  cpuPct: number;
  cpuMs: number;
  rssKbEnd: number;
  commandsPerSec: number;
  /** Calls per second by command name, in the window (EVAL carries ShareDB's publishes). */
  callsPerSec: Record<string, number>;
  netInMBps: number;
  netOutMBps: number;
  connectedClients: number;
  pubsubChannels: number;
}

export interface ScaleOutRun {
  mode: ScaleOutMode;
  processes: number;
  clients: number;
  connectMs: number;
  windowS: number;
  latency: LatencySummary;
  ack: LatencySummary;
  keystrokesInWindow: number;
  ackedOps: number;
  ackedOpsPerSec: number;
  /** Doc versions created in the window over all rooms: commits of all processes together. */
  commitsPerSec: number;
  ackErrors: number;
  firstAckError: string | null;
  deliveriesExpected: number;
  deliveriesReceived: number;
  disconnects: number;
  /** Every room: editors equal to each other and to a fresh fetch, each keystroke once; every delivery arrived; every process serves the same version and text. */
  converged: boolean;
  roomsConverged: number;
  /** Rooms whose version and text were the same from every process after the run. */
  roomsAgreeingAcrossProcesses: number;
  roomProblems: RoomProblem[];
  settleMs: number;
  servers: ProcessSide[];
  redis: RedisSide | null;
  /** Sums over the server processes, then with redis-server added. */
  serversCpuPct: number;
  /** Per acked keystroke too: a server that falls behind commits fewer, bigger (composed) ops. */
  serversCpuMsPerAckedKeystroke: number;
  serversCpuMsPerCommit: number;
  serversAndRedisCpuPct: number;
  serversAndRedisCpuMsPerCommit: number;
  loadGenerator: { workers: number; cpuPct: number; loopDelayP99Ms: number; loopDelayMaxMs: number };
  machineBusyPct: number;
  /** CPU used by processes other than these servers, Redis and the load generator (other jobs on the box). */
  otherProcessesCpuPct: number;
}

/** The process each editor of room `index` connects to, by mode. */
function editorUrls(mode: ScaleOutMode, servers: BenchServer[], roomIndex: number, editors: number): string[] | undefined {
  const n = servers.length;
  if (mode === 'split') {
    // Round robin over the processes, starting one further along per room, so every process
    // holds about the same number of editors even when `editors` is not a multiple of n.
    return Array.from({ length: editors }, (_, e) => servers[(e + roomIndex) % n]!.url);
  }
  if (mode === 'affinity') return Array.from({ length: editors }, () => servers[roomIndex % n]!.url);
  return undefined;
}

/** Per server, its own `--cpu-prof-dir` under bench/results/profiles/ (with `--profile`). */
function profileDirs(mode: ScaleOutMode, options: ScaleOutOptions, processes: number): Array<string | null> {
  return Array.from({ length: processes }, (_, i) => {
    if (!options.profile) return null;
    const dir = path.join(path.dirname(options.out), 'profiles', `${path.basename(options.out, '.json')}-${mode}-tandem-${i}`);
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  });
}

export async function runScaleOut(mode: ScaleOutMode, options: ScaleOutOptions): Promise<ScaleOutRun> {
  const multi = mode === 'split' || mode === 'affinity';
  const processes = multi ? options.processes : 1;
  const profiles = profileDirs(mode, options, processes);
  const cluster = await TandemCluster.start({
    processes,
    redis: mode !== 'single',
    nodeArgs: (i) => [...options.serverNodeArgs, ...(profiles[i] ? ['--cpu-prof', `--cpu-prof-dir=${profiles[i]}`] : [])],
    env: options.serverEnv,
    dataRoot: options.dataRoot,
  });
  const { servers, redis } = cluster;
  const workers: ChildProcess[] = [];
  try {
    const first = servers[0]!;
    const docIds = await first.createRooms(options.rooms);
    const workerCount = Math.min(options.workers, options.rooms);
    const shares: RoomSpec[][] = Array.from({ length: workerCount }, () => []);
    docIds.forEach((docId, index) => shares[index % workerCount]!.push({ index, docId, editorUrls: editorUrls(mode, servers, index, options.editors) }));

    const connectStarted = Date.now();
    for (let w = 0; w < workerCount; w++) workers.push(forkWorker(WORKER));
    const ready = workers.map((worker, w) => {
      const message: DriverToLoadWorker = {
        type: 'setup',
        target: 'tandem',
        url: first.url,
        cookie: first.cookie,
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
    log(`${mode}: ${clients} editors on ${servers.length} process(es) connected and subscribed in ${(connectMs / 1000).toFixed(1)} s`);

    const idle0 = servers.map((s) => cpuTimeMs(s.pid));
    const redisIdle0 = redis ? cpuTimeMs(redis.pid) : 0;
    const idleHr0 = process.hrtime.bigint();
    await sleep(IDLE_SAMPLE_MS);
    const idleS = Number(process.hrtime.bigint() - idleHr0) / 1e9;
    const idleCpuPct = servers.map((s, i) => (100 * (cpuTimeMs(s.pid) - idle0[i]!)) / 1000 / idleS);
    const redisIdleCpuPct = redis ? (100 * (cpuTimeMs(redis.pid) - redisIdle0)) / 1000 / idleS : NaN;
    log(`${mode}: typing…`);

    const warmupMs = options.warmupS * 1000;
    const durationMs = options.durationS * 1000;
    const startEpochMs = Date.now() + 1000;
    const results = workers.map((worker) =>
      nextMessage<LoadWorkerToDriver, 'result'>(worker, 'result', 1000 + warmupMs + durationMs + SETTLE_BUDGET_MS),
    );
    for (const worker of workers) worker.send({ type: 'start', startEpochMs, warmupMs, durationMs } satisfies DriverToLoadWorker);

    await sleep(startEpochMs + warmupMs - Date.now());
    // Scrape first: the scrape resets each process's event-loop p99, so the second one covers the window.
    const counters0 = await Promise.all(servers.map((s) => scrapeCounters(s.url)));
    const redis0 = redis?.info() ?? null;
    const cpu0 = servers.map((s) => cpuTimeMs(s.pid));
    const sched0 = servers.map((s) => schedStat(s.pid));
    const redisCpu0 = redis ? cpuTimeMs(redis.pid) : 0;
    const machine0 = machineCpu();
    const hr0 = process.hrtime.bigint();
    const rss = servers.map((s) => new RssSampler(s.pid).start());
    await sleep(startEpochMs + warmupMs + durationMs - Date.now());
    const cpu1 = servers.map((s) => cpuTimeMs(s.pid));
    const sched1 = servers.map((s) => schedStat(s.pid));
    const redisCpu1 = redis ? cpuTimeMs(redis.pid) : 0;
    const machine1 = machineCpu();
    const hr1 = process.hrtime.bigint();
    for (const r of rss) r.stop();
    const redis1 = redis?.info() ?? null;
    const counters1 = await Promise.all(servers.map((s) => scrapeCounters(s.url)));
    const redisRssKb = redis ? rssKb(redis.pid) : 0;
    log(`${mode}: window over; waiting for acks and checking convergence…`);

    const finished = await Promise.all(results);
    const agreement = await checkAcrossProcesses(servers, docIds);
    const windowS = Number(hr1 - hr0) / 1e9;
    // The servers write their profiles when they exit.
    await cluster.stop();
    const windowProfiles = profiles.map((dir) => (dir ? summarizeProfileWindow(dir, hr0, hr1) : null));
    return summarize(mode, options, finished, {
      clients,
      connectMs,
      windowS,
      workerCount,
      agreement,
      machineBusyPct: machineBusyPct(machine0, machine1),
      servers: servers.map((s, i) =>
        processSide(`tandem-${i}`, s.pid, windowS, {
          idleCpuPct: idleCpuPct[i]!,
          cpuMs: cpu1[i]! - cpu0[i]!,
          sched0: sched0[i]!,
          sched1: sched1[i]!,
          rss: rss[i]!,
          counters0: counters0[i]!,
          counters1: counters1[i]!,
          profile: windowProfiles[i] ?? null,
        }),
      ),
      redis: redis ? redisSide(redis.pid, windowS, redisIdleCpuPct, redisCpu1 - redisCpu0, redisRssKb, redis0, redis1) : null,
    });
  } catch (err) {
    for (const [i, s] of servers.entries()) console.error(`--- tandem-${i} server output (last lines) ---\n${s.logs.slice(-30).join('\n')}`);
    throw err;
  } finally {
    killAll(workers);
    await cluster.stop();
  }
}

interface Measured {
  idleCpuPct: number;
  cpuMs: number;
  sched0: SchedStat;
  sched1: SchedStat;
  rss: RssSampler;
  counters0: ProcessCounters;
  counters1: ProcessCounters;
  profile: ProfileSummary | null;
}

function processSide(label: string, pid: number, windowS: number, m: Measured): ProcessSide {
  const { cpuMs, sched0, sched1, rss, counters0: c0, counters1: c1 } = m;
  const mean = (sum: number, count: number) => (count > 0 ? (1000 * sum) / count : NaN);
  return {
    label,
    pid,
    sockets: c0.sockets,
    idleCpuPct: m.idleCpuPct,
    cpuPct: (100 * cpuMs) / 1000 / windowS,
    cpuMs,
    mainThreadOnCpuPct: (sched1.onCpuNs - sched0.onCpuNs) / 1e7 / windowS,
    mainThreadRunQueuePct: (sched1.runQueueNs - sched0.runQueueNs) / 1e7 / windowS,
    rssKbEnd: rss.lastKb,
    rssKbPeak: rss.peakKb,
    commits: c1.fileCommits - c0.fileCommits,
    submitToCommitMeanMs: mean(c1.submitToCommitSumS - c0.submitToCommitSumS, c1.submitToCommitCount - c0.submitToCommitCount),
    storeCommitMeanMs: mean(c1.storeCommitSumS - c0.storeCommitSumS, c1.storeCommitCount - c0.storeCommitCount),
    localFanOutMeanMs: mean(c1.fanOutSumS - c0.fanOutSumS, c1.fanOutCount - c0.fanOutCount),
    eventLoopP99Ms: c1.eventLoopP99S * 1000,
    profile: m.profile,
  };
}

function redisSide(pid: number, windowS: number, idleCpuPct: number, cpuMs: number, rssKbEnd: number, i0: RedisCounters | null, i1: RedisCounters | null): RedisSide {
  const callsPerSec: Record<string, number> = {};
  if (i0 && i1) {
    for (const [name, calls] of Object.entries(i1.calls)) {
      const delta = calls - (i0.calls[name] ?? 0);
      if (delta > 0) callsPerSec[name] = delta / windowS;
    }
  }
  const rate = (pick: (c: RedisCounters) => number) => (i0 && i1 ? (pick(i1) - pick(i0)) / windowS : NaN);
  return {
    pid,
    idleCpuPct,
    cpuPct: (100 * cpuMs) / 1000 / windowS,
    cpuMs,
    rssKbEnd,
    // INFO itself is one command per reading; negligible.
    commandsPerSec: rate((c) => c.commands),
    callsPerSec,
    netInMBps: rate((c) => c.netInputBytes) / 2 ** 20,
    netOutMBps: rate((c) => c.netOutputBytes) / 2 ** 20,
    connectedClients: i1?.connectedClients ?? NaN,
    pubsubChannels: i1?.pubsubChannels ?? NaN,
  };
}

interface Agreement {
  agreeing: number;
  problems: RoomProblem[];
}

/**
 * After the workers' own check (editors equal, equal to a fresh fetch from the first process,
 * each keystroke once): a fresh fetch of every room from every process must give the same
 * version and text. A process whose snapshot cache missed another's commits would fail here.
 */
async function checkAcrossProcesses(servers: BenchServer[], docIds: string[]): Promise<Agreement> {
  if (servers.length < 2) return { agreeing: docIds.length, problems: [] };
  const clients = servers.map((s, i) => openClient('tandem', s.url, `bench-agree-${i}`, servers[0]!.cookie));
  const problems: RoomProblem[] = [];
  let agreeing = 0;
  try {
    await Promise.all(clients.map((c) => whenConnected(c.connection, CONNECT_TIMEOUT_MS)));
    for (const docId of docIds) {
      const seen = await Promise.all(
        clients.map(async (c) => {
          const doc = c.connection.get(COLLECTIONS.files, docId) as Doc<string>;
          await call((cb) => doc.fetch(cb));
          return { version: doc.version, data: doc.data };
        }),
      );
      const differing = seen.map((s, i) => ({ ...s, i })).filter((s) => s.version !== seen[0]!.version || s.data !== seen[0]!.data);
      if (differing.length) {
        problems.push({ docId, problem: `processes disagree: ${seen.map((s, i) => `tandem-${i} v${s.version}`).join(', ')}${differing.some((d) => d.version === seen[0]!.version) ? ' (same version, different text)' : ''}` });
      } else agreeing++;
    }
  } finally {
    for (const c of clients) c.close();
  }
  return { agreeing, problems };
}

interface RunSide {
  clients: number;
  connectMs: number;
  windowS: number;
  workerCount: number;
  agreement: Agreement;
  machineBusyPct: number;
  servers: ProcessSide[];
  redis: RedisSide | null;
}

function summarize(mode: ScaleOutMode, options: ScaleOutOptions, results: LoadWorkerResult[], side: RunSide): ScaleOutRun {
  const latency = new Histogram();
  const ack = new Histogram();
  const sum = (pick: (r: LoadWorkerResult) => number) => results.reduce((n, r) => n + pick(r), 0);
  for (const r of results) {
    latency.merge(r.latency);
    ack.merge(r.ack);
  }
  const ackedOps = sum((r) => r.ackedInWindow);
  const commits = sum((r) => r.commitsInWindow);
  const roomsConverged = sum((r) => r.roomsConverged);
  const deliveriesExpected = sum((r) => r.deliveriesExpected);
  const deliveriesReceived = sum((r) => r.deliveriesReceived);
  const serversCpuMs = side.servers.reduce((n, s) => n + s.cpuMs, 0);
  const redisCpuMs = side.redis?.cpuMs ?? 0;
  const pct = (ms: number) => (100 * ms) / 1000 / side.windowS;
  const loadGenCpuPct = pct(sum((r) => r.cpuMs));
  return {
    mode,
    processes: side.servers.length,
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
    converged:
      roomsConverged === options.rooms && deliveriesReceived === deliveriesExpected && side.agreement.agreeing === options.rooms,
    roomsConverged,
    roomsAgreeingAcrossProcesses: side.agreement.agreeing,
    roomProblems: [...results.flatMap((r) => r.roomProblems), ...side.agreement.problems].slice(0, 20),
    settleMs: Math.max(...results.map((r) => r.settleMs)),
    servers: side.servers,
    redis: side.redis,
    serversCpuPct: pct(serversCpuMs),
    serversCpuMsPerAckedKeystroke: ackedOps ? serversCpuMs / ackedOps : NaN,
    serversCpuMsPerCommit: commits ? serversCpuMs / commits : NaN,
    serversAndRedisCpuPct: pct(serversCpuMs + redisCpuMs),
    serversAndRedisCpuMsPerCommit: commits ? (serversCpuMs + redisCpuMs) / commits : NaN,
    loadGenerator: {
      workers: side.workerCount,
      cpuPct: loadGenCpuPct,
      loopDelayP99Ms: Math.max(...results.map((r) => r.loopDelayP99Ms)),
      loopDelayMaxMs: Math.max(...results.map((r) => r.loopDelayMaxMs)),
    },
    machineBusyPct: side.machineBusyPct,
    otherProcessesCpuPct: Math.max(0, side.machineBusyPct * os.availableParallelism() - pct(serversCpuMs + redisCpuMs) - loadGenCpuPct),
  };
}
