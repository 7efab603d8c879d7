import type { Doc } from 'sharedb/lib/client';
import { MAX_FILE_BYTES, MAX_OP_BYTES } from '../limits';
import { ErrorCode, TEXT_TYPE_NAME, TEXT_TYPE_URI } from '../protocol';
import { normalizeLineEndings } from '../text/line-endings';
import { CodePointIndex, replaceLoneSurrogates, utf8ByteLength, type Utf16Edit } from '../text/offsets';
import type { TextOp } from '../text/text-type';
import { transformSelection, type CodePointSelection } from '../text/transform-position';
import {
  BINDING_SELECTION_SOURCE,
  CursorChangeReason,
  EOL_LF,
  SCROLL_IMMEDIATE,
  type CodeEditorPort,
  type ContentChangedEventLike,
  type Disposable,
  type DomEventTargetLike,
  type TextModelPort,
} from './editor-port';
import { LocalUndoManager, type LocalUndoOptions } from './local-undo';
import type { OpProvenance, OpSourceKind } from './op-source';
import {
  changesToEdits,
  diffToEdit,
  editsToOp,
  mapOffsetThroughEdits,
  opToEdits,
  opWireBytes,
  stripDeletedText,
  toEditOperations,
} from './text-ops';

export { installUndoRedoKeybindings, type MonacoKeyCodes, type UndoRedoTarget } from './undo-keybindings';
export { BINDING_SELECTION_SOURCE } from './editor-port';
export type { OpProvenance, OpSourceKind } from './op-source';

/** Why the binding refused or lost a local edit. `code` is an ErrorCode or a ShareDB `ERR_*` code. */
export interface BindingErrorNotice {
  code: string;
  message: string;
  /** The ShareDB error, when the server rejected an op. */
  cause?: unknown;
}

/** Options for `MonacoBinding`. */
export interface MonacoBindingOptions {
  /** A ShareDB client doc of type text-unicode, already subscribed (or fetched). */
  doc: Doc;
  /** The Monaco text model that shows the doc. */
  model: TextModelPort;
  /** The editor showing `model`, for caret, scroll and undo-grouping behaviour. Optional. */
  editor?: CodeEditorPort | null;
  /** A local edit was refused (too large) or rejected by the server. The model already shows the doc again. */
  onError?: (notice: BindingErrorNotice) => void;
  /** The doc was deleted. The binding stops syncing until the doc is created again. */
  onDeleted?: () => void;
  /** Undo grouping; see `LocalUndoManager`. */
  undo?: LocalUndoOptions;
  /** Defaults to MAX_FILE_BYTES (P-LIM-2); lower it only to match a deployment's server setting. */
  maxFileBytes?: number;
  /** Defaults to MAX_OP_BYTES (P-OP-3). */
  maxOpBytes?: number;
}

/** A selection as UTF-16 offsets into the model. */
interface OffsetSelection {
  anchor: number;
  head: number;
}

interface ScrollAnchor {
  /** Offset of the start of the first visible line. */
  offset: number;
  /** scrollTop minus that line's top: how far into the line the viewport starts. */
  delta: number;
}

/** Where the binding is: syncing, waiting for the doc to exist / reload, or finished. */
type BindingState = 'active' | 'waiting' | 'destroyed';

let bindingCount = 0;

/**
 * How long after text is dropped on the editor the next edit not made by Monaco's cursor counts
 * as that drop: Monaco inserts dropped text after asynchronous drop providers, with no label.
 */
const DROP_WINDOW_MS = 2000;

/** Bindings attached to a doc, and the doc's `submitSource` before the first one attached. */
const provenanceUsers = new WeakMap<Doc, { bindings: number; original: boolean }>();

/** Makes the doc send each op's source as `x.source` (P-OP-PROV) while a binding is attached. */
function retainSubmitSource(doc: Doc): void {
  const entry = provenanceUsers.get(doc);
  if (entry) entry.bindings++;
  else provenanceUsers.set(doc, { bindings: 1, original: doc.submitSource });
  doc.submitSource = true;
}

