import * as otText from 'ot-text-unicode';
import type { TextOp } from 'ot-text-unicode';
import { CodePointIndex, codePointLength, type Utf16Edit } from './offsets';
import { transformSelection, type CodePointSelection } from './transform-position';

export type { TextOp, TextOpComponent } from 'ot-text-unicode';

/**
 * Members the ot-text-unicode object has at run time but its typings omit. Declared here once so
 * callers get them typed instead of reaching for `any`.
 */
interface InvertibleTextType {
  /** True if every delete in `op` carries the deleted text, so `invert` works. */
  isInvertible(op: TextOp): boolean;
  /** Fills `{d: n}` deletes with the text they delete from `doc` (the doc `op` applies to). */
  makeInvertible(op: TextOp, doc: string): TextOp;
  /** Inverts an invertible op. Throws on `{d: n}` deletes. */
  invert(op: TextOp): TextOp;
  /** `invert(makeInvertible(op, doc))`. */
  invertWithDoc(op: TextOp, doc: string): TextOp;
  /** Replaces `{d: "text"}` deletes by `{d: n}`, which is what goes on the wire. */
  stripInvertible(op: TextOp): TextOp;
  /** True for the empty op. */
  isNoop(op: TextOp): boolean;
}

const base = otText.type as typeof otText.type & InvertibleTextType;

/** True if `value` looks like a presence value with code-point selections (a CursorPresence). */
function hasSelections(value: unknown): value is { selections: unknown[] } {
  return typeof value === 'object' && value !== null && Array.isArray((value as { selections?: unknown }).selections);
}

function isSelection(value: unknown): value is CodePointSelection {
  if (typeof value !== 'object' || value === null) return false;
  const { anchor, head } = value as { anchor?: unknown; head?: unknown };
  return Number.isFinite(anchor) && Number.isFinite(head);
}

/**
 * ShareDB calls this to keep a remote peer's presence (a `CursorPresence`, lib/protocol.ts) in
 * step with ops applied after the peer sent it; `isOwnOp` is true when the op is the peer's own,
 * whose caret should then move past what it typed. Values that are not cursor presences pass
 * through unchanged, and malformed selections are dropped rather than thrown on, so one bad
 * peer cannot break presence for everyone.
 */
function transformPresence<T>(presence: T, op: TextOp, isOwnOp: boolean): T {
  if (!hasSelections(presence)) return presence;
  // For my own presence ShareDB passes the op's `source` here (truthy for my ops), not a boolean.
  const own = Boolean(isOwnOp);
  const selections = presence.selections.filter(isSelection).map((s) => transformSelection(s, op, own));
  return { ...presence, selections };
}

/** Docs shorter than this go to the original `apply`, which is fast enough for them. */
const INDEXED_APPLY_MIN_LENGTH = 16 * 1024;
/** How many recent doc strings keep an index (a server applies ops to several docs in turn). */
const INDEXED_APPLY_CACHE_SIZE = 4;
const applyCache: Array<{ text: string; index: CodePointIndex }> = [];

/**
 * `type.apply` with the same results and errors as ot-text-unicode's, but fast on large docs.
 * The original converts every position by walking the string from the start in JavaScript
 * (about 10 ms per op at the end of a 2 MB file, on the client and again on the server); this
 * keeps a CodePointIndex of the last few doc strings it produced and moves it along with each op.
 */
function apply(doc: string, op: TextOp): string {
  base.checkOp(op);
  if (typeof doc !== 'string' || doc.length < INDEXED_APPLY_MIN_LENGTH) return base.apply(doc, op);
  const at = applyCache.findIndex((entry) => entry.text === doc);
  const index = at >= 0 ? (applyCache.splice(at, 1)[0] as { index: CodePointIndex }).index : CodePointIndex.fromText(doc);
  // Malformed text ending in half a pair: let the original define what happens.
  if (index.endsMidCharacter) return base.apply(doc, op);
  const edits: Utf16Edit[] = [];
  const parts: string[] = [];
  let cp = 0;
  let u16 = 0;
  for (const component of op) {
    if (typeof component === 'number') {
      if (cp + component > index.codePointLength) throw Error('The op is too long for this document');
      cp += component;
      const next = index.toUtf16(cp);
      parts.push(doc.slice(u16, next));
      u16 = next;
    } else if (typeof component === 'string') {
      parts.push(component);
      edits.push({ offset: u16, length: 0, text: component });
    } else {
      // Like the original, a delete running past the end just removes the rest.
      cp = Math.min(index.codePointLength, cp + (typeof component.d === 'number' ? component.d : codePointLength(component.d)));
      const next = index.toUtf16(cp);
      edits.push({ offset: u16, length: next - u16, text: '' });
      u16 = next;
    }
  }
  parts.push(doc.slice(u16));
  const result = parts.join('');
  index.applyEdits(edits);
  applyCache.unshift({ text: result, index });
  if (applyCache.length > INDEXED_APPLY_CACHE_SIZE) applyCache.pop();
  return result;
}

/**
 * The OT type of every file doc: ot-text-unicode (same `name` and `uri`, so existing snapshots and
 * ops stay valid) plus `transformPresence`, which ShareDB needs to transform cursor presence, and
 * a faster `apply` for large docs with identical results.
 * Register this object, not the raw type, on the server (`ShareDB.types.register`) and in the
 * browser (`types.register` from `sharedb/lib/client`).
 */
export const textType = { ...base, apply, transformPresence };

/** The type of `textType`. */
export type TextType = typeof textType;
