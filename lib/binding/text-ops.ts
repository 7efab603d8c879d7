import { CodePointIndex, codePointLength, utf8ByteLength, type Utf16Edit } from '../text/offsets';
import type { TextOp, TextOpComponent } from '../text/text-type';
import type { EditOperationLike, PositionLike } from './editor-port';

export type { Utf16Edit } from '../text/offsets';

/**
 * Pure conversions between Monaco edits (UTF-16 units) and ot-text-unicode ops (code points).
 *
 * A `Utf16Edit[]` here is always ascending, non-overlapping and expressed in offsets of the text
 * *before* any of the edits, which is what Monaco's `applyEdits` takes. An op's edits are
 * "insert, then delete" at the same point, matching how `editsToOp` writes them.
 */

/** The fields of a Monaco `IModelContentChange` that the conversion reads. */
export interface ContentChange {
  readonly rangeOffset: number;
  readonly rangeLength: number;
  readonly text: string;
}

/** Options for `editsToOp` and `changesToOp`. */
export interface OpBuildOptions {
  /** Index of the text before the edits; built on the fly (one regex pass) when omitted. */
  index?: CodePointIndex;
  /** Write deletes as `{d: "deleted text"}` (invertible, for undo) instead of `{d: n}`. */
  invertible?: boolean;
}

/**
 * Monaco's changes of one content event, in the order Monaco reports them (end of document
 * first), as ascending edits on the text before the event. Returns null if the list is not in
 * that documented order, so the caller can fall back to `applyChangesInSequence` + `diffToEdit`.
 *
 * Walking the list backwards also gets ties right: Monaco lists two inserts at one offset
 * later-edit-first, and the later edit's text ends up after the earlier one's.
 */
export function changesToEdits(changes: readonly ContentChange[]): Utf16Edit[] | null {
  const edits: Utf16Edit[] = [];
  let previousEnd = 0;
  for (let i = changes.length - 1; i >= 0; i--) {
    const change = changes[i] as ContentChange;
    if (change.rangeOffset < previousEnd || change.rangeLength < 0) return null;
    previousEnd = change.rangeOffset + change.rangeLength;
    if (change.rangeLength === 0 && change.text === '') continue;
    edits.push({ offset: change.rangeOffset, length: change.rangeLength, text: change.text });
  }
  return edits;
}

/** Applies Monaco changes one after another, in list order, each to the result of the previous. */
export function applyChangesInSequence(text: string, changes: readonly ContentChange[]): string {
  let result = text;
  for (const change of changes) {
    result =
      result.slice(0, change.rangeOffset) + change.text + result.slice(change.rangeOffset + change.rangeLength);
  }
  return result;
}

/** Applies ascending, pre-edit-offset edits to `text`. */
export function applyUtf16Edits(text: string, edits: readonly Utf16Edit[]): string {
  if (edits.length === 0) return text;
  const parts: string[] = [];
  let cursor = 0;
  for (const edit of edits) {
    parts.push(text.slice(cursor, edit.offset), edit.text);
    cursor = edit.offset + edit.length;
  }
  parts.push(text.slice(cursor));
  return parts.join('');
}

/**
 * The smallest single edit that turns `before` into `after` (common prefix and suffix removed),
 * or null if they are equal. Never cuts a surrogate pair in half, and never starts or ends right
 * after a high surrogate, where Monaco would widen the range.
 */
export function diffToEdit(before: string, after: string): Utf16Edit | null {
  if (before === after) return null;
  const max = Math.min(before.length, after.length);
  let prefix = 0;
  while (prefix < max && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
  if (prefix > 0 && isHighSurrogate(before.charCodeAt(prefix - 1))) prefix--;
  let suffix = 0;
  const maxSuffix = max - prefix;
  while (
    suffix < maxSuffix &&
    before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)
  ) {
    suffix++;
  }
  // Monaco widens a range that ends right after a high surrogate (even a lone one), so never end there.
  if (suffix > 0 && isHighSurrogate(before.charCodeAt(before.length - suffix - 1))) suffix--;
  return {
    offset: prefix,
    length: before.length - suffix - prefix,
    text: after.slice(prefix, after.length - suffix),
  };
}

/**
 * One ot-text-unicode op for a set of UTF-16 edits to `before`: a multi-cursor edit is one op.
 * Each edit becomes "skip, insert, delete". Edits must not split surrogate pairs (Monaco's never
 * do); an offset inside a pair is rounded to the pair's start.
 */
export function editsToOp(before: string, edits: readonly Utf16Edit[], options: OpBuildOptions = {}): TextOp {
  const index = options.index ?? CodePointIndex.fromText(before);
  const op: TextOp = [];
  let consumed = 0;
  for (const edit of edits) {
    const start = index.toCodePoint(edit.offset);
    const end = Math.max(start, index.toCodePoint(edit.offset + edit.length));
    if (start < consumed) throw new Error('Edits overlap or are not in ascending order');
    append(op, start - consumed);
    append(op, edit.text);
    if (end > start) {
      append(op, options.invertible ? { d: before.slice(index.toUtf16(start), index.toUtf16(end)) } : { d: end - start });
    }
    consumed = end;
  }
  if (typeof op[op.length - 1] === 'number') op.pop();
  return op;
}

