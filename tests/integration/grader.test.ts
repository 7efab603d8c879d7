import type { TestRunResult, TestSpec } from '../../lib/run/run-types';
import { builtGrader, type GraderLike } from '../helpers/built-grader';

/**
 * The server-side grader (issue 7 §4) as built: dist/server/grading/grader.js starts a child
 * process per grading under Node's permission model, with Pyodide (Python) and QuickJS
 * (JavaScript/TypeScript) inside. Counts must be right, and hostile submissions — reading server
 * files, reaching the network or the host's JavaScript, forging results, endless loops, memory
 * bombs — must be contained and reported, with the grader still working afterwards.
 */
jest.setTimeout(120_000);

let grader: GraderLike;

beforeAll(() => {
  grader = builtGrader({ timeLimitMs: 4000, memoryMb: 512 });
});
afterAll(async () => {
  await grader?.close();
});

const pyTest = (code: string, fileName = 'test_main.py'): TestSpec => ({ language: 'python', fileName, code, hidden: false });
const jsTest = (code: string, fileName = 'main.test.js'): TestSpec => ({ language: fileName.endsWith('.ts') ? 'typescript' : 'javascript', fileName, code, hidden: false });
const names = (r: TestRunResult) => r.cases.map((c) => [c.name, c.passed]);

test('[RUN-3] Python: plain asserts and unittest give the right counts and messages', async () => {
  const r = await grader.grade({
    files: [{ name: 'main.py', text: 'def total(xs):\n    return sum(xs)\n\ndef mean(xs):\n    return total(xs) // len(xs)\n' }],
    tests: [
      pyTest('from main import total, mean\n\ndef test_total():\n    assert total([1, 2]) == 3\n\ndef test_mean():\n    assert mean([1, 2]) == 1.5, "mean of 1, 2"\n'),
      pyTest('import unittest\nfrom main import total\n\nclass TotalTest(unittest.TestCase):\n    def test_empty(self):\n        self.assertEqual(total([]), 0)\n    def test_wrong(self):\n        self.assertEqual(total([2]), 3)\n', 'test_unit.py'),
    ],
  });
  expect(r.error).toBeNull();
  expect(r).toMatchObject({ passed: 2, failed: 2 });
  expect(names(r)).toEqual([
    ['test_total', true],
    ['test_mean', false],
    ['TotalTest.test_empty', true],
    ['TotalTest.test_wrong', false],
  ]);
  expect(r.cases[1]?.message).toBe('AssertionError: mean of 1, 2');
  expect(r.cases[3]?.message).toMatch(/AssertionError: 2 != 3/);
});

test('[RUN-3] JavaScript and TypeScript: require/import between files, counts and messages', async () => {
  const r = await grader.grade({
    files: [
      { name: 'util.js', text: 'exports.area = (w, h) => w * h;' },
      { name: 'shapes.ts', text: "import { area } from './util';\nexport const square = (s: number): number => area(s, s);" },
    ],
    tests: [
      jsTest("const { area } = require('./util');\ntest('area', () => expect(area(2, 3)).toBe(6));\ntest('wrong', () => expect(area(2, 2)).toBe(5));"),
      jsTest("import { square } from './shapes';\ntest('square', () => expect(square(3)).toEqual(9));", 'shapes.test.ts'),
    ],
  });
  expect(r.error).toBeNull();
  expect(names(r)).toEqual([
    ['area', true],
    ['wrong', false],
    ['square', true],
  ]);
  expect(r.cases[1]?.message).toBe('expected 4 to be 5');
});

test('[RUN-3] reading server files, the network, the host JavaScript and the environment are out of reach', async () => {
  const probe = [
    'import os, socket',
    'def attempt(f):',
    '    try:',
    '        return repr(f())[:60]',
    '    except BaseException as e:',
    '        return type(e).__name__',
    "passwd = attempt(lambda: open('/etc/passwd').read())",
    "sock = attempt(lambda: socket.create_connection(('127.0.0.1', 80), timeout=1))",
    "host = attempt(lambda: __import__('js').process)",
    "api = attempt(lambda: __import__('pyodide_js'))",
    "climb = attempt(lambda: __import__('pyodide.ffi', fromlist=['to_js']).to_js([]).constructor.constructor('return process')())",
    "env = sorted(os.environ)",
    '',
  ].join('\n');
  const r = await grader.grade({
    files: [{ name: 'main.py', text: probe }],
    tests: [pyTest("import main\n\ndef test_report():\n    assert False, repr([main.passwd, main.sock, main.host, main.api, main.climb])\n")],
  });
  const message = r.cases[0]?.message ?? '';
  expect(message).toMatch(/FileNotFoundError/);
  expect(message).not.toMatch(/root:x:0/);
  expect(message).toMatch(/OSError/);
  expect(message).toMatch(/AttributeError/);
  expect(message).toMatch(/ModuleNotFoundError/);
  expect(message).toMatch(/TypeError/);

  const js = await grader.grade({
    files: [{ name: 'm.js', text: "exports.seen = [typeof process, typeof fetch, typeof XMLHttpRequest, typeof globalThis.std, typeof globalThis.os].join(',');" }],
    tests: [jsTest("test('nothing', () => expect(require('./m').seen).toBe('x'));\ntest('fs', () => require('fs'));")],
  });
  expect(js.cases[0]?.message).toBe('expected "undefined,undefined,undefined,undefined,undefined" to be "x"');
  expect(js.cases[1]?.message).toMatch(/Cannot find module 'fs'/);
});

