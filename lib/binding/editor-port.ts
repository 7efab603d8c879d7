/**
 * The parts of Monaco's `ITextModel` and `ICodeEditor` that the binding uses, declared
 * structurally. `lib/` runs in Node too and must not import `monaco-editor` at run time (nor can
 * its types be resolved under the server's node10 resolution), so the binding codes against
 * these ports. Real Monaco objects satisfy them (checked in tests/unit/editor-port.test.ts against
 * monaco.d.ts); the headless model in tests/helpers/text-model.ts implements them for unit tests.
 *
 * Methods are declared with method syntax on purpose: TypeScript compares method parameters
 * bivariantly, which lets Monaco's enum-typed parameters (EndOfLineSequence, ScrollType, …)
 * satisfy the plain `number` used here.
 */

/** Monaco `IDisposable`. */
export interface Disposable {
  dispose(): void;
}

/** Monaco `IPosition`: 1-based line and column (column counts UTF-16 units). */
export interface PositionLike {
  readonly lineNumber: number;
  readonly column: number;
}

/** Monaco `IRange`. */
export interface RangeLike {
  readonly startLineNumber: number;
  readonly startColumn: number;
  readonly endLineNumber: number;
  readonly endColumn: number;
}

/** Monaco `ISelection`: the selection starts at `selectionStart*` (anchor) and the caret is at `position*` (head). */
export interface SelectionLike {
  readonly selectionStartLineNumber: number;
  readonly selectionStartColumn: number;
  readonly positionLineNumber: number;
  readonly positionColumn: number;
}

/** Monaco `IModelContentChange`: offsets and lengths in UTF-16 units of the text before the event. */
export interface ContentChangeLike {
  readonly range: RangeLike;
  readonly rangeOffset: number;
  readonly rangeLength: number;
  readonly text: string;
}

/**
 * Monaco `TextModelEditSource`: what made an edit. Monaco's Cursor labels its own edits
 * `{source: 'cursor', kind: 'type' | 'paste' | 'compositionType' | 'cut' | …}`; other edits carry
 * `{source: 'unknown' | 'snippet' | 'suggest' | …}`.
 */
export interface EditSourceLike {
  readonly metadata?: { readonly source?: unknown; readonly kind?: unknown };
}

/** Monaco `IModelContentChangedEvent`. */
export interface ContentChangedEventLike {
  /** Ordered from the end of the document to the start, so they apply in sequence. */
  readonly changes: readonly ContentChangeLike[];
  readonly eol: string;
  readonly isFlush: boolean;
  readonly isEolChange: boolean;
  readonly isUndoing: boolean;
  readonly isRedoing: boolean;
  /**
   * What made the changes (several when Monaco merged events). WARNING: Monaco 0.57 sets this on
   * every content event but leaves it out of monaco.d.ts; it is the only signal that names a
   * paste at the moment its content event fires (`onDidPaste`, the cursor's Paste reason and the
   * DOM `paste` event all come after the edit or, with `pasteAs` on, before an async gap). Absent
   * on the headless test model unless a test sets it. Pinned by tests/unit/real-monaco-binding.
   */
  readonly detailedReasons?: readonly (EditSourceLike | null | undefined)[];
}

/** Monaco `IIdentifiedSingleEditOperation`. */
export interface EditOperationLike {
  range: RangeLike;
  text: string | null;
  forceMoveMarkers?: boolean;
}

/** Monaco `EndOfLineSequence.LF`. */
export const EOL_LF = 0;

/** The subset of Monaco's `ITextModel` the binding and the remote cursors use. */
export interface TextModelPort {
  getValue(): string;
  getValueLength(): number;
  getValueInRange(range: RangeLike): string;
  getEOL(): string;
  /** `eol` is Monaco's `EndOfLineSequence` (LF = 0). */
  setEOL(eol: number): void;
  getLineCount(): number;
  getOffsetAt(position: PositionLike): number;
  getPositionAt(offset: number): PositionLike;
  /** Applies edits without entering Monaco's undo stack; all ranges refer to the text before the call. */
  applyEdits(operations: readonly EditOperationLike[]): void;
  onDidChangeContent(listener: (event: ContentChangedEventLike) => void): Disposable;
  onWillDispose(listener: () => void): Disposable;
  isDisposed(): boolean;
}