/** Restores `submitSource` once no binding is attached and the ops they queued are sent. */
function releaseSubmitSource(doc: Doc): void {
  const entry = provenanceUsers.get(doc);
  if (!entry) return;
  entry.bindings--;
  if (entry.bindings > 0) return;
  // Queued ops carry provenance objects; sent without submitSource they would lose it.
  doc.whenNothingPending(() => {
    if (entry.bindings > 0 || provenanceUsers.get(doc) !== entry) return;
    provenanceUsers.delete(doc);
    doc.submitSource = entry.original;
  });
}


/**
 * Binds one ShareDB text doc to one Monaco model (and, optionally, the editor showing it).
 *
 * - Local edits become one op each (a multi-cursor edit is one op), LF-only and in code points,
 *   submitted with `source: {binding: <this binding's id>, kind: 'typed' | 'pasted'}`, which the
 *   doc sends as `x.source` (P-OP-PROV; `doc.submitSource` is on while a binding is attached).
 *   A paste (Monaco labels it on the content event) or text dropped on the editor is `pasted`;
 *   everything else is `typed`, except a redo of a step that included a paste. ShareDB composes
 *   only equal sources, so a paste never merges with typing.
 * - Ops from anyone else are applied with `model.applyEdits`, so they never enter Monaco's own
 *   undo stack, under an echo guard so they do not come back as local ops. Carets and
 *   selections are moved through the op (a peer typing at my caret does not drag it) and the
 *   viewport stays on the same text when lines change above it.
 * - `undo()`/`redo()` revert only this user's edits (see `LocalUndoManager`);
 *   `installUndoRedoKeybindings` routes Ctrl/Cmd+Z, Ctrl/Cmd+Shift+Z and Ctrl/Cmd+Y to them.
 * - Edits that would exceed MAX_OP_BYTES or MAX_FILE_BYTES are refused before submission:
 *   `onError` is called and the model reverts to the doc.
 * - A doc reload (`load`: hard rollback, re-fetch) replaces the model text with a minimal edit
 *   that keeps the caret; `del` stops syncing until `create`; `destroy()` removes every listener.
 *
 * Invariant while active: the model's text equals `doc.data`, and `index` describes it.
 */
export class MonacoBinding {
  /** Unique id sent as `x.source.binding` with every op; ops carrying it are never applied twice. */
  readonly id: string;

  private readonly doc: Doc;
  private readonly model: TextModelPort;
  private readonly editor: CodeEditorPort | null;
  private readonly onError: ((notice: BindingErrorNotice) => void) | undefined;
  private readonly onDeleted: (() => void) | undefined;
  private readonly maxFileBytes: number;
  private readonly maxOpBytes: number;
  private readonly undoManager: LocalUndoManager;
  private readonly disposables: Disposable[] = [];
  private readonly docListeners: Array<[string, (...args: never[]) => void]> = [];

  private state: BindingState = 'waiting';
  private index: CodePointIndex = CodePointIndex.fromText('');
  private bytes = 0;
  /** > 0 while the binding itself edits the model: those content events are not local edits. */
  private applying = 0;
  /** The model was edited while the doc could not take ops; it is reset from the doc on resume. */
  private modelDirty = false;
  /** A reset of the model from the doc is scheduled (see `scheduleReset`). */
  private resetQueued = false;
  private deletedNoticeSent = false;
  /** The op sources, one object per kind (ShareDB compares them with deepEqual). */
  private readonly sources: Readonly<Record<OpSourceKind, OpProvenance>>;
  /** Until when (ms) the next edit not made by Monaco's cursor is text dropped on the editor; 0 = none. */
  private dropPendingUntil = 0;

