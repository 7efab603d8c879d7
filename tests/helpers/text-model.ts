/**
 * A headless stand-in for Monaco's ITextModel and ICodeEditor: just the parts the binding and the
 * remote cursors use, with Monaco 0.57's observable behaviour (checked against the real
 * TextModel by tests/unit/monaco-parity.test.ts):
 *
 * - offsets are UTF-16 units; positions are 1-based line/column; `getOffsetAt`/`getPositionAt`
 *   clamp but do not snap inside surrogate pairs, while edit ranges do (Monaco's validateRange);
 * - a new model picks its EOL from the text (more CR-terminated lines than LF → CRLF, ties → LF)
 *   and normalises every line ending to it, also in inserted text;
 * - `applyEdits`/`pushEditOperations` fire ONE content event whose `changes` are ordered from the
 *   end of the document to the start, with offsets and lengths relative to the text before the
 *   call (for equal positions the later edit is listed first);
 * - `setEOL` fires an `isEolChange` event with one full-text change; `setValue` an `isFlush` one.
 *
 * The editor adds selections (the model moves collapsed carets past text inserted at them, as
 * the binding must undo), scrolling with fixed line height, keyboard events, and decorations.
 */
import type {
  CodeEditorPort,
  ContentChangeLike,
  ContentChangedEventLike,
  CursorSelectionChangedEventLike,
  DecorationLike,
  DecorationsCollectionLike,
  Disposable,
  EditOperationLike,
  KeyboardEventLike,
  PositionLike,
  RangeLike,
  SelectionLike,
  TextModelPort,
} from '../../lib/binding/editor-port';

type Listener<T> = (event: T) => void;

class Emitter<T> {
  private listeners: Array<Listener<T>> = [];

  event = (listener: Listener<T>): Disposable => {
    this.listeners.push(listener);
    return {
      dispose: () => {
        this.listeners = this.listeners.filter((l) => l !== listener);
      },
    };
  };

  fire(value: T): void {
    for (const listener of [...this.listeners]) listener(value);
  }

  get size(): number {
    return this.listeners.length;
  }
}

/** Monaco `EndOfLineSequence`. */
export const EndOfLineSequence = { LF: 0, CRLF: 1 } as const;

/** A Monaco Position: 1-based line and column. */
export class Position implements PositionLike {
  constructor(
    readonly lineNumber: number,
    readonly column: number,
  ) {}
}

/** Monaco-shaped content event. */
export interface ContentChangedEvent extends ContentChangedEventLike {
  readonly changes: ContentChange[];
  readonly versionId: number;
}

/** Monaco-shaped content change. */
export interface ContentChange extends ContentChangeLike {
  readonly range: RangeLike;
}

interface ValidatedEdit {
  start: number;
  end: number;
  text: string;
  sortIndex: number;
  range: RangeLike;
}

const LINE_BREAK = /\r\n|\r|\n/g;

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** Picks the EOL Monaco's text buffer builder would pick for `text`. */
function detectEol(text: string, fallback: '\n' | '\r\n'): '\n' | '\r\n' {
  let cr = 0;
  let lf = 0;
  for (const m of text.matchAll(LINE_BREAK)) {
    if (m[0] === '\n') lf++;
    else cr++;
  }
  if (cr === 0 && lf === 0) return fallback;
  return cr > lf ? '\r\n' : '\n';
}

function normalizeEol(text: string, eol: string): string {
  return text.replace(LINE_BREAK, eol);
}

/** Headless Monaco ITextModel. */
export class HeadlessTextModel implements TextModelPort {
  private text: string;
  private eol: '\n' | '\r\n';
  /** EOL for text without line breaks (Monaco's creation option `defaultEOL`). */
  private readonly defaultEol: '\n' | '\r\n';
  /** UTF-16 offset at which each line starts. */
  private lineStarts: number[] = [0];
  private versionId = 1;
  private disposed = false;
  /** Number of edits pushed through pushEditOperations (Monaco's own undo stack). */
  nativeUndoStackSize = 0;
  private readonly contentEmitter = new Emitter<ContentChangedEvent>();
  private readonly disposeEmitter = new Emitter<void>();

