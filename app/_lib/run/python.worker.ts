import type { PyodideAPI } from 'pyodide';
import { OutputBatcher } from '../../../lib/run/output-batcher';
import { StdinReader } from '../../../lib/run/stdin-channel';
import { lockDownNetwork } from '../../../lib/run/worker-lockdown';
import { PYTHON_TEST_HARNESS } from '../../../lib/run/python-harness';
import type { HarnessReport, WorkerMessage, WorkerRunRequest, WorkerScope } from '../../../lib/run/worker-protocol';

/**
 * Python in the browser (issue 7 §1): Pyodide from our own origin (/pyodide, the npm package —
 * no CDN), in this worker, so an endless loop freezes nothing but the worker, which the page
 * terminates. One interpreter serves the runs of one worker; the workspace's files are written
 * to /home/pyodide/work before each run, and the workspace's modules are forgotten so an edited
 * import is read again.
 */
const scope = self as unknown as WorkerScope;
const post = (m: WorkerMessage) => scope.postMessage(m);
const output = new OutputBatcher((stream, text) => post({ type: 'output', stream, text }));
const ROOT = '/home/pyodide/work';

const RUNNER = `
import os, runpy, sys, traceback, importlib

def __tandem_run(root, entry):
    os.chdir(root)
    if root not in sys.path:
        sys.path.insert(0, root)
    for name, mod in list(sys.modules.items()):
        if (getattr(mod, '__file__', None) or '').startswith(root + '/'):
            del sys.modules[name]
    importlib.invalidate_caches()
    try:
        runpy.run_path(os.path.join(root, entry), run_name='__main__')
        return None
    except SystemExit as e:
        if e.code is None or e.code == 0:
            return None
        if not isinstance(e.code, int):
            print(e.code, file=sys.stderr)
        return 'exit status %s' % (e.code if isinstance(e.code, int) else 1)
    except BaseException as e:
        tb = e.__traceback__
        # Start the traceback at the student's code, not at runpy's frames.
        while tb is not None and not tb.tb_frame.f_code.co_filename.startswith(root + '/'):
            tb = tb.tb_next
        text = ''.join(traceback.format_exception(type(e), e, tb)).replace(root + '/', '')
        sys.stderr.write(text)
        return '%s: %s' % (type(e).__name__, e) if str(e) else type(e).__name__
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
`;

let pyodide: Promise<PyodideAPI> | null = null;
let written: string[] = [];

function load(): Promise<PyodideAPI> {
  pyodide ??= (async () => {
    const origin = scope.location.origin;
    // A runtime URL, not a module the bundler should follow: Pyodide is served as-is by the server.
    const url = `${origin}/pyodide/pyodide.mjs`;
    // The bundler starts workers as classic scripts, and Pyodide refuses classic workers because it
    // loads its ES-module runtime with import() — which Chrome allows in classic workers too. So it
    // is told it is in a module worker: its probe (importScripts of a data: URL) fails while it
    // is imported and loads.
    const g = globalThis as unknown as { importScripts?: unknown };
    const importScripts = g.importScripts;
    g.importScripts = () => {
      throw new TypeError('module worker');
    };
    let py: PyodideAPI;
    try {
      const mod = (await import(/* webpackIgnore: true */ /* turbopackIgnore: true */ url)) as { loadPyodide: (o: object) => Promise<PyodideAPI> };
      py = await mod.loadPyodide({ indexURL: `${origin}/pyodide/`, fullStdLib: false });
    } finally {
      g.importScripts = importScripts;
    }
    py.runPython(RUNNER);
    py.runPython(PYTHON_TEST_HARNESS);
    // Loaded: from here on the program has no network.
    lockDownNetwork(scope);
    return py;
  })();
  return pyodide;
}

/** Every write of the interpreter goes through the batcher (flushed before input and at the end). */
function writer(stream: 'stdout' | 'stderr') {
  const decoder = new TextDecoder();
  return {
    isatty: true,
    write(buffer: Uint8Array): number {
      output.write(stream, decoder.decode(buffer, { stream: true }));
      return buffer.length;
    },
  };
}

function writeFiles(py: PyodideAPI, files: WorkerRunRequest['files']): void {
  for (const path of written) {
    try {
      py.FS.unlink(path);
    } catch {
      // Already gone (the program deleted it).
    }
  }
  written = [];
  py.FS.mkdirTree(ROOT);
  for (const f of files) {
    const path = `${ROOT}/${f.name}`;
    const dir = path.slice(0, path.lastIndexOf('/'));
    py.FS.mkdirTree(dir);
    py.FS.writeFile(path, f.text);
    written.push(path);
  }
}

async function run(request: WorkerRunRequest): Promise<void> {
  let py: PyodideAPI;
  try {
    py = await load();
  } catch (err) {
    post({ type: 'done', ok: false, message: `Python could not start: ${err instanceof Error ? err.message : String(err)}` });
    return;
  }
  post({ type: 'ready' });
  output.reset();
  const reader = request.stdin ? new StdinReader(request.stdin) : null;
  py.setStdout(writer('stdout'));
  py.setStderr(writer('stderr'));
  py.setStdin({
    stdin: () => {
      if (!reader) throw new Error('input() needs a cross-origin isolated page; reload the page.');
      output.flush();
      post({ type: 'input' });
      const line = reader.read();
      post({ type: 'resumed' });
      return line === null ? null : `${line}\n`;
    },
    autoEOF: true,
  });
  const tests = request.tests ?? null;
  writeFiles(py, tests ? [...request.files.filter((f) => !tests.some((t) => t.fileName === f.name)), ...tests.map((t) => ({ name: t.fileName, text: t.code }))] : request.files);
  post({ type: 'started' });
  if (tests) {
    const runTests = py.globals.get('__tandem_run_tests') as (root: string, files: string[]) => string;
    try {
      const report = JSON.parse(runTests(ROOT, tests.map((t) => t.fileName))) as HarnessReport;
      post({ type: 'tests', report });
      post({ type: 'done', ok: true, message: null });
    } catch (err) {
      post({ type: 'done', ok: false, message: err instanceof Error ? err.message : String(err) });
    }
    return;
  }
  const runFn = py.globals.get('__tandem_run') as (root: string, entry: string) => string | undefined | null;
  let failure: string | null | undefined;
  try {
    failure = runFn(ROOT, request.entry);
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
  }
  output.flush();
  post({ type: 'done', ok: !failure, message: failure ?? null });
}

scope.onmessage = (event) => {
  if (event.data?.type === 'run') void run(event.data);
};
// Start loading at once: the page creates this worker before the first Run is pressed.
void load().then(
  () => post({ type: 'ready' }),
  () => undefined,
);
