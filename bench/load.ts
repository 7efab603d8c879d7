import fs from 'node:fs';
import path from 'node:path';
import type { Target } from './bench-client';
import { ROOT } from './bench-server';
import { runIdle, type IdleRun } from './idle-run';
import { runLoad, type LoadRun } from './load-run';
import { parseOptions } from './options';
import { formatProfileSummary } from './profile-summary';
import { evaluateGoals, idleTable, loadTable, log, ratio, roundsTable } from './report';
import { machineFacts, waitForQuietMachine } from './machine';

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
    if (options.idle < 1000) console.log('(fewer than 1,000 connections: GC noise in RSS dominates the per-connection figure)');
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
