import fc from 'fast-check';
import { blame, contributions, type AttributedOp, type BlameSpan } from '../../lib/review/blame';
import { codePointLength } from '../../lib/text/offsets';
import { textType, type TextOp } from '../../lib/text/text-type';
import { SEED, propertyConfig, trickyText } from './support/property';

interface CharAttribution {
  author: string | null;
  source: string | null;
  v: number | null;
}

/** The naive model: one attribution per code point, edited by splicing. */
function naiveBlame(initial: string, initialAuthor: string | null, ops: readonly AttributedOp[]): CharAttribution[] {
  let chars: CharAttribution[] = Array.from(initial, () => ({ author: initialAuthor, source: null, v: null }));
  for (const { op, author, source, v } of ops) {
    const next: CharAttribution[] = [];
    let pos = 0;
    for (const component of op) {
      if (typeof component === 'number') {
        next.push(...chars.slice(pos, pos + component));
        pos += component;
      } else if (typeof component === 'string') {
        for (let i = 0; i < codePointLength(component); i++) next.push({ author, source: source ?? null, v });
      } else pos += typeof component.d === 'number' ? component.d : codePointLength(component.d);
    }
    next.push(...chars.slice(pos));
    chars = next;
  }
  return chars;
}

/** Maximal (author, source) runs of the naive model, `v` the latest in the run. */
function naiveSpans(chars: readonly CharAttribution[]): BlameSpan[] {
  const spans: BlameSpan[] = [];
  chars.forEach((c, i) => {
    const last = spans[spans.length - 1];
    if (last && last.author === c.author && last.source === c.source) {
      last.to = i + 1;
      if (c.v !== null && (last.v === null || c.v > last.v)) last.v = c.v;
    } else spans.push({ from: i, to: i + 1, ...c });
  });
  return spans;
}

/** One letter per code point of the final text, from `letters[author]`. */
function authorship(spans: readonly BlameSpan[], letters: Record<string, string>): string {
  return spans.map((s) => (letters[s.author ?? 'null'] ?? '?').repeat(s.to - s.from)).join('');
}

type EditStep = [gap: number, del: number, ins: string, insertFirst: boolean];

/** A valid op for a doc of `length` code points with several edit sites. */
function buildOp(length: number, steps: readonly EditStep[]): TextOp {
  const op: TextOp = [];
  let pos = 0;
  for (const [gap, del, ins, insertFirst] of steps) {
    const skip = Math.min(gap, length - pos);
    if (skip > 0) op.push(skip);
    pos += skip;
    const n = Math.min(del, length - pos);
    const parts = [ins ? ins : null, n > 0 ? { d: n } : null];
    for (const part of insertFirst ? parts : parts.reverse()) if (part !== null) op.push(part);
    pos += n;
  }
  return textType.normalize(op);
}

