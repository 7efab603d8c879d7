import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PyodideAPI } from 'pyodide';
import { jsTestProgram } from '../../lib/run/js-test-harness';
import { PYTHON_TEST_HARNESS } from '../../lib/run/python-harness';
import type { RunFile, TestSpec } from '../../lib/run/run-types';

/**
 * One submission's grading, in a child process of its own (grader.ts starts it under Node's
 * permission model: it may read only node_modules and its own code, write nothing, start no
 * process or worker, and it gets no environment — no secrets). Python runs in Pyodide (a fresh
 * interpreter, files in an in-memory file system), JavaScript/TypeScript in QuickJS (a separate
 * interpreter with no host API at all). Protocol over IPC: in {type:'grade', files, tests};
 * out {type:'ready'} when the runtimes are loaded (the time limit starts then), then
 * {type:'report', cases, error}.
 */
export type ChildRequest = { type: 'grade'; files: RunFile[]; tests: TestSpec[]; memoryMb: number; timeLimitMs: number };
export type ChildReply =
  | { type: 'ready' }
  | { type: 'report'; cases: Array<{ name: string; passed: boolean; message: string | null; file: string }>; error: string | null };

const ROOT = '/home/pyodide/work';

// A runtime URL, not a module for tsc to rewrite into require(): Pyodide ships as ESM.
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

function send(reply: ChildReply): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(reply, () => resolve());
  });
}

/**
 * Under the permission model `process.binding` is refused, and Emscripten's NODEFS asks it for
 * the fs constants while Pyodide loads. Give it exactly those (the file system itself stays
 * closed: nothing is mounted, and reads outside node_modules are refused anyway).
 */
function allowConstantsBinding(): void {
  const p = process as unknown as { binding: (name: string) => unknown };
  const real = p.binding.bind(process);
  p.binding = (name: string) => (name === 'constants' ? { fs: fs.constants, os: os.constants } : real(name));
}

/**
 * From a JS object inside Pyodide, `x.constructor.constructor` is the Function constructor of this
 * process: code from strings with full Node access. After loading, the constructors are taken off
 * every kind of function, so student code that reaches a JS object cannot climb out of it.
 */
function closeFunctionConstructors(): void {
  const kinds = [function () {}, async function () {}, function* () {}, async function* () {}];
  for (const fn of kinds) {
    Object.defineProperty(Object.getPrototypeOf(fn), 'constructor', { value: undefined, writable: false, configurable: false });
  }
}

async function loadPython(): Promise<PyodideAPI> {
  const indexURL = path.dirname(require.resolve('pyodide/package.json')) + path.sep;
  const mod = (await importEsm(path.join(indexURL, 'pyodide.mjs'))) as { loadPyodide: (o: object) => Promise<PyodideAPI> };
  const py = await mod.loadPyodide({
    indexURL,
    // `import js` sees an empty object, not this process's globals.
    jsglobals: Object.create(null) as object,
    stdout: () => undefined,
    stderr: () => undefined,
    stdin: () => null,
  });
  return py;
}

async function gradePython(py: PyodideAPI, files: RunFile[], tests: TestSpec[]): Promise<ChildReply & { type: 'report' }> {
  py.FS.mkdirTree(ROOT);
  for (const f of [...files, ...tests.map((t) => ({ name: t.fileName, text: t.code }))]) {
    const file = `${ROOT}/${f.name}`;
    py.FS.mkdirTree(file.slice(0, file.lastIndexOf('/')));
    py.FS.writeFile(file, f.text);
  }
  py.runPython(PYTHON_TEST_HARNESS);
  // Bound before any student code runs (their import happens inside this call).
  const run = py.globals.get('__tandem_run_tests') as (root: string, files: string[]) => string;
  // The Pyodide API object is how a program would reach Emscripten's NODEFS: not importable.
  py.runPython("import sys\nsys.modules.pop('pyodide_js', None)");
  try {
    py.unregisterJsModule('pyodide_js');
  } catch {
    // Not registered under that name in this version: the import below proves it is gone.
  }
  const json = run(ROOT, tests.map((t) => t.fileName));
  return { type: 'report', ...(JSON.parse(json) as { cases: Array<{ name: string; passed: boolean; message: string | null; file: string }>; error: string | null }) };
}

