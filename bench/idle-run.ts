import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Target } from './bench-client';
import { BenchServer } from './bench-server';
import type { DriverToIdleWorker, IdleWorkerToDriver } from './messages';
import type { BenchOptions } from './options';
import { cpuTimeMs, rssKb } from './proc-stats';
import { log } from './report';
import { forkWorker, killAll, nextMessage } from './worker-ipc';

/**
 * The idle-connection run against one target: a fresh server, small docs, then `--idle`
 * connections spread over idle-worker processes; server RSS before and after gives the memory
 * cost of one realistic idle editor.
 */

const IDLE_WORKER = path.join(__dirname, 'idle-worker.js');
const IDLE_SETTLE_MS = 5_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface IdleRun {
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

async function medianRssKb(pid: number, samples = 5, gapMs = 300): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < samples; i++) {
    values.push(rssKb(pid));
    if (i < samples - 1) await sleep(gapMs);
  }
  values.sort((a, b) => a - b);
  return values[Math.floor(values.length / 2)]!;
}

export async function runIdle(target: Target, options: BenchOptions): Promise<IdleRun> {
  const server = await BenchServer.start(target, {
    nodeArgs: options.serverNodeArgs,
    env: target === 'tandem' ? options.serverEnv : {},
    dataRoot: options.dataRoot,
  });
  const workers: ChildProcess[] = [];
  try {
    const docCount = Math.ceil(options.idle / options.idlePerDoc);
    const docIds = await server.createRooms(docCount);
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
      const message: DriverToIdleWorker = { type: 'setup', target, url: server.url, cookie: server.cookie, docIds, first, count, concurrency: 50 };
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
