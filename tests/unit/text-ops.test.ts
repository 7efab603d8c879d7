import fc from 'fast-check';
import * as otText from 'ot-text-unicode';
import {
  applyChangesInSequence,
  applyUtf16Edits,
  changesToEdits,
  changesToOp,
  diffToEdit,
  editsToOp,
  mapOffsetThroughEdits,
  opToEdits,
  opWireBytes,
  stripDeletedText,
  toEditOperations,
  type ContentChange,
} from '../../lib/binding/text-ops';
import { CodePointIndex, codePointLength, codePointToUtf16, snapToCodePointBoundary, utf16ToCodePoint } from '../../lib/text/offsets';
import { textType, type TextOp } from '../../lib/text/text-type';
import { transformPosition } from '../../lib/text/transform-position';
import { HeadlessTextModel } from '../helpers/text-model';
import { propertyConfig, trickyText } from './support/property';

/** A random valid op for `text` (code points), built component by component. */
function opFor(text: string): fc.Arbitrary<TextOp> {
  const length = codePointLength(text);
  return fc
    .array(fc.tuple(fc.constantFrom('skip', 'insert', 'delete'), fc.nat(6), trickyText(5)), { maxLength: 8 })
    .map((steps) => {
      const op: TextOp = [];
      let pos = 0;
      for (const [kind, n, t] of steps) {
        if (kind === 'skip' && pos + n <= length && n > 0) {
          op.push(n);
          pos += n;
        } else if (kind === 'insert' && t) {
          op.push(t);
        } else if (kind === 'delete' && n > 0 && pos + n <= length) {
          op.push({ d: n });
          pos += n;
        }
      }
      return textType.normalize(op);
    });
}

/** Random non-overlapping Monaco-style edit operations (as offsets) on code-point boundaries. */
function editsFor(text: string): fc.Arbitrary<Array<{ start: number; end: number; text: string }>> {
  return fc.array(fc.tuple(fc.nat(text.length), fc.nat(8), trickyText(6)), { maxLength: 5 }).map((raw) => {
    const sorted = raw
      .map(([a, len, t]) => {
        const start = snapToCodePointBoundary(text, a);
        return { start, end: snapToCodePointBoundary(text, Math.min(text.length, start + len)), text: t };
      })
      .sort((x, y) => x.start - y.start);
    const out: typeof sorted = [];
    let end = -1;
    for (const e of sorted) {
      if (e.start < end || (e.start === end && e.start === e.end && out.length > 0 && out[out.length - 1]?.end === e.start)) continue;
      out.push(e);
      end = e.end;
    }
    return out;
  });
}

describe('text-ops: Monaco changes → one op [P-DOC-3]', () => {
  test('a real content event (multi-cursor, astral, CJK, combining marks) becomes one op that reproduces the model', () => {
    fc.assert(
      fc.property(
        trickyText(40).chain((text) => fc.tuple(fc.constant(text), editsFor(text))),
        ([text, edits]) => {
          const model = new HeadlessTextModel(text);
          const events: ContentChange[][] = [];
          model.onDidChangeContent((e) => events.push([...e.changes]));
          model.applyEdits(toEditOperations(model, edits.map((e) => ({ offset: e.start, length: e.end - e.start, text: e.text }))));
          const after = model.getValue();
          if (events.length === 0) return; // Monaco fires nothing for edits that change nothing.
          expect(events).toHaveLength(1);
          const op = changesToOp(text, events[0] as ContentChange[]);
          expect(textType.apply(text, op)).toBe(after);
          // Invertible form: the deleted text is carried and inverts exactly.
          const inv = changesToOp(text, events[0] as ContentChange[], { invertible: true });
          expect(textType.apply(text, inv)).toBe(after);
          expect(textType.apply(after, textType.invert(inv))).toBe(text);
          expect(stripDeletedText(inv)).toEqual(op);
        },
      ),
      propertyConfig(400),
    );
  });

  test('a change list in Monaco order applies like applying each change in sequence (ties included)', () => {
    const changesFor = (text: string): fc.Arbitrary<ContentChange[]> =>
      editsFor(text).map((edits) =>
        [...edits].reverse().map((e) => ({ rangeOffset: e.start, rangeLength: e.end - e.start, text: e.text })),
      );
    fc.assert(
      fc.property(
        trickyText(30).chain((text) => fc.tuple(fc.constant(text), changesFor(text), fc.nat(text.length), trickyText(3), trickyText(3))),
        ([text, changes, tie, t1, t2]) => {
          // Two inserts at one offset are listed later-edit-first by Monaco.
          const at = snapToCodePointBoundary(text, tie);
          const withTie = changes.some((c) => c.rangeOffset <= at && at <= c.rangeOffset + c.rangeLength)
            ? changes
            : [...changes.filter((c) => c.rangeOffset > at), { rangeOffset: at, rangeLength: 0, text: t2 }, { rangeOffset: at, rangeLength: 0, text: t1 }, ...changes.filter((c) => c.rangeOffset < at)];
          const expected = applyChangesInSequence(text, withTie);
          expect(changesToEdits(withTie)).not.toBeNull();
          expect(textType.apply(text, changesToOp(text, withTie))).toBe(expected);
        },
      ),
      propertyConfig(300),
    );
  });

  test('changes out of Monaco order still produce a correct op (whole-text diff fallback)', () => {
    const text = 'ab😀cd';
    const changes = [
      { rangeOffset: 0, rangeLength: 1, text: 'X' },
      { rangeOffset: 4, rangeLength: 1, text: 'Y' },
    ];
    expect(changesToEdits(changes)).toBeNull();
    expect(textType.apply(text, changesToOp(text, changes))).toBe(applyChangesInSequence(text, changes));
  });

  test('a multi-cursor edit is a single op with several regions', () => {
    const op = editsToOp('aa😀bb\ncc', [
      { offset: 1, length: 0, text: 'X' },
      { offset: 4, length: 1, text: 'Y' },
      { offset: 7, length: 0, text: '🎉' },
    ]);
    expect(op).toEqual([1, 'X', 2, 'Y', { d: 1 }, 2, '🎉']);
  });
});

