import { bundleJs } from '../../../lib/run/js-bundle';
import { jsTestProgram } from '../../../lib/run/js-test-harness';
import { formatArgs } from '../../../lib/run/format-value';
import { OutputBatcher } from '../../../lib/run/output-batcher';
import { StdinReader } from '../../../lib/run/stdin-channel';
import { lockDownNetwork } from '../../../lib/run/worker-lockdown';
import type { HarnessReport, WorkerMessage, WorkerRunRequest, WorkerScope } from '../../../lib/run/worker-protocol';

/**
 * JavaScript and TypeScript in the browser (issue 7 §1): the workspace's files become one
 * CommonJS-style program (TypeScript and `import` transpiled by sucrase, in this worker), which
 * runs here with no network and a console that streams to the page. One worker per run: the page
 * terminates it on Stop, on the time limit and when the output is too long.
 */
const scope = self as unknown as WorkerScope & {
  onunhandledrejection: ((e: PromiseRejectionEvent) => void) | null;
  onerror: ((e: ErrorEvent) => void) | null;
};
const post = (m: WorkerMessage) => scope.postMessage(m);
const output = new OutputBatcher((stream, text) => post({ type: 'output', stream, text }));

// Timers the program still has pending: the run ends when its code and its timers are done.
const realSetTimeout = globalThis.setTimeout.bind(globalThis);
const realSetInterval = globalThis.setInterval.bind(globalThis);
const realClearTimeout = globalThis.clearTimeout.bind(globalThis);
const realClearInterval = globalThis.clearInterval.bind(globalThis);
const pending = new Set<ReturnType<typeof setTimeout>>();
let failed: string | null = null;
let finished = false;

function installTimers(): void {
  const g = globalThis as unknown as Record<string, unknown>;
  g.setTimeout = (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const id = realSetTimeout(() => {
      pending.delete(id);
      guarded(() => fn(...args));
    }, ms);
    pending.add(id);
    return id;
  };
  g.clearTimeout = (id: ReturnType<typeof setTimeout>) => {
    pending.delete(id);
    realClearTimeout(id);
  };
  g.setInterval = (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const id = realSetInterval(() => guarded(() => fn(...args)), ms);
    pending.add(id);
    return id;
  };
  g.clearInterval = (id: ReturnType<typeof setInterval>) => {
    pending.delete(id);
    realClearInterval(id);
  };
}

function guarded(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    fail(err);
  }
}

function fail(err: unknown): void {
  const text = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : `Uncaught ${formatArgs([err])}`;
  output.write('stderr', `${cleanStack(text)}\n`);
  failed ??= err instanceof Error ? `${err.name}: ${err.message}` : 'Uncaught exception';
  finish();
}

/** Frames of this worker's own chunk mean nothing to a student. */
function cleanStack(stack: string): string {
  return stack
    .split('\n')
    .filter((line) => !/^\s+at /.test(line) || !/\/_next\//.test(line))
    .join('\n');
}

function finish(): void {
  if (finished) return;
  finished = true;
  output.flush();
  post({ type: 'done', ok: failed === null, message: failed });
}

function waitForTimers(): void {
  if (finished) return;
  if (pending.size === 0) {
    // Let promise callbacks scheduled by the last timer run before deciding.
    realSetTimeout(() => (pending.size === 0 ? finish() : waitForTimers()), 0);
    return;
  }
  realSetTimeout(waitForTimers, 20);
}

function installConsole(reader: StdinReader | null): void {
  const out = (stream: 'stdout' | 'stderr') => (...args: unknown[]) => output.write(stream, `${formatArgs(args)}\n`);
  const log = out('stdout');
  const error = out('stderr');
  const consoleObject = { log, info: log, debug: log, table: log, dir: log, warn: error, error, trace: error, clear: () => undefined };
  const read = (question?: unknown): string | null => {
    if (question !== undefined && question !== null && question !== '') output.write('stdout', String(question));
    if (!reader) throw new Error('prompt() needs a cross-origin isolated page; reload the page.');
    output.flush();
    post({ type: 'input' });
    const line = reader.read();
    post({ type: 'resumed' });
    return line;
  };
  const g = globalThis as unknown as Record<string, unknown>;
  g.console = consoleObject;
  // Browser-style prompt() plus a readline-ish input() for students coming from Python.
  g.prompt = read;
  g.input = read;
}

function run(request: WorkerRunRequest): void {
  let program: string;
  try {
    program = request.tests ? jsTestProgram(request.files, request.tests) : bundleJs(request.files, request.entry);
  } catch (err) {
    output.write('stderr', `${err instanceof Error ? err.message : String(err)}\n`);
    output.flush();
    post({ type: 'done', ok: false, message: err instanceof Error ? err.message : String(err) });
    return;
  }
  installConsole(request.stdin ? new StdinReader(request.stdin) : null);
  if (request.tests) {
    // The harness takes this off the global object before any student code runs.
    (globalThis as unknown as { __tandemReport?: (json: string) => void }).__tandemReport = (json: string) => {
      post({ type: 'tests', report: JSON.parse(json) as HarnessReport });
      finish();
    };
  }
  installTimers();
  scope.onunhandledrejection = (e) => {
    e.preventDefault();
    fail(e.reason);
  };
  scope.onerror = (e) => {
    e.preventDefault();
    fail(e.error ?? e.message);
  };
  lockDownNetwork(scope);
  post({ type: 'started' });
  try {
    // Indirect eval: the program sees only globals, not this module's scope.
    (0, eval)(program);
  } catch (err) {
    fail(err);
    return;
  }
  waitForTimers();
}

scope.onmessage = (event) => {
  if (event.data?.type === 'run') run(event.data);
};
post({ type: 'ready' });