async function gradeJs(files: RunFile[], tests: TestSpec[], memoryMb: number, deadlineMs: number): Promise<ChildReply & { type: 'report' }> {
  const { getQuickJS, shouldInterruptAfterDeadline } = await import('quickjs-emscripten');
  const QuickJS = await getQuickJS();
  let program: string;
  try {
    program = jsTestProgram(files, tests);
  } catch (err) {
    return { type: 'report', cases: [], error: err instanceof Error ? err.message : String(err) };
  }
  const runtime = QuickJS.newRuntime();
  // Half the budget: QuickJS refuses the allocation (a clear error) before the process limit kills it.
  runtime.setMemoryLimit(Math.floor(memoryMb / 2) * 1024 * 1024);
  runtime.setMaxStackSize(1024 * 1024);
  runtime.setInterruptHandler(shouldInterruptAfterDeadline(deadlineMs));
  const vm = runtime.newContext();
  let reported: string | null = null;
  try {
    const noop = vm.newFunction('log', () => undefined);
    const consoleObject = vm.newObject();
    for (const name of ['log', 'info', 'warn', 'error', 'debug']) vm.setProp(consoleObject, name, noop);
    vm.setProp(vm.global, 'console', consoleObject);
    consoleObject.dispose();
    noop.dispose();
    const reportFn = vm.newFunction('__tandemReport', (json) => {
      if (reported === null) reported = vm.getString(json);
    });
    vm.setProp(vm.global, '__tandemReport', reportFn);
    reportFn.dispose();
    const result = vm.evalCode(program, 'tests.js');
    if (result.error) {
      const error = vm.dump(result.error) as { name?: string; message?: string } | string;
      result.error.dispose();
      const text = typeof error === 'string' ? error : `${error.name ?? 'Error'}: ${error.message ?? ''}`;
      if (reported === null) {
        return { type: 'report', cases: [], error: /interrupted/i.test(text) ? 'Time limit exceeded.' : text.slice(0, 500) };
      }
    } else {
      result.value.dispose();
    }
    // Async tests settle through QuickJS's job queue.
    while (reported === null && runtime.hasPendingJob()) {
      const jobs = runtime.executePendingJobs();
      if (jobs.error) {
        jobs.error.dispose();
        break;
      }
    }
    if (reported === null) return { type: 'report', cases: [], error: Date.now() > deadlineMs ? 'Time limit exceeded.' : 'The tests did not finish (a test never settled).' };
    return { type: 'report', ...(JSON.parse(reported) as { cases: Array<{ name: string; passed: boolean; message: string | null; file: string }>; error: string | null }) };
  } finally {
    vm.dispose();
    runtime.dispose();
  }
}

async function main(request: ChildRequest): Promise<void> {
  allowConstantsBinding();
  const python = request.tests.filter((t) => t.language === 'python');
  const js = request.tests.filter((t) => t.language !== 'python');
  const py = python.length ? await loadPython() : null;
  if (js.length) await import('quickjs-emscripten').then((m) => m.getQuickJS());
  closeFunctionConstructors();
  await send({ type: 'ready' });
  // A little before the parent's own limit, so QuickJS stops itself and says why.
  const deadlineMs = Date.now() + request.timeLimitMs * 0.9;
  const cases: Array<{ name: string; passed: boolean; message: string | null; file: string }> = [];
  const errors: string[] = [];
  if (py) {
    const r = await gradePython(py, request.files, python);
    cases.push(...r.cases);
    if (r.error) errors.push(r.error);
  }
  if (js.length) {
    const r = await gradeJs(request.files, js, request.memoryMb, deadlineMs);
    cases.push(...r.cases);
    if (r.error) errors.push(r.error);
  }
  await send({ type: 'report', cases, error: errors.length ? errors.join('\n') : null });
  process.exit(0);
}

if (require.main === module) {
  process.once('message', (message: ChildRequest) => {
    main(message).catch(async (err: unknown) => {
      await send({ type: 'report', cases: [], error: `The grader failed: ${err instanceof Error ? err.message : String(err)}` });
      process.exit(1);
    });
  });
}