/** A seeded PRNG (mulberry32), for the long histories that are too slow to shrink. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('blame: a scripted two-person session', () => {
  const initial = 'x = 1\n';
  const ops: AttributedOp[] = [];
  let text = initial;
  let v = 0;
  const submit = (op: TextOp, author: string, source?: string): void => {
    ops.push({ op, author, source, v, ts: 1000 + v });
    text = textType.apply(text, op);
    v++;
  };
  // Alice types "def f():" after the starter line, one key at a time.
  for (const ch of 'def f():') submit([codePointLength(text), ch], 'alice', 'editor');
  // Bob types "long_" in front of "f".
  submit([6 + 4, 'long_'], 'bob', 'editor');
  // Alice deletes "ng" of Bob's text.
  submit([6 + 4 + 2, { d: 2 }], 'alice', 'editor');
  // Bob pastes a body with an emoji (one code point, two UTF-16 units).
  submit([codePointLength(text), '\n    return "🎉"'], 'bob', 'paste');

  const letters = { starter: 'S', alice: 'A', bob: 'B' };

  test('the text is what the session typed', () => {
    expect(text).toBe('x = 1\ndef lo_f():\n    return "🎉"');
  });

  test('every character is attributed to whoever typed it', () => {
    const spans = blame(initial, 'starter', ops);
    const expected = 'SSSSSS' + 'AAAA' + 'BBB' + 'AAAA' + 'B'.repeat(codePointLength('\n    return "🎉"'));
    expect(authorship(spans, letters)).toBe(expected);
    expect(spans).toEqual([
      { from: 0, to: 6, author: 'starter', source: null, v: null },
      { from: 6, to: 10, author: 'alice', source: 'editor', v: 3 },
      { from: 10, to: 13, author: 'bob', source: 'editor', v: 8 },
      { from: 13, to: 17, author: 'alice', source: 'editor', v: 7 },
      { from: 17, to: 32, author: 'bob', source: 'paste', v: 10 },
    ]);
    expect(spans[spans.length - 1]?.to).toBe(codePointLength(text));
  });

  test('contributions count kept characters and history per author', () => {
    const spans = blame(initial, 'starter', ops);
    expect(contributions(spans, ops)).toEqual([
      { author: 'bob', chars: 18, insertedChars: 20, deletedChars: 0, ops: 2 },
      { author: 'alice', chars: 8, insertedChars: 8, deletedChars: 2, ops: 9 },
      { author: 'starter', chars: 6, insertedChars: 0, deletedChars: 0, ops: 0 },
    ]);
  });
});

describe('blame: edge cases', () => {
  test('an empty history blames the whole initial text on its author; an empty text has no spans', () => {
    expect(blame('a😀b', null, [])).toEqual([{ from: 0, to: 3, author: null, source: null, v: null }]);
    expect(blame('', 'starter', [])).toEqual([]);
    expect(blame('abc', 'starter', [{ op: [{ d: 3 }], author: 'alice', v: 0 }])).toEqual([]);
  });

  test('an op reaching past the end of the text throws like type.apply', () => {
    expect(() => blame('ab', null, [{ op: [3, 'x'], author: 'alice', v: 0 }])).toThrow(/too long/);
  });

  test('an empty op does not count as a contribution', () => {
    const ops: AttributedOp[] = [{ op: [], author: 'mallory', v: 0 }];
    expect(contributions(blame('ab', 'alice', ops), ops)).toEqual([{ author: 'alice', chars: 2, insertedChars: 0, deletedChars: 0, ops: 0 }]);
  });
});

const AUTHORS = ['alice', 'bob', null] as const;
const SOURCES = ['editor', 'paste', undefined] as const;

describe('blame: agrees with a per-character model', () => {
  test('random ops by random authors give the same maximal spans as the naive model', () => {
    const history = fc.array(
      fc.tuple(fc.array(fc.tuple(fc.nat(5), fc.nat(4), trickyText(4), fc.boolean()), { minLength: 1, maxLength: 4 }), fc.constantFrom(...AUTHORS), fc.constantFrom(...SOURCES)),
      { maxLength: 12 },
    );
    fc.assert(
      fc.property(trickyText(20), fc.constantFrom(...AUTHORS), history, (initial, initialAuthor, steps) => {
        let text = initial;
        const ops: AttributedOp[] = steps.map(([edit, author, source], v) => {
          const op = buildOp(codePointLength(text), edit);
          text = textType.apply(text, op);
          return { op, author, source, v };
        });
        const spans = blame(initial, initialAuthor, ops);
        const chars = naiveBlame(initial, initialAuthor, ops);
        expect(spans).toEqual(naiveSpans(chars));
        // Contiguous, in order, covering the final text.
        spans.forEach((s, i) => {
          expect(s.from).toBe(i === 0 ? 0 : spans[i - 1]?.to);
          expect(s.to).toBeGreaterThan(s.from);
        });
        expect(spans[spans.length - 1]?.to ?? 0).toBe(codePointLength(text));

        const totals = contributions(spans, ops);
        expect(totals.reduce((sum, t) => sum + t.chars, 0)).toBe(codePointLength(text));
        for (const t of totals) {
          const own = ops.filter((o) => o.author === t.author && o.op.some((c) => typeof c !== 'number'));
          expect(t.ops).toBe(own.length);
          expect(t.chars).toBe(chars.filter((c) => c.author === t.author).length);
        }
      }),
      propertyConfig(500),
    );
  });

  test(`a long interleaved session (thousands of segments) agrees with the model (seed ${SEED})`, () => {
    const next = random(SEED);
    const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)] as T;
    const initial = 'def main():\n    pass\n'.repeat(20);
    let text = initial;
    const ops: AttributedOp[] = [];
    for (let v = 0; v < 3000; v++) {
      const length = codePointLength(text);
      const at = Math.floor(next() * (length + 1));
      const roll = next();
      // Mostly single keystrokes by alternating authors, so segments do not merge; some deletes.
      const op: TextOp =
        roll < 0.95 || length === at
          ? textType.normalize([at, pick(['a', 'é', '😀', '\n', ' '])])
          : textType.normalize([at, { d: Math.min(length - at, 1 + Math.floor(next() * 5)) }]);
      text = textType.apply(text, op);
      ops.push({ op, author: pick(AUTHORS), source: pick(SOURCES), v, ts: v });
    }
    const spans = blame(initial, 'starter', ops);
    expect(spans).toEqual(naiveSpans(naiveBlame(initial, 'starter', ops)));
    // Past 2 × 256 segments, so chunks have been split.
    expect(spans.length).toBeGreaterThan(600);
  });

  test('replaying 50 000 keystrokes into a large file stays fast', () => {
    const initial = 'x'.repeat(200_000);
    const ops: AttributedOp[] = [];
    let length = codePointLength(initial);
    const next = random(SEED + 1);
    for (let v = 0; v < 50_000; v++) {
      ops.push({ op: [Math.floor(next() * length), 'y'], author: v % 2 ? 'alice' : 'bob', v });
      length++;
    }
    const started = Date.now();
    const spans = blame(initial, 'starter', ops);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(spans[spans.length - 1]?.to).toBe(length);
    expect(contributions(spans, ops).find((t) => t.author === 'alice')?.chars).toBe(25_000);
  });
});
