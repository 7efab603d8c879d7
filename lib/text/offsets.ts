/**
 * Conversions between the two ways Tandem counts positions in a text (P-DOC-3):
 *
 * - ot-text-unicode (ops, presence) counts Unicode **code points**;
 * - Monaco (and JavaScript strings) count **UTF-16 code units**.
 *
 * They differ only for astral characters (emoji, 𝔘, many CJK extension characters), which take
 * two UTF-16 units but one code point. Every conversion here is exact for them and never returns
 * an offset that splits a surrogate pair.
 *
 * Counting matches ot-text-unicode's own `unicount` rule exactly (a UTF-16 unit in D800–DFFF
 * starts a two-unit character), so positions agree with `type.apply` even on malformed text.
 * The binding keeps text well-formed anyway (see `replaceLoneSurrogates`).
 */

/** Matches one two-unit character the way unicount counts it: a surrogate unit plus the next unit. */
const PAIR_PATTERN = /[\uD800-\uDFFF][\s\S]?/g;
const ANY_SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** True if `text` has any UTF-16 surrogate unit, i.e. UTF-16 offsets and code points may differ. */
export function hasSurrogates(text: string): boolean {
  return ANY_SURROGATE.test(text);
}

/**
 * Replaces unpaired surrogates with U+FFFD. A lone surrogate is one UTF-16 unit that
 * ot-text-unicode would count as half of a pair, so letting one into an op would shift every
 * later position by one; the binding cleans text at the edge, like line endings.
 */
export function replaceLoneSurrogates(text: string): string {
  if (!hasSurrogates(text)) return text;
  LONE_SURROGATE.lastIndex = 0;
  return text.replace(LONE_SURROGATE, '\uFFFD');
}

/** UTF-16 offsets at which a two-unit character starts, ascending. */
function pairStarts(text: string, base = 0): number[] {
  const starts: number[] = [];
  if (!hasSurrogates(text)) return starts;
  PAIR_PATTERN.lastIndex = 0;
  for (let m = PAIR_PATTERN.exec(text); m !== null; m = PAIR_PATTERN.exec(text)) {
    starts.push(base + m.index);
  }
  return starts;
}

/** Number of code points in `text` (its length as ot-text-unicode sees it). */
export function codePointLength(text: string): number {
  return text.length - pairStarts(text).length;
}

/**
 * Code-point position of UTF-16 `offset` in `text`. Offsets are clamped to the text; one that
 * falls inside a surrogate pair is moved back to the pair's start. O(offset); for repeated
 * conversions on one large text use `CodePointIndex`.
 */
export function utf16ToCodePoint(text: string, offset: number): number {
  const end = clamp(Math.floor(offset), 0, text.length);
  // A pair cut in half by the prefix still counts once, which lands on the pair's start.
  return end - pairStarts(text.slice(0, end)).length;
}

/**
 * UTF-16 offset of code-point position `codePoint` in `text`, clamped to the text. O(result);
 * for repeated conversions on one large text use `CodePointIndex`.
 */
export function codePointToUtf16(text: string, codePoint: number): number {
  let remaining = Math.max(0, Math.floor(codePoint));
  if (!hasSurrogates(text)) return Math.min(remaining, text.length);
  let pos = 0;
  while (remaining > 0 && pos < text.length) {
    const code = text.charCodeAt(pos);
    pos += code >= 0xd800 && code <= 0xdfff ? 2 : 1;
    remaining--;
  }
  return Math.min(pos, text.length);
}

/** Moves `offset` back to the start of the character it falls in, so it never splits a pair. */
export function snapToCodePointBoundary(text: string, offset: number): number {
  const end = clamp(Math.floor(offset), 0, text.length);
  if (end === 0 || end === text.length) return end;
  return isHighSurrogate(text.charCodeAt(end - 1)) && isLowSurrogate(text.charCodeAt(end)) ? end - 1 : end;
}

/** UTF-8 size of `text` in bytes, as `Buffer.byteLength` and `TextEncoder` count it. */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (isHighSurrogate(code) && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3; // BMP character, or a lone surrogate (encoded as U+FFFD).
  }
  return bytes;
}

