import { existsSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CodeFile, FindingDraft } from '../../lib/ai/ai-types';
import {
  analyseJavaScript,
  analysePython,
  analyseTypeScript,
  capFindings,
  runStaticAnalysis,
  StaticAnalysisError,
  type StaticAnalysisResult,
  unsafeFileNameReason,
} from '../../server/ai/analysers';
import { eslintTool, pyrightTool, runStaticTools, staticAnalysisTools, typescriptTool } from '../../server/ai/static-tools';

/**
 * The real analysers (issue 5), no model and no mocks: each must point at the right file and line,
 * resolve imports between workspace files, and turn broken code into findings rather than throws.
 */

const at = (findings: FindingDraft[], file: string, line: number) => findings.filter((f) => f.file === file && f.startLine === line);

const tandemTempDirs = () => readdirSync(os.tmpdir()).filter((n) => n.startsWith('tandem-pyright-'));

describe('eslint analyser', () => {
  test('an unused variable is a warning on its line', () => {
    const findings = analyseJavaScript([{ name: 'src/main.js', text: 'const used = 1;\nconsole.log(used);\nlet unused = 2;\n' }]);
    expect(at(findings, 'src/main.js', 3)).toEqual([
      expect.objectContaining({ tool: 'eslint', rule: 'no-unused-vars', severity: 'warning', source: 'static', endLine: 3 }),
    ]);
    expect(findings).toHaveLength(1);
  });

  test('an undefined name is a correctness error; browser and node globals are known', () => {
    const text = 'console.log(document.title, process.argv);\nconsole.log(totl);\n';
    const findings = analyseJavaScript([{ name: 'a.js', text }]);
    expect(findings).toEqual([expect.objectContaining({ rule: 'no-undef', severity: 'error', category: 'correctness', startLine: 2 })]);
  });

  test('a syntax error becomes one error finding, not a throw', () => {
    const findings = analyseJavaScript([{ name: 'broken.js', text: 'function ok() {}\nfunction (x {\n' }]);
    expect(findings).toEqual([
      expect.objectContaining({ file: 'broken.js', startLine: 2, severity: 'error', category: 'correctness', rule: null, tool: 'eslint' }),
    ]);
    expect(findings[0]!.message).toMatch(/Parsing error/);
  });

  test('only JavaScript files are linted (TypeScript is left to the checker)', () => {
    expect(analyseJavaScript([{ name: 'a.ts', text: 'let x: number = 1;\n' }, { name: 'b.py', text: 'x = 1\n' }])).toEqual([]);
    expect(analyseJavaScript([{ name: 'c.jsx', text: 'export const App = () => <div>hi</div>;\n' }])).toEqual([]);
  });
});

describe('typescript analyser', () => {
  test('a type error is reported on its line with its TS code', () => {
    const text = 'export function double(n: number): number {\n  return n * 2;\n}\nexport const s: string = double(2);\n';
    const findings = analyseTypeScript([{ name: 'main.ts', text }]);
    expect(findings).toEqual([
      expect.objectContaining({ file: 'main.ts', startLine: 4, endLine: 4, rule: 'TS2322', severity: 'error', tool: 'typescript' }),
    ]);
  });

  test('imports between workspace files resolve, in both directions of extension style', () => {
    const files: CodeFile[] = [
      { name: 'src/main.ts', text: "import { greet } from './util';\nimport { twice } from './lib/math.ts';\nconsole.log(greet('a'), twice(2));\n" },
      { name: 'src/util.ts', text: 'export function greet(name: string): string {\n  return `hi ${name}`;\n}\n' },
      { name: 'src/lib/math.ts', text: 'export const twice = (n: number) => n * 2;\n' },
    ];
    expect(analyseTypeScript(files)).toEqual([]);
    // The types really flow across files: a wrong argument is caught in the importer.
    const wrong = [{ ...files[0]!, text: "import { greet } from './util';\nconsole.log(greet(42));\n" }, files[1]!];
    expect(analyseTypeScript(wrong)).toEqual([expect.objectContaining({ file: 'src/main.ts', startLine: 2, rule: 'TS2345' })]);
  });

  test('a missing workspace module is reported; a missing package is environment noise', () => {
    const findings = analyseTypeScript([{ name: 'main.ts', text: "import _ from 'lodash';\nimport { x } from './nope';\nconsole.log(_, x, process.argv);\n" }]);
    expect(findings).toEqual([expect.objectContaining({ startLine: 2, rule: 'TS2307' })]);
  });

  test('unused locals are style warnings; separate exercise files do not clash', () => {
    const findings = analyseTypeScript([
      { name: 'ex1.ts', text: 'const answer = 1;\n' },
      { name: 'ex2.ts', text: 'const answer = 2;\nconsole.log(answer);\n' },
    ]);
    expect(findings).toEqual([expect.objectContaining({ file: 'ex1.ts', startLine: 1, rule: 'TS6133', severity: 'warning', category: 'style' })]);
  });

  test('a syntax error becomes a finding, not a throw', () => {
    const findings = analyseTypeScript([{ name: 'bad.ts', text: 'const a = 1;\nconst = ;\n' }]);
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.every((f) => f.startLine === 2 && f.severity === 'error')).toBe(true);
  });
});

