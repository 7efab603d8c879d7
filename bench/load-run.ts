import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Target } from './bench-client';
import { BenchServer } from './bench-server';
import { Histogram, type LatencySummary } from './histogram';
import type { DriverToLoadWorker, LoadWorkerResult, LoadWorkerToDriver, RoomProblem, RoomSpec } from './messages';
import type { BenchOptions } from './options';
import { summarizeProfileWindow, type ProfileSummary } from './profile-summary';
import { RssSampler, cpuTimesMs, ioStat, machineBusyPct, machineCpu, schedStat } from './proc-stats';
import { log } from './report';
import { forkWorker, killAll, nextMessage } from './worker-ipc';

/**
 * One load run against one target: start its server, create the rooms, fork the load workers,
 * let them type, measure the server from /proc during the window, collect and merge the
 * workers' results, stop the server (which writes its CPU profile when profiling).
 */

const WORKER = path.join(__dirname, 'load-worker.js');
/** After the window: time allowed for acks, catch-up and the convergence check. */
const SETTLE_BUDGET_MS = 120_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface LoadRun {
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
    /** Kernel (system) part of cpuMsPerAckedOp; absent in results from before it was recorded. */
    systemCpuMsPerAckedOp?: number;
    rssKbEnd: number;
    rssKbPeak: number;
    /** Commits that lost a race and were retried, per successful commit (raw only: Tandem exposes no counter). */
    submitRetriesPerCommit: number | null;
    /** The event-loop thread's wall time split: on a CPU, runnable but waiting for a CPU, asleep (idle or blocked in I/O). */
    mainThreadOnCpuPct: number;
    mainThreadRunQueuePct: number;
    mainThreadAsleepPct: number;
    /** Bytes the server wrote to storage, and its write syscalls (file and socket writes) per second. */
    diskWriteMBps: number;
    writeSyscallsPerSec: number;
  };
  loadGenerator: { workers: number; cpuPct: number; loopDelayP99Ms: number; loopDelayMaxMs: number };
  machineBusyPct: number;
  /** CPU used by processes other than this server and its load generator (other jobs on the box). */
  otherProcessesCpuPct: number;
  profile: ProfileSummary | null;
}

function profileNodeArgs(options: BenchOptions, label: string): { args: string[]; dir: string | null } {
  if (!options.profile) return { args: options.serverNodeArgs, dir: null };
  const dir = path.join(path.dirname(options.out), 'profiles', `${path.basename(options.out, '.json')}-${label}`);
  fs.mkdirSync(dir, { recursive: true });
  return { args: [...options.serverNodeArgs, '--cpu-prof', `--cpu-prof-dir=${dir}`], dir };
}

export async function runLoad(target: Target, round: number, options: BenchOptions): Promise<LoadRun> {
  const profiling = profileNodeArgs(options, `${target}-load${options.rounds > 1 ? `-r${round}` : ''}`);
  const server = await BenchServer.start(target, {
    nodeArgs: profiling.args,
    env: target === 'tandem' ? options.serverEnv : {},
    dataRoot: options.dataRoot,
  });
  const workers: ChildProcess[] = [];
  try {
    const docIds = await server.createRooms(options.rooms);
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
        cookie: server.cookie,
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
    const cpu0 = cpuTimesMs(server.pid);
    const machine0 = machineCpu();
    const sched0 = schedStat(server.pid);
    const io0 = ioStat(server.pid);
    const hr0 = process.hrtime.bigint();
    const rss = new RssSampler(server.pid).start();
    const retries0 = await submitRetries(server);
    await sleep(startEpochMs + warmupMs + durationMs - Date.now());
    const cpu1 = cpuTimesMs(server.pid);
    const machine1 = machineCpu();
    const sched1 = schedStat(server.pid);
    const io1 = ioStat(server.pid);
    const hr1 = process.hrtime.bigint();
    rss.stop();
    const retries1 = await submitRetries(server);
    log(`${target}: window over; waiting for acks and checking convergence…`);

    const finished = await Promise.all(results);
    await server.stop();
    const profile = profiling.dir ? summarizeProfileWindow(profiling.dir, hr0, hr1) : null;
    return summarizeLoad(target, round, options, finished, {
      clients,
      connectMs,
      windowS: Number(hr1 - hr0) / 1e9,
      serverCpuMs: cpu1.userMs + cpu1.systemMs - cpu0.userMs - cpu0.systemMs,
      serverSystemCpuMs: cpu1.systemMs - cpu0.systemMs,
      machineBusyPct: machineBusyPct(machine0, machine1),
      rssKbEnd: rss.lastKb,
      rssKbPeak: rss.peakKb,
      submitRetries: retries0 !== null && retries1 !== null ? retries1 - retries0 : null,
      onCpuNs: sched1.onCpuNs - sched0.onCpuNs,
      runQueueNs: sched1.runQueueNs - sched0.runQueueNs,
      writeBytes: io1.writeBytes - io0.writeBytes,
      writeSyscalls: io1.writeSyscalls - io0.writeSyscalls,
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

interface ServerSide {
  clients: number;
  connectMs: number;
  windowS: number;
  serverCpuMs: number;
  /** The part of serverCpuMs spent in the kernel (system calls: sockets, disk). */
  serverSystemCpuMs: number;
  machineBusyPct: number;
  rssKbEnd: number;
  rssKbPeak: number;
  submitRetries: number | null;
  onCpuNs: number;
  runQueueNs: number;
  writeBytes: number;
  writeSyscalls: number;
  workerCount: number;
  profile: ProfileSummary | null;
}

function summarizeLoad(target: Target, round: number, options: BenchOptions, results: LoadWorkerResult[], side: ServerSide): LoadRun {
  const latency = new Histogram();
  const ack = new Histogram();
  const sum = (pick: (r: LoadWorkerResult) => number) => results.reduce((n, r) => n + pick(r), 0);
  for (const r of results) {
    latency.merge(r.latency);
    ack.merge(r.ack);
  }
  const ackedOps = sum((r) => r.ackedInWindow);
  const serverCpuPct = (100 * side.serverCpuMs) / 1000 / side.windowS;
  const onCpuPct = side.onCpuNs / 1e7 / side.windowS;
  const runQueuePct = side.runQueueNs / 1e7 / side.windowS;
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
      systemCpuMsPerAckedOp: ackedOps ? side.serverSystemCpuMs / ackedOps : NaN,
      rssKbEnd: side.rssKbEnd,
      rssKbPeak: side.rssKbPeak,
      submitRetriesPerCommit: side.submitRetries !== null && commits ? side.submitRetries / commits : null,
      mainThreadOnCpuPct: onCpuPct,
      mainThreadRunQueuePct: runQueuePct,
      mainThreadAsleepPct: Math.max(0, 100 - onCpuPct - runQueuePct),
      diskWriteMBps: side.writeBytes / 2 ** 20 / side.windowS,
      writeSyscallsPerSec: side.writeSyscalls / side.windowS,
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