  constructor(options: MonacoBindingOptions) {
    bindingCount += 1;
    this.id = `tandem-binding:${bindingCount}:${Math.random().toString(36).slice(2, 10)}`;
    this.sources = {
      typed: Object.freeze({ binding: this.id, kind: 'typed' }),
      pasted: Object.freeze({ binding: this.id, kind: 'pasted' }),
    };
    this.doc = options.doc;
    this.model = options.model;
    this.editor = options.editor ?? null;
    this.onError = options.onError;
    this.onDeleted = options.onDeleted;
    this.maxFileBytes = options.maxFileBytes ?? MAX_FILE_BYTES;
    this.maxOpBytes = options.maxOpBytes ?? MAX_OP_BYTES;
    this.undoManager = new LocalUndoManager(options.undo);

    // Tandem text is LF-only (P-DOC-3); an LF model also keeps Monaco from writing CRs into edits.
    if (this.model.getEOL() !== '\n') this.withoutEcho(() => this.model.setEOL(EOL_LF));
    this.disposables.push(this.model.onDidChangeContent((e) => this.handleModelChange(e)));
    this.disposables.push(this.model.onWillDispose(() => this.destroy()));
    if (this.editor) {
      this.disposables.push(
        this.editor.onDidChangeCursorSelection((e) => {
          if (e.source === BINDING_SELECTION_SOURCE) return;
          const jump =
            e.reason === CursorChangeReason.Explicit ||
            e.reason === CursorChangeReason.Paste ||
            e.reason === CursorChangeReason.Undo ||
            e.reason === CursorChangeReason.Redo ||
            e.reason === CursorChangeReason.ContentFlush ||
            e.source === 'mouse';
          if (jump) this.undoManager.breakGroup();
        }),
      );
      const dom = this.editor.getDomNode?.();
      if (dom) this.watchDrops(dom);
    }
    retainSubmitSource(this.doc);
    this.listen('op', (op: TextOp, source: unknown) => this.handleDocOp(op, source));
    this.listen('load', () => this.resume());
    this.listen('create', () => this.resume());
    this.listen('del', () => this.handleDelete());
    this.listen('destroy', () => this.destroy());

    this.resume();
  }

  /** True while edits flow both ways (false before the doc exists, after `del`, after `destroy`). */
  get isActive(): boolean {
    return this.state === 'active';
  }

  /** True if `undo()` has one of this user's edits to revert. */
  get canUndo(): boolean {
    return this.state === 'active' && this.undoManager.canUndo;
  }

  /** True if `redo()` has an undone edit to re-apply. */
  get canRedo(): boolean {
    return this.state === 'active' && this.undoManager.canRedo;
  }

  /** Code-point position (for ops and presence) of a UTF-16 model offset. */
  toCodePoint(offset: number): number {
    return this.index.toCodePoint(offset);
  }

  /** UTF-16 model offset of a code-point position. */
  toUtf16(codePoint: number): number {
    return this.index.toUtf16(codePoint);
  }

  /** Reverts this user's newest edit group (never a peer's text). Returns false if there was nothing to undo. */
  undo(): boolean {
    // Undoing removes (or restores) text the user already had: typed.
    return this.runHistory((doc, accept) => this.undoManager.undo(doc, accept), 'typed');
  }

  /** Re-applies the newest undone edit group. Returns false if there was nothing to redo. */
  redo(): boolean {
    // A redone paste is a paste again, so paste → undo → redo cannot launder it (P-OP-PROV).
    const kind: OpSourceKind = this.undoManager.redoIsPaste ? 'pasted' : 'typed';
    return this.runHistory((doc, accept) => this.undoManager.redo(doc, accept), kind);
  }

  /** Stops syncing and removes every listener the binding added. The model keeps its text. Idempotent. */
  destroy(): void {
    if (this.state === 'destroyed') return;
    this.state = 'destroyed';
    for (const d of this.disposables.splice(0)) d.dispose();
    for (const [event, listener] of this.docListeners.splice(0)) {
      (this.doc.removeListener as (e: string, l: (...args: never[]) => void) => void).call(this.doc, event, listener);
    }
    this.undoManager.clear();
    releaseSubmitSource(this.doc);
  }

  // ── doc → model ────────────────────────────────────────────────────────────────────────────

  private listen<A extends unknown[]>(event: string, listener: (...args: A) => void): void {
    // Doc's typed emitter has one signature per event; registering through one narrow cast keeps
    // the list of (event, listener) pairs uniform for destroy().
    const fn = listener as unknown as (...args: never[]) => void;
    (this.doc.on as (e: string, l: (...args: never[]) => void) => void).call(this.doc, event, fn);
    this.docListeners.push([event, fn]);
  }

  /** The doc's text, or null if the doc does not exist or is not a text doc. */
  private docText(): string | null {
    const type = this.doc.type;
    if (!type || (type.uri !== TEXT_TYPE_URI && type.name !== TEXT_TYPE_NAME)) return null;
    return typeof this.doc.data === 'string' ? this.doc.data : null;
  }

