import { RUN_LIMITS, type RunFile, type RunLanguage, type TestCaseResult, type TestSpec } from '../../../lib/run/run-types';
import { createStdinBuffer, StdinWriter } from '../../../lib/run/stdin-channel';
import type { HarnessReport, WorkerMessage, WorkerRunRequest } from '../../../lib/run/worker-protocol';

export type RunOutcome = 'ok' | 'error' | 'stopped' | 'timeout' | 'truncated';
export type RunPhase = 'loading' | 'running' | 'input';

export interface RunCallbacks {
  onPhase(phase: RunPhase): void;
  onOutput(stream: 'stdout' | 'stderr', text: string): void;
  onEnd(outcome: RunOutcome, message: string | null): void;
  /** A test run's results, before onEnd. */
  onTests?(report: HarnessReport): void;
}

/** A browser test run of every visible test file, merged across languages. */
export interface BrowserTestRun {
  cases: Array<TestCaseResult & { file: string }>;
  error: string | null;
  durationMs: number;
}

export interface RunHandle {
  /** Answers the program's pending input() / prompt(); returns the line as sent (possibly cut). */
  input(line: string): string;
  /** End of input (Ctrl+D). */
  endInput(): void;
  stop(): void;
}

/**
 * Runs one program in a Web Worker and holds it to the limits (issue 7 §1): the page owns the
 * clock — time counts only while the program runs, not while Pyodide loads or while it waits for
 * typed input — and terminates the worker on Stop, at the time limit, or when the output passes
 * its cap. The tab stays responsive throughout because nothing runs on this thread.
 *
 * A Python worker is kept warm between runs (Pyodide takes seconds to load); it is replaced after
 * a run that had to be killed.
 */
export class CodeRunner {
  private warmPython: Worker | null = null;

  constructor(private readonly limits: { timeLimitMs: number; outputChars: number } = RUN_LIMITS) {}

  /** Start loading Python before the first Run (the open file is Python). */
  prepare(language: RunLanguage): void {
    if (language === 'python' && !this.warmPython) this.warmPython = createWorker('python');
  }

  /**
   * Runs the teacher's visible tests against the files, one worker per language, with the same
   * time and output limits as a program. Resolves with every case; a run that could not finish
   * (time limit, crash, syntax error) is an `error`.
   */
  async runTests(files: RunFile[], tests: TestSpec[]): Promise<BrowserTestRun> {
    const started = performance.now();
    const cases: BrowserTestRun['cases'] = [];
    const errors: string[] = [];
    const groups = new Map<RunLanguage, TestSpec[]>();
    for (const t of tests) {
      const key: RunLanguage = t.language === 'python' ? 'python' : 'javascript';
      groups.set(key, [...(groups.get(key) ?? []), t]);
    }
    for (const [language, group] of groups) {
      const outcome = await new Promise<{ report: HarnessReport | null; outcome: RunOutcome; message: string | null }>((resolve) => {
        let report: HarnessReport | null = null;
        this.run(language, files, group[0]!.fileName, {
          onPhase: () => undefined,
          onOutput: () => undefined,
          onTests: (r) => {
            report = r;
          },
          onEnd: (o, message) => resolve({ report, outcome: o, message }),
        }, group);
      });
      if (outcome.report) {
        cases.push(...outcome.report.cases);
        if (outcome.report.error) errors.push(outcome.report.error);
      } else {
        errors.push(outcome.message ?? `The ${language === 'python' ? 'Python' : 'JavaScript'} tests did not finish.`);
      }
    }
    return { cases, error: errors.length ? errors.join('\n').slice(0, 2000) : null, durationMs: Math.round(performance.now() - started) };
  }

  run(language: RunLanguage, files: RunFile[], entry: string, cb: RunCallbacks, tests?: TestSpec[]): RunHandle {
    const worker = language === 'python' ? (this.warmPython ?? createWorker('python')) : createWorker(language);
    if (language === 'python') this.warmPython = null;
    const isolated = typeof SharedArrayBuffer !== 'undefined' && globalThis.crossOriginIsolated === true;
    const stdinBuffer = isolated ? createStdinBuffer() : null;
    const stdin = stdinBuffer ? new StdinWriter(stdinBuffer) : null;

    let ended = false;
    let started = false;
    let waiting = false;
    let usedMs = 0;
    let since = 0;
    let output = 0;
    let timer: ReturnType<typeof setTimeout> | null = null;

    const clearTimer = () => {
      if (timer) clearTimeout(timer);
      timer = null;
    };
    const runClock = () => {
      since = performance.now();
      clearTimer();
      timer = setTimeout(() => end('timeout', `Stopped after ${Math.round(this.limits.timeLimitMs / 1000)} s (time limit). Is there an endless loop?`), Math.max(0, this.limits.timeLimitMs - usedMs));
    };
    const pauseClock = () => {
      usedMs += performance.now() - since;
      clearTimer();
    };
    const end = (outcome: RunOutcome, message: string | null) => {
      if (ended) return;
      ended = true;
      clearTimer();
      stdin?.end();
      if (outcome === 'ok' || outcome === 'error') {
        // A finished Python interpreter is reused for the next run.
        if (language === 'python' && !this.warmPython) this.warmPython = worker;
        else worker.terminate();
      } else {
        worker.terminate();
      }
      cb.onEnd(outcome, message);
    };

    worker.onmessage = (event: MessageEvent<WorkerMessage>) => {
      if (ended) return;
      const m = event.data;
      switch (m.type) {
        case 'ready':
          return;
        case 'started':
          started = true;
          cb.onPhase('running');
          runClock();
          return;
        case 'output': {
          const room = this.limits.outputChars - output;
          output += m.text.length;
          if (m.text.length > room) {
            if (room > 0) cb.onOutput(m.stream, m.text.slice(0, room));
            end('truncated', `Stopped: the output passed ${this.limits.outputChars.toLocaleString('en')} characters.`);
            return;
          }
          cb.onOutput(m.stream, m.text);
          return;
        }
        case 'input':
          waiting = true;
          if (started) pauseClock();
          cb.onPhase('input');
          return;
        case 'resumed':
          waiting = false;
          cb.onPhase('running');
          if (started) runClock();
          return;
        case 'tests':
          cb.onTests?.(m.report);
          return;
        case 'done':
          end(m.ok ? 'ok' : 'error', m.message);
          return;
      }
    };
    worker.onerror = (event) => {
      event.preventDefault();
      end('error', event.message || 'The runner crashed.');
    };
    cb.onPhase('loading');
    worker.postMessage({ type: 'run', language, files, entry, stdin: tests ? null : stdinBuffer, ...(tests ? { tests } : {}) } satisfies WorkerRunRequest);

    return {
      input: (line) => {
        if (ended || !waiting || !stdin) return '';
        return stdin.write(line);
      },
      endInput: () => {
        if (!ended) stdin?.end();
      },
      stop: () => end('stopped', 'Stopped.'),
    };
  }

  dispose(): void {
    this.warmPython?.terminate();
    this.warmPython = null;
  }
}

/** Turbopack bundles each `new Worker(new URL(…, import.meta.url))` into its own chunk. */
function createWorker(language: RunLanguage): Worker {
  return language === 'python'
    ? new Worker(new URL('./python.worker.ts', import.meta.url), { type: 'module', name: 'tandem-python' })
    : new Worker(new URL('./js.worker.ts', import.meta.url), { type: 'module', name: 'tandem-js' });
}