/** Monaco `ICursorSelectionChangedEvent` (only what the binding reads). */
export interface CursorSelectionChangedEventLike {
  /** Monaco `CursorChangeReason`: 0 NotSet, 1 ContentFlush, 2 RecoverFromMarkers, 3 Explicit, 4 Paste, 5 Undo, 6 Redo. */
  readonly reason: number;
  /** `'keyboard'`, `'mouse'`, `'api'`, … */
  readonly source: string;
}

/** Monaco `CursorChangeReason` values the binding reacts to. */
export const CursorChangeReason = {
  NotSet: 0,
  ContentFlush: 1,
  RecoverFromMarkers: 2,
  Explicit: 3,
  Paste: 4,
  Undo: 5,
  Redo: 6,
} as const;

/** Monaco `IKeyboardEvent` (only what the undo keybindings read). */
export interface KeyboardEventLike {
  readonly ctrlKey: boolean;
  readonly shiftKey: boolean;
  readonly altKey: boolean;
  readonly metaKey: boolean;
  /** Monaco `KeyCode`. */
  readonly keyCode: number;
  preventDefault(): void;
  stopPropagation(): void;
}

/** Monaco `IModelDecorationOptions` (only what the remote cursors set). */
export interface DecorationOptionsLike {
  className?: string | null;
  beforeContentClassName?: string | null;
  afterContentClassName?: string | null;
  /** Monaco `TrackedRangeStickiness`; 1 = NeverGrowsWhenTypingAtEdges. */
  stickiness?: number;
  showIfCollapsed?: boolean;
  zIndex?: number;
}

/** Monaco `IModelDeltaDecoration`. */
export interface DecorationLike {
  range: RangeLike;
  options: DecorationOptionsLike;
}

/** Monaco `IEditorDecorationsCollection`. */
export interface DecorationsCollectionLike {
  set(decorations: readonly DecorationLike[]): unknown;
  clear(): void;
}

/**
 * The `source` of selection changes the binding makes when it moves carets through a peer's op.
 * Such changes are not the user's: they do not break undo groups and are not re-published.
 */
export const BINDING_SELECTION_SOURCE = 'tandem.binding';

/** Monaco `ScrollType.Immediate`. */
export const SCROLL_IMMEDIATE = 1;

/** The bit of a DOM element the binding listens on (lib/ is also compiled without the DOM types). */
export interface DomEventTargetLike {
  addEventListener(type: string, listener: () => void, options?: boolean): void;
  removeEventListener(type: string, listener: () => void, options?: boolean): void;
}

/** The subset of Monaco's `ICodeEditor` the binding and the remote cursors use. */
export interface CodeEditorPort {
  /** Compared by identity with the bound model: the editor may be showing another file. */
  getModel(): object | null;
  /** Primary selection first. */
  getSelections(): SelectionLike[] | null;
  setSelections(selections: readonly SelectionLike[], source?: string): void;
  getScrollTop(): number;
  /** `scrollType` is Monaco's `ScrollType` (Immediate = 1). */
  setScrollTop(newScrollTop: number, scrollType?: number): void;
  getTopForLineNumber(lineNumber: number): number;
  getVisibleRanges(): RangeLike[];
  revealPositionInCenterIfOutsideViewport(position: PositionLike, scrollType?: number): void;
  onDidChangeCursorSelection(listener: (event: CursorSelectionChangedEventLike) => void): Disposable;
  onKeyDown(listener: (event: KeyboardEventLike) => void): Disposable;
  createDecorationsCollection(decorations?: DecorationLike[]): DecorationsCollectionLike;
  /**
   * The editor's root element: the binding watches it for `drop` (text dragged in from outside
   * is labelled pasted, P-OP-PROV). Optional: without it, drops are labelled typed.
   */
  getDomNode?(): DomEventTargetLike | null;
}