describe('pyright analyser', () => {
  test('an undefined name is reported on its line; imports between workspace files resolve', async () => {
    const files: CodeFile[] = [
      { name: 'main.py', text: 'from pkg.util import double\nimport helper\n\nprint(double(2), helper.NAME)\nprint(undefined_name)\n' },
      { name: 'pkg/util.py', text: 'def double(x: int) -> int:\n    return x * 2\n' },
      { name: 'helper.py', text: 'NAME = "x"\n' },
    ];
    const before = tandemTempDirs().length;
    const findings = await analysePython(files);
    expect(findings).toEqual([
      expect.objectContaining({
        file: 'main.py',
        startLine: 5,
        endLine: 5,
        severity: 'error',
        category: 'correctness',
        tool: 'pyright',
        rule: 'reportUndefinedVariable',
        source: 'static',
      }),
    ]);
    // The temp folder is gone again.
    expect(tandemTempDirs().length).toBeLessThanOrEqual(before);
  });

  test('path-traversal names are never written and never reported', async () => {
    for (const bad of ['../evil.py', 'a/../../evil.py', '/tmp/evil.py', 'C:\\evil.py', 'nul\0.py', 'a\\..\\evil.py']) {
      expect(unsafeFileNameReason(bad)).not.toBeNull();
    }
    expect(unsafeFileNameReason('pkg/ok.py')).toBeNull();
    const escapee = path.join(os.tmpdir(), 'tandem-escapee.py');
    const findings = await analysePython([
      { name: '../tandem-escapee.py', text: 'print(nope)\n' },
      { name: escapee, text: 'print(nope)\n' },
      { name: 'ok.py', text: 'print(also_nope)\n' },
    ]);
    expect(existsSync(escapee)).toBe(false);
    expect(findings.map((f) => f.file)).toEqual(['ok.py']);
  });

  test('a timeout kills pyright and throws a typed error', async () => {
    const run = analysePython([{ name: 'a.py', text: 'x = 1\n' }], { timeoutMs: 1 });
    await expect(run).rejects.toBeInstanceOf(StaticAnalysisError);
    await expect(run).rejects.toMatchObject({ code: 'ERR_ANALYSER_TIMEOUT', tool: 'pyright' });
  });
});

// One mixed workspace checked once by runStaticAnalysis; pyright runs cost a second or two each.
const mixed: CodeFile[] = [
  { name: 'a.js', text: 'let unused = 1;\n' },
  { name: 'b.ts', text: 'const n: number = "x";\nconsole.log(n);\n' },
  { name: 'c.py', text: 'print(missing)\n' },
  { name: 'README.md', text: '# hi\n' },
];
let mixedResult: StaticAnalysisResult;
beforeAll(async () => {
  mixedResult = await runStaticAnalysis(mixed);
});

describe('runStaticAnalysis', () => {
  test('dispatches by extension and keeps every tool’s findings, worst first', () => {
    expect(mixedResult.ran).toEqual(['eslint', 'typescript', 'pyright']);
    expect(mixedResult.failed).toEqual([]);
    expect(mixedResult.findings.map((f) => [f.tool, f.file, f.startLine, f.severity])).toEqual([
      ['typescript', 'b.ts', 1, 'error'],
      ['pyright', 'c.py', 1, 'error'],
      ['eslint', 'a.js', 1, 'warning'],
    ]);
  });

  test('only applicable tools run', async () => {
    expect(await runStaticAnalysis([{ name: 'notes.txt', text: 'x' }])).toEqual({ findings: [], ran: [], failed: [] });
  });

  test('findings are deduplicated and capped', () => {
    const f = (line: number): FindingDraft => ({
      file: 'a.js',
      startLine: line,
      endLine: line,
      severity: 'warning',
      category: 'style',
      message: 'm',
      hint: null,
      source: 'static',
      tool: 'eslint',
      rule: 'r',
    });
    const many = Array.from({ length: 300 }, (_, i) => f(300 - i));
    expect(capFindings([f(1), f(1), f(2)])).toHaveLength(2);
    const capped = capFindings(many);
    expect(capped).toHaveLength(200);
    expect(capped[0]!.startLine).toBe(1);
  });
});

describe('LangChain tools', () => {
  test('invoke({ files }) returns the analysers’ findings as JSON', async () => {
    expect(staticAnalysisTools().map((t) => t.name)).toEqual(['eslint_diagnostics', 'typescript_diagnostics', 'pyright_diagnostics']);
    expect(JSON.parse(await eslintTool.invoke({ files: mixed }))).toEqual(analyseJavaScript(mixed));
    expect(JSON.parse(await typescriptTool.invoke({ files: mixed }))).toEqual(analyseTypeScript(mixed));
    const pyright = mixedResult.findings.filter((f) => f.tool === 'pyright');
    expect(pyright).toHaveLength(1);
    expect(JSON.parse(await pyrightTool.invoke({ files: mixed }))).toEqual(pyright);
  });

  test('runStaticTools (the pipeline entry) matches runStaticAnalysis', async () => {
    expect(await runStaticTools(mixed)).toEqual(mixedResult);
  });
});
