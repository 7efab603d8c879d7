import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import type { Doc } from 'sharedb/lib/client';
import { COLLECTIONS } from '../lib/protocol';
import { ROOM_OPS_PER_SECOND } from '../lib/limits';
import { openClient, subscribeText, whenConnected, type BenchClient } from './bench-client';
import { BenchServer, ROOT } from './bench-server';
import { cpuTimeMs, machineBusyPct, machineCpu } from './proc-stats';
import { fmt, log } from './report';
import { quantile, typeQuietly, type QuietTypingResult } from './room-flood-scenario';
import type { FloodWorkerData, FloodWorkerMessage } from './room-flood-worker';

/**
 * Does one hot room starve the others? (issue 6 §2, docs/protocol.md P-LIM-6..8)
 *
 *   npm run build:server && node dist/bench/room-flood.js [--duration 15] [--quiet-rooms 3] [--cps 5]
 *     [--flood-editors 16] [--flood-rate 150] [--room-ops N] [--modes on,off] [--wait-quiet 180] [--out file.json]
 *
 * For each mode it starts a fresh Tandem server (SQLite in a temp dir, no UI): `on` with the room
 * limits at their defaults (or `--room-ops`), `off` with them out of reach. It creates
 * `--quiet-rooms` rooms of two typists at `--cps` chars/s each and one flooding room of
 * `--flood-editors` sockets on one file, each submitting its next op as soon as the previous one
 * is acknowledged but at most `--flood-rate` per second: under the per-socket limit (P-LIM-4,
 * 200 msg/s), so that limit alone cannot stop it. Two phases of `--duration` s each: the quiet
 * rooms alone, then the same typing while the flood runs (after `--warmup` s of flooding). It
 * prints the quiet rooms' keystroke → peer latency (p50, p99, max), the flood's acknowledged
 * ops/s and the server's CPU for each phase, and writes JSON.
 *
 * The quiet typists run on this thread, the flood on a worker thread (its own event loop), and the
 * server in its own process; on a 2-core machine they still share the cores.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Options {
  durationS: number;
  warmupS: number;
  quietRooms: number;
  cps: number;
  floodEditors: number;
  floodRate: number;
  roomOps: number | null;
  modes: Array<'on' | 'off'>;
  seed: number;
  waitQuietS: number;
  out: string;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string', default: '15' },
      warmup: { type: 'string', default: '2' },
      'quiet-rooms': { type: 'string', default: '3' },
      cps: { type: 'string', default: '5' },
      'flood-editors': { type: 'string', default: '16' },
      'flood-rate': { type: 'string', default: '150' },
      'room-ops': { type: 'string' },
      modes: { type: 'string', default: 'on,off' },
      seed: { type: 'string', default: '6002' },
      'wait-quiet': { type: 'string', default: '180' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log('usage: node dist/bench/room-flood.js [--duration s] [--warmup s] [--quiet-rooms n] [--cps n] [--flood-editors n] [--flood-rate ops/s per socket, 0 = unpaced] [--room-ops n] [--modes on,off] [--seed n] [--wait-quiet s] [--out file]');
    process.exit(0);
  }
  const num = (name: string, value: string | undefined, min: number) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min}`);
    return n;
  };
  const modes = String(values.modes).split(',').map((m) => m.trim());
  if (modes.some((m) => m !== 'on' && m !== 'off')) throw new Error('--modes is a list of on, off');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  return {
    durationS: num('duration', values.duration, 1),
    warmupS: num('warmup', values.warmup, 0),
    quietRooms: num('quiet-rooms', values['quiet-rooms'], 1),
    cps: num('cps', values.cps, 0.1),
    floodEditors: num('flood-editors', values['flood-editors'], 1),
    floodRate: num('flood-rate', values['flood-rate'], 0),
    roomOps: values['room-ops'] === undefined ? null : num('room-ops', values['room-ops'], 1),
    modes: modes as Array<'on' | 'off'>,
    seed: num('seed', values.seed, 0),
    waitQuietS: num('wait-quiet', values['wait-quiet'], 0),
    out: path.resolve(values.out ?? path.join(ROOT, 'bench', 'results', `room-flood-${stamp}.json`)),
  };
}

interface PhaseResult {
  phase: 'alone' | 'flood';
  latency: { count: number; p50Ms: number; p99Ms: number; maxMs: number };
  keystrokes: number;
  errors: number;
  missing: number;
  /** The flood's acknowledged ops/s over this phase's typing window (0 while alone). */
  floodAckedOpsPerSec: number;
  serverCpuPct: number;
  otherProcessesCpuPct: number;
}

