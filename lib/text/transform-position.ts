import type { TextOp } from 'ot-text-unicode';
import { codePointLength } from './offsets';

/** A selection in code points of a text doc: `anchor` is where it started, `head` where the caret is. */
export interface CodePointSelection {
  anchor: number;
  head: number;
}

/** Length in code points of a delete component's payload. */
function deleteLength(d: number | string): number {
  return typeof d === 'number' ? d : codePointLength(d);
}

/**
 * Moves a code-point position through an ot-text-unicode op. `pushedByInsertHere` decides what
 * an insert exactly at the position does: `false` leaves the position before the new text (a
 * peer typing at my caret must not drag it), `true` moves it after (the author's own caret).
 * Unlike the type's `transformPosition`, which always stays before, this lets each caller say.
 */
export function transformPosition(position: number, op: TextOp, pushedByInsertHere: boolean): number {
  let cursor = position;
  let pos = 0;
  for (const component of op) {
    if (!(cursor > pos || (pushedByInsertHere && cursor === pos))) break;
    if (typeof component === 'number') {
      pos += component;
    } else if (typeof component === 'string') {
      const n = codePointLength(component);
      pos += n;
      cursor += n;
    } else {
      cursor -= Math.min(deleteLength(component.d), cursor - pos);
    }
  }
  return cursor;
}

/**
 * Moves a selection through an op. A collapsed caret is pushed by an insert at it only if the op
 * is its owner's (`isOwnOp`). A non-empty selection never grows because of text inserted at
 * its edges by anyone, which is what people expect when a peer types right next to it.
 */
export function transformSelection(selection: CodePointSelection, op: TextOp, isOwnOp: boolean): CodePointSelection {
  const { anchor, head } = selection;
  if (anchor === head) {
    const caret = transformPosition(head, op, isOwnOp);
    return { anchor: caret, head: caret };
  }
  const start = transformPosition(Math.min(anchor, head), op, true);
  const end = Math.max(start, transformPosition(Math.max(anchor, head), op, false));
  return anchor < head ? { anchor: start, head: end } : { anchor: end, head: start };
}