  constructor(text = '', defaultEol: '\n' | '\r\n' = '\n') {
    this.defaultEol = defaultEol;
    this.eol = detectEol(text, defaultEol);
    this.text = normalizeEol(text, this.eol);
    this.computeLines();
  }

  /** Number of content listeners; lets tests check that a binding cleaned up. */
  get contentListenerCount(): number {
    return this.contentEmitter.size;
  }

  getValue(): string {
    return this.text;
  }

  getValueLength(): number {
    return this.text.length;
  }

  getValueInRange(range: RangeLike): string {
    const r = this.validateRange(range);
    return this.text.slice(this.offsetOf(r.startLineNumber, r.startColumn), this.offsetOf(r.endLineNumber, r.endColumn));
  }

  getEOL(): string {
    return this.eol;
  }

  getVersionId(): number {
    return this.versionId;
  }

  getLineCount(): number {
    return this.lineStarts.length;
  }

  getLineContent(lineNumber: number): string {
    const start = this.lineStarts[lineNumber - 1] as number;
    return this.text.slice(start, start + this.lineLength(lineNumber));
  }

  getLineMaxColumn(lineNumber: number): number {
    return this.lineLength(lineNumber) + 1;
  }

  getOffsetAt(position: PositionLike): number {
    const p = this.validatePosition(position.lineNumber, position.column);
    return this.offsetOf(p.lineNumber, p.column);
  }

