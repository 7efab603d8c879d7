/**
 * Every keystroke in a room types a character no other keystroke in that room types, so a peer
 * that receives an op can tell which keystroke (and so which send time) each inserted character
 * belongs to, even after ShareDB composed several keystrokes into one op. The pool is the CJK
 * Unified Ideographs block then the Hangul syllables: all in the Basic Multilingual Plane, so
 * one character is one UTF-16 unit and one ot-text-unicode position, and none is ASCII, so the
 * rooms' ASCII seed text never collides with it.
 */

const RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x4e00, 0x9fff],
  [0xac00, 0xd7a3],
];

/** How many distinct keystroke characters one room can use. */
export const KEYSTROKE_POOL_SIZE = RANGES.reduce((n, [from, to]) => n + to - from + 1, 0);

/** The `index`-th keystroke character of a room. */
export function keystrokeChar(index: number): string {
  let rest = index;
  for (const [from, to] of RANGES) {
    const size = to - from + 1;
    if (rest < size) return String.fromCharCode(from + rest);
    rest -= size;
  }
  throw new RangeError(`keystroke ${index} exceeds the pool of ${KEYSTROKE_POOL_SIZE} unique characters per room`);
}

/** True for characters keystrokes type (and not seed text). */
export function isKeystrokeChar(ch: string): boolean {
  const code = ch.charCodeAt(0);
  return RANGES.some(([from, to]) => code >= from && code <= to);
}
