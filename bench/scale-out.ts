import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './bench-server';
import { formatProfileSummary } from './profile-summary';
import { fmt, log, ratio } from './report';
import { machineFacts, waitForQuietMachine } from './machine';
import { redisServerBinary } from './scale-out-cluster';
import { parseScaleOutOptions } from './scale-out-options';
import { runScaleOut, type ScaleOutRun } from './scale-out-run';

/**
 * Tandem's scale-out benchmark (issue 6: "three processes with Redis on this machine: a room
 * split across processes converges, and aggregate throughput is reported").
 *
 *   npm run bench:scale -- --rooms 20 --editors 10 --cps 5 --duration 20 --warmup 5
 *
 * The same workload (rooms × editors × chars/s, one seed) runs once per mode, each on fresh
 * processes and a fresh data dir: one Tandem process without Redis (the baseline), optionally one
 * with Redis, then `--processes` Tandem processes sharing one SQLite file and one redis-server,
 * with every room split round-robin over them (each op crosses Redis) or each room on one process.
 * Typing, latency and convergence come from bench/load-worker.ts (as in `npm run bench`); each
 * server process and redis-server are measured from /proc and from their own counters. All of it
 * (servers, Redis, load generator) shares this machine's cores; the report says how busy the
 * machine was and how much of that was other jobs.
 */



function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

/** One column per mode; the ratio columns compare each multi-process mode with `single`. */
function modesTable(runs: ScaleOutRun[]): string {
  const base = runs.find((r) => r.mode === 'single');
  const others = runs.filter((r) => r !== base);
  const header = ['', ...runs.map((r) => r.mode), ...(base ? others.map((r) => `${r.mode}/single`) : [])];
  const rows: string[][] = [header];
  const add = (label: string, pick: (run: ScaleOutRun) => number, digits = 1, withRatio = true) => {
    rows.push([
      label,
      ...runs.map((r) => fmt(pick(r), digits)),
      ...(base ? others.map((r) => (withRatio ? fmt(ratio(pick(r), pick(base)), 2) : '')) : []),
    ]);
  };
  add('processes', (r) => r.processes, 0, false);
  add('keystroke→peer p50 (ms)', (r) => r.latency.p50Ms, 2);
  add('keystroke→peer p99 (ms)', (r) => r.latency.p99Ms, 2);
  add('keystroke→peer max (ms)', (r) => r.latency.maxMs, 1);
  add('keystroke→ack p50 (ms)', (r) => r.ack.p50Ms, 2);
  add('keystroke→ack p99 (ms)', (r) => r.ack.p99Ms, 2);
  add('acked keystrokes/s', (r) => r.ackedOpsPerSec);
  add('commits/s (all processes)', (r) => r.commitsPerSec);
  add('keystrokes per commit', (r) => r.ackedOpsPerSec / r.commitsPerSec, 2);
  add('servers CPU % idle, connected (sum)', (r) => r.servers.reduce((n, s) => n + s.idleCpuPct, 0));
  add('servers CPU % (sum; 100 = 1 core)', (r) => r.serversCpuPct);
  add('redis-server CPU %', (r) => r.redis?.cpuPct ?? NaN);
  add('servers CPU-ms per acked keystroke', (r) => r.serversCpuMsPerAckedKeystroke, 3);
  add('servers CPU-ms per commit', (r) => r.serversCpuMsPerCommit, 3);
  add('servers+redis CPU-ms per commit', (r) => r.serversAndRedisCpuMsPerCommit, 3);
  add('busiest event loop p99 delay (ms)', (r) => Math.max(...r.servers.map((s) => s.eventLoopP99Ms)), 1);
  add('store commit mean (ms, all procs)', (r) => weighted(r, (s) => s.storeCommitMeanMs), 3);
  add('submit→commit mean (ms, all procs)', (r) => weighted(r, (s) => s.submitToCommitMeanMs), 2);
  add('redis commands/s', (r) => r.redis?.commandsPerSec ?? NaN, 0);
  add('load-gen CPU %', (r) => r.loadGenerator.cpuPct);
  add('load-gen loop delay p99 (ms)', (r) => r.loadGenerator.loopDelayP99Ms);
  add('machine busy % (all cores)', (r) => r.machineBusyPct);
  add('other processes CPU % (noise)', (r) => r.otherProcessesCpuPct);
  add('acks + catch-up + check after typing (s)', (r) => r.settleMs / 1000, 1, false);
  add('latency samples', (r) => r.latency.count, 0, false);
  add('ack errors', (r) => r.ackErrors, 0, false);
  add('disconnects', (r) => r.disconnects, 0, false);
  add('deliveries missing', (r) => r.deliveriesExpected - r.deliveriesReceived, 0, false);
  rows.push(['rooms converged', ...runs.map((r) => `${r.roomsConverged}/${r.roomsAgreeingAcrossProcesses}`), ...(base ? others.map(() => '') : [])]);
  rows.push(['converged', ...runs.map((r) => (r.converged ? 'yes' : 'NO')), ...(base ? others.map(() => '') : [])]);
  return table(rows);
}

