/**
 * Running student code (issue 7): the vocabulary shared by the browser runners, the shared
 * console, teacher tests and server-side grading. No student code ever runs in the server
 * process: the browser runs it in a Web Worker, the grader in an isolated worker with a WASM
 * sandbox.
 */

export const RUN_LANGUAGES = ['python', 'javascript', 'typescript'] as const;
export type RunLanguage = (typeof RUN_LANGUAGES)[number];

/** Defaults a run is held to (a teacher cannot raise them past the hard caps). */
export const RUN_LIMITS = {
  /** Wall-clock limit of one browser run, not counting time spent waiting for typed input. */
  timeLimitMs: 10_000,
  /** Output kept per run (stdout + stderr); beyond it the run is stopped and marked truncated. */
  outputChars: 200_000,
  /** One line of typed input. */
  inputLineChars: 10_000,
  /** Server-side grading: time and memory per submission. */
  gradeTimeLimitMs: 20_000,
  gradeMemoryMb: 512,
} as const;

/** The language that runs a file, from its extension; null when the file cannot be run. */
export function runLanguageOf(fileName: string): RunLanguage | null {
  const ext = fileName.slice(fileName.lastIndexOf('.') + 1).toLowerCase();
  if (ext === 'py') return 'python';
  if (ext === 'js' || ext === 'mjs' || ext === 'cjs') return 'javascript';
  if (ext === 'ts') return 'typescript';
  return null;
}

/** A workspace file as a runner sees it; `name` is its path in the workspace (imports use it). */
export interface RunFile {
  name: string;
  text: string;
}

/** One teacher test file of an assignment, and the outcome of one of its tests. */
export interface TestCaseResult {
  name: string;
  passed: boolean;
  /** Assertion message or error, trimmed; null when passed. */
  message: string | null;
}

export interface TestRunResult {
  /** Counts over every test function/case found. */
  passed: number;
  failed: number;
  /** Tests of files the student may see; hidden tests count above but are not listed. */
  cases: TestCaseResult[];
  /** The run could not complete: time limit, memory, crash, syntax error in the tests. */
  error: string | null;
  durationMs: number;
}

/**
 * The shared console (P-RUN-*): what the runner's browser sends over the app socket and the
 * server relays to the workspace's room (the partner and a following teacher).
 */
export type RunBroadcast =
  | { kind: 'start'; runId: string; file: string; language: RunLanguage }
  | { kind: 'output'; runId: string; stream: 'stdout' | 'stderr' | 'stdin'; text: string }
  | { kind: 'end'; runId: string; outcome: 'ok' | 'error' | 'stopped' | 'timeout' | 'truncated'; message: string | null };

/** What the room receives: the broadcast plus who ran it and when (set by the server). */
export type RunBroadcastPush = RunBroadcast & { workspaceId: string; by: { id: string; displayName: string }; at: number };

/**
 * A teacher's test file for an assignment. Python: plain `test_*` functions using `assert`, or
 * `unittest.TestCase` classes. JavaScript/TypeScript: `test(name, fn)` with `expect(x).toBe(y)`-style
 * matchers. Hidden tests run only on the server; students see that they exist and their counts.
 */
export interface TestSpec {
  language: RunLanguage;
  /** e.g. `test_main.py`; imports of the workspace's modules resolve against the workspace files. */
  fileName: string;
  code: string;
  hidden: boolean;
}
