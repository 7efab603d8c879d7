import fc from 'fast-check';
import { strPosToUni, uniToStrPos } from 'unicount';
import { hasCarriageReturn, normalizeLineEndings } from '../../lib/text/line-endings';
import {
  CodePointIndex,
  codePointLength,
  codePointToUtf16,
  hasSurrogates,
  replaceLoneSurrogates,
  snapToCodePointBoundary,
  utf16ToCodePoint,
  utf8ByteLength,
} from '../../lib/text/offsets';
import { applyUtf16Edits } from '../../lib/binding/text-ops';
import { propertyConfig, trickyText, trickyTextWithCr } from './support/property';

const isLow = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;
const isHigh = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;
/** True if `offset` does not fall between the two halves of a surrogate pair. */
const isBoundary = (text: string, offset: number): boolean =>
  offset <= 0 || offset >= text.length || !(isHigh(text.charCodeAt(offset - 1)) && isLow(text.charCodeAt(offset)));

describe('offsets: UTF-16 ↔ code points [P-DOC-3]', () => {
  test('examples: astral characters count once, BMP characters (CJK, combining marks) once per unit', () => {
    const text = 'a😀b𝔘世e\u0301';
    expect(codePointLength(text)).toBe(7);
    expect(utf16ToCodePoint(text, 1)).toBe(1);
    expect(utf16ToCodePoint(text, 3)).toBe(2); // after 😀
    expect(utf16ToCodePoint(text, 2)).toBe(1); // inside 😀 → before it
    expect(codePointToUtf16(text, 2)).toBe(3);
    expect(codePointToUtf16(text, 4)).toBe(6); // after 𝔘
    expect(codePointToUtf16(text, 99)).toBe(text.length);
    expect(snapToCodePointBoundary(text, 2)).toBe(1);
    expect(snapToCodePointBoundary(text, 3)).toBe(3);
  });

  test('utf16ToCodePoint and codePointToUtf16 agree with ot-text-unicode (unicount) at every offset', () => {
    fc.assert(
      fc.property(trickyText(40), (text) => {
        const total = strPosToUni(text);
        expect(codePointLength(text)).toBe(total);
        for (let u = 0; u <= text.length; u++) {
          const cp = utf16ToCodePoint(text, u);
          const snapped = snapToCodePointBoundary(text, u);
          expect(isBoundary(text, snapped)).toBe(true);
          expect(cp).toBe(strPosToUni(text, snapped));
          expect(codePointToUtf16(text, cp)).toBe(snapped);
        }
        for (let cp = 0; cp <= total; cp++) expect(codePointToUtf16(text, cp)).toBe(uniToStrPos(text, cp));
      }),
      propertyConfig(300),
    );
  });

  test('CodePointIndex gives the same answers as the scanning functions', () => {
    fc.assert(
      fc.property(trickyText(40), (text) => {
        const index = CodePointIndex.fromText(text);
        expect(index.utf16Length).toBe(text.length);
        expect(index.codePointLength).toBe(codePointLength(text));
        for (let u = -1; u <= text.length + 1; u++) expect(index.toCodePoint(u)).toBe(utf16ToCodePoint(text, u));
        for (let cp = -1; cp <= index.codePointLength + 1; cp++) expect(index.toUtf16(cp)).toBe(codePointToUtf16(text, cp));
      }),
      propertyConfig(300),
    );
  });

  test('CodePointIndex stays exact through random multi-edit updates', () => {
    const editsFor = (text: string): fc.Arbitrary<Array<{ offset: number; length: number; text: string }>> =>
      fc
        .array(fc.tuple(fc.nat(text.length), fc.nat(text.length), trickyText(6)), { maxLength: 4 })
        .map((raw) => {
          // Turn random pairs into ascending, non-overlapping edits on code-point boundaries.
          const cuts = raw
            .map(([a, b, t]) => ({ a: snapToCodePointBoundary(text, Math.min(a, b)), b: snapToCodePointBoundary(text, Math.max(a, b)), t }))
            .sort((x, y) => x.a - y.a);
          const edits: Array<{ offset: number; length: number; text: string }> = [];
          let end = 0;
          for (const c of cuts) {
            if (c.a < end) continue;
            edits.push({ offset: c.a, length: c.b - c.a, text: c.t });
            end = c.b;
          }
          return edits;
        });
    fc.assert(
      fc.property(
        trickyText(30).chain((text) => fc.tuple(fc.constant(text), editsFor(text))),
        ([text, edits]) => {
          const index = CodePointIndex.fromText(text);
          index.applyEdits(edits);
          const after = applyUtf16Edits(text, edits);
          const fresh = CodePointIndex.fromText(after);
          expect(index.utf16Length).toBe(after.length);
          expect(index.codePointLength).toBe(fresh.codePointLength);
          for (let u = 0; u <= after.length; u++) expect(index.toCodePoint(u)).toBe(fresh.toCodePoint(u));
          for (let cp = 0; cp <= fresh.codePointLength; cp++) expect(index.toUtf16(cp)).toBe(fresh.toUtf16(cp));
        },
      ),
      propertyConfig(400),
    );
  });

  test('on malformed text (lone surrogates) the index still agrees with ot-text-unicode', () => {
    const withLone = fc
      .array(fc.constantFrom('a', '😀', '\uD800', '\uDC00', '世'), { maxLength: 20 })
      .map((p) => p.join('') + 'z'); // ot-text-unicode itself cannot count a text ending in a lone surrogate.
    fc.assert(
      fc.property(withLone, (text) => {
        const index = CodePointIndex.fromText(text);
        const total = index.codePointLength;
        for (let cp = 0; cp <= total; cp++) expect(index.toUtf16(cp)).toBe(uniToStrPos(text, cp));
        for (let u = 0; u <= text.length; u++) {
          const cp = index.toCodePoint(u);
          expect(index.toUtf16(cp)).toBeLessThanOrEqual(u);
        }
      }),
      propertyConfig(200),
    );
  });

  test('replaceLoneSurrogates keeps pairs and replaces only unpaired halves, without changing length', () => {
    expect(replaceLoneSurrogates('a\uD800b😀\uDC00')).toBe('a\uFFFDb😀\uFFFD');
    expect(replaceLoneSurrogates('😀😀')).toBe('😀😀');
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', '😀', '\uD800', '\uDC00'), { maxLength: 12 }), (parts) => {
        const text = parts.join('');
        const clean = replaceLoneSurrogates(text);
        expect(clean.length).toBe(text.length);
        expect(Buffer.from(clean, 'utf8').toString('utf8')).toBe(clean); // well-formed round-trips through UTF-8
      }),
      propertyConfig(200),
    );
  });

  test('utf8ByteLength matches Buffer.byteLength, including lone surrogates', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'é', '世', '😀', '\uD800', '\uDC00', '\n', '\u07FF', '\u0800'), { maxLength: 30 }), (parts) => {
        const text = parts.join('');
        expect(utf8ByteLength(text)).toBe(Buffer.byteLength(text, 'utf8'));
      }),
      propertyConfig(300),
    );
  });

  test('is fast on a 2 MB file: index once, then each conversion is a binary search', () => {
    const line = 'const x = "héllo 世界"; // 😀 𝔘\n';
    const text = line.repeat(Math.ceil((2 * 1024 * 1024) / Buffer.byteLength(line)));
    const t0 = performance.now();
    const index = CodePointIndex.fromText(text);
    const built = performance.now() - t0;
    const t1 = performance.now();
    let sum = 0;
    for (let i = 0; i < 20_000; i++) sum += index.toUtf16(index.toCodePoint((i * 7919) % text.length));
    const converted = performance.now() - t1;
    const t2 = performance.now();
    for (let i = 0; i < 1_000; i++) index.applyEdits([{ offset: text.length - 10, length: 0, text: 'x' }]);
    const edited = performance.now() - t2;
    expect(sum).toBeGreaterThan(0);
    // Generous bounds for a busy 2-core CI box; a per-keystroke prefix scan would take ~5 ms each.
    expect(built).toBeLessThan(500);
    expect(converted / 20_000).toBeLessThan(0.05);
    expect(edited / 1_000).toBeLessThan(2);
    expect(hasSurrogates('plain ascii 世界')).toBe(false);
  });
});

describe('line endings [P-OP-4]', () => {
  test('CRLF and lone CR become LF; nothing else changes', () => {
    expect(normalizeLineEndings('a\r\nb\rc\n\r\n')).toBe('a\nb\nc\n\n');
    expect(normalizeLineEndings('\r\r\n')).toBe('\n\n');
    const plain = 'no cr here\n';
    expect(normalizeLineEndings(plain)).toBe(plain);
    expect(hasCarriageReturn('a\rb')).toBe(true);
  });

  test('normalised text has no CR, keeps the number of line breaks, and normalising is idempotent', () => {
    fc.assert(
      fc.property(trickyTextWithCr(40), (text) => {
        const out = normalizeLineEndings(text);
        expect(out.includes('\r')).toBe(false);
        expect(out.split('\n').length).toBe(text.split(/\r\n|\r|\n/).length);
        expect(normalizeLineEndings(out)).toBe(out);
      }),
      propertyConfig(300),
    );
  });
});