  /** (Re)starts syncing from the doc's current text: on construction, `load` and `create`. */
  private resume(): void {
    if (this.state === 'destroyed') return;
    if (this.docText() === null) {
      this.state = 'waiting';
      return;
    }
    this.state = 'active';
    this.deletedNoticeSent = false;
    this.undoManager.clear();
    this.resetModelFromDoc();
  }

  private handleDelete(): void {
    if (this.state === 'destroyed') return;
    this.state = 'waiting';
    this.undoManager.clear();
    this.notifyDeleted();
  }

  private notifyDeleted(): void {
    if (this.deletedNoticeSent) return;
    this.deletedNoticeSent = true;
    if (this.onDeleted) this.onDeleted();
    else this.onError?.({ code: ErrorCode.NotFound, message: 'This file was deleted; edits are no longer saved.' });
  }

  private handleDocOp(op: TextOp, source: unknown): void {
    if (this.isOwnSource(source) || this.state !== 'active') return;
    if (this.modelDirty) {
      this.resetModelFromDoc();
      return;
    }
    this.undoManager.transformRemote(op);
    this.applyOpToModel(op, 'remote');
  }

  /**
   * Applies an op (already applied to the doc) to the model. For a peer's op, carets move through
   * it and the viewport stays put; for this user's undo/redo, the caret goes to the change.
   */
  private applyOpToModel(op: TextOp, origin: 'remote' | 'history'): void {
    let edits: Utf16Edit[];
    try {
      edits = opToEdits(op, this.index);
    } catch {
      this.resetModelFromDoc(); // The index disagrees with the op: trust the doc.
      return;
    }
    const editor = this.attachedEditor();
    const selections = editor && origin === 'remote' ? this.readSelections(editor) : null;
    const selectionsCp = selections?.map((s) => ({ anchor: this.index.toCodePoint(s.anchor), head: this.index.toCodePoint(s.head) }));
    const scroll = editor && origin === 'remote' ? this.captureScroll(editor) : null;

    this.bytes += this.bytesDelta(edits);
    this.editModel(edits);
    this.index.applyEdits(edits);

    if (editor && selectionsCp) {
      const moved = selectionsCp.map((s) => transformSelection(s, op, false));
      this.writeSelections(
        editor,
        moved.map((s: CodePointSelection) => ({ anchor: this.index.toUtf16(s.anchor), head: this.index.toUtf16(s.head) })),
      );
    }
    if (editor && scroll) this.restoreScroll(editor, scroll, edits);
    if (editor && origin === 'history') this.placeCaretAfter(editor, edits);
    this.checkInSync();
  }

  /**
   * Makes the model show exactly the doc's text with one minimal edit, keeping carets and the
   * viewport where they were relative to the surrounding text. O(n); used on load, on resume
   * and to repair anything unexpected.
   */
  private resetModelFromDoc(): void {
    const target = this.docText();
    if (target === null) return;
    if (this.model.getEOL() !== '\n') this.withoutEcho(() => this.model.setEOL(EOL_LF));
    const current = this.model.getValue();
    const edit = diffToEdit(current, target);
    if (edit) {
      const editor = this.attachedEditor();
      const selections = editor ? this.readSelections(editor) : null;
      const scroll = editor ? this.captureScroll(editor) : null;
      this.editModel([edit]);
      if (editor && selections) {
        this.writeSelections(
          editor,
          selections.map((s) => mapSelection(s, [edit])),
        );
      }
      if (editor && scroll) this.restoreScroll(editor, scroll, [edit]);
    }
    this.index = CodePointIndex.fromText(target);
    this.bytes = utf8ByteLength(target);
    this.modelDirty = false;
  }

  // ── model → doc ────────────────────────────────────────────────────────────────────────────

  private handleModelChange(e: ContentChangedEventLike): void {
    if (this.applying > 0 || this.state === 'destroyed') return;
    if (this.state !== 'active' || this.resetQueued) {
      // Not syncing, or the model is about to be reset from the doc: this edit cannot be sent.
      this.modelDirty = true;
      return;
    }
    const before = this.docText();
    if (before === null) {
      // Hard rollback in progress (the doc has no type until it is re-fetched): `load` repairs.
      this.modelDirty = true;
      return;
    }

    const kind = this.sourceKind(e);
    const { edits, normalized } = this.localEdits(before, e);
    if (edits.length > 0 && !this.submitLocal(before, edits, kind)) return;
    if (normalized || this.model.getEOL() !== '\n' || this.model.getValueLength() !== (this.docText() ?? '').length) {
      // The model holds text the doc does not (CR, a lone surrogate, an unexpected event): show the doc.
      this.scheduleReset();
    }
  }

