import fc from 'fast-check';
import * as otText from 'ot-text-unicode';
import type { CursorPresence } from '../../lib/protocol';
import { textType, type TextOp } from '../../lib/text/text-type';
import { transformPosition, transformSelection } from '../../lib/text/transform-position';
import { propertyConfig } from './support/property';

const presence = (selections: CursorPresence['selections']): CursorPresence => ({
  clientId: 'c1',
  name: 'Ada',
  color: '#e5484d',
  selections,
});

describe('textType [P-DOC-3][P-PRES-1]', () => {
  test('is ot-text-unicode with the same name and uri, plus transformPresence', () => {
    expect(textType.name).toBe('text-unicode');
    expect(textType.uri).toBe(otText.type.uri);
    expect(textType.apply('ab😀', [3, 'x'])).toBe('ab😀x');
    expect(typeof textType.transformPresence).toBe('function');
  });

  test("a peer typing at someone's caret leaves it; the owner's own typing moves it past the text", () => {
    const op: TextOp = [2, '😀😀'];
    expect(textType.transformPresence(presence([{ anchor: 2, head: 2 }]), op, false).selections).toEqual([{ anchor: 2, head: 2 }]);
    expect(textType.transformPresence(presence([{ anchor: 2, head: 2 }]), op, true).selections).toEqual([{ anchor: 4, head: 4 }]);
    // Inserts before move it; deletes around it collapse it.
    expect(textType.transformPresence(presence([{ anchor: 5, head: 5 }]), [1, 'abc'], false).selections).toEqual([{ anchor: 8, head: 8 }]);
    expect(textType.transformPresence(presence([{ anchor: 5, head: 5 }]), [3, { d: 4 }], false).selections).toEqual([{ anchor: 3, head: 3 }]);
  });

  test('a selection does not grow when text is inserted at its edges, and keeps its direction', () => {
    const sel = presence([{ anchor: 7, head: 3 }]);
    expect(textType.transformPresence(sel, [3, 'xx'], false).selections).toEqual([{ anchor: 9, head: 5 }]);
    expect(textType.transformPresence(sel, [7, 'xx'], false).selections).toEqual([{ anchor: 7, head: 3 }]);
    // The owner typing over their selection ends with a caret after the typed text.
    expect(textType.transformPresence(presence([{ anchor: 3, head: 7 }]), [3, 'x', { d: 4 }], true).selections).toEqual([
      { anchor: 4, head: 4 },
    ]);
  });

  test('values that are not cursor presences pass through; malformed selections are dropped, not thrown on', () => {
    expect(textType.transformPresence(null, [1, 'x'], false)).toBeNull();
    expect(textType.transformPresence('hello', [1, 'x'], false)).toBe('hello');
    const odd = { ...presence([{ anchor: 1, head: 1 }]), selections: [{ anchor: 'x', head: 1 }, { anchor: 2, head: 2 }] };
    expect(textType.transformPresence(odd, [0, 'ab'], false).selections).toEqual([{ anchor: 4, head: 4 }]);
  });

  test('positions stay inside the document and match the type for non-edge cases', () => {
    const arb = fc
      .tuple(fc.string({ maxLength: 20 }), fc.nat(25), fc.array(fc.tuple(fc.nat(4), fc.string({ maxLength: 3 }), fc.nat(3)), { maxLength: 4 }))
      .map(([doc, at, parts]) => {
        const op: TextOp = [];
        let used = 0;
        const len = [...doc].length;
        for (const [skip, ins, del] of parts) {
          const s = Math.min(skip, len - used);
          if (s > 0) op.push(s);
          used += s;
          if (ins) op.push(ins);
          const d = Math.min(del, len - used);
          if (d > 0) op.push({ d });
          used += d;
        }
        return { doc, at: Math.min(at, len), op: textType.normalize(op) };
      });
    fc.assert(
      fc.property(arb, fc.boolean(), ({ doc, at, op }, pushed) => {
        const after = [...textType.apply(doc, op)].length;
        const moved = transformPosition(at, op, pushed);
        expect(moved).toBeGreaterThanOrEqual(0);
        expect(moved).toBeLessThanOrEqual(after);
        if (!pushed) expect(moved).toBe(textType.transformPosition(at, op));
        const sel = transformSelection({ anchor: at, head: 0 }, op, false);
        expect(Math.max(sel.anchor, sel.head)).toBeLessThanOrEqual(after);
      }),
      propertyConfig(500),
    );
  });
});

describe('textType.apply (indexed, for large docs)', () => {
  const PAD = 'x'.repeat(20_000);
  const piece = fc.array(fc.constantFrom('a', '😀', '世', '\n', 'e\u0301', '𝔘', '\uD800', '\uDC00'), { maxLength: 12 }).map((p) => p.join(''));
  /** An op drawn at random, possibly invalid (too long), in code points. */
  const randomOp = fc
    .array(fc.tuple(fc.constantFrom('skip', 'insert', 'delete'), fc.integer({ min: 1, max: 25_000 }), fc.string({ minLength: 1, maxLength: 4 })), { minLength: 1, maxLength: 6 })
    .map((steps) => textType.normalize(steps.map(([kind, n, t]) => (kind === 'skip' ? n : kind === 'insert' ? t : { d: n }))));

  const outcome = (fn: () => string): string => {
    try {
      return `ok:${fn()}`;
    } catch (e) {
      return `error:${(e as Error).message}`;
    }
  };

  test('gives exactly the results and errors of ot-text-unicode, op after op, across interleaved docs', () => {
    fc.assert(
      fc.property(piece, piece, fc.array(fc.tuple(fc.boolean(), randomOp), { minLength: 1, maxLength: 12 }), (head, tail, ops) => {
        const docs = [head + PAD + tail, tail + PAD + head + PAD];
        const reference = [...docs];
        for (const [which, op] of ops) {
          const i = which ? 1 : 0;
          const fast = outcome(() => textType.apply(docs[i] as string, op));
          const slow = outcome(() => otText.type.apply(reference[i] as string, op));
          expect(fast).toBe(slow);
          if (slow.startsWith('ok:')) {
            docs[i] = fast.slice(3);
            reference[i] = slow.slice(3);
          }
        }
      }),
      propertyConfig(300),
    );
  });
});
