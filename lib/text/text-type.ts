import * as otText from 'ot-text-unicode';
import type { TextOp } from 'ot-text-unicode';
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
  const selections = presence.selections.filter(isSelection).map((s) => transformSelection(s, op, isOwnOp));
  return { ...presence, selections };
}

/**
 * The OT type of every file doc: ot-text-unicode (same `name` and `uri`, so existing snapshots and
 * ops stay valid) plus `transformPresence`, which ShareDB needs to transform cursor presence.
 * Register this object, not the raw type, on the server (`ShareDB.types.register`) and in the
 * browser (`types.register` from `sharedb/lib/client`).
 */
export const textType = { ...base, transformPresence };

/** The type of `textType`. */
export type TextType = typeof textType;
