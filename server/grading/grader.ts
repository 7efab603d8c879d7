import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { RunFile, TestRunResult, TestSpec } from '../../lib/run/run-types';
import type { ChildReply, ChildRequest } from './grade-child';
import type { SubmissionGrader } from './test-service';

export interface GraderOptions {
  /** Wall-clock limit of the tests themselves, from the moment the runtimes are loaded. */
  timeLimitMs: number;
  /** Resident memory of the grading process (Pyodide's interpreter included). */
  memoryMb: number;
  /** Gradings at once; each is a process with its own interpreter. */
  concurrency?: number;
  /**
   * Loading Pyodide and QuickJS has its own bound: CPU time of the grading process where /proc
   * has it (a niced child on a busy server can wait long for a CPU without being at fault), with
   * a wall-clock backstop of WALL_CLOCK_FACTOR times this; wall clock only elsewhere. Default 60 s.
   */
  loadBudgetMs?: number;
  /** Told each grading process's pid as it starts, before it has run anything (tests stop it there). */
  onChildStarted?: (pid: number) => void;
}

/** Linux's USER_HZ: /proc reports CPU time in these ticks (100 on every mainstream kernel). */
const CLOCK_TICKS_PER_SECOND = 100;
/** The wall clock stops a program that waits without computing after this many time limits. */
const WALL_CLOCK_FACTOR = 3;
/** Nice value of a grading process: below editing, above nothing else in particular. */
const GRADE_NICE = 10;

const Report = z.object({
  type: z.literal('report'),
  cases: z
    .array(z.object({ name: z.string().max(1000), passed: z.boolean(), message: z.string().max(5000).nullable(), file: z.string().max(200) }))
    .max(10_000),
  error: z.string().max(10_000).nullable(),
});

/** Each case as the grader returns it: TestCaseResult plus the test file it came from. */
export type GradedCase = TestRunResult['cases'][number] & { file: string };

/**
 * Grades submissions against teacher tests (issue 7 §4) so a student cannot fake the result: each
 * grading runs in a fresh child process (grade-child.ts) under Node's permission model — it reads
 * only node_modules and its own code, writes nothing, starts no process or worker, and gets an
 * empty environment — with Python in Pyodide and JavaScript in QuickJS inside it. This process
 * holds the limits: a load budget and a time limit (both CPU time where /proc has it, with a
 * wall-clock backstop; the child is killed), a memory limit (resident size, checked four times a
 * second), nice 10 so grading yields to editing, and a queue so a burst of submissions starts
 * one interpreter at a time.
 */
export class Grader implements SubmissionGrader {
  private readonly childFile = path.join(__dirname, 'grade-child.js');
  /** What the child may read: these packages and their dependencies — not all of node_modules. */
  private readonly readable = packageDirs(['pyodide', 'quickjs-emscripten', 'sucrase'], path.resolve(__dirname, '..', '..', '..'));
  private readonly queue: Array<() => void> = [];
  private readonly children = new Set<ChildProcess>();
  private active = 0;
  private closed = false;

  constructor(private readonly options: GraderOptions) {}