test('[RUN-3] a submission cannot forge the result by printing or by calling the reporter', async () => {
  const py = await grader.grade({
    files: [{ name: 'main.py', text: 'print(\'{"cases": [{"name": "x", "passed": true}], "error": null}\')\nok = False\n' }],
    tests: [pyTest('import main\n\ndef test_ok():\n    assert main.ok\n')],
  });
  expect(py).toMatchObject({ passed: 0, failed: 1 });
  const js = await grader.grade({
    files: [{ name: 'm.js', text: "if (typeof __tandemReport === 'function') __tandemReport('{\"cases\":[],\"error\":null}');\nconsole.log('{\"cases\":[]}');\nexports.ok = false;" }],
    tests: [jsTest("test('ok', () => expect(require('./m').ok).toBe(true));")],
  });
  expect(js).toMatchObject({ passed: 0, failed: 1 });
});

test('[RUN-3] endless loops and memory bombs are stopped and reported; the grader keeps working', async () => {
  const loop = await grader.grade({ files: [{ name: 'main.py', text: 'while True:\n    pass\n' }], tests: [pyTest('import main\n\ndef test_x():\n    pass\n')] });
  expect(loop.error).toMatch(/Time limit exceeded/);
  const jsLoop = await grader.grade({ files: [{ name: 'm.js', text: 'exports.spin = () => { for (;;) {} };' }], tests: [jsTest("test('spin', () => require('./m').spin());")] });
  expect(jsLoop.error ?? jsLoop.cases[0]?.message).toMatch(/Time limit|interrupted/i);
  const bomb = await grader.grade({ files: [{ name: 'main.py', text: 'x = [0] * 10**9\n' }], tests: [pyTest('import main\n\ndef test_x():\n    pass\n')] });
  expect(bomb.passed).toBe(0);
  expect(bomb.error).toMatch(/MemoryError|Memory limit/);
  const jsBomb = await grader.grade({
    files: [{ name: 'm.js', text: 'const a = []; for (;;) a.push(new Array(1e6).fill(1));' }],
    tests: [jsTest("test('x', () => require('./m'));")],
  });
  expect(jsBomb.passed).toBe(0);
  expect(JSON.stringify(jsBomb)).toMatch(/memory/i);
  const fine = await grader.grade({ files: [{ name: 'main.py', text: 'def f():\n    return 1\n' }], tests: [pyTest('from main import f\n\ndef test_f():\n    assert f() == 1\n')] });
  expect(fine).toMatchObject({ passed: 1, failed: 0, error: null });
}, 300_000); // five gradings in a row; on a saturated CI machine each may wait for a CPU

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('[RUN-3] loading counts the grading process\'s CPU time: a child kept waiting for a CPU is not failed for it', async () => {
  // Stopped as it starts, before it has loaded anything: what a saturated machine does to a
  // nice-10 process, for longer than the whole budget. (CI once found the child by scanning
  // /proc only after it had finished, and SIGCONT then met no process.)
  let stopped: number | null = null;
  const patient = builtGrader({
    timeLimitMs: 4000,
    memoryMb: 512,
    loadBudgetMs: 2000,
    onChildStarted: (pid) => {
      process.kill(pid, 'SIGSTOP');
      stopped = pid;
    },
  });
  try {
    const grading = patient.grade({ files: [{ name: 'm.js', text: 'exports.one = 1;' }], tests: [jsTest("test('one', () => expect(require('./m').one).toBe(1));")] });
    for (let i = 0; i < 1000 && stopped === null; i++) await sleep(2);
    expect(stopped).not.toBeNull();
    await sleep(3000);
    process.kill(stopped!, 'SIGCONT');
    const result = await grading;
    expect(result).toMatchObject({ passed: 1, failed: 0, error: null });
    expect(result.durationMs).toBeGreaterThanOrEqual(3000);
  } finally {
    await patient.close();
  }
});

test('[RUN-3] a load that needs more than its budget is stopped and reported', async () => {
  // Pyodide needs seconds of CPU to load; 0.3 s is not enough.
  const hasty = builtGrader({ timeLimitMs: 4000, memoryMb: 512, loadBudgetMs: 300 });
  try {
    const result = await hasty.grade({ files: [{ name: 'main.py', text: 'x = 1\n' }], tests: [pyTest('def test_x():\n    pass\n')] });
    expect(result).toMatchObject({ passed: 0, failed: 0, cases: [] });
    // Normally the processor-time budget; the wall-clock backstop (0.9 s) if this machine is busy.
    expect(result.error).toMatch(/^The tests could not start within (0\.3 s of processor time|0\.9 s: the server is too busy)\.$/);
  } finally {
    await hasty.close();
  }
});
