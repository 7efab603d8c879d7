/**
 * Keeps a review comment on the characters it was written about while the file keeps changing.
 * A comment is made on a range of a file at one version; every later op moves the range so it
 * still covers the same text, and once all of that text is gone the comment is marked outdated
 * (shown greyed out at the place its text used to be) instead of silently jumping elsewhere.
 */
import { codePointLength } from '../text/offsets';
import type { TextOp } from '../text/text-type';
import { transformPosition } from '../text/transform-position';

/** A comment's place in a text doc, in code points; `from <= to`. `from === to` is a position. */
export interface TextAnchor {
  from: number;
  to: number;
  /** True once every character of a non-empty range has been deleted. Never reset. */
  outdated: boolean;
}

function deleteLength(d: number | string): number {
  return typeof d === 'number' ? d : codePointLength(d);
}

/**
 * Carries `anchor` through `op` (an op applied to the text the anchor refers to).
 *
 * - A range covers exactly the span from its first to its last surviving character. So text
 *   inserted strictly inside it grows it, text inserted at either edge stays outside (an insert
 *   at `from` pushes the range right), and deleting part of it shrinks it. Text inserted inside a
 *   range becomes part of it: a later op that deletes everything else keeps the comment alive.
 * - When every character of the range is deleted the anchor collapses to where the text was and
 *   becomes `outdated`. Outdated anchors move like positions and stay outdated.
 * - A zero-width anchor moves like a peer's caret (not pushed by an insert exactly at it) and
 *   never becomes outdated: there is no text for it to lose.
 *
 * Reversed input (`from > to`) is read as the same range the right way round.
 */
export function transformAnchor(anchor: TextAnchor, op: TextOp): TextAnchor {
  const from = Math.min(anchor.from, anchor.to);
  const to = Math.max(anchor.from, anchor.to);
  if (anchor.outdated || from === to) {
    const at = transformPosition(from, op, false);
    return { from: at, to: at, outdated: anchor.outdated };
  }

  // Only retained characters survive, and each retained stretch keeps its order, so the new range
  // runs from the first retained character of [from, to) to just after the last one.
  let oldPos = 0;
  let newPos = 0;
  let first = -1;
  let end = -1;
  const keep = (n: number): void => {
    const lo = Math.max(oldPos, from);
    const hi = Math.min(oldPos + n, to);
    if (lo < hi) {
      if (first < 0) first = newPos + (lo - oldPos);
      end = newPos + (hi - oldPos);
    }
    oldPos += n;
    newPos += n;
  };
  for (const component of op) {
    if (oldPos >= to) break;
    if (typeof component === 'number') keep(component);
    else if (typeof component === 'string') newPos += codePointLength(component);
    else oldPos += deleteLength(component.d);
  }
  // An op leaves everything after its last component as it was.
  if (oldPos < to) keep(to - oldPos);

  if (first < 0) {
    // All gone: the place the text was is where the range's start now is (before any text
    // inserted in its stead, which is not what the comment was about).
    const at = transformPosition(from, op, false);
    return { from: at, to: at, outdated: true };
  }
  return { from: first, to: end, outdated: false };
}

/** Carries `anchor` through `ops` applied in order (e.g. every op after the commented version). */
export function transformAnchorThrough(anchor: TextAnchor, ops: readonly TextOp[]): TextAnchor {
  let current = anchor;
  for (const op of ops) current = transformAnchor(current, op);
  return current;
}