  /**
   * Resets the model from the doc right after the current content event, never inside it:
   * Monaco delivers an event raised during another event's delivery only after every remaining
   * listener got the first one, by then describing text the model no longer has.
   */
  private scheduleReset(): void {
    this.modelDirty = true;
    if (this.resetQueued) return;
    this.resetQueued = true;
    queueMicrotask(() => {
      this.resetQueued = false;
      if (this.state === 'active' && this.modelDirty) this.resetModelFromDoc();
    });
  }

  /**
   * The event's edits against `before` (= doc text = model text before the event), with inserted
   * text normalised to LF and well-formed UTF-16 and trimmed to what actually changed.
   * `normalized` is true if the model now holds text that differs from what the doc will hold.
   */
  private localEdits(before: string, e: ContentChangedEventLike): { edits: Utf16Edit[]; normalized: boolean } {
    let normalized = false;
    const clean = (text: string): string => {
      const out = replaceLoneSurrogates(normalizeLineEndings(text));
      if (out !== text) normalized = true;
      return out;
    };
    let raw = changesToEdits(e.changes);
    if (raw) {
      const growth = raw.reduce((sum, edit) => sum + edit.text.length - edit.length, 0);
      const last = raw[raw.length - 1];
      const fits = !last || last.offset + last.length <= before.length;
      if (!fits || this.model.getValueLength() !== before.length + growth) raw = null;
    }
    if (!raw) {
      // Not the shape Monaco documents (or the model was not in sync): diff the whole text.
      const now = this.model.getValue();
      const edit = diffToEdit(before, clean(now));
      return { edits: edit ? [edit] : [], normalized };
    }
    const edits: Utf16Edit[] = [];
    for (const edit of raw) {
      const replaced = before.slice(edit.offset, edit.offset + edit.length);
      const trimmed = diffToEdit(replaced, clean(edit.text));
      if (trimmed) edits.push({ offset: edit.offset + trimmed.offset, length: trimmed.length, text: trimmed.text });
    }
    return { edits, normalized };
  }

  /** Submits local edits as one op. Returns false if they were refused (and the model reverted). */
  private submitLocal(before: string, edits: Utf16Edit[], kind: OpSourceKind): boolean {
    const op = editsToOp(before, edits, { index: this.index, invertible: true });
    const wire = stripDeletedText(op);
    const bytesAfter = this.bytes + this.bytesDeltaFromText(before, edits);
    const refusal = this.sizeProblem(bytesAfter, wire);
    if (refusal) {
      this.scheduleReset();
      this.onError?.(refusal);
      return false;
    }
    this.undoManager.recordLocal(op, before, kind === 'pasted');
    this.submit(wire, kind);
    this.index.applyEdits(edits);
    this.bytes = bytesAfter;
    return true;
  }

  /** Submits an op with this binding's source, keeping ShareDB from composing it past MAX_OP_BYTES. */
  private submit(wire: TextOp, kind: OpSourceKind): void {
    // ShareDB composes ops queued while one is in flight into one; offline typing plus a large
    // paste could compose into an op the server refuses, so compose only while it still fits.
    const pending = (this.doc as unknown as { pendingOps?: Array<{ op?: unknown; sentAt?: number }> }).pendingOps;
    const last = pending?.[pending.length - 1];
    const wouldOverflow =
      last !== undefined && !last.sentAt && Array.isArray(last.op) && opWireBytes(last.op as TextOp) + opWireBytes(wire) > this.maxOpBytes;
    const preventCompose = this.doc.preventCompose;
    if (wouldOverflow) this.doc.preventCompose = true;
    try {
      this.doc.submitOp(wire, { source: this.sources[kind] }, (error?: unknown) => {
        if (error) this.reportSubmitError(error);
      });
    } finally {
      this.doc.preventCompose = preventCompose;
    }
  }

