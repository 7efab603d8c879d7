import fc from 'fast-check';
import { transformAnchor, transformAnchorThrough, type TextAnchor } from '../../lib/review/comment-anchor';
import { textType, type TextOp } from '../../lib/text/text-type';
import { transformPosition } from '../../lib/text/transform-position';
import { propertyConfig, trickyText } from './support/property';

/** A character with an identity, so a test can tell which characters survived an op. */
interface Tagged {
  id: number;
  ch: string;
}

let nextId = 0;
const tag = (text: string): Tagged[] => Array.from(text, (ch) => ({ id: nextId++, ch }));
const textOf = (chars: readonly Tagged[]): string => chars.map((c) => c.ch).join('');

/** Applies `op` to tagged characters: inserted code points get new identities. */
function applyTagged(chars: readonly Tagged[], op: TextOp): Tagged[] {
  const out: Tagged[] = [];
  let pos = 0;
  for (const component of op) {
    if (typeof component === 'number') {
      out.push(...chars.slice(pos, pos + component));
      pos += component;
    } else if (typeof component === 'string') out.push(...tag(component));
    else pos += typeof component.d === 'number' ? component.d : Array.from(component.d).length;
  }
  out.push(...chars.slice(pos));
  return out;
}

/** One random edit site: skip `gap`, then delete `del` and insert `ins` (in either order). */
type EditStep = [gap: number, del: number, ins: string, insertFirst: boolean];
const editSteps = fc.array(fc.tuple(fc.nat(4), fc.nat(3), trickyText(3), fc.boolean()), { minLength: 1, maxLength: 4 });

/** Builds a valid op for a doc of `length` code points with several inserts, deletes and replaces. */
function buildOp(length: number, steps: readonly EditStep[], invertibleFrom?: readonly Tagged[]): TextOp {
  const op: TextOp = [];
  let pos = 0;
  for (const [gap, del, ins, insertFirst] of steps) {
    const skip = Math.min(gap, length - pos);
    if (skip > 0) op.push(skip);
    pos += skip;
    const n = Math.min(del, length - pos);
    // Deletes sometimes carry their text, as invertible ops on the server do.
    const deletion = invertibleFrom ? { d: textOf(invertibleFrom.slice(pos, pos + n)) } : { d: n };
    const parts = [ins ? ins : null, n > 0 ? deletion : null];
    for (const part of insertFirst ? parts : parts.reverse()) if (part !== null) op.push(part);
    pos += n;
  }
  return textType.normalize(op);
}

/** What a comment on `range` should cover after the characters became `after` (see comment-anchor.ts). */
function expectedAnchor(before: readonly Tagged[], range: TextAnchor, after: readonly Tagged[]): { from: number; to: number } | null {
  const ids = new Set(before.slice(range.from, range.to).map((c) => c.id));
  const kept = after.flatMap((c, i) => (ids.has(c.id) ? [i] : []));
  if (kept.length === 0) return null;
  return { from: kept[0] as number, to: (kept[kept.length - 1] as number) + 1 };
}

/** Surviving characters before `range` stay before `at`, those after it stay at or after `at`. */
function expectCollapsedBetween(before: readonly Tagged[], range: TextAnchor, after: readonly Tagged[], at: number): void {
  const position = new Map(after.map((c, i) => [c.id, i]));
  before.forEach((c, i) => {
    const now = position.get(c.id);
    if (now === undefined) return;
    if (i < range.from) expect(now).toBeLessThan(at);
    if (i >= range.to) expect(now).toBeGreaterThanOrEqual(at);
  });
}

const docWithRange = trickyText(20).chain((text) => {
  const n = Array.from(text).length;
  return fc.tuple(fc.constant(text), fc.nat(n), fc.nat(n), fc.array(fc.tuple(editSteps, fc.boolean()), { minLength: 1, maxLength: 4 }));
});

