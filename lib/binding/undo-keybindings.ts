import type { CodeEditorPort, Disposable } from './editor-port';

/** The part of the `monaco` namespace the keybindings need; pass the real `monaco` object. */
export interface MonacoKeyCodes {
  KeyCode: { KeyZ: number; KeyY: number };
}

/** What the keybindings drive: a `MonacoBinding`. */
export interface UndoRedoTarget {
  undo(): boolean;
  redo(): boolean;
}

/**
 * Routes Ctrl/Cmd+Z to `target.undo()` and Ctrl/Cmd+Shift+Z and Ctrl/Cmd+Y to `target.redo()` in
 * one editor, and keeps Monaco's own undo from running: Monaco's stack knows nothing about peers,
 * so its undo could revert a classmate's text or replay stale positions.
 *
 * It listens to the editor's own `onKeyDown` (fired from the editor's input element, before the
 * keydown bubbles to the container where Monaco's keybinding service dispatches) rather than using
 * `editor.addCommand`: since Monaco 0.32 one keybinding service serves every editor on the page, so
 * a command added to one editor also fires in the others (microsoft/monaco-editor#2947, #3345).
 * `monaco` is passed
 * in so that `lib/` never imports monaco-editor at run time. Returns a disposable that removes
 * the keybindings.
 */
export function installUndoRedoKeybindings(
  monaco: MonacoKeyCodes,
  editor: Pick<CodeEditorPort, 'onKeyDown'>,
  target: UndoRedoTarget,
): Disposable {
  const { KeyZ, KeyY } = monaco.KeyCode;
  return editor.onKeyDown((e) => {
    if (!(e.ctrlKey || e.metaKey) || e.altKey) return;
    const isUndo = e.keyCode === KeyZ && !e.shiftKey;
    const isRedo = (e.keyCode === KeyZ && e.shiftKey) || (e.keyCode === KeyY && !e.shiftKey);
    if (!isUndo && !isRedo) return;
    e.preventDefault();
    e.stopPropagation();
    if (isUndo) target.undo();
    else target.redo();
  });
}
