import { transform } from 'sucrase';
import type { RunFile } from './run-types';

/**
 * The workspace's JavaScript/TypeScript files as ONE self-contained program with a small
 * CommonJS module system (`require('./util')`, `module.exports`, `exports.x`, relative paths,
 * cycles with partial exports like Node). `import`/`export` and TypeScript are compiled to it by
 * sucrase, which keeps line numbers. The program touches no host API (`window`, `process`,
 * `require`), so the same text runs in a browser Web Worker and in QuickJS on the server. Each
 * module is evaluated from its own string with a `sourceURL`, so stack traces name the
 * student's file and line.
 */
const EXTENSIONS = ['', '.js', '.ts', '.mjs', '.cjs', '.json', '/index.js', '/index.ts'];
const ESM_SYNTAX = /(^|[\s;])(import|export)[\s{*'"]/m;

export function isJsModuleFile(name: string): boolean {
  return /\.(js|mjs|cjs|ts|json)$/i.test(name);
}

/** Compile one file to CommonJS (throws sucrase's SyntaxError with the file and line). */
export function toCommonJs(name: string, code: string): string {
  if (/\.json$/i.test(name)) return `module.exports = ${JSON.stringify(JSON.parse(code) as unknown)};`;
  const ts = /\.ts$/i.test(name);
  const esm = ESM_SYNTAX.test(code);
  if (!ts && !esm) return code;
  // The imports transform adds "use strict"; a plain script keeps sloppy mode like in Node.
  const transforms: Array<'typescript' | 'imports'> = ts ? ['typescript'] : [];
  if (esm) transforms.push('imports');
  return transform(code, { transforms, filePath: name, production: true }).code;
}

/**
 * @param options.entryOnly modules only `entry` may require (the teacher's test files: a student
 *   module that loaded one itself would run its tests under another file's name).
 */
export function bundleJs(files: readonly RunFile[], entry: string, options: { entryOnly?: readonly string[] } = {}): string {
  const modules: Record<string, string> = {};
  for (const f of files) {
    if (!isJsModuleFile(f.name)) continue;
    try {
      modules[f.name] = toCommonJs(f.name, f.text);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new SyntaxError(`${f.name}: ${message}`);
    }
  }
  if (!(entry in modules)) throw new Error(`Cannot run ${entry}: it is not a JavaScript or TypeScript file of this workspace.`);
  // Everything the loader uses is captured before the first module runs: a student module that
  // replaces `eval`, `Function.prototype.call` or a String method afterwards must not be able to
  // rewrite or re-wrap a teacher's test module as it loads.
  return `(function () {
var __geval = eval;
var __apply = Reflect.apply;
var __uncurry = Function.prototype.bind.bind(Function.prototype.call);
var __hasOwn = __uncurry(Object.prototype.hasOwnProperty);
var __charAt = __uncurry(String.prototype.charAt);
var __slice = __uncurry(String.prototype.slice);
var __indexOf = __uncurry(String.prototype.indexOf);
var __lastIndexOf = __uncurry(String.prototype.lastIndexOf);
var __split = __uncurry(String.prototype.split);
var __String = String;
var __Error = Error;
var __sources = ${JSON.stringify(modules)};
var __cache = Object.create(null);
var __extensions = ${JSON.stringify(EXTENSIONS)};
var __entry = ${JSON.stringify(entry)};
var __entryOnly = Object.create(null);
${(options.entryOnly ?? []).map((name) => `__entryOnly[${JSON.stringify(name)}] = true;`).join('\n')}
function __normalize(path) {
  var out = Object.create(null);
  var n = 0;
  var parts = __split(path, '/');
  for (var i = 0; i < parts.length; i++) {
    var p = parts[i];
    if (p === '' || p === '.') continue;
    if (p === '..') { if (n > 0) n--; } else out[n++] = p;
  }
  var joined = '';
  for (var j = 0; j < n; j++) joined += (j ? '/' : '') + out[j];
  return joined;
}
function __dirOf(name) {
  return __indexOf(name, '/') >= 0 ? __slice(name, 0, __lastIndexOf(name, '/') + 1) : '';
}
function __resolve(from, request) {
  var first = __charAt(request, 0);
  if (first !== '.' && first !== '/') {
    throw new __Error("Cannot find module '" + request + "' from '" + from + "': only the workspace's own files can be required here.");
  }
  var base = __normalize(first === '/' ? request : __dirOf(from) + request);
  for (var i = 0; i < __extensions.length; i++) {
    var candidate = base + __extensions[i];
    if (__hasOwn(__sources, candidate) && (from === __entry || __entryOnly[candidate] !== true)) return candidate;
  }
  throw new __Error("Cannot find module '" + request + "' from '" + from + "'");
}
function __load(name) {
  if (__cache[name] !== undefined) return __cache[name].exports;
  var module = { exports: {}, id: name, filename: name, loaded: false };
  __cache[name] = module;
  // Indirect eval: the module's code sees the global scope, never this loader's variables.
  var fn = __geval('(function (exports, require, module, __filename, __dirname) {' + __sources[name] + '\\n})\\n//# sourceURL=' + name);
  var dir = __dirOf(name);
  var dirname = dir ? __slice(dir, 0, dir.length - 1) : '.';
  __apply(fn, module.exports, [module.exports, function require(request) { return __load(__resolve(name, __String(request))); }, module, name, dirname]);
  module.loaded = true;
  return module.exports;
}
return __load(__entry);
})();
`;
}
