/**
 * Headless doubles that label edits the way Monaco 0.57 does (P-OP-PROV): its Cursor puts
 * `detailedReasons: [{metadata: {source: 'cursor', kind: 'type' | 'paste' | …}}]` on the content
 * event of every edit it makes, and other edits (drop providers, bulk edits) carry
 * `{source: 'unknown'}` (seen in Chromium with Monaco 0.57, for the EditContext and the textarea
 * input paths; the real TextModel's side is pinned by real-monaco-binding.test.ts). The headless
 * model in tests/helpers leaves the field out, as a non-Monaco editor would.
 */
import type { ContentChangedEventLike, Disposable, EditSourceLike } from '../../../lib/binding/editor-port';
import { HeadlessEditor, HeadlessTextModel } from '../../helpers/text-model';

/** A HeadlessTextModel whose content events carry the label of the edit being made, if any. */
export class LabelledTextModel extends HeadlessTextModel {
  private label: EditSourceLike | null = null;

  /** Runs `edit` with its content events labelled `metadata` (outermost label wins, as in Monaco). */
  labelled(metadata: { source: string; kind?: string }, edit: () => void): void {
    if (this.label) return edit();
    this.label = { metadata };
    try {
      edit();
    } finally {
      this.label = null;
    }
  }

  override onDidChangeContent(listener: (event: ContentChangedEventLike) => void): Disposable {
    return super.onDidChangeContent((event) => listener(this.label ? { ...event, detailedReasons: [this.label] } : event));
  }
}

/** A HeadlessEditor whose typing and pasting are labelled like Monaco's Cursor, with a root element for drops. */
export class LabellingEditor extends HeadlessEditor {
  /** Stands in for `editor.getDomNode()`; dispatch `new Event('drop')` on it to simulate a drop. */
  readonly dom = new EventTarget();

  constructor(readonly labelledModel: LabelledTextModel) {
    super(labelledModel);
  }

  getDomNode(): EventTarget {
    return this.dom;
  }

  override type(text: string, reason = 0): void {
    this.labelledModel.labelled({ source: 'cursor', kind: 'type' }, () => super.type(text, reason));
  }

  override paste(text: string): void {
    this.labelledModel.labelled({ source: 'cursor', kind: 'paste' }, () => super.paste(text));
  }

  override backspace(): void {
    this.labelledModel.labelled({ source: 'cursor', kind: 'type' }, () => super.backspace());
  }

  /** Inserts `text` at `offset` as Monaco's drop providers do: a bulk edit labelled `unknown`. */
  insertAsDrop(offset: number, text: string): void {
    const model = this.labelledModel;
    const at = model.getPositionAt(offset);
    const range = { startLineNumber: at.lineNumber, startColumn: at.column, endLineNumber: at.lineNumber, endColumn: at.column };
    model.labelled({ source: 'unknown' }, () => model.pushEditOperations([], [{ range, text }], () => null));
  }
}
