import type { RunFile, RunLanguage, TestCaseResult, TestSpec } from './run-types';

/**
 * Messages between the page and a run's Web Worker (python.worker.ts, js.worker.ts). The page
 * owns the clock and the limits: it terminates the worker, the worker never decides it is done
 * early.
 */
export interface WorkerRunRequest {
  type: 'run';
  language: RunLanguage;
  files: RunFile[];
  /** Workspace path of the file to run. */
  entry: string;
  /** Typed input (stdin-channel.ts); null when the page is not cross-origin isolated. */
  stdin: SharedArrayBuffer | null;
  /** Present: run these teacher tests (of this worker's language) against the files instead of `entry`. */
  tests?: TestSpec[];
}

/** A test run's outcome as the harness observed it (lib/run/*-test-harness.ts). */
export interface HarnessReport {
  cases: Array<TestCaseResult & { file: string }>;
  error: string | null;
}

export type WorkerMessage =
  /** The runtime is loaded (Pyodide takes a while the first time). */
  | { type: 'ready' }
  /** The student's code starts now: the time limit counts from here. */
  | { type: 'started' }
  | { type: 'output'; stream: 'stdout' | 'stderr'; text: string }
  /** The program waits for a line of input (the clock stops until it gets one). */
  | { type: 'input' }
  /** Input arrived; the clock runs again. */
  | { type: 'resumed' }
  | { type: 'done'; ok: boolean; message: string | null }
  /** A test run's results (sent before 'done'). */
  | { type: 'tests'; report: HarnessReport };

/** What a run worker uses of its global (the project compiles against the DOM lib, not webworker). */
export interface WorkerScope {
  postMessage(message: WorkerMessage): void;
  onmessage: ((event: { data: WorkerRunRequest }) => void) | null;
  location: { origin: string };
}