interface ModeResult {
  mode: 'on' | 'off';
  env: Record<string, string>;
  phases: PhaseResult[];
  flood: { errors: number; disconnects: number; acked: number };
}

/** Server environment of a mode: `off` puts the per-room budget and queue out of reach. */
function envOf(mode: 'on' | 'off', options: Options): Record<string, string> {
  if (mode === 'off') return { ROOM_OPS_PER_SECOND: '1000000', ROOM_QUEUED_OPS: '1000000', ROOM_MAX_EDITORS: '100000' };
  return options.roomOps === null ? {} : { ROOM_OPS_PER_SECOND: String(options.roomOps) };
}

/**
 * Other engineers' builds and tests share this machine: before each mode, wait (up to
 * `maxWaitS`) for 3 seconds in a row under 20 % busy, as bench/load.ts does. Each phase also
 * reports the CPU that other processes used.
 */
async function waitForQuietMachine(maxWaitS: number): Promise<void> {
  const started = Date.now();
  let quietFor = 0;
  let before = machineCpu();
  while (quietFor < 3 && Date.now() - started < maxWaitS * 1000) {
    await sleep(1000);
    const now = machineCpu();
    quietFor = machineBusyPct(before, now) < 20 ? quietFor + 1 : 0;
    before = now;
  }
  if (quietFor < 3) log(`machine still busy after ${maxWaitS} s; running anyway (see "other CPU %")`);
}

