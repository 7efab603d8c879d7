import { textType, type TextOp } from '../text/text-type';
import { codePointLength } from '../text/offsets';
import { transformPosition } from '../text/transform-position';

/** Options for `LocalUndoManager`. */
export interface LocalUndoOptions {
  /** Adjacent edits closer together than this many ms are undone as one step. Default 500. */
  groupIntervalMs?: number;
  /** Undo steps kept; the oldest are dropped first. Default 200 (each peer op is transformed through all of them). */
  maxSteps?: number;
  /** Clock, injectable for tests. */
  now?: () => number;
}

type EditKind = 'insert' | 'delete' | 'replace';

interface UndoStep {
  /** Invertible op that undoes the step on the *current* document. */
  op: TextOp;
  /** Where each edit region of the newest op in the step ends (code points, current document). */
  carets: number[];
  kind: EditKind;
  time: number;
  /** The step includes pasted text: redoing it is a paste again (P-OP-PROV). */
  pasted: boolean;
}

/** An undone step waiting to be redone. */
interface RedoStep {
  op: TextOp;
  pasted: boolean;
}

interface OpShape {
  /** [start, end] of each edit region in the document the op applies to. */
  spans: Array<[number, number]>;
  /** End of each region in the document the op produces: where the author's caret is. */
  carets: number[];
  kind: EditKind;
}

/**
 * Undo and redo for one user in a shared document. It holds only the local user's edits, stored
 * as their inverses, and transforms both stacks over every op that is not the user's, so an undo
 * reverts exactly what this user did and never a peer's text (a peer's insert inside my typed
 * word survives my undo; a peer's delete of my text makes my undo smaller).
 *
 * It is pure: it never applies ops. The caller applies what `undo`/`redo` return (and submits
 * them), reports its own edits with `recordLocal` and everyone else's with `transformRemote`.
 */
export class LocalUndoManager {
  private readonly groupIntervalMs: number;
  private readonly maxSteps: number;
  private readonly now: () => number;
  private undoStack: UndoStep[] = [];
  private redoStack: RedoStep[] = [];
  private groupOpen = false;

  constructor(options: LocalUndoOptions = {}) {
    this.groupIntervalMs = options.groupIntervalMs ?? 500;
    this.maxSteps = options.maxSteps ?? 200;
    this.now = options.now ?? Date.now;
  }

  /** True if `undo` would return an op. */
  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  /** True if `redo` would return an op. */
  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  /** True if the step `redo` would re-apply included pasted text (so the redo is labelled pasted). */
  get redoIsPaste(): boolean {
    return this.redoStack[this.redoStack.length - 1]?.pasted ?? false;
  }

  /**
   * Records an op the local user just applied to `docBefore`. Typing merges into the previous
   * step while it stays adjacent (each edit starts where the previous one left the caret),
   * keeps the same kind (insert, delete; a replace may continue as typing) and comes within
   * `groupIntervalMs`. Clears the redo stack, as every editor does after a new edit.
   */
  recordLocal(op: TextOp, docBefore: string, pasted = false): void {
    if (op.length === 0) return;
    const invertible = textType.isInvertible(op) ? op : textType.makeInvertible(op, docBefore);
    const inverse = textType.invert(invertible);
    const shape = describe(op);
    const time = this.now();
    this.redoStack = [];
    const last = this.undoStack[this.undoStack.length - 1];
    if (last && this.groupOpen && time - last.time <= this.groupIntervalMs && continues(last, shape)) {
      // Undoing the group must undo the newest edit first, then the older ones.
      last.op = textType.compose(inverse, last.op);
      last.carets = shape.carets;
      last.kind = last.kind === 'replace' ? 'insert' : last.kind;
      last.time = time;
      last.pasted ||= pasted;
    } else {
      this.undoStack.push({ op: inverse, carets: shape.carets, kind: shape.kind, time, pasted });
      if (this.undoStack.length > this.maxSteps) this.undoStack.shift();
    }
    this.groupOpen = true;
  }

