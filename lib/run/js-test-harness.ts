import { bundleJs } from './js-bundle';
import type { RunFile, TestSpec } from './run-types';

/** The module name of the generated harness entry (never a student's file name: it has spaces). */
const HARNESS = '__tandem tests__.js';

/**
 * JavaScript/TypeScript teacher tests (issue 7 §4) as one program for the browser worker and for
 * QuickJS on the server. Test files load as modules next to the student's files
 * (`require('./main')` / `import … from './main'` work). Globals: `test`/`it`, `describe`, and
 * `expect(actual)` with the common matchers and `.not`. The program reports once, through
 * `__tandemReport(json)`, which the harness takes off the global object before any student or
 * test code runs — a program that calls it itself reaches nothing.
 */
export function jsTestProgram(files: readonly RunFile[], tests: readonly TestSpec[]): string {
  const names = tests.map((t) => t.fileName);
  const harness = `
var report = globalThis.__tandemReport;
delete globalThis.__tandemReport;
var stringify = JSON.stringify;
var tests = [];
var prefix = [];
var current = null;
function clip(s) { s = String(s); return s.length > 500 ? s.slice(0, 500) + '…' : s; }
function show(v) {
  try {
    if (typeof v === 'string') return stringify(v);
    if (typeof v === 'function') return '[Function ' + (v.name || 'anonymous') + ']';
    if (v === undefined) return 'undefined';
    if (typeof v === 'bigint') return v + 'n';
    if (typeof v === 'number' && (v !== v || !isFinite(v))) return String(v);
    var s = stringify(v);
    return s === undefined ? String(v) : s;
  } catch (e) { return String(v); }
}
function equal(a, b, seen) {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  seen = seen || [];
  for (var i = 0; i < seen.length; i++) if (seen[i][0] === a && seen[i][1] === b) return true;
  seen.push([a, b]);
  if (a instanceof Date) return a.getTime() === b.getTime();
  if (a instanceof Map || a instanceof Set) {
    if (a.size !== b.size) return false;
    var ea = Array.from(a), eb = Array.from(b);
    for (var j = 0; j < ea.length; j++) if (!equal(ea[j], eb[j], seen)) return false;
    return true;
  }
  var ka = Object.keys(a), kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (var k = 0; k < ka.length; k++) {
    if (!Object.prototype.hasOwnProperty.call(b, ka[k]) || !equal(a[ka[k]], b[ka[k]], seen)) return false;
  }
  return true;
}
function Failure(message) { this.message = message; }
function matchers(actual, negate) {
  function check(pass, message) { if (pass === negate) throw new Failure((negate ? 'Expected not: ' : '') + message); }
  var m = {
    toBe: function (e) { check(Object.is(actual, e), 'expected ' + show(actual) + ' to be ' + show(e)); },
    toEqual: function (e) { check(equal(actual, e), 'expected ' + show(actual) + ' to equal ' + show(e)); },
    toStrictEqual: function (e) { check(equal(actual, e), 'expected ' + show(actual) + ' to equal ' + show(e)); },
    toBeTruthy: function () { check(!!actual, 'expected ' + show(actual) + ' to be truthy'); },
    toBeFalsy: function () { check(!actual, 'expected ' + show(actual) + ' to be falsy'); },
    toBeNull: function () { check(actual === null, 'expected ' + show(actual) + ' to be null'); },
    toBeUndefined: function () { check(actual === undefined, 'expected ' + show(actual) + ' to be undefined'); },
    toBeDefined: function () { check(actual !== undefined, 'expected a value, got undefined'); },
    toBeNaN: function () { check(Number.isNaN(actual), 'expected ' + show(actual) + ' to be NaN'); },
    toContain: function (e) { check(actual != null && typeof actual.indexOf === 'function' && actual.indexOf(e) >= 0, 'expected ' + show(actual) + ' to contain ' + show(e)); },
    toHaveLength: function (n) { check(actual != null && actual.length === n, 'expected length ' + n + ', got ' + (actual == null ? show(actual) : actual.length)); },
    toBeGreaterThan: function (n) { check(actual > n, 'expected ' + show(actual) + ' > ' + show(n)); },
    toBeGreaterThanOrEqual: function (n) { check(actual >= n, 'expected ' + show(actual) + ' >= ' + show(n)); },
    toBeLessThan: function (n) { check(actual < n, 'expected ' + show(actual) + ' < ' + show(n)); },
    toBeLessThanOrEqual: function (n) { check(actual <= n, 'expected ' + show(actual) + ' <= ' + show(n)); },
    toBeCloseTo: function (n, digits) { var d = digits === undefined ? 2 : digits; check(Math.abs(actual - n) < Math.pow(10, -d) / 2, 'expected ' + show(actual) + ' to be close to ' + show(n)); },
    toMatch: function (re) { check(typeof actual === 'string' && (typeof re === 'string' ? actual.indexOf(re) >= 0 : re.test(actual)), 'expected ' + show(actual) + ' to match ' + String(re)); },
    toThrow: function (want) {
      var threw = false, error;
      try { actual(); } catch (e) { threw = true; error = e; }
      var message = error && error.message !== undefined ? String(error.message) : String(error);
      var ok = threw && (want === undefined || (typeof want === 'string' ? message.indexOf(want) >= 0 : want instanceof RegExp ? want.test(message) : error instanceof want));
      check(ok, threw ? 'expected the error to match ' + String(want) + ', got ' + show(message) : 'expected the function to throw');
    }
  };
  return m;
}
globalThis.expect = function (actual) { var m = matchers(actual, false); m.not = matchers(actual, true); return m; };
globalThis.test = globalThis.it = function (name, fn) { tests.push({ name: prefix.concat([String(name)]).join(' › '), fn: fn, file: current }); };
globalThis.describe = function (name, fn) { prefix.push(String(name)); try { fn(); } finally { prefix.pop(); } };
var files = ${JSON.stringify(names)};
var cases = [];
var errors = [];
for (var f = 0; f < files.length; f++) {
  current = files[f];
  try { require('./' + files[f]); } catch (e) { errors.push(files[f] + ' could not be loaded: ' + clip(e && e.message !== undefined ? e.name + ': ' + e.message : e)); }
}
function message(e) { return clip(e instanceof Failure ? e.message : e && e.message !== undefined ? (e.name ? e.name + ': ' : '') + e.message : 'threw ' + show(e)); }
function finish() { report(stringify({ cases: cases, error: errors.length ? errors.join('\\n') : null })); }
var i = 0;
function next() {
  while (i < tests.length) {
    var t = tests[i++];
    var r;
    try { r = t.fn(); } catch (e) { cases.push({ name: t.name, passed: false, message: message(e), file: t.file }); continue; }
    if (r && typeof r.then === 'function') {
      r.then(function () { cases.push({ name: t.name, passed: true, message: null, file: t.file }); next(); },
             function (e) { cases.push({ name: t.name, passed: false, message: message(e), file: t.file }); next(); });
      return;
    }
    cases.push({ name: t.name, passed: true, message: null, file: t.file });
  }
  finish();
}
next();
`;
  const all: RunFile[] = [...files.filter((f) => !names.includes(f.name)), ...tests.map((t) => ({ name: t.fileName, text: t.code })), { name: HARNESS, text: harness }];
  return bundleJs(all, HARNESS);
}