/** A replacement of UTF-16 range [offset, offset + length) by `text`. */
export interface Utf16Edit {
  offset: number;
  length: number;
  text: string;
}

/**
 * Position conversions for one mutable text, fast enough to run on every keystroke of a 2 MB
 * file. It stores only where two-unit characters start, so a text without any (most code) costs
 * nothing, and a conversion is a binary search instead of a scan from offset 0. Keep it in step
 * with the text by calling `applyEdits` with every edit made to it.
 */
export class CodePointIndex {
  private starts: number[];
  private length: number;

  private constructor(starts: number[], length: number) {
    this.starts = starts;
    this.length = length;
  }

  /** Builds the index of `text` in one native regex pass. */
  static fromText(text: string): CodePointIndex {
    return new CodePointIndex(pairStarts(text), text.length);
  }

  /** Length of the indexed text in UTF-16 units. */
  get utf16Length(): number {
    return this.length;
  }

  /** Length of the indexed text in code points. */
  get codePointLength(): number {
    return this.length - this.starts.length;
  }

  /**
   * True if the text ends with half a surrogate pair. ot-text-unicode's own counting reads past
   * the end of such a text, so exact agreement with it is only promised when this is false.
   */
  get endsMidCharacter(): boolean {
    return this.starts.length > 0 && this.starts[this.starts.length - 1] === this.length - 1;
  }

  /** Code-point position of a UTF-16 offset (clamped; an offset inside a pair maps to the pair). */
  toCodePoint(offset: number): number {
    const u = clamp(Math.floor(offset), 0, this.length);
    const before = lowerBound(this.starts, u); // pairs starting strictly before u
    if (before > 0 && this.starts[before - 1] === u - 1) return u - 1 - (before - 1);
    return u - before;
  }

  /** UTF-16 offset of a code-point position (clamped to the text). */
  toUtf16(codePoint: number): number {
    const cp = clamp(Math.floor(codePoint), 0, this.codePointLength);
    // Pair i sits at code point starts[i] - i, which increases with i; count pairs before cp.
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.starts[mid] as number) - mid < cp) lo = mid + 1;
      else hi = mid;
    }
    return Math.min(cp + lo, this.length);
  }

  /**
   * Updates the index for edits made to the text. Edits are in UTF-16 units of the text *before*
   * all of them, ascending and non-overlapping (what `opToEdits` and Monaco's `applyEdits` use).
   */
  applyEdits(edits: readonly Utf16Edit[]): void {
    // Last edit first, so earlier edits' offsets are still valid when we reach them.
    for (let i = edits.length - 1; i >= 0; i--) {
      const edit = edits[i] as Utf16Edit;
      this.applyEdit(edit.offset, edit.length, edit.text);
    }
  }

  private applyEdit(offset: number, removed: number, inserted: string): void {
    const delta = inserted.length - removed;
    const lo = lowerBound(this.starts, offset);
    const hi = lowerBound(this.starts, offset + removed);
    const added = pairStarts(inserted, offset);
    if (added.length === 0 && lo === hi) {
      // Typing next to existing pairs: only the ones after the edit move, in place.
      if (delta !== 0) for (let i = hi; i < this.starts.length; i++) this.starts[i] = (this.starts[i] as number) + delta;
      this.length += delta;
      return;
    }
    const tail = this.starts.length - hi;
    const next = new Array<number>(lo + added.length + tail);
    for (let i = 0; i < lo; i++) next[i] = this.starts[i] as number;
    for (let i = 0; i < added.length; i++) next[lo + i] = added[i] as number;
    for (let i = 0; i < tail; i++) next[lo + added.length + i] = (this.starts[hi + i] as number) + delta;
    this.starts = next;
    this.length += delta;
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

function clamp(value: number, min: number, max: number): number {
  if (Number.isNaN(value)) return min;
  return value < min ? min : value > max ? max : value;
}

/** Index of the first element >= value in an ascending array. */
function lowerBound(values: readonly number[], value: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((values[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