/**
 * One op for the `changes` of one Monaco content event (`IModelContentChangedEvent.changes`),
 * given the document text before the event. Inserted text is taken as is: normalise it first
 * (the binding turns CR into LF) if the op must be LF-only.
 */
export function changesToOp(before: string, changes: readonly ContentChange[], options: OpBuildOptions = {}): TextOp {
  const edits = changesToEdits(changes);
  if (edits) return editsToOp(before, edits, options);
  const edit = diffToEdit(before, applyChangesInSequence(before, changes));
  // The index describes `before`, which the diff's offsets also refer to, so it stays usable.
  return edit ? editsToOp(before, [edit], options) : [];
}

/**
 * The UTF-16 edits that apply `op` to the text described by `text` (the text itself, or its
 * `CodePointIndex`). Inserts and deletes at one point merge into a single replace.
 * Throws if the op reaches past the end of the text, like `type.apply` does.
 */
export function opToEdits(op: TextOp, text: string | CodePointIndex): Utf16Edit[] {
  const index = typeof text === 'string' ? CodePointIndex.fromText(text) : text;
  const edits: Utf16Edit[] = [];
  let cp = 0;
  let pending: Utf16Edit | null = null;
  const open = (): Utf16Edit => {
    if (!pending) pending = { offset: index.toUtf16(cp), length: 0, text: '' };
    return pending;
  };
  for (const component of op) {
    if (typeof component === 'number') {
      if (pending) edits.push(pending);
      pending = null;
      cp += component;
    } else if (typeof component === 'string') {
      open().text += component;
    } else {
      const edit = open();
      cp += deleteLength(component.d);
      edit.length = index.toUtf16(cp) - edit.offset;
    }
    if (cp > index.codePointLength) throw new Error('The op is too long for this document');
  }
  if (pending) edits.push(pending);
  return edits;
}

/**
 * Where UTF-16 `offset` ends up after `edits` (ascending, pre-edit offsets). Inside a replaced
 * range it moves to the end of the new text; exactly at an edit's start it stays before the
 * inserted text unless `pushedByInsertHere`. Same rules as `transformPosition` on the
 * equivalent op.
 */
export function mapOffsetThroughEdits(offset: number, edits: readonly Utf16Edit[], pushedByInsertHere: boolean): number {
  let delta = 0;
  let at = offset;
  for (const edit of edits) {
    if (at < edit.offset || (at === edit.offset && !pushedByInsertHere)) break;
    // Inside replaced text: collapse to its end, which a touching next edit may then push further.
    if (at < edit.offset + edit.length) at = edit.offset + edit.length;
    delta += edit.text.length - edit.length;
  }
  return at + delta;
}

/** Monaco edit operations (ranges from `getPositionAt`) for edits to `model`'s current text. */
export function toEditOperations(
  model: { getPositionAt(offset: number): PositionLike },
  edits: readonly Utf16Edit[],
): EditOperationLike[] {
  return edits.map((edit) => {
    const start = model.getPositionAt(edit.offset);
    const end = edit.length === 0 ? start : model.getPositionAt(edit.offset + edit.length);
    return {
      range: {
        startLineNumber: start.lineNumber,
        startColumn: start.column,
        endLineNumber: end.lineNumber,
        endColumn: end.column,
      },
      text: edit.text,
      forceMoveMarkers: false,
    };
  });
}

/**
 * The size the server charges an op against MAX_OP_BYTES (P-OP-3): the same estimate as
 * server/collab/message-guards.ts, so a local refusal and a server rejection agree.
 */
export function opWireBytes(op: TextOp): number {
  let bytes = 2;
  for (const component of op) {
    if (typeof component === 'number') bytes += 12;
    else if (typeof component === 'string') bytes += utf8ByteLength(component) + 8;
    else bytes += typeof component.d === 'number' ? 12 : utf8ByteLength(component.d) + 8;
  }
  return bytes;
}

/** The op as it goes on the wire: deletes as counts, so deleting a big selection stays small. */
export function stripDeletedText(op: TextOp): TextOp {
  return op.map((c) => (typeof c === 'object' && typeof c.d === 'string' ? { d: codePointLength(c.d) } : c));
}

/** Appends a component, merging it into the previous one of the same kind. */
function append(op: TextOp, component: TextOpComponent): void {
  if (component === 0 || component === '') return;
  if (typeof component === 'object' && (component.d === 0 || component.d === '')) return;
  const last = op[op.length - 1];
  if (typeof last === 'number' && typeof component === 'number') {
    op[op.length - 1] = last + component;
  } else if (typeof last === 'string' && typeof component === 'string') {
    op[op.length - 1] = last + component;
  } else if (typeof last === 'object' && typeof component === 'object') {
    op[op.length - 1] = {
      d:
        typeof last.d === 'string' && typeof component.d === 'string'
          ? last.d + component.d
          : deleteLength(last.d) + deleteLength(component.d),
    };
  } else {
    op.push(component);
  }
}

function deleteLength(d: number | string): number {
  return typeof d === 'number' ? d : codePointLength(d);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