  getPositionAt(offset: number): Position {
    const o = Math.min(this.text.length, Math.max(0, Math.floor(offset)));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((this.lineStarts[mid] as number) <= o) lo = mid;
      else hi = mid - 1;
    }
    const lineNumber = lo + 1;
    // Like Monaco's piece tree, an offset between CR and LF gets the column past the CR.
    const column = o - (this.lineStarts[lo] as number) + 1;
    return new Position(lineNumber, column);
  }

  setEOL(eol: number): void {
    const next = eol === EndOfLineSequence.CRLF ? '\r\n' : '\n';
    if (next === this.eol) return;
    const oldLength = this.text.length;
    const oldEnd = this.getPositionAt(oldLength);
    this.eol = next;
    this.text = normalizeEol(this.text, next);
    this.computeLines();
    this.versionId++;
    this.contentEmitter.fire({
      changes: [
        {
          range: { startLineNumber: 1, startColumn: 1, endLineNumber: oldEnd.lineNumber, endColumn: oldEnd.column },
          rangeOffset: 0,
          rangeLength: oldLength,
          text: this.text,
        },
      ],
      eol: this.eol,
      versionId: this.versionId,
      isUndoing: false,
      isRedoing: false,
      isFlush: false,
      isEolChange: true,
    });
  }

  /** Monaco `setValue`: replaces everything, re-detects the EOL, fires an `isFlush` event. */
  setValue(value: string): void {
    const oldLength = this.text.length;
    const oldEnd = this.getPositionAt(oldLength);
    this.eol = detectEol(value, this.defaultEol);
    this.text = normalizeEol(value, this.eol);
    this.computeLines();
    this.versionId++;
    this.contentEmitter.fire({
      changes: [
        {
          range: { startLineNumber: 1, startColumn: 1, endLineNumber: oldEnd.lineNumber, endColumn: oldEnd.column },
          rangeOffset: 0,
          rangeLength: oldLength,
          text: this.text,
        },
      ],
      eol: this.eol,
      versionId: this.versionId,
      isUndoing: false,
      isRedoing: false,
      isFlush: true,
      isEolChange: false,
    });
  }

  applyEdits(operations: readonly EditOperationLike[]): void {
    this.doApplyEdits(operations);
  }

  /** Monaco `pushEditOperations`: like applyEdits, but the edit enters Monaco's own undo stack. */
  pushEditOperations<T>(
    _beforeCursorState: unknown,
    operations: readonly EditOperationLike[],
    cursorStateComputer: (inverseEditOperations: unknown[]) => T | null,
  ): T | null {
    this.doApplyEdits(operations);
    this.nativeUndoStackSize++;
    return cursorStateComputer([]);
  }

  onDidChangeContent(listener: (event: ContentChangedEventLike) => void): Disposable {
    return this.contentEmitter.event(listener);
  }

  onWillDispose(listener: () => void): Disposable {
    return this.disposeEmitter.event(listener);
  }

  isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposeEmitter.fire();
    this.disposed = true;
  }

  /** Monaco `validateRange`: clamps, and moves edges that fall inside a surrogate pair outward. */
  validateRange(range: RangeLike): RangeLike {
    const start = this.validatePosition(range.startLineNumber, range.startColumn);
    const end = this.validatePosition(range.endLineNumber, range.endColumn);
    const startInside = start.column > 1 && isHighSurrogate(this.charCodeAt(start.lineNumber, start.column - 2));
    const endInside =
      end.column > 1 &&
      end.column <= this.lineLength(end.lineNumber) &&
      isHighSurrogate(this.charCodeAt(end.lineNumber, end.column - 2));
    let sc = start.column;
    let ec = end.column;
    if (startInside && start.lineNumber === end.lineNumber && start.column === end.column) {
      sc -= 1;
      ec -= 1;
    } else {
      if (startInside) sc -= 1;
      if (endInside) ec += 1;
    }
    // Like Monaco's Range constructor, put the earlier position first.
    if (start.lineNumber > end.lineNumber || (start.lineNumber === end.lineNumber && sc > ec)) {
      return { startLineNumber: end.lineNumber, startColumn: ec, endLineNumber: start.lineNumber, endColumn: sc };
    }
    return { startLineNumber: start.lineNumber, startColumn: sc, endLineNumber: end.lineNumber, endColumn: ec };
  }

  private doApplyEdits(operations: readonly EditOperationLike[]): void {
    if (this.disposed) throw new Error('Model is disposed!');
    const edits: ValidatedEdit[] = operations.map((op, sortIndex) => {
      const r = this.validateRange(op.range);
      return {
        start: this.offsetOf(r.startLineNumber, r.startColumn),
        end: this.offsetOf(r.endLineNumber, r.endColumn),
        text: normalizeEol(op.text ?? '', this.eol),
        sortIndex,
        range: r,
      };
    });
    // Monaco drops edits that neither remove nor insert anything; with none left there is no event.
    const real = edits.filter((e) => e.start !== e.end || e.text !== '');
    if (real.length === 0) return;
    edits.length = 0;
    edits.push(...real);
    edits.sort((a, b) => a.start - b.start || a.end - b.end || a.sortIndex - b.sortIndex);
    for (let i = 1; i < edits.length; i++) {
      // Monaco 0.57 silently trims overlapping edits; the binding never sends any, so fail loudly here.
      if ((edits[i] as ValidatedEdit).start < (edits[i - 1] as ValidatedEdit).end) throw new Error('Overlapping ranges are not allowed!');
    }
    const changes: ContentChange[] = [];
    let text = this.text;
    for (let i = edits.length - 1; i >= 0; i--) {
      const e = edits[i] as ValidatedEdit;
      text = text.slice(0, e.start) + e.text + text.slice(e.end);
      changes.push({ range: e.range, rangeOffset: e.start, rangeLength: e.end - e.start, text: e.text });
    }
    this.text = text;
    this.computeLines();
    this.versionId++;
    this.contentEmitter.fire({
      changes,
      eol: this.eol,
      versionId: this.versionId,
      isUndoing: false,
      isRedoing: false,
      isFlush: false,
      isEolChange: false,
    });
  }

  private validatePosition(lineNumber: number, column: number): Position {
    const line = Math.floor(Number.isNaN(lineNumber) ? 1 : lineNumber);
    const col = Math.floor(Number.isNaN(column) ? 1 : column);
    const lineCount = this.getLineCount();
    if (line < 1) return new Position(1, 1);
    if (line > lineCount) return new Position(lineCount, this.getLineMaxColumn(lineCount));
    if (col <= 1) return new Position(line, 1);
    const max = this.getLineMaxColumn(line);
    return new Position(line, Math.min(col, max));
  }

  private offsetOf(lineNumber: number, column: number): number {
    return (this.lineStarts[lineNumber - 1] as number) + column - 1;
  }

  private charCodeAt(lineNumber: number, index: number): number {
    return this.text.charCodeAt((this.lineStarts[lineNumber - 1] as number) + index);
  }

  private lineLength(lineNumber: number): number {
    const start = this.lineStarts[lineNumber - 1] as number;
    const next = this.lineStarts[lineNumber];
    return next === undefined ? this.text.length - start : next - start - this.eol.length;
  }

  private computeLines(): void {
    const starts = [0];
    let at = this.text.indexOf(this.eol);
    while (at !== -1) {
      starts.push(at + this.eol.length);
      at = this.text.indexOf(this.eol, at + this.eol.length);
    }
    this.lineStarts = starts;
  }
}

