/**
 * The binding codes against structural ports (lib/binding/editor-port.ts) so that lib/ never
 * imports monaco-editor. These compile-time checks prove that Monaco 0.57's real ITextModel,
 * ICodeEditor and namespace satisfy them (ts-jest type-checks this file; the relative import
 * reaches monaco's own .d.ts because its package typings do not resolve under node10), and
 * that the headless test doubles do too.
 */
import type * as monaco from '../../node_modules/monaco-editor/esm/vs/editor/editor.api';
import type { CodeEditorPort, DecorationLike, EditOperationLike, TextModelPort } from '../../lib/binding/editor-port';
import type { MonacoKeyCodes } from '../../lib/binding/undo-keybindings';
import { CursorChangeReason, EOL_LF, SCROLL_IMMEDIATE } from '../../lib/binding/editor-port';
import { HeadlessEditor, HeadlessTextModel } from '../helpers/text-model';

// Assignments that only compile if the real Monaco types fit the ports.
export const realModelFits = (model: monaco.editor.ITextModel): TextModelPort => model;
export const realEditorFits = (editor: monaco.editor.ICodeEditor): CodeEditorPort => editor;
export const realStandaloneEditorFits = (editor: monaco.editor.IStandaloneCodeEditor): CodeEditorPort => editor;
export const realNamespaceFits = (ns: typeof monaco): MonacoKeyCodes => ns;
// What the binding hands to Monaco must be what Monaco accepts.
export const editsFit = (edits: EditOperationLike[]): monaco.editor.IIdentifiedSingleEditOperation[] => edits;
export const decorationsFit = (d: DecorationLike): Omit<monaco.editor.IModelDeltaDecoration, 'options'> => d;

describe('editor ports', () => {
  test('constants match Monaco enums', () => {
    const eol: monaco.editor.EndOfLineSequence = EOL_LF;
    const scroll: monaco.editor.ScrollType = SCROLL_IMMEDIATE;
    const explicit: monaco.editor.CursorChangeReason = CursorChangeReason.Explicit;
    expect([eol, scroll, explicit]).toEqual([0, 1, 3]);
  });

  test('the headless doubles implement the same ports', () => {
    const model: TextModelPort = new HeadlessTextModel('x');
    const editor: CodeEditorPort = new HeadlessEditor(new HeadlessTextModel('x'));
    expect(model.getValue()).toBe('x');
    expect(editor.getSelections()).toHaveLength(1);
  });
});
