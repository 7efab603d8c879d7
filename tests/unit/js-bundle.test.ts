import vm from 'node:vm';
import { bundleJs } from '../../lib/run/js-bundle';
import { jsTestProgram } from '../../lib/run/js-test-harness';

/** Runs a bundle in a fresh V8 context with only a console, as the worker and QuickJS do. */
function run(files: Array<{ name: string; text: string }>, entry: string): { out: string[]; error: unknown } {
  const out: string[] = [];
  const context = vm.createContext({ console: { log: (...a: unknown[]) => out.push(a.map(String).join(' ')) } });
  try {
    vm.runInContext(bundleJs(files, entry), context);
    return { out, error: null };
  } catch (error) {
    return { out, error };
  }
}

describe('bundleJs', () => {
  test('require and module.exports between files, relative paths and folders', () => {
    const { out, error } = run(
      [
        { name: 'main.js', text: "const { area } = require('./lib/shapes');\nconst twice = require('./lib/twice.js');\nconsole.log(area(2, 3), twice(4));" },
        { name: 'lib/shapes.js', text: "exports.area = (w, h) => w * h;" },
        { name: 'lib/twice.js', text: "const { area } = require('../lib/shapes');\nmodule.exports = (x) => area(x, 2);" },
      ],
      'main.js',
    );
    expect(error).toBeNull();
    expect(out).toEqual(['6 8']);
  });

  test('TypeScript and import/export compile to the same modules; JSON is required as data', () => {
    const { out, error } = run(
      [
        { name: 'main.ts', text: "import { area } from './util';\nimport data from './data.json';\nconst n: number = area(3, 4);\nconsole.log(n, data.name);" },
        { name: 'util.ts', text: 'export function area(w: number, h: number): number {\n  return w * h;\n}' },
        { name: 'data.json', text: '{"name":"ok"}' },
      ],
      'main.ts',
    );
    expect(error).toBeNull();
    expect(out).toEqual(['12 ok']);
  });

  test('cycles see partial exports, like Node', () => {
    const { out } = run(
      [
        { name: 'a.js', text: "exports.early = 1;\nconst b = require('./b');\nexports.late = 2;\nconsole.log('b saw', b.seen);" },
        { name: 'b.js', text: "const a = require('./a');\nexports.seen = JSON.stringify(a);" },
      ],
      'a.js',
    );
    expect(out).toEqual(['b saw {"early":1}']);
  });

  test('a plain script stays in sloppy mode; unknown modules and syntax errors name the file', () => {
    expect(run([{ name: 'main.js', text: 'x = 5;\nconsole.log(x)' }], 'main.js').out).toEqual(['5']);
    const missing = run([{ name: 'main.js', text: "require('fs')" }], 'main.js').error as Error;
    expect(missing.message).toMatch(/Cannot find module 'fs' from 'main.js'/);
    const relative = run([{ name: 'main.js', text: "require('./nope')" }], 'main.js').error as Error;
    expect(relative.message).toBe("Cannot find module './nope' from 'main.js'");
    expect(() => bundleJs([{ name: 'main.ts', text: 'const x: = 1' }], 'main.ts')).toThrow(/^main\.ts: /);
    expect(() => bundleJs([{ name: 'notes.txt', text: '' }], 'notes.txt')).toThrow(/not a JavaScript or TypeScript file/);
  });

  test('errors thrown by student code keep their file and line', () => {
    const { error } = run([{ name: 'main.js', text: "const a = 1;\n\nthrow new Error('boom');" }], 'main.js');
    expect((error as Error).message).toBe('boom');
    expect((error as Error).stack).toMatch(/main\.js:3/);
  });
});

describe('jsTestProgram', () => {
  function runTests(files: Array<{ name: string; text: string }>, tests: Array<{ fileName: string; code: string }>) {
    let reported: string | null = null;
    const context = vm.createContext({ console: { log: () => undefined }, __tandemReport: (json: string) => (reported = json) });
    const program = jsTestProgram(
      files,
      tests.map((t) => ({ language: 'javascript' as const, hidden: false, ...t })),
    );
    vm.runInContext(program, context);
    return reported === null ? null : (JSON.parse(reported) as { cases: Array<{ name: string; passed: boolean; message: string | null; file: string }>; error: string | null });
  }

  test('passing and failing cases with their messages; describe prefixes names', () => {
    const r = runTests(
      [{ name: 'main.js', text: 'exports.area = (w, h) => w * h;\nexports.list = () => [1, { a: 2 }];' }],
      [
        {
          fileName: 'area.test.js',
          code: [
            "const { area, list } = require('./main');",
            "test('area', () => expect(area(2, 3)).toBe(6));",
            "describe('list', () => { test('deep', () => expect(list()).toEqual([1, { a: 2 }])); });",
            "test('wrong', () => expect(area(2, 2)).toBe(5));",
            "test('throws', () => expect(() => { throw new Error('no') }).toThrow('no'));",
            "test('not', () => expect(1).not.toBe(1));",
          ].join('\n'),
        },
      ],
    );
    expect(r?.error).toBeNull();
    expect(r?.cases.map((c) => [c.name, c.passed])).toEqual([
      ['area', true],
      ['list › deep', true],
      ['wrong', false],
      ['throws', true],
      ['not', false],
    ]);
    expect(r?.cases[2]?.message).toBe('expected 4 to be 5');
    expect(r?.cases[4]?.message).toBe('Expected not: expected 1 to be 1');
    expect(r?.cases.every((c) => c.file === 'area.test.js')).toBe(true);
  });

  test('a student module cannot report for the harness; a broken test file is an error', () => {
    const r = runTests(
      [{ name: 'main.js', text: "if (typeof __tandemReport === 'function') __tandemReport('{\"cases\":[],\"error\":null}');\nexports.ok = () => false;" }],
      [
        { fileName: 't.test.js', code: "test('ok', () => expect(require('./main').ok()).toBe(true));" },
        { fileName: 'broken.test.js', code: 'this is not javascript' },
      ],
    );
    expect(r?.cases).toEqual([{ name: 'ok', passed: false, message: 'expected false to be true', file: 't.test.js' }]);
    expect(r?.error).toMatch(/^broken\.test\.js/);
  });

  test('TypeScript tests import TypeScript modules', () => {
    const r = runTests(
      [{ name: 'util.ts', text: 'export const twice = (n: number): number => n * 2;' }],
      [{ fileName: 'util.test.ts', code: "import { twice } from './util';\ntest('twice', () => { const n: number = twice(4); expect(n).toBe(8); });" }],
    );
    expect(r?.cases).toEqual([{ name: 'twice', passed: true, message: null, file: 'util.test.ts' }]);
  });
});