/** A Monaco Selection (anchor = selectionStart, head = position). */
export class Selection implements SelectionLike {
  readonly startLineNumber: number;
  readonly startColumn: number;
  readonly endLineNumber: number;
  readonly endColumn: number;

  constructor(
    readonly selectionStartLineNumber: number,
    readonly selectionStartColumn: number,
    readonly positionLineNumber: number,
    readonly positionColumn: number,
  ) {
    const forward =
      selectionStartLineNumber < positionLineNumber ||
      (selectionStartLineNumber === positionLineNumber && selectionStartColumn <= positionColumn);
    this.startLineNumber = forward ? selectionStartLineNumber : positionLineNumber;
    this.startColumn = forward ? selectionStartColumn : positionColumn;
    this.endLineNumber = forward ? positionLineNumber : selectionStartLineNumber;
    this.endColumn = forward ? positionColumn : selectionStartColumn;
  }
}

/** A selection as UTF-16 offsets. */
export interface OffsetSelection {
  anchor: number;
  head: number;
}

/** Monaco `KeyCode` values the tests press. */
export const KeyCode = { KeyY: 55, KeyZ: 56 } as const;

class HeadlessDecorations implements DecorationsCollectionLike {
  items: DecorationLike[] = [];

  constructor(private readonly owner: Set<HeadlessDecorations>) {
    owner.add(this);
  }

  set(decorations: readonly DecorationLike[]): string[] {
    this.items = [...decorations];
    return this.items.map((_, i) => `d${i}`);
  }

  clear(): void {
    this.items = [];
  }
}

/** Options for `HeadlessEditor`. */
export interface HeadlessEditorOptions {
  lineHeight?: number;
  /** Viewport height in pixels. */
  height?: number;
}

/** Headless Monaco ICodeEditor over a HeadlessTextModel. */
export class HeadlessEditor implements CodeEditorPort {
  readonly lineHeight: number;
  readonly height: number;
  /** Times Ctrl/Cmd+Z or redo reached Monaco's own (native) undo. */
  nativeUndoCount = 0;
  private model: HeadlessTextModel | null;
  private selections: OffsetSelection[] = [{ anchor: 0, head: 0 }];
  private scrollTop = 0;
  private readonly selectionEmitter = new Emitter<CursorSelectionChangedEventLike>();
  private readonly keyEmitter = new Emitter<KeyboardEventLike>();
  private readonly collections = new Set<HeadlessDecorations>();
  private modelListener: Disposable | null = null;

  constructor(model: HeadlessTextModel | null, options: HeadlessEditorOptions = {}) {
    this.lineHeight = options.lineHeight ?? 20;
    this.height = options.height ?? 200;
    this.model = null;
    this.setModel(model);
  }

  getModel(): HeadlessTextModel | null {
    return this.model;
  }

  /** Monaco `setModel`: also clears decoration collections, as Monaco does. */
  setModel(model: HeadlessTextModel | null): void {
    this.modelListener?.dispose();
    this.model = model;
    this.selections = [{ anchor: 0, head: 0 }];
    this.scrollTop = 0;
    for (const c of this.collections) c.clear();
    this.modelListener = model ? model.onDidChangeContent((e) => this.onModelContent(e)) : null;
  }

  getSelections(): Selection[] | null {
    const model = this.model;
    if (!model) return null;
    return this.selections.map((s) => {
      const a = model.getPositionAt(s.anchor);
      const h = model.getPositionAt(s.head);
      return new Selection(a.lineNumber, a.column, h.lineNumber, h.column);
    });
  }

  setSelections(selections: readonly SelectionLike[], source = 'api'): void {
    this.setSelectionsInternal(
      selections.map((s) => this.toOffsets(s)),
      0,
      source,
    );
  }

  /** Test helper: current selections as UTF-16 offsets. */
  offsetSelections(): OffsetSelection[] {
    return this.selections.map((s) => ({ ...s }));
  }