describe('comment-anchor: transformAnchor', () => {
  test('a range covers exactly its first to last surviving character, or is outdated when none survive', () => {
    fc.assert(
      fc.property(docWithRange, ([text, a, b, opSteps]) => {
        const [steps, invertible] = opSteps[0] as [EditStep[], boolean];
        const before = tag(text);
        const anchor: TextAnchor = { from: Math.min(a, b), to: Math.max(a, b), outdated: false };
        const op = buildOp(before.length, steps, invertible ? before : undefined);
        const after = applyTagged(before, op);
        expect(textType.apply(text, op)).toBe(textOf(after));

        const moved = transformAnchor(anchor, op);
        expect(moved.from).toBeLessThanOrEqual(moved.to);
        expect(moved.to).toBeLessThanOrEqual(after.length);
        if (anchor.from === anchor.to) {
          // A position: never outdated, moves like a caret that an insert at it does not push.
          expect(moved).toEqual({ from: moved.from, to: moved.from, outdated: false });
          expect(moved.from).toBe(transformPosition(anchor.from, op, false));
          expectCollapsedBetween(before, anchor, after, moved.from);
          return;
        }
        const expected = expectedAnchor(before, anchor, after);
        if (expected) {
          expect(moved).toEqual({ ...expected, outdated: false });
          expect(textOf(after.slice(moved.from, moved.to))).toBe(textOf(after.slice(expected.from, expected.to)));
        } else {
          expect(moved.outdated).toBe(true);
          expect(moved.from).toBe(moved.to);
          expectCollapsedBetween(before, anchor, after, moved.from);
        }
      }),
      propertyConfig(1000),
    );
  });

  test('through several ops, text inserted inside the range becomes part of it; outdated is final', () => {
    fc.assert(
      fc.property(docWithRange, ([text, a, b, opSteps]) => {
        let chars = tag(text);
        let doc = text;
        const start: TextAnchor = { from: Math.min(a, b), to: Math.max(a, b), outdated: false };
        // The model: the covered characters are re-read after every op as first-to-last survivor.
        let covered: TextAnchor = start;
        const ops: TextOp[] = [];
        for (const [steps, invertible] of opSteps) {
          const op = buildOp(chars.length, steps, invertible ? chars : undefined);
          const after = applyTagged(chars, op);
          doc = textType.apply(doc, op);
          expect(doc).toBe(textOf(after));
          if (covered.from === covered.to) {
            const at = transformPosition(covered.from, op, false);
            covered = { from: at, to: at, outdated: covered.outdated };
          } else {
            const expected = expectedAnchor(chars, covered, after);
            if (expected) covered = { ...expected, outdated: false };
            else {
              expectCollapsedBetween(chars, covered, after, transformAnchor(covered, op).from);
              const at = transformPosition(covered.from, op, false);
              covered = { from: at, to: at, outdated: true };
            }
          }
          ops.push(op);
          chars = after;
          const moved = transformAnchorThrough(start, ops);
          expect(moved).toEqual(covered);
        }
        if (start.from === start.to) expect(covered.outdated).toBe(false);
      }),
      propertyConfig(500),
    );
  });

  test('once outdated, an anchor stays outdated and moves like a position', () => {
    const anchor: TextAnchor = { from: 3, to: 3, outdated: true };
    expect(transformAnchor(anchor, [3, 'new text'])).toEqual({ from: 3, to: 3, outdated: true });
    expect(transformAnchor(anchor, [1, { d: 1 }, 'ab'])).toEqual({ from: 4, to: 4, outdated: true });
  });
});

describe('comment-anchor: examples', () => {
  // "ab😀cd👩‍💻ef": code points a b 😀 c d 👩 ZWJ 💻 e f (10); the comment is on "😀cd" = [2, 5).
  const text = 'ab😀cd👩‍💻ef';
  const onEmojiCd: TextAnchor = { from: 2, to: 5, outdated: false };
  const slice = (doc: string, { from, to }: TextAnchor): string => Array.from(doc).slice(from, to).join('');

  test('the example range is "😀cd"', () => {
    expect(slice(text, onEmojiCd)).toBe('😀cd');
  });

  test('an insert at the start pushes the range; at the end it stays outside', () => {
    const atStart: TextOp = [2, '🎉'];
    expect(transformAnchor(onEmojiCd, atStart)).toEqual({ from: 3, to: 6, outdated: false });
    const atEnd: TextOp = [5, 'X'];
    expect(transformAnchor(onEmojiCd, atEnd)).toEqual({ from: 2, to: 5, outdated: false });
  });

  test('an insert strictly inside grows the range', () => {
    const op: TextOp = [3, '世界'];
    const moved = transformAnchor(onEmojiCd, op);
    expect(moved).toEqual({ from: 2, to: 7, outdated: false });
    expect(slice(textType.apply(text, op), moved)).toBe('😀世界cd');
  });

  test('deleting part of the range shrinks it, from either side', () => {
    expect(transformAnchor(onEmojiCd, [2, { d: '😀' }])).toEqual({ from: 2, to: 4, outdated: false });
    expect(transformAnchor(onEmojiCd, [4, { d: 3 }])).toEqual({ from: 2, to: 4, outdated: false });
    // Replacing the first character: the replacement is new text, not what was commented on.
    const replaceFirst: TextOp = [2, { d: 1 }, '🙂'];
    const moved = transformAnchor(onEmojiCd, replaceFirst);
    expect(slice(textType.apply(text, replaceFirst), moved)).toBe('cd');
  });

  test('deleting every character makes it outdated at the place the text was', () => {
    expect(transformAnchor(onEmojiCd, [1, { d: 5 }])).toEqual({ from: 1, to: 1, outdated: true });
    // Replaced wholesale: collapsed before the replacement.
    expect(transformAnchor(onEmojiCd, [2, { d: '😀cd' }, 'xyz'])).toEqual({ from: 2, to: 2, outdated: true });
    // Deleted piece by piece over several ops.
    expect(transformAnchorThrough(onEmojiCd, [[3, { d: 2 }], ['Z'], [3, { d: 1 }]])).toEqual({ from: 3, to: 3, outdated: true });
  });

  test('a zero-width anchor is not pushed by an insert at it and never becomes outdated', () => {
    const caret: TextAnchor = { from: 5, to: 5, outdated: false };
    expect(transformAnchor(caret, [5, '👍'])).toEqual({ from: 5, to: 5, outdated: false });
    expect(transformAnchor(caret, [1, '👍'])).toEqual({ from: 6, to: 6, outdated: false });
    expect(transformAnchor(caret, [3, { d: 5 }])).toEqual({ from: 3, to: 3, outdated: false });
  });

  test('a reversed range is read the right way round', () => {
    expect(transformAnchor({ from: 5, to: 2, outdated: false }, [2, '🎉'])).toEqual({ from: 3, to: 6, outdated: false });
  });
});
