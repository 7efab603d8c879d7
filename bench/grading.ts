import fs from 'node:fs';
import path from 'node:path';
import { Grader } from '../server/grading/grader';
import type { TestSpec } from '../lib/run/run-types';

/**
 * Issue 7: what one server-side grading costs, and how a burst of submissions queues. Runs the
 * real Grader (a child process per grading under Node's permission model: Pyodide for Python,
 * QuickJS for JavaScript) with the default limits.
 *
 *   npm run bench:grading                 # 5 Python and 5 JavaScript gradings one by one, then a burst of 6 Python
 *   node dist/bench/grading.js --runs 10 --burst 10
 */
function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1 || v > 1000) throw new Error(`--${name} must be a whole number from 1 to 1000`);
  return v;
}

const PY_FILES = [{ name: 'main.py', text: 'def total(xs):\n    return sum(xs)\n\ndef mean(xs):\n    return total(xs) / len(xs)\n' }];
const PY_TESTS: TestSpec[] = [
  {
    language: 'python',
    fileName: 'test_main.py',
    code: ['from main import total, mean', ...Array.from({ length: 20 }, (_, i) => `\ndef test_${i}():\n    assert total(list(range(${i}))) == ${(i * (i - 1)) / 2}\n`), '\ndef test_mean():\n    assert mean([1, 2]) == 1.5\n'].join('\n'),
    hidden: false,
  },
];
const JS_FILES = [{ name: 'util.js', text: 'exports.total = (xs) => xs.reduce((a, b) => a + b, 0);' }];
const JS_TESTS: TestSpec[] = [
  {
    language: 'javascript',
    fileName: 'util.test.js',
    code: ["const { total } = require('./util');", ...Array.from({ length: 20 }, (_, i) => `test('t${i}', () => expect(total([...Array(${i}).keys()])).toBe(${(i * (i - 1)) / 2}));`)].join('\n'),
    hidden: false,
  },
];

function stats(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return `min ${s[0]} ms, median ${at(0.5)} ms, max ${s[s.length - 1]} ms (n=${s.length})`;
}

async function main(): Promise<void> {
  const runs = arg('runs', 5);
  const burst = arg('burst', 6);
  const grader = new Grader({ timeLimitMs: 20_000, memoryMb: 512 });
  const results: Record<string, unknown> = { at: new Date().toISOString(), runs, burst };
  try {
    for (const [label, files, tests] of [
      ['python', PY_FILES, PY_TESTS],
      ['javascript', JS_FILES, JS_TESTS],
    ] as const) {
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t0 = Date.now();
        const r = await grader.grade({ files: [...files], tests: [...tests] });
        times.push(Date.now() - t0);
        if (r.failed !== 0 || r.error) throw new Error(`${label} grading failed: ${JSON.stringify(r).slice(0, 300)}`);
      }
      console.log(`${label}: one grading (21 tests) — ${stats(times)}`);
      results[label] = times;
    }
    const t0 = Date.now();
    const done: number[] = [];
    await Promise.all(
      Array.from({ length: burst }, () => grader.grade({ files: PY_FILES, tests: PY_TESTS }).then(() => done.push(Date.now() - t0))),
    );
    console.log(`burst: ${burst} Python submissions at once, one grading at a time — last graded after ${Math.max(...done)} ms; each waited ${stats(done)}`);
    results.burst = done;
  } finally {
    await grader.close();
  }
  const out = path.join(__dirname, '..', '..', 'bench', 'results', `issue7-grading-${Date.now()}.json`);
  fs.writeFileSync(out, JSON.stringify(results, null, 2));
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
