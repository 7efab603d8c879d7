import fc from 'fast-check';
import { DEFAULT_PASTE_SIGNAL_MIN_CHARS, findPasteSignals, type PasteSignalOp } from '../../lib/review/paste-signals';
import { codePointLength } from '../../lib/text/offsets';
import { textType, type TextOp } from '../../lib/text/text-type';
import { propertyConfig, trickyText } from './support/property';

/** 150 code points of code nobody in the workspace wrote. */
const FOREIGN = Array.from({ length: 5 }, (_, i) => `def helper_${i}(values):\n    return sorted(values)[::${i + 1}]\n`)
  .join('')
  .slice(0, 150);

/** Ops that type `text` at `at` one code point per op, from version `v`. */
function typed(text: string, at: number, v: number, author = 'alice'): PasteSignalOp[] {
  return Array.from(text, (ch, i) => ({ op: at + i > 0 ? [at + i, ch] : [ch], v: v + i, author }));
}

describe('paste-signals', () => {
  test('the default threshold is 120 code points', () => {
    expect(DEFAULT_PASTE_SIGNAL_MIN_CHARS).toBe(120);
  });

  test('a large paste from outside the workspace is flagged, with where, who and a preview', () => {
    const initial = 'import os\n';
    const signals = findPasteSignals([{ op: [10, `\n${FOREIGN}\n`], v: 4, author: 'bob', source: 'editor', ts: 1234 }], initial);
    expect(signals).toEqual([
      {
        v: 4,
        author: 'bob',
        source: 'editor',
        ts: 1234,
        at: 10,
        length: codePointLength(FOREIGN) + 2,
        preview: FOREIGN.slice(0, 80),
      },
    ]);
  });

  test('the same text typed one character per op is never flagged', () => {
    expect(findPasteSignals(typed(FOREIGN, 0, 0), '')).toEqual([]);
    expect(findPasteSignals(typed(FOREIGN, 0, 0), '', { minChars: 2 })).toEqual([]);
    expect(findPasteSignals(typed(FOREIGN.repeat(3), 0, 0), '', { minChars: 10 })).toEqual([]);
  });

  test('copy-pasting text already in the file (even deleted by the same op) is not flagged', () => {
    const initial = `# notes\n${FOREIGN}`;
    expect(findPasteSignals([{ op: [codePointLength(initial), FOREIGN], v: 0, author: 'alice' }], initial)).toEqual([]);
    // Moving a block: one op deletes it and inserts it elsewhere.
    expect(findPasteSignals([{ op: [FOREIGN, 8, { d: codePointLength(FOREIGN) }], v: 0, author: 'alice' }], initial)).toEqual([]);
    // Duplicating part of it with different surrounding whitespace.
    expect(findPasteSignals([{ op: [8, `\n\n  ${FOREIGN.slice(10, 140)}  \n`], v: 0, author: 'alice' }], initial)).toEqual([]);
  });

  test('text typed earlier in the history counts as already in the file', () => {
    const ops = [...typed(FOREIGN, 0, 0), { op: [150, FOREIGN] as TextOp, v: 150, author: 'bob' }];
    expect(findPasteSignals(ops, '')).toEqual([]);
  });

  test("copy-pasting another file's text is not flagged; the callback gets the op's version", () => {
    const seen: number[] = [];
    const workspaceTextBefore = (v: number): string[] => {
      seen.push(v);
      return ['print("hi")\n', `# utils.py\n${FOREIGN}\n`];
    };
    const ops: PasteSignalOp[] = [
      { op: ['x'], v: 7, author: 'alice' },
      { op: [1, FOREIGN], v: 8, author: 'alice' },
    ];
    expect(findPasteSignals(ops, '', { minChars: 120, workspaceTextBefore })).toEqual([]);
    // Only the long insert needed the other files.
    expect(seen).toEqual([8]);
    expect(findPasteSignals(ops, '', { minChars: 120, workspaceTextBefore: () => ['print("hi")\n'] })).toHaveLength(1);
  });

  test('whitespace-only inserts are not flagged, and trimmed whitespace does not count toward the threshold', () => {
    expect(findPasteSignals([{ op: [' \n\t'.repeat(100)], v: 0, author: 'alice' }], '', { minChars: 10 })).toEqual([]);
    const padded = `${' '.repeat(100)}${FOREIGN.slice(0, 119)}\n\n`;
    expect(findPasteSignals([{ op: [padded], v: 0, author: 'alice' }], '')).toEqual([]);
  });

  test('the threshold is respected exactly', () => {
    const at = (n: number): PasteSignalOp[] => [{ op: [FOREIGN.slice(0, n)], v: 0, author: 'alice' }];
    expect(findPasteSignals(at(119), '')).toEqual([]);
    expect(findPasteSignals(at(120), '')).toHaveLength(1);
    expect(findPasteSignals(at(49), '', { minChars: 50 })).toEqual([]);
    expect(findPasteSignals(at(50), '', { minChars: 50 })).toHaveLength(1);
  });

  test('astral characters count as one code point each, in length, offsets and preview', () => {
    const emoji = '😀🎉👍𝔘'.repeat(30); // 120 code points, 240 UTF-16 units
    const initial = 'a😀b';
    const [signal, ...rest] = findPasteSignals([{ op: [2, emoji], v: 3, author: 'bob' }], initial, { minChars: 120 });
    expect(rest).toEqual([]);
    expect(signal).toMatchObject({ at: 2, length: 120, preview: '😀🎉👍𝔘'.repeat(20) });
    expect(codePointLength(signal?.preview ?? '')).toBe(80);
    // 60 astral characters are 120 UTF-16 units but only 60 code points: below the threshold.
    expect(findPasteSignals([{ op: [emoji.slice(0, 120)], v: 0, author: 'bob' }], '', { minChars: 120 })).toEqual([]);
  });

  test('inserts split only by a delete are one run (a paste over a selection)', () => {
    const initial = 'select me';
    const op: TextOp = [FOREIGN.slice(0, 70), { d: 9 }, FOREIGN.slice(70)];
    expect(textType.apply(initial, op)).toBe(FOREIGN);
    const signals = findPasteSignals([{ op, v: 0, author: 'alice' }], initial);
    expect(signals).toMatchObject([{ at: 0, length: 150 }]);
  });

  test('an op with two separate large inserts gives two signals with their offsets after the op', () => {
    const a = FOREIGN.slice(0, 130);
    const b = FOREIGN.slice(10, 150).toUpperCase();
    const signals = findPasteSignals([{ op: [a, 3, b], v: 2, author: null, source: 'import' }], 'xyz');
    expect(signals.map((s) => [s.at, s.length, s.author, s.source, s.ts])).toEqual([
      [0, 130, null, 'import', null],
      [133, 140, null, 'import', null],
    ]);
  });

  test('keystroke-sized ops are never flagged, whatever they type', () => {
    fc.assert(
      fc.property(fc.array(trickyText(3), { maxLength: 200 }), (keys) => {
        let text = '';
        const ops: PasteSignalOp[] = [];
        keys.forEach((key, v) => {
          if (!key) return;
          const op: TextOp = text ? [codePointLength(text), key] : [key];
          ops.push({ op, v, author: 'alice' });
          text = textType.apply(text, op);
        });
        // trickyText(3) inserts at most 9 code points (three 3-code-point ZWJ emoji).
        expect(findPasteSignals(ops, '', { minChars: 10 })).toEqual([]);
      }),
      propertyConfig(200),
    );
  });
});
