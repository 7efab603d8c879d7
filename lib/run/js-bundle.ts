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

export function bundleJs(files: readonly RunFile[], entry: string): string {
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
  return `(function () {
var __sources = ${JSON.stringify(modules)};
var __cache = {};
var __extensions = ${JSON.stringify(EXTENSIONS)};
function __normalize(path) {
  var out = [];
  var parts = path.split('/');
  for (var i = 0; i < parts.length; i++) {
    var p = parts[i];
    if (p === '' || p === '.') continue;
    if (p === '..') out.pop(); else out.push(p);
  }
  return out.join('/');
}
function __resolve(from, request) {
  if (request.charAt(0) !== '.' && request.charAt(0) !== '/') {
    throw new Error("Cannot find module '" + request + "' from '" + from + "': only the workspace's own files can be required here.");
  }
  var dir = from.indexOf('/') >= 0 ? from.slice(0, from.lastIndexOf('/') + 1) : '';
  var base = __normalize(request.charAt(0) === '/' ? request : dir + request);
  for (var i = 0; i < __extensions.length; i++) {
    var candidate = base + __extensions[i];
    if (Object.prototype.hasOwnProperty.call(__sources, candidate)) return candidate;
  }
  throw new Error("Cannot find module '" + request + "' from '" + from + "'");
}
function __load(name) {
  if (Object.prototype.hasOwnProperty.call(__cache, name)) return __cache[name].exports;
  var module = { exports: {}, id: name, filename: name, loaded: false };
  __cache[name] = module;
  var fn = (0, eval)('(function (exports, require, module, __filename, __dirname) {' + __sources[name] + '\\n})\\n//# sourceURL=' + name);
  var dirname = name.indexOf('/') >= 0 ? name.slice(0, name.lastIndexOf('/')) : '.';
  fn.call(module.exports, module.exports, function require(request) { return __load(__resolve(name, String(request))); }, module, name, dirname);
  module.loaded = true;
  return module.exports;
}
return __load(${JSON.stringify(entry)});
})();
`;
}