  async grade(input: { files: RunFile[]; tests: TestSpec[] }, signal?: AbortSignal): Promise<TestRunResult> {
    if (this.closed) throw new Error('The grader is closed.');
    if (input.tests.length === 0) return { passed: 0, failed: 0, cases: [], error: null, durationMs: 0 };
    await this.slot();
    try {
      signal?.throwIfAborted();
      return await this.runChild(input, signal);
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }

  private slot(): Promise<void> {
    if (this.active < (this.options.concurrency ?? 1)) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.queue.push(() => {
        this.active++;
        resolve();
      });
    });
  }

  private runChild(input: { files: RunFile[]; tests: TestSpec[] }, signal?: AbortSignal): Promise<TestRunResult> {
    if (!fs.existsSync(this.childFile)) {
      return Promise.reject(new Error(`The grader is not built (${this.childFile} is missing): run npm run build:server.`));
    }
    const started = Date.now();
    const { timeLimitMs, memoryMb } = this.options;
    const loadBudgetMs = this.options.loadBudgetMs ?? 60_000;
    return new Promise<TestRunResult>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          '--experimental-permission',
          ...this.readable.map((dir) => `--allow-fs-read=${dir}`),
          `--allow-fs-read=${path.resolve(__dirname, '..', '..')}`,
          '--no-warnings',
          `--max-old-space-size=${Math.max(64, Math.floor(memoryMb / 2))}`,
          this.childFile,
        ],
        // No environment: nothing of the server's configuration (keys, database URLs) reaches it.
        { env: {} as NodeJS.ProcessEnv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' },
      ) as ChildProcess;
      this.children.add(child);
      if (child.pid !== undefined) this.options.onChildStarted?.(child.pid);
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        if (stderr.length < 4000) stderr += chunk.toString('utf8');
      });
      let settled = false;
      let ready = false;
      // CI saw a grading fail to load in 60 s of wall clock while the machine was saturated and
      // this nice-10 child got little CPU; loading takes 0.3 s (QuickJS) to 5 s (Pyodide) here
      // on a quiet machine, so count the CPU it gets instead.
      const loadCpuCounted = procUsage(child.pid) !== null;
      const couldNotStart = `The tests could not start within ${seconds(loadBudgetMs)} s${loadCpuCounted ? ' of processor time' : ''}.`;
      const loadBackstopMs = loadCpuCounted ? loadBudgetMs * WALL_CLOCK_FACTOR : loadBudgetMs;
      let timer = setTimeout(
        () => finish(null, loadCpuCounted ? `The tests could not start within ${seconds(loadBackstopMs)} s: the server is too busy.` : couldNotStart),
        loadBackstopMs,
      );
      // Grading yields to editing: a lower priority for the child (it cannot raise it again).
      try {
        if (child.pid !== undefined) os.setPriority(child.pid, GRADE_NICE);
      } catch {
        // Not permitted here: it runs at the server's priority.
      }
      const timeLimitText = `Time limit exceeded (${Math.round(timeLimitMs / 1000)} s): the tests were stopped. Is there an endless loop?`;
      // The time limit counts CPU time where /proc has it, so a busy server (thirty pairs
      // submitting at the deadline) does not fail slow-but-correct code; the wall clock still
      // stops a program that sleeps or waits forever.
      let cpuAtReady: number | null = null;
      const watch = setInterval(() => {
        const usage = procUsage(child.pid);
        if (!usage) return;
        if (usage.rssMb > memoryMb) finish(null, `Memory limit exceeded (${memoryMb} MB): the tests were stopped.`);
        else if (!ready && loadCpuCounted && usage.cpuMs > loadBudgetMs) finish(null, couldNotStart);
        else if (cpuAtReady !== null && usage.cpuMs - cpuAtReady > timeLimitMs) finish(null, timeLimitText);
      }, 250);
      watch.unref();

      const finish = (report: z.infer<typeof Report> | null, error: string | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearInterval(watch);
        this.children.delete(child);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        const cases = report?.cases ?? [];
        const passed = cases.filter((c) => c.passed).length;
        resolve({
          passed,
          failed: cases.length - passed,
          cases: cases.map((c) => ({ name: c.name, passed: c.passed, message: c.message, file: c.file }) as GradedCase),
          error: error ?? report?.error ?? null,
          durationMs: Date.now() - started,
        });
      };

      child.on('message', (raw: ChildReply) => {
        if (raw?.type === 'ready') {
          ready = true;
          clearTimeout(timer);
          const usage = procUsage(child.pid);
          cpuAtReady = usage?.cpuMs ?? null;
          timer = setTimeout(() => finish(null, timeLimitText), cpuAtReady === null ? timeLimitMs : timeLimitMs * WALL_CLOCK_FACTOR);
          return;
        }
        const parsed = Report.safeParse(raw);
        finish(parsed.success ? parsed.data : null, parsed.success ? null : 'The grader sent a malformed report.');
      });
      child.on('error', (err) => finish(null, `The grader could not start: ${err.message}`));
      child.on('exit', (code, signal) => {
        if (settled) return;
        const oom = /heap out of memory|Allocation failed|RangeError: Array buffer allocation/i.test(stderr);
        finish(null, oom ? `Memory limit exceeded (${memoryMb} MB): the tests were stopped.` : `The grader stopped unexpectedly (code ${code}, signal ${signal}).`);
      });
      const onAbort = () => finish(null, 'The grading was interrupted.');
      signal?.addEventListener('abort', onAbort, { once: true });
      child.once('exit', () => signal?.removeEventListener('abort', onAbort));
      const request: ChildRequest = { type: 'grade', files: input.files, tests: input.tests, memoryMb, timeLimitMs };
      child.send(request);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const child of this.children) child.kill('SIGKILL');
    this.children.clear();
  }
}

/**
 * The directories of `roots` and of everything they depend on. `ws` is left out on purpose:
 * Pyodide's socket emulation in Node opens WebSockets with it, so without it a submission's
 * `socket.connect` fails instead of reaching the campus network.
 */
function packageDirs(roots: string[], from: string): string[] {
  const seen = new Map<string, string>();
  const find = (name: string, start: string): string | null => {
    for (let dir = start; ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, 'node_modules', name);
      if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
      if (path.dirname(dir) === dir) return null;
    }
  };
  const visit = (name: string, start: string) => {
    if (name === 'ws' || seen.has(name)) return;
    const dir = find(name, start);
    if (!dir) return;
    seen.set(name, dir);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, dir);
  };
  for (const root of roots) visit(root, from);
  return [...seen.values()];
}

/** 60000 → "60", 1500 → "1.5". */
function seconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}

/** Resident size (MB) and CPU time used (ms) of a process, from /proc (Linux); null elsewhere or once it is gone. */
function procUsage(pid: number | undefined): { rssMb: number; cpuMs: number } | null {
  if (pid === undefined) return null;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+) kB/.exec(status);
    // /proc/pid/stat: fields 14 and 15 (utime, stime) in clock ticks, after the ")" of the name.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    if (!rss || !Number.isFinite(ticks)) return null;
    return { rssMb: Number(rss[1]) / 1024, cpuMs: (ticks * 1000) / CLOCK_TICKS_PER_SECOND };
  } catch {
    return null;
  }
}
