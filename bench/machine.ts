import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { machineBusyPct, machineCpu } from './proc-stats';
import { LISTEN_BACKLOG, effectiveListenBacklog } from '../server/listen-backlog';
import { log } from './report';

/**
 * What every benchmark driver records about the machine, and how it waits for a quiet one.
 * Other engineers' builds and test runs share this 2-core machine: before a run, wait until the
 * whole machine has been under QUIET_BUSY_PCT busy for QUIET_SECONDS in a row (or give up after
 * `maxWaitS` and run anyway); each run also reports the CPU others used during its window.
 */
const QUIET_BUSY_PCT = 20;
const QUIET_SECONDS = 3;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitForQuietMachine(maxWaitS: number): Promise<void> {
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

export function machineFacts(): Record<string, unknown> {
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
    // The accept queue the server gets: it decides how a reconnect storm goes (docs/operations.md).
    listenBacklog: effectiveListenBacklog(LISTEN_BACKLOG) ?? 'unknown',
  };
}