  private reportSubmitError(error: unknown): void {
    const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
    this.onError?.({
      code: typeof code === 'string' ? code : ErrorCode.Internal,
      message: typeof message === 'string' ? message : 'The server did not accept an edit.',
      cause: error,
    });
  }

  private sizeProblem(bytesAfter: number, wire: TextOp): BindingErrorNotice | null {
    if (bytesAfter > this.maxFileBytes) {
      return {
        code: ErrorCode.FileTooLarge,
        message: `This edit would make the file larger than ${formatBytes(this.maxFileBytes)}, so it was not applied.`,
      };
    }
    if (opWireBytes(wire) > this.maxOpBytes) {
      return {
        code: ErrorCode.OpTooLarge,
        message: `A single edit may be at most ${formatBytes(this.maxOpBytes)}; paste large text in smaller parts.`,
      };
    }
    return null;
  }

  // ── undo / redo ────────────────────────────────────────────────────────────────────────────

  private runHistory(take: (doc: string, accept: (op: TextOp) => boolean) => TextOp | null, kind: OpSourceKind): boolean {
    if (this.state !== 'active' || this.modelDirty || this.resetQueued) return false;
    const before = this.docText();
    if (before === null) return false;
    const refused: BindingErrorNotice[] = [];
    let op: TextOp | null;
    try {
      op = take(before, (candidate) => {
        const edits = opToEdits(candidate, this.index);
        const problem = this.sizeProblem(this.bytes + this.bytesDeltaFromText(before, edits), stripDeletedText(candidate));
        if (problem) refused.push(problem);
        return problem === null;
      });
    } catch {
      // A history op that no longer fits the document would be a bug; losing history beats corrupting text.
      this.undoManager.clear();
      return false;
    }
    if (refused[0]) this.onError?.(refused[0]);
    if (!op) return false;
    this.submit(stripDeletedText(op), kind);
    this.applyOpToModel(op, 'history');
    return true;
  }

  // ── provenance (P-OP-PROV) ─────────────────────────────────────────────────────────────────

  private isOwnSource(source: unknown): boolean {
    return typeof source === 'object' && source !== null && (source as { binding?: unknown }).binding === this.id;
  }

  /** How the edits of a local content event were made. */
  private sourceKind(e: ContentChangedEventLike): OpSourceKind {
    const reasons = e.detailedReasons ?? [];
    if (reasons.some((r) => r?.metadata?.source === 'cursor' && r.metadata.kind === 'paste')) return 'pasted';
    if (this.dropPendingUntil === 0 || reasons.some((r) => r?.metadata?.source === 'cursor')) return 'typed';
    // The first edit after a drop that Monaco's cursor did not make (typing in between does not count).
    const dropped = Date.now() <= this.dropPendingUntil;
    this.dropPendingUntil = 0;
    return dropped ? 'pasted' : 'typed';
  }

  private watchDrops(dom: DomEventTargetLike): void {
    // Capture phase: seen before Monaco's own drop handling starts.
    const onDrop = () => {
      if (this.attachedEditor()) this.dropPendingUntil = Date.now() + DROP_WINDOW_MS;
    };
    dom.addEventListener('drop', onDrop, true);
    this.disposables.push({ dispose: () => dom.removeEventListener('drop', onDrop, true) });
  }

  // ── model editing helpers ──────────────────────────────────────────────────────────────────

  private withoutEcho(fn: () => void): void {
    this.applying++;
    try {
      fn();
    } finally {
      this.applying--;
    }
  }

  private editModel(edits: readonly Utf16Edit[]): void {
    if (edits.length === 0) return;
    this.withoutEcho(() => this.model.applyEdits(toEditOperations(this.model, edits)));
  }

  /** UTF-8 size change of edits on the model's current text. */
  private bytesDelta(edits: readonly Utf16Edit[]): number {
    let delta = 0;
    for (const edit of edits) {
      delta += utf8ByteLength(edit.text);
      if (edit.length > 0) {
        const start = this.model.getPositionAt(edit.offset);
        const end = this.model.getPositionAt(edit.offset + edit.length);
        delta -= utf8ByteLength(
          this.model.getValueInRange({
            startLineNumber: start.lineNumber,
            startColumn: start.column,
            endLineNumber: end.lineNumber,
            endColumn: end.column,
          }),
        );
      }
    }
    return delta;
  }