  /** Test helper: a mouse click / keyboard navigation to these offsets (CursorChangeReason.Explicit). */
  select(selections: OffsetSelection[], source: 'mouse' | 'keyboard' = 'mouse'): void {
    this.setSelectionsInternal(selections, 3, source);
  }

  /** Test helper: types `text` at every selection (one multi-cursor edit), like keyboard input. */
  type(text: string, reason = 0): void {
    this.replaceSelections(() => text, reason);
  }

  /** Test helper: pastes `text` (CursorChangeReason.Paste). */
  paste(text: string): void {
    this.type(text, 4);
  }

  /** Test helper: Backspace at every selection (removes a whole surrogate pair). */
  backspace(): void {
    const model = this.requireModel();
    const text = model.getValue();
    const edits = this.selections.map((s) => {
      const start = Math.min(s.anchor, s.head);
      const end = Math.max(s.anchor, s.head);
      if (start !== end) return { start, end };
      if (start === 0) return { start, end };
      const pair = start >= 2 && isHighSurrogate(text.charCodeAt(start - 2)) && !isHighSurrogate(text.charCodeAt(start - 1));
      return { start: start - (pair ? 2 : 1), end };
    });
    this.applyTyping(edits.map((e) => ({ ...e, text: '' })), 0);
  }

  /** Test helper: presses a key; Monaco's default undo/redo runs only if no listener stopped it. */
  pressKey(key: { keyCode: number; ctrlKey?: boolean; metaKey?: boolean; shiftKey?: boolean; altKey?: boolean }): void {
    let prevented = false;
    let stopped = false;
    const event: KeyboardEventLike = {
      ctrlKey: key.ctrlKey ?? false,
      metaKey: key.metaKey ?? false,
      shiftKey: key.shiftKey ?? false,
      altKey: key.altKey ?? false,
      keyCode: key.keyCode,
      preventDefault: () => {
        prevented = true;
      },
      stopPropagation: () => {
        stopped = true;
      },
    };
    this.keyEmitter.fire(event);
    const mod = event.ctrlKey || event.metaKey;
    if (!prevented && !stopped && mod && (key.keyCode === KeyCode.KeyZ || key.keyCode === KeyCode.KeyY)) {
      this.nativeUndoCount++;
    }
  }

  getScrollTop(): number {
    return this.scrollTop;
  }

  setScrollTop(newScrollTop: number): void {
    this.scrollTop = this.clampScroll(newScrollTop);
  }

  getTopForLineNumber(lineNumber: number): number {
    const count = this.model?.getLineCount() ?? 1;
    return (Math.min(Math.max(1, lineNumber), count) - 1) * this.lineHeight;
  }

  getVisibleRanges(): RangeLike[] {
    const model = this.model;
    if (!model) return [];
    const count = model.getLineCount();
    const first = Math.min(count, Math.floor(this.scrollTop / this.lineHeight) + 1);
    const last = Math.min(count, Math.floor((this.scrollTop + this.height - 1) / this.lineHeight) + 1);
    return [{ startLineNumber: first, startColumn: 1, endLineNumber: last, endColumn: model.getLineMaxColumn(last) }];
  }

  revealPositionInCenterIfOutsideViewport(position: PositionLike): void {
    const top = this.getTopForLineNumber(position.lineNumber);
    if (top < this.scrollTop || top + this.lineHeight > this.scrollTop + this.height) {
      this.scrollTop = this.clampScroll(top - this.height / 2);
    }
  }

  onDidChangeCursorSelection(listener: (event: CursorSelectionChangedEventLike) => void): Disposable {
    return this.selectionEmitter.event(listener);
  }

  onKeyDown(listener: (event: KeyboardEventLike) => void): Disposable {
    return this.keyEmitter.event(listener);
  }

  createDecorationsCollection(decorations?: DecorationLike[]): HeadlessDecorations {
    const collection = new HeadlessDecorations(this.collections);
    if (decorations) collection.set(decorations);
    return collection;
  }

  /** Test helper: every decoration currently shown. */
  allDecorations(): DecorationLike[] {
    return [...this.collections].flatMap((c) => c.items);
  }

