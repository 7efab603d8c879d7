import vm from 'node:vm';
import { jsTestProgram } from '../../lib/run/js-test-harness';
import type { TestSpec } from '../../lib/run/run-types';

/**
 * A submission shares its realm with the JS test harness (browser worker, QuickJS): whatever it
 * changes in that realm must not change a count or reveal a hidden test. Every case below forged
 * or leaked results before the harness captured its built-ins.
 */
const spec = (fileName: string, code: string, hidden = false): TestSpec => ({ language: 'javascript', fileName, code, hidden });
const TESTS = [
  spec(
    't.test.js',
    [
      "const m = require('./main');",
      "test('toBe', () => expect(m.f()).toBe(1));",
      "test('toEqual', () => expect(new Map([[1, m.f()]])).toEqual(new Map([[1, 9]])));",
      "test('toMatch', () => expect(String(m.f())).toMatch(/^9$/));",
      "test('async', async () => { expect(await Promise.resolve(m.f())).toBe(3); });",
      "test('date', () => expect(new Date(m.f())).toEqual(new Date(5)));",
    ].join('\n'),
  ),
  spec('hidden.test.js', "test('secret', () => expect(require('./main').f()).toBe(2));", true),
];

async function run(student: string): Promise<{ cases: Array<{ name: string; passed: boolean; file: string }>; error: string | null }> {
  let reported: string | null = null;
  const context = vm.createContext({ console: { log: () => undefined }, __tandemReport: (json: string) => (reported = json) });
  vm.runInContext(jsTestProgram([{ name: 'main.js', text: student }], TESTS), context, { timeout: 5000 });
  await new Promise((resolve) => setTimeout(resolve, 20));
  if (reported === null) throw new Error('no report');
  return JSON.parse(reported) as { cases: Array<{ name: string; passed: boolean; file: string }>; error: string | null };
}

const F = 'exports.f = () => 0;\n';
const attacks: Array<[string, string]> = [
  ['replaces the global expect', "globalThis.expect = () => new Proxy({}, { get: () => () => {} });"],
  ['drops tests by replacing test/it', 'globalThis.test = globalThis.it = () => {};'],
  ['patches Object.is / Object.keys', 'Object.is = () => true; Object.keys = () => []; Object.getPrototypeOf = () => null;'],
  ['patches Array.prototype.push', 'const p = Array.prototype.push; Array.prototype.push = function (x) { if (x && typeof x === "object" && "passed" in x) x.passed = true; return p.call(this, x); };'],
  ['plants Object.prototype.toJSON', "Object.defineProperty(Object.prototype, 'toJSON', { configurable: true, value: function () { return 'passed' in this ? Object.assign({}, this, { passed: true }) : this; } });"],
  ['rewrites later modules through eval', "const e = globalThis.eval; globalThis.eval = (s) => e(s.replace(/expect\\(/g, '(() => ({ toBe() {}, toEqual() {}, toMatch() {} }))('));"],
  ['re-wraps modules through Function.prototype.call', "const c = Function.prototype.call; Function.prototype.call = function (self, ...a) { if (String(this).includes('test(')) return (0, eval)('(' + String(this).replace(/expect\\(/g, '(() => ({ toBe() {} }))(') + ')').apply(self, a); return c.apply(this, [self, ...a]); };"],
  ['settles async tests through Promise.prototype.then', 'Promise.prototype.then = function (ok) { ok(); return this; };'],
  ['plants an index setter on Array.prototype', "Object.defineProperty(Array.prototype, '0', { set() {}, get() { return undefined; }, configurable: true });"],
  ['patches RegExp and Date', 'RegExp.prototype.exec = () => ["x"]; RegExp.prototype.test = () => true; Date.prototype.getTime = () => 5;'],
  ['plants a getter for .not', "Object.defineProperty(Object.prototype, 'not', { set() {}, get() { return { toBe() {} }; }, configurable: true });"],
  ['calls the reporter itself', "if (typeof __tandemReport === 'function') __tandemReport('{\"cases\":[],\"error\":null}');"],
];

test.each(attacks)('a submission that %s changes no count', async (_name, attack) => {
  const r = await run(F + attack);
  expect(r.cases.map((c) => [c.name, c.passed])).toEqual([
    ['toBe', false],
    ['toEqual', false],
    ['toMatch', false],
    ['async', false],
    ['date', false],
    ['secret', false],
  ]);
});

test('a submission cannot load a hidden test file itself (its tests would be listed as visible)', async () => {
  const r = await run("try { require('./hidden.test.js'); } catch (e) {}\n" + F);
  expect(r.cases.find((c) => c.name === 'secret')?.file).toBe('hidden.test.js');
});