  private bytesDeltaFromText(before: string, edits: readonly Utf16Edit[]): number {
    let delta = 0;
    for (const edit of edits) delta += utf8ByteLength(edit.text) - utf8ByteLength(before.slice(edit.offset, edit.offset + edit.length));
    return delta;
  }

  /** Repairs the model if it drifted from the doc (cheap length check after every change). */
  private checkInSync(): void {
    const text = this.docText();
    if (text !== null && (this.model.getValueLength() !== text.length || this.index.utf16Length !== text.length)) {
      this.resetModelFromDoc();
    }
  }

  // ── editor view helpers ────────────────────────────────────────────────────────────────────

  private attachedEditor(): CodeEditorPort | null {
    return this.editor && this.editor.getModel() === this.model ? this.editor : null;
  }

  private readSelections(editor: CodeEditorPort): OffsetSelection[] | null {
    const selections = editor.getSelections();
    if (!selections || selections.length === 0) return null;
    return selections.map((s) => ({
      anchor: this.model.getOffsetAt({ lineNumber: s.selectionStartLineNumber, column: s.selectionStartColumn }),
      head: this.model.getOffsetAt({ lineNumber: s.positionLineNumber, column: s.positionColumn }),
    }));
  }

  private writeSelections(editor: CodeEditorPort, selections: readonly OffsetSelection[]): void {
    const current = this.readSelections(editor);
    const same =
      current !== null &&
      current.length === selections.length &&
      current.every((s, i) => s.anchor === selections[i]?.anchor && s.head === selections[i]?.head);
    if (same) return;
    editor.setSelections(
      selections.map((s) => {
        const anchor = this.model.getPositionAt(s.anchor);
        const head = this.model.getPositionAt(s.head);
        return {
          selectionStartLineNumber: anchor.lineNumber,
          selectionStartColumn: anchor.column,
          positionLineNumber: head.lineNumber,
          positionColumn: head.column,
        };
      }),
      BINDING_SELECTION_SOURCE,
    );
  }

  private captureScroll(editor: CodeEditorPort): ScrollAnchor | null {
    const first = editor.getVisibleRanges()[0];
    if (!first) return null;
    const line = first.startLineNumber;
    return {
      offset: this.model.getOffsetAt({ lineNumber: line, column: 1 }),
      delta: editor.getScrollTop() - editor.getTopForLineNumber(line),
    };
  }

  /** Scrolls so the line that was first visible is again at the same height on screen. */
  private restoreScroll(editor: CodeEditorPort, anchor: ScrollAnchor, edits: readonly Utf16Edit[]): void {
    // Text inserted exactly at the anchor line's start is "above" what the user was reading.
    const offset = mapOffsetThroughEdits(anchor.offset, edits, true);
    const line = this.model.getPositionAt(offset).lineNumber;
    const target = Math.max(0, editor.getTopForLineNumber(line) + anchor.delta);
    if (Math.abs(editor.getScrollTop() - target) >= 1) editor.setScrollTop(target, SCROLL_IMMEDIATE);
  }

  /** After undo/redo: one caret at the end of the first changed region, scrolled into view. */
  private placeCaretAfter(editor: CodeEditorPort, edits: readonly Utf16Edit[]): void {
    const first = edits[0];
    if (!first) return;
    const offset = first.offset + first.text.length;
    this.writeSelections(editor, [{ anchor: offset, head: offset }]);
    editor.revealPositionInCenterIfOutsideViewport(this.model.getPositionAt(offset), SCROLL_IMMEDIATE);
  }
}

function mapSelection(selection: OffsetSelection, edits: readonly Utf16Edit[]): OffsetSelection {
  if (selection.anchor === selection.head) {
    const caret = mapOffsetThroughEdits(selection.head, edits, false);
    return { anchor: caret, head: caret };
  }
  const forward = selection.anchor < selection.head;
  const start = mapOffsetThroughEdits(Math.min(selection.anchor, selection.head), edits, true);
  const end = Math.max(start, mapOffsetThroughEdits(Math.max(selection.anchor, selection.head), edits, false));
  return forward ? { anchor: start, head: end } : { anchor: end, head: start };
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(bytes % (1024 * 1024) ? 1 : 0)} MB` : `${Math.round(bytes / 1024)} KB`;
}