  /** Number of cursor-selection listeners; lets tests check cleanup. */
  get selectionListenerCount(): number {
    return this.selectionEmitter.size;
  }

  /** Number of keydown listeners; lets tests check cleanup. */
  get keyListenerCount(): number {
    return this.keyEmitter.size;
  }

  private requireModel(): HeadlessTextModel {
    if (!this.model) throw new Error('No model');
    return this.model;
  }

  private toOffsets(s: SelectionLike): OffsetSelection {
    const model = this.requireModel();
    return {
      anchor: model.getOffsetAt({ lineNumber: s.selectionStartLineNumber, column: s.selectionStartColumn }),
      head: model.getOffsetAt({ lineNumber: s.positionLineNumber, column: s.positionColumn }),
    };
  }

  private replaceSelections(textFor: (i: number) => string, reason: number): void {
    this.applyTyping(
      this.selections.map((s, i) => ({ start: Math.min(s.anchor, s.head), end: Math.max(s.anchor, s.head), text: textFor(i) })),
      reason,
    );
  }

  /** Applies one edit per selection through pushEditOperations and leaves a caret after each. */
  private applyTyping(edits: Array<{ start: number; end: number; text: string }>, reason: number): void {
    const model = this.requireModel();
    const sorted = [...edits].sort((a, b) => a.start - b.start);
    const merged: typeof sorted = [];
    for (const e of sorted) {
      const last = merged[merged.length - 1];
      if (last && e.start < last.end) continue; // Overlapping carets collapse, as in Monaco.
      merged.push(e);
    }
    const eol = model.getEOL();
    model.pushEditOperations(
      null,
      merged.map((e) => {
        const s = model.getPositionAt(e.start);
        const t = model.getPositionAt(e.end);
        return { range: { startLineNumber: s.lineNumber, startColumn: s.column, endLineNumber: t.lineNumber, endColumn: t.column }, text: e.text };
      }),
      () => null,
    );
    let delta = 0;
    const carets = merged.map((e) => {
      const inserted = normalizeEol(e.text, eol).length;
      const caret = e.start + delta + inserted;
      delta += inserted - (e.end - e.start);
      return { anchor: caret, head: caret };
    });
    this.setSelectionsInternal(carets, reason, 'keyboard');
  }

  private setSelectionsInternal(selections: OffsetSelection[], reason: number, source: string): void {
    const length = this.model?.getValueLength() ?? 0;
    const clamp = (o: number): number => Math.min(length, Math.max(0, o));
    this.selections = selections.length
      ? selections.map((s) => ({ anchor: clamp(s.anchor), head: clamp(s.head) }))
      : [{ anchor: 0, head: 0 }];
    this.selectionEmitter.fire({ reason, source });
  }

  /** Recovers selections after an edit the way Monaco's cursor markers do (carets are dragged). */
  private onModelContent(e: ContentChangedEventLike): void {
    const mapOffset = (offset: number, pushed: boolean): number => {
      let o = offset;
      // Changes are listed end-first and each is relative to the text before the event.
      for (const change of e.changes) {
        const end = change.rangeOffset + change.rangeLength;
        if (o > end || (o === end && (pushed || change.rangeLength > 0))) o += change.text.length - change.rangeLength;
        else if (o > change.rangeOffset) o = change.rangeOffset + (pushed ? change.text.length : 0);
      }
      return o;
    };
    const next = this.selections.map((s) => {
      if (s.anchor === s.head) {
        const caret = mapOffset(s.head, true);
        return { anchor: caret, head: caret };
      }
      const forward = s.anchor < s.head;
      const start = mapOffset(Math.min(s.anchor, s.head), false);
      const end = mapOffset(Math.max(s.anchor, s.head), true);
      return forward ? { anchor: start, head: end } : { anchor: end, head: start };
    });
    this.scrollTop = this.clampScroll(this.scrollTop);
    const changed = next.some((s, i) => s.anchor !== this.selections[i]?.anchor || s.head !== this.selections[i]?.head);
    if (changed || e.isFlush) this.setSelectionsInternal(next, e.isFlush ? 1 : 2, 'modelChange');
  }

  private clampScroll(top: number): number {
    const count = this.model?.getLineCount() ?? 1;
    return Math.min(Math.max(0, top), (count - 1) * this.lineHeight);
  }
}