async function runMode(mode: 'on' | 'off', options: Options): Promise<ModeResult> {
  const env = envOf(mode, options);
  const server = await BenchServer.start('tandem', { nodeArgs: [], env });
  const clients: BenchClient[] = [];
  let worker: Worker | null = null;
  try {
    const docIds = await server.createRooms(options.quietRooms + 1);
    const floodDocId = docIds.pop()!;
    const rooms: Array<Array<Doc<string>>> = [];
    for (const [r, docId] of docIds.entries()) {
      const docs: Array<Doc<string>> = [];
      for (let t = 0; t < 2; t++) {
        const client = openClient('tandem', server.url, `quiet-${r}-${t}-${process.pid}`, server.cookie);
        clients.push(client);
        await whenConnected(client.connection, 20_000);
        docs.push(await subscribeText(client.connection, COLLECTIONS.files, docId));
      }
      rooms.push(docs);
    }
    const workerData: FloodWorkerData = {
      url: server.url,
      cookie: server.cookie!,
      docId: floodDocId,
      editors: options.floodEditors,
      maxOpsPerSecondPerEditor: options.floodRate,
      seed: options.seed,
    };
    const floodWorker = new Worker(path.join(__dirname, 'room-flood-worker.js'), { workerData });
    worker = floodWorker;
    const messages: FloodWorkerMessage[] = [];
    const waiters: Array<() => void> = [];
    floodWorker.on('message', (m: FloodWorkerMessage) => {
      messages.push(m);
      for (const w of waiters.splice(0)) w();
    });
    floodWorker.on('error', (err) => messages.push({ type: 'error', message: err.message }));
    const next = async <T extends FloodWorkerMessage['type']>(type: T, timeoutMs: number): Promise<Extract<FloodWorkerMessage, { type: T }>> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.find((m) => m.type === type || m.type === 'error');
        if (found?.type === 'error') throw new Error(`flood worker: ${found.message}`);
        if (found) return found as Extract<FloodWorkerMessage, { type: T }>;
        if (Date.now() > deadline) throw new Error(`flood worker: no "${type}" within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    };
    await next('ready', 60_000);

    let keystroke = 0;
    const phase = async (name: 'alone' | 'flood'): Promise<{ result: PhaseResult; from: number; to: number }> => {
      const cpu0 = cpuTimeMs(server.pid);
      const own0 = process.cpuUsage();
      const machine0 = machineCpu();
      const from = performance.timeOrigin + performance.now();
      const started = performance.now();
      const perRoom = await Promise.all(
        // Keystroke characters need only be unique within a room (bench/keystroke-chars.ts).
        rooms.map((docs, r) =>
          typeQuietly(docs, { cps: options.cps, durationMs: options.durationS * 1000, firstKeystroke: keystroke, seed: options.seed + r }),
        ),
      );
      const elapsedMs = performance.now() - started;
      const to = performance.timeOrigin + performance.now();
      keystroke += Math.max(...perRoom.map((r) => r.keystrokes));
      const serverCpuPct = ((cpuTimeMs(server.pid) - cpu0) * 100) / elapsedMs;
      const own = process.cpuUsage(own0);
      const ownCpuPct = ((own.user + own.system) / 1000 / elapsedMs) * 100;
      const busyPct = machineBusyPct(machine0, machineCpu()) * os.availableParallelism();
      const latencies = perRoom.flatMap((r: QuietTypingResult) => r.latenciesMs);
      return {
        from,
        to,
        result: {
          phase: name,
          latency: { count: latencies.length, p50Ms: quantile(latencies, 0.5), p99Ms: quantile(latencies, 0.99), maxMs: quantile(latencies, 1) },
          keystrokes: perRoom.reduce((n, r) => n + r.keystrokes, 0),
          errors: perRoom.reduce((n, r) => n + r.errors, 0),
          missing: perRoom.reduce((n, r) => n + r.missing, 0),
          floodAckedOpsPerSec: 0,
          serverCpuPct,
          // The bench's own CPU includes the flood worker thread.
          otherProcessesCpuPct: Math.max(0, busyPct - serverCpuPct - ownCpuPct),
        },
      };
    };

    log(`${mode}: quiet rooms alone for ${options.durationS} s`);
    const alone = await phase('alone');
    log(`${mode}: flood starts; quiet rooms type again after ${options.warmupS} s`);
    floodWorker.postMessage({ type: 'start' });
    await sleep(options.warmupS * 1000);
    const flooded = await phase('flood');
    floodWorker.postMessage({ type: 'stop' });
    const floodResult = await next('result', 120_000);
    const inWindow = floodResult.ackEpochMs.filter((t) => t >= flooded.from && t < flooded.to).length;
    flooded.result.floodAckedOpsPerSec = (inWindow * 1000) / (flooded.to - flooded.from);
    return {
      mode,
      env,
      phases: [alone.result, flooded.result],
      flood: { errors: floodResult.errors, disconnects: floodResult.disconnects, acked: floodResult.ackEpochMs.length },
    };
  } finally {
    for (const client of clients) client.close();
    await worker?.terminate();
    await server.stop();
  }
}

function printTable(results: ModeResult[], options: Options): void {
  const rows = [['room limits', 'quiet rooms', 'p50 ms', 'p99 ms', 'max ms', 'samples', 'errors', 'flood acked ops/s', 'server CPU %', 'other CPU %']];
  for (const r of results) {
    const label = r.mode === 'on' ? `on (${options.roomOps ?? ROOM_OPS_PER_SECOND} ops/s)` : 'off';
    for (const p of r.phases) {
      rows.push([
        label,
        p.phase === 'alone' ? 'alone' : 'next to the flood',
        fmt(p.latency.p50Ms),
        fmt(p.latency.p99Ms),
        fmt(p.latency.maxMs),
        String(p.latency.count),
        String(p.errors + p.missing),
        p.phase === 'flood' ? fmt(p.floodAckedOpsPerSec) : '–',
        fmt(p.serverCpuPct, 0),
        fmt(p.otherProcessesCpuPct, 0),
      ]);
    }
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length)));
  console.log(rows.map((row) => row.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n'));
  for (const r of results) {
    console.log(`  ${r.mode}: flood ${r.flood.acked} ops acknowledged, ${r.flood.errors} op errors, ${r.flood.disconnects} disconnects`);
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  log(
    `${options.quietRooms} quiet rooms × 2 typists × ${options.cps} chars/s; flooding room: ${options.floodEditors} sockets on one file, ` +
      `each ≤ ${options.floodRate || '∞'} ops/s; ${options.durationS} s per phase; modes ${options.modes.join(', ')}`,
  );
  const results: ModeResult[] = [];
  for (const mode of options.modes) {
    await waitForQuietMachine(options.waitQuietS);
    results.push(await runMode(mode, options));
  }
  fs.mkdirSync(path.dirname(options.out), { recursive: true });
  const machine = { nproc: os.availableParallelism(), cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version, date: new Date().toISOString() };
  fs.writeFileSync(options.out, `${JSON.stringify({ machine, options: { ...options, out: path.relative(ROOT, options.out) }, results }, null, 2)}\n`);
  console.log(`\nquiet rooms' keystroke → peer latency, with and without a flooding room (${machine.nproc} cores, node ${machine.node})`);
  printTable(results, options);
  console.log(`\nJSON: ${path.relative(process.cwd(), options.out)}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