describe('text-ops: op → Monaco edits [P-DOC-3]', () => {
  test('applying the edits (as strings and through a model) equals applying the op', () => {
    fc.assert(
      fc.property(
        trickyText(40).chain((text) => fc.tuple(fc.constant(text), opFor(text))),
        ([text, op]) => {
          const expected = textType.apply(text, op);
          const edits = opToEdits(op, text);
          expect(applyUtf16Edits(text, edits)).toBe(expected);
          expect(opToEdits(op, CodePointIndex.fromText(text))).toEqual(edits);
          const model = new HeadlessTextModel(text);
          model.applyEdits(toEditOperations(model, edits));
          expect(model.getValue()).toBe(expected);
          // And back: the edits turn into an op with the same effect.
          expect(textType.apply(text, editsToOp(text, edits))).toBe(expected);
        },
      ),
      propertyConfig(400),
    );
  });

  test('an op reaching past the end of the text is refused like type.apply refuses it', () => {
    expect(() => opToEdits([5, 'x'], 'abc')).toThrow(/too long/);
    expect(() => opToEdits([1, { d: 3 }], 'ab')).toThrow(/too long/);
  });
});

describe('text-ops: helpers', () => {
  test('diffToEdit finds a minimal edit that never splits a surrogate pair', () => {
    expect(diffToEdit('same', 'same')).toBeNull();
    expect(diffToEdit('a😀b', 'a😁b')).toEqual({ offset: 1, length: 2, text: '😁' });
    fc.assert(
      fc.property(trickyText(20), trickyText(20), (a, b) => {
        const edit = diffToEdit(a, b);
        if (!edit) return expect(a).toBe(b);
        expect(applyUtf16Edits(a, [edit])).toBe(b);
        expect(snapToCodePointBoundary(a, edit.offset)).toBe(edit.offset);
        expect(snapToCodePointBoundary(a, edit.offset + edit.length)).toBe(edit.offset + edit.length);
      }),
      propertyConfig(300),
    );
  });

  test('mapOffsetThroughEdits agrees with transformPosition on the equivalent op', () => {
    fc.assert(
      fc.property(
        trickyText(30).chain((text) => fc.tuple(fc.constant(text), editsFor(text), fc.nat(text.length), fc.boolean())),
        ([text, raw, at, pushed]) => {
          const edits = raw.map((e) => ({ offset: e.start, length: e.end - e.start, text: e.text }));
          const offset = snapToCodePointBoundary(text, at);
          const op = editsToOp(text, edits);
          const after = applyUtf16Edits(text, edits);
          const viaOp = codePointToUtf16(after, transformPosition(utf16ToCodePoint(text, offset), op, pushed));
          expect(mapOffsetThroughEdits(offset, edits, pushed)).toBe(viaOp);
        },
      ),
      propertyConfig(400),
    );
  });

  test('[P-OP-3] opWireBytes uses the server estimate: 2 + 12 per count + UTF-8 bytes + 8 per string', () => {
    expect(opWireBytes([])).toBe(2);
    expect(opWireBytes([3, 'é😀', { d: 2 }, { d: 'ab' }])).toBe(2 + 12 + (2 + 4 + 8) + 12 + (2 + 8));
  });

  test('ot-text-unicode is the type underneath (same name and uri)', () => {
    expect(textType.name).toBe(otText.type.name);
    expect(textType.uri).toBe(otText.type.uri);
  });
});