/** A per-process mean weighted by each process's commits. */
function weighted(run: ScaleOutRun, pick: (s: ScaleOutRun['servers'][number]) => number): number {
  let sum = 0;
  let weight = 0;
  for (const s of run.servers) {
    const v = pick(s);
    if (!Number.isFinite(v) || s.commits <= 0) continue;
    sum += v * s.commits;
    weight += s.commits;
  }
  return weight ? sum / weight : NaN;
}

function processesTable(runs: ScaleOutRun[]): string {
  const rows: string[][] = [
    ['mode', 'process', 'sockets', 'commits/s', 'idle CPU %', 'CPU %', 'loop on-CPU %', 'loop run-queue %', 'loop p99 ms', 'store commit ms', 'submit→commit ms', 'RSS MB'],
  ];
  for (const r of runs) {
    for (const s of r.servers) {
      rows.push([
        r.mode,
        s.label,
        fmt(s.sockets, 0),
        fmt(s.commits / r.windowS),
        fmt(s.idleCpuPct),
        fmt(s.cpuPct),
        fmt(s.mainThreadOnCpuPct),
        fmt(s.mainThreadRunQueuePct),
        fmt(s.eventLoopP99Ms),
        fmt(s.storeCommitMeanMs, 3),
        fmt(s.submitToCommitMeanMs, 2),
        fmt(s.rssKbEnd / 1024),
      ]);
    }
    if (r.redis) {
      rows.push([r.mode, 'redis-server', fmt(r.redis.connectedClients, 0), '', fmt(r.redis.idleCpuPct), fmt(r.redis.cpuPct), '', '', '', '', '', fmt(r.redis.rssKbEnd / 1024)]);
    }
  }
  const notes = runs
    .filter((r) => r.redis)
    .map((r) => {
      const redis = r.redis!;
      const calls = Object.entries(redis.callsPerSec)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 4)
        .map(([name, perSec]) => `${name} ${fmt(perSec, 0)}/s`)
        .join(', ');
      return `  ${r.mode} redis: ${calls} (${fmt(redis.commandsPerSec / r.commitsPerSec, 2)} commands per commit); net in ${fmt(redis.netInMBps, 2)} MB/s, out ${fmt(redis.netOutMBps, 2)} MB/s; ${fmt(redis.pubsubChannels, 0)} channels`;
    });
  return [table(rows), ...notes].join('\n');
}

/**
 * With `--profile`: each mode's main-thread samples by package (self time), summed over its
 * server processes, as shares of the busy samples. V8 samples wall time, so a thread that waits
 * for a CPU keeps being sampled in whatever it was running: under contention "busy" exceeds the
 * CPU /proc measured, which is why this shows shares next to the measured CPU-ms per commit.
 */
function profileTable(runs: ScaleOutRun[]): string | null {
  const profiled = runs.filter((r) => r.servers.some((s) => s.profile));
  if (!profiled.length) return null;
  const shares = profiled.map((r) => {
    const byCategory = new Map<string, number>();
    let busy = 0;
    for (const s of r.servers) {
      if (!s.profile) continue;
      busy += s.profile.busyMs;
      for (const c of s.profile.selfByCategory) byCategory.set(c.category, (byCategory.get(c.category) ?? 0) + c.ms);
    }
    return new Map([...byCategory].map(([k, v]) => [k, busy ? (100 * v) / busy : 0]));
  });
  const categories = [...new Set(shares.flatMap((m) => [...m.keys()]))].sort(
    (a, b) => Math.max(...shares.map((m) => m.get(b) ?? 0)) - Math.max(...shares.map((m) => m.get(a) ?? 0)),
  );
  const rows: string[][] = [['main-thread samples by package (profiled)', ...profiled.map((r) => r.mode)]];
  rows.push(['servers CPU-ms per commit (/proc, under the profiler)', ...profiled.map((r) => fmt(r.serversCpuMsPerCommit, 3))]);
  for (const category of categories.slice(0, 16)) rows.push([`  ${category} %`, ...shares.map((m) => fmt(m.get(category) ?? 0))]);
  return table(rows);
}