  /**
   * Moves both stacks past an op that was not the local user's (a peer's, or a rollback).
   *
   * Each stack is a chain: its top applies to the current document, the entry below it to the
   * document after the top was applied, and so on. So the remote op is transformed down the
   * chain, getting transformed by each entry in turn, rather than every entry being transformed
   * by the same op (which would be wrong for every entry but the top).
   */
  transformRemote(op: TextOp): void {
    if (op.length === 0) return;
    const top = this.undoStack[this.undoStack.length - 1];
    // Only the top step's carets matter (for grouping), and only the top applies to the current doc.
    if (top) top.carets = top.carets.map((c) => transformPosition(c, op, false));
    const depth = this.undoStack.length;
    this.undoStack = transformChain(this.undoStack, op);
    if (this.undoStack.length < depth) this.groupOpen = false; // A peer removed a step's text; start afresh.
    this.redoStack = transformChain(this.redoStack, op);
  }

  /** Ends the current typing group, so the next edit starts a new undo step (e.g. on a cursor jump). */
  breakGroup(): void {
    this.groupOpen = false;
  }

  /**
   * Pops the newest undo step and returns the op that undoes it on `doc` (the current document,
   * which the caller must then apply and submit), or null if there is nothing to undo or `accept`
   * refuses the op (e.g. it would exceed a size limit), in which case the step stays.
   */
  undo(doc: string, accept?: (op: TextOp) => boolean): TextOp | null {
    const step = this.undoStack[this.undoStack.length - 1];
    if (!step) return null;
    if (accept && !accept(step.op)) return null;
    this.undoStack.pop();
    this.redoStack.push({ op: textType.invertWithDoc(step.op, doc), pasted: step.pasted });
    this.groupOpen = false;
    return step.op;
  }

  /** Like `undo`, for the newest undone step. */
  redo(doc: string, accept?: (op: TextOp) => boolean): TextOp | null {
    const step = this.redoStack[this.redoStack.length - 1];
    if (!step) return null;
    const op = step.op;
    if (accept && !accept(op)) return null;
    this.redoStack.pop();
    const shape = describe(op);
    this.undoStack.push({ op: textType.invertWithDoc(op, doc), carets: shape.carets, kind: shape.kind, time: -Infinity, pasted: step.pasted });
    this.groupOpen = false;
    return op;
  }

  /** Forgets all history (after the document was replaced wholesale). */
  clear(): void {
    this.undoStack = [];
    this.redoStack = [];
    this.groupOpen = false;
  }
}

/**
 * Transforms a stack (top = last element) past `remote`, which applies to the document the top
 * applies to. Entries that become no-ops (a peer already did or undid that) are dropped.
 */
function transformChain<T extends { op: TextOp }>(stack: readonly T[], remote: TextOp): T[] {
  const out: T[] = [];
  let r = remote;
  let i = stack.length - 1;
  for (; i >= 0 && r.length > 0; i--) {
    const entry = stack[i] as T;
    const op = textType.transform(entry.op, r, 'left');
    // The remote op as seen by the document below this entry; sides mirror each other so both
    // orders of applying the pair agree.
    r = textType.transform(r, entry.op, 'right');
    if (op.length > 0) out.push({ ...entry, op });
  }
  // Once the remote op is absorbed (r is empty), deeper entries are unaffected.
  const untouched = stack.slice(0, i + 1);
  return [...untouched, ...out.reverse()];
}

/** True if an op with `shape` continues the typing of `last`. */
function continues(last: UndoStep, shape: OpShape): boolean {
  if (shape.spans.length !== last.carets.length) return false;
  const kindFits = shape.kind === last.kind || (last.kind === 'replace' && shape.kind === 'insert');
  if (!kindFits) return false;
  return shape.spans.every(([start, end], i) => {
    const caret = last.carets[i] as number;
    return start <= caret && caret <= end;
  });
}

/** The edit regions of an op, for deciding whether it continues the previous one. */
function describe(op: TextOp): OpShape {
  const spans: Array<[number, number]> = [];
  const carets: number[] = [];
  let oldPos = 0;
  let newPos = 0;
  let open = false;
  let inserts = false;
  let deletes = false;
  for (const c of op) {
    if (typeof c === 'number') {
      open = false;
      oldPos += c;
      newPos += c;
      continue;
    }
    if (!open) {
      spans.push([oldPos, oldPos]);
      carets.push(newPos);
      open = true;
    }
    if (typeof c === 'string') {
      inserts = true;
      newPos += codePointLength(c);
    } else {
      deletes = true;
      oldPos += typeof c.d === 'number' ? c.d : codePointLength(c.d);
    }
    (spans[spans.length - 1] as [number, number])[1] = oldPos;
    carets[carets.length - 1] = newPos;
  }
  return { spans, carets, kind: inserts && deletes ? 'replace' : inserts ? 'insert' : 'delete' };
}
