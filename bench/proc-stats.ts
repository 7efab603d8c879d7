import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/**
 * What Linux says about another process, read from /proc: CPU time (utime + stime) and resident
 * memory. This is how the driver measures the server without any code inside it.
 */

let ticksPerSecond: number | null = null;

/** Clock ticks per second for /proc/<pid>/stat (USER_HZ; 100 on every Linux we run on). */
function clockTicks(): number {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** User + system CPU time the process has used so far, in milliseconds (10 ms resolution). */
export function cpuTimeMs(pid: number): number {
  const { userMs, systemMs } = cpuTimesMs(pid);
  return userMs + systemMs;
}

/** CPU time of a whole process split into user and kernel (system) time, in ms. */
export function cpuTimesMs(pid: number): { userMs: number; systemMs: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces; fields after it are counted from its ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return { userMs: (utime * 1000) / clockTicks(), systemMs: (stime * 1000) / clockTicks() };
}

/** Resident set size (VmRSS) in KiB. */
export function rssKb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]);
}

/** Samples a process's RSS every `intervalMs` until stopped; keeps the peak and the last value. */
export class RssSampler {
  peakKb = 0;
  lastKb = 0;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 500,
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
  }

  private sample(): void {
    try {
      this.lastKb = rssKb(this.pid);
      this.peakKb = Math.max(this.peakKb, this.lastKb);
    } catch {
      // The process exited; keep the last values.
    }
  }
}

/** Whole-machine CPU counters from /proc/stat (all cores), in clock ticks. */
export interface MachineCpu {
  busy: number;
  total: number;
}

export function machineCpu(): MachineCpu {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

/** Share of all cores that were busy between two readings, 0–100. */
export function machineBusyPct(before: MachineCpu, after: MachineCpu): number {
  const total = after.total - before.total;
  return total > 0 ? (100 * (after.busy - before.busy)) / total : 0;
}

/**
 * Scheduler counters of a process's main thread (/proc/<pid>/schedstat: the thread-group leader,
 * which for Node is the event loop): nanoseconds on a CPU, and nanoseconds runnable but waiting
 * for one. Wall time minus both is time asleep: idle in epoll, or blocked in a synchronous call
 * such as an fsync inside better-sqlite3.
 */
export interface SchedStat {
  onCpuNs: number;
  runQueueNs: number;
}

export function schedStat(pid: number): SchedStat {
  const [onCpu, runQueue] = fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
  return { onCpuNs: onCpu ?? 0, runQueueNs: runQueue ?? 0 };
}

/** I/O counters of a whole process (/proc/<pid>/io): bytes that reached storage, and write syscalls (files and sockets). */
export interface IoStat {
  writeBytes: number;
  writeSyscalls: number;
}

export function ioStat(pid: number): IoStat {
  const text = fs.readFileSync(`/proc/${pid}/io`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  return { writeBytes: field('write_bytes'), writeSyscalls: field('syscw') };
}
