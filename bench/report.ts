import type { Target } from './bench-client';
import type { IdleRun } from './idle-run';
import type { LoadRun } from './load-run';
import type { BenchOptions } from './options';

/** What the bench prints: progress lines, the result tables and the goal verdicts. */

/** The goals, for the 2-core machine. */
/** Issue 6's goals (the collaborative core's were 50 rooms and 5,000 connections under 20 KB). */
const GOAL = { rooms: 100, editors: 10, cps: 5, p99Ms: 100, idleConnections: 10_000, idleKbPerConnection: 10 };

/** A timestamped progress line. */
export function log(line: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

export const fmt = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : '–');
export const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : NaN;

export interface Goal {
  goal: string;
  met: boolean | null;
  detail: string;
}

export function evaluateGoals(
  options: BenchOptions,
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
      goal: `${GOAL.idleConnections} idle connections at ≤ ${GOAL.idleKbPerConnection} KB each (Tandem)`,
      met: run.connected >= GOAL.idleConnections ? run.kbPerConnection <= GOAL.idleKbPerConnection : null,
      detail: `${fmt(run.kbPerConnection)} KB/conn over ${run.connected} connections${run.connected >= GOAL.idleConnections ? '' : ' (fewer than the goal)'}`,
    });
  }
  return goals;
}

export function loadTable(load: Partial<Record<Target, LoadRun>>): string {
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
  add('  event loop on CPU %', (x) => x.server.mainThreadOnCpuPct);
  add('  event loop waiting for a CPU %', (x) => x.server.mainThreadRunQueuePct);
  add('  event loop asleep (idle/blocked) %', (x) => x.server.mainThreadAsleepPct);
  add('server disk writes (MB/s)', (x) => x.server.diskWriteMBps, 2);
  add('server write syscalls/s', (x) => x.server.writeSyscallsPerSec, 0);
  add('server CPU-ms per acked op', (x) => x.server.cpuMsPerAckedOp, 3);
  add('  of which in the kernel (system)', (x) => x.server.systemCpuMsPerAckedOp ?? NaN, 3);
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

export function roundsTable(runs: LoadRun[]): string {
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

export function idleTable(idle: Partial<Record<Target, IdleRun>>): string {
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