/** The code under test: the commit, and which source folders differ from it (other work in progress is built in). */
function gitFacts(): Record<string, unknown> {
  const git = (...args: string[]) => {
    try {
      // trimEnd: `git status --porcelain` lines start with a meaningful space.
      return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trimEnd();
    } catch {
      return 'unknown';
    }
  };
  return {
    commit: git('rev-parse', 'HEAD'),
    uncommitted: git('status', '--porcelain', '--', 'server', 'lib', 'prisma-free-db', 'bench')
      .split('\n')
      .filter(Boolean),
  };
}


async function main(): Promise<void> {
  const options = parseScaleOutOptions(process.argv.slice(2));
  if (options.modes.some((m) => m !== 'single') && !redisServerBinary()) {
    throw new Error('redis-server is not installed (apt-get install -y redis-server); only --modes single runs without it');
  }
  const machine = machineFacts();
  log(
    `workload ${options.rooms} rooms × ${options.editors} editors × ${options.cps} chars/s, ${options.warmupS} s warmup + ${options.durationS} s measured; ` +
      `modes ${options.modes.join(', ')}; ${options.processes} processes when split; seed ${options.seed}`,
  );
  const runs: ScaleOutRun[] = [];
  for (const mode of options.modes) {
    await waitForQuietMachine(options.waitQuietS);
    runs.push(await runScaleOut(mode, options));
  }

  const base = runs.find((r) => r.mode === 'single');
  const report = {
    machine,
    git: gitFacts(),
    options: { ...options, out: path.relative(ROOT, options.out) },
    runs,
    versusSingle: base
      ? Object.fromEntries(
          runs
            .filter((r) => r !== base)
            .map((r) => [
              r.mode,
              {
                p50: ratio(r.latency.p50Ms, base.latency.p50Ms),
                p99: ratio(r.latency.p99Ms, base.latency.p99Ms),
                max: ratio(r.latency.maxMs, base.latency.maxMs),
                ackedOpsPerSec: ratio(r.ackedOpsPerSec, base.ackedOpsPerSec),
                commitsPerSec: ratio(r.commitsPerSec, base.commitsPerSec),
                serversCpuMsPerAckedKeystroke: ratio(r.serversCpuMsPerAckedKeystroke, base.serversCpuMsPerAckedKeystroke),
                serversCpuMsPerCommit: ratio(r.serversCpuMsPerCommit, base.serversCpuMsPerCommit),
                serversAndRedisCpuMsPerCommit: ratio(r.serversAndRedisCpuMsPerCommit, base.serversCpuMsPerCommit),
              },
            ]),
        )
      : null,
  };
  fs.mkdirSync(path.dirname(options.out), { recursive: true });
  fs.writeFileSync(options.out, `${JSON.stringify(report, null, 2)}\n`);

  console.log('');
  console.log(
    `machine: ${String(machine.nproc)} cores (${String(machine.cpuModel)}), ${String(machine.memGiB)} GiB, node ${process.version}, ${String(machine.date)}; ` +
      'every server process, redis-server and the load generator share these cores',
  );
  console.log(
    `\nSCALE-OUT ${options.rooms} rooms × ${options.editors} editors × ${options.cps} chars/s, ${options.durationS} s measured after ${options.warmupS} s warmup (seed ${options.seed})`,
  );
  console.log(modesTable(runs));
  console.log('\nper process (sockets at the window start; commits each process made; its event loop from /proc/<pid>/schedstat and its /metrics):');
  console.log(processesTable(runs));
  for (const run of runs) {
    for (const problem of run.roomProblems) console.log(`  ${run.mode} room ${problem.docId}: ${problem.problem}`);
    if (run.firstAckError) console.log(`  ${run.mode} first ack error: ${run.firstAckError}`);
  }
  const profiles = profileTable(runs);
  if (profiles) console.log(`\n${profiles}`);
  // The first process of each mode in full; every process's summary is in the JSON.
  for (const run of runs) {
    const server = run.servers[0];
    if (server?.profile) console.log(`\n${run.mode.toUpperCase()} ${server.label} ${formatProfileSummary(server.profile, 12)}`);
  }
  console.log(`\nJSON: ${path.relative(process.cwd(), options.out)}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
