import { bundleJs } from './js-bundle';
import type { RunFile, TestSpec } from './run-types';

/** The module name of the generated harness entry (never a student's file name: it has spaces). */
const HARNESS = '__tandem tests__.js';

/**
 * JavaScript/TypeScript teacher tests (issue 7 §4) as one program for the browser worker and for
 * QuickJS on the server. Test files load as modules next to the student's files
 * (`require('./main')` / `import … from './main'` work). Globals: `test`/`it`, `describe`, and
 * `expect(actual)` with the common matchers and `.not`. The program reports once, through
 * `__tandemReport(json)`.
 *
 * Student code runs in the same realm as the harness, so the harness trusts nothing it could
 * change: the reporter is taken off the global object, every built-in the matchers and the
 * bookkeeping use (`Object.is`, `Array.prototype.push`, `JSON.stringify`'s `toJSON` lookup,
 * `Promise.prototype.then`, `RegExp.prototype.exec` …) is captured before the first student
 * module loads, `test`/`it`/`describe`/`expect` are read-only globals, records are
 * null-prototype objects, and the report is concatenated from primitives. What stays possible is
 * what any test framework falls for: a returned object whose behaviour fools the matcher
 * (e.g. a Proxy), or code that never returns (the time limit).
 */
export function jsTestProgram(files: readonly RunFile[], tests: readonly TestSpec[]): string {
  const names = tests.map((t) => t.fileName);
  const harness = `
var report = globalThis.__tandemReport;
delete globalThis.__tandemReport;
var uncurry = Function.prototype.bind.bind(Function.prototype.call);
var stringify = JSON.stringify;
var is = Object.is, keys = Object.keys, getProto = Object.getPrototypeOf, create = Object.create, define = Object.defineProperty;
var hasOwn = uncurry(Object.prototype.hasOwnProperty);
var isArray = Array.isArray, isNaNumber = Number.isNaN, isFiniteNumber = Number.isFinite, abs = Math.abs, pow = Math.pow;
var Str = String, DateC = Date, MapC = Map, SetC = Set, RegExpC = RegExp, PromiseC = Promise;
var dateTime = uncurry(DateC.prototype.getTime);
var mapSize = uncurry(Object.getOwnPropertyDescriptor(MapC.prototype, 'size').get);
var setSize = uncurry(Object.getOwnPropertyDescriptor(SetC.prototype, 'size').get);
var mapForEach = uncurry(MapC.prototype.forEach), setForEach = uncurry(SetC.prototype.forEach);
var reExec = uncurry(RegExpC.prototype.exec);
var strIndexOf = uncurry(Str.prototype.indexOf), strSlice = uncurry(Str.prototype.slice);
var arrIndexOf = uncurry(Array.prototype.indexOf);
var then = uncurry(PromiseC.prototype.then);
var resolved = PromiseC.resolve.bind(PromiseC);

var tests = create(null), testCount = 0;
var prefix = '';
var current = null;
function clip(s) { s = Str(s); return s.length > 500 ? strSlice(s, 0, 500) + '…' : s; }
function show(v) {
  try {
    if (typeof v === 'string') return stringify(v);
    if (typeof v === 'function') return '[Function ' + (v.name || 'anonymous') + ']';
    if (v === undefined) return 'undefined';
    if (typeof v === 'bigint') return v + 'n';
    if (typeof v === 'number' && (v !== v || !isFiniteNumber(v))) return Str(v);
    var s = stringify(v);
    return s === undefined ? Str(v) : s;
  } catch (e) { try { return Str(v); } catch (e2) { return '[value]'; } }
}
// Null-prototype lists: an index setter planted on Array.prototype would swallow writes to [].
function list() { var l = create(null); l.n = 0; return l; }
function entries(x, forEach) { var out = list(); forEach(x, function (v, k) { out[out.n++] = [k, v]; }); return out; }
function equal(a, b, seen) {
  if (is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (getProto(a) !== getProto(b)) return false;
  for (var i = 0; i < seen.n; i++) if (seen[i][0] === a && seen[i][1] === b) return true;
  seen[seen.n++] = [a, b];
  if (a instanceof DateC) return is(dateTime(a), dateTime(b));
  if (a instanceof MapC || a instanceof SetC) {
    var map = a instanceof MapC;
    if ((map ? mapSize(a) : setSize(a)) !== (map ? mapSize(b) : setSize(b))) return false;
    var ea = entries(a, map ? mapForEach : setForEach), eb = entries(b, map ? mapForEach : setForEach);
    for (var j = 0; j < ea.n; j++) if (!equal(ea[j][0], eb[j][0], seen) || !equal(ea[j][1], eb[j][1], seen)) return false;
    return true;
  }
  var ka = keys(a), kb = keys(b);
  if (ka.length !== kb.length) return false;
  for (var k = 0; k < ka.length; k++) {
    if (!hasOwn(b, ka[k]) || !equal(a[ka[k]], b[ka[k]], seen)) return false;
  }
  return true;
}
function matches(text, want) {
  text = Str(text);
  return want instanceof RegExpC ? (want.lastIndex = 0, reExec(want, text) !== null) : strIndexOf(text, Str(want)) >= 0;
}
function Failure(message) { this.message = message; }
function matchers(actual, negate) {
  function check(pass, message) { if (!!pass === negate) throw new Failure((negate ? 'Expected not: ' : '') + message); }
  return {
    toBe: function (e) { check(is(actual, e), 'expected ' + show(actual) + ' to be ' + show(e)); },
    toEqual: function (e) { check(equal(actual, e, list()), 'expected ' + show(actual) + ' to equal ' + show(e)); },
    toStrictEqual: function (e) { check(equal(actual, e, list()), 'expected ' + show(actual) + ' to equal ' + show(e)); },
    toBeTruthy: function () { check(!!actual, 'expected ' + show(actual) + ' to be truthy'); },
    toBeFalsy: function () { check(!actual, 'expected ' + show(actual) + ' to be falsy'); },
    toBeNull: function () { check(actual === null, 'expected ' + show(actual) + ' to be null'); },
    toBeUndefined: function () { check(actual === undefined, 'expected ' + show(actual) + ' to be undefined'); },
    toBeDefined: function () { check(actual !== undefined, 'expected a value, got undefined'); },
    toBeNaN: function () { check(isNaNumber(actual), 'expected ' + show(actual) + ' to be NaN'); },
    toContain: function (e) {
      var found = typeof actual === 'string' ? strIndexOf(actual, Str(e)) >= 0 : isArray(actual) ? arrIndexOf(actual, e) >= 0 : false;
      check(found, 'expected ' + show(actual) + ' to contain ' + show(e));
    },
    toHaveLength: function (n) { check(actual != null && actual.length === n, 'expected length ' + n + ', got ' + (actual == null ? show(actual) : show(actual.length))); },
    toBeGreaterThan: function (n) { check(actual > n, 'expected ' + show(actual) + ' > ' + show(n)); },
    toBeGreaterThanOrEqual: function (n) { check(actual >= n, 'expected ' + show(actual) + ' >= ' + show(n)); },
    toBeLessThan: function (n) { check(actual < n, 'expected ' + show(actual) + ' < ' + show(n)); },
    toBeLessThanOrEqual: function (n) { check(actual <= n, 'expected ' + show(actual) + ' <= ' + show(n)); },
    toBeCloseTo: function (n, digits) {
      var d = digits === undefined ? 2 : digits;
      check(typeof actual === 'number' && abs(actual - n) < pow(10, -d) / 2, 'expected ' + show(actual) + ' to be close to ' + show(n));
    },
    toMatch: function (re) { check(typeof actual === 'string' && matches(actual, re), 'expected ' + show(actual) + ' to match ' + Str(re)); },
    toThrow: function (want) {
      var threw = false, error;
      try { actual(); } catch (e) { threw = true; error = e; }
      var message = '';
      try { message = error && error.message !== undefined ? Str(error.message) : Str(error); } catch (e) { message = '[unprintable error]'; }
      var ok = threw && (want === undefined || (typeof want === 'function' && !(want instanceof RegExpC) ? error instanceof want : matches(message, want)));
      check(ok, threw ? 'expected the error to match ' + Str(want) + ', got ' + show(message) : 'expected the function to throw');
    }
  };
}
function expect(actual) { var m = matchers(actual, false); define(m, 'not', { value: matchers(actual, true) }); return m; }
function test(name, fn) { tests[testCount++] = { name: prefix + Str(name), fn: fn, file: current }; }
function describe(name, fn) {
  var outer = prefix;
  prefix = outer + Str(name) + ' › ';
  try { fn(); } finally { prefix = outer; }
}
function fixGlobal(name, value) { define(globalThis, name, { value: value, writable: false, configurable: false, enumerable: false }); }
fixGlobal('expect', expect);
fixGlobal('test', test);
fixGlobal('it', test);
fixGlobal('describe', describe);

var files = ${JSON.stringify(names)};
var out = '', caseCount = 0;
var errors = '';
for (var f = 0; f < files.length; f++) {
  current = files[f];
  try { require('./' + files[f]); } catch (e) { errors += (errors ? '\\n' : '') + files[f] + ' could not be loaded: ' + describeError(e); }
}
function describeError(e) {
  try { return clip(e && e.message !== undefined ? (e.name ? e.name + ': ' : '') + e.message : 'threw ' + show(e)); } catch (x) { return 'threw an unprintable value'; }
}
function message(e) { return e instanceof Failure ? clip(e.message) : describeError(e); }
// Built from primitives: JSON.stringify of a string never consults toJSON, a record object would.
function record(t, passed, text) {
  out += (caseCount++ ? ',' : '') + '{"name":' + stringify(Str(t.name)) + ',"passed":' + (passed ? 'true' : 'false') +
    ',"message":' + (passed ? 'null' : stringify(Str(text))) + ',"file":' + stringify(Str(t.file)) + '}';
}
function finish() { report('{"cases":[' + out + '],"error":' + (errors ? stringify(errors) : 'null') + '}'); }
var i = 0;
function next() {
  while (i < testCount) {
    var t = tests[i++];
    var r;
    try { r = t.fn(); } catch (e) { record(t, false, message(e)); continue; }
    if (r !== null && (typeof r === 'object' || typeof r === 'function') && typeof r.then === 'function') {
      var settle = (function (t) {
        return [function () { record(t, true, null); next(); }, function (e) { record(t, false, message(e)); next(); }];
      })(t);
      var p;
      // A native promise settles through the captured then; anything else is adopted first.
      try { then(r, settle[0], settle[1]); } catch (notNative) {
        try { p = resolved(r); then(p, settle[0], settle[1]); } catch (e) { record(t, false, message(e)); continue; }
      }
      return;
    }
    record(t, true, null);
  }
  finish();
}
next();
`;
  const all: RunFile[] = [...files.filter((f) => !names.includes(f.name)), ...tests.map((t) => ({ name: t.fileName, text: t.code })), { name: HARNESS, text: harness }];
  return bundleJs(all, HARNESS, { entryOnly: names });
}
