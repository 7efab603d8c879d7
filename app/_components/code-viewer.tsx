'use client';

import * as monaco from 'monaco-editor';
import { useEffect, useRef, useState } from 'react';
import { CodePointIndex } from '../../lib/text/offsets';
import type { Theme } from '../_lib/theme';
// The live editor's module sets self.MonacoEnvironment (workers from our own bundle, never a CDN)
// and defines the tandem themes; importing it here shares that one setup.
import { lineMarkerData, lineRange, MARKER_OWNER, type EditorMarker } from './code-editor';

const monacoTheme = (theme: Theme) => (theme === 'dark' ? 'tandem-dark' : 'tandem-light');

const VIEWER_OPTIONS: monaco.editor.IStandaloneEditorConstructionOptions = {
  readOnly: true,
  // Monaco hides markers in read-only editors by default; review findings must show here.
  renderValidationDecorations: 'on',
  automaticLayout: true,
  fontFamily: "ui-monospace, 'SF Mono', 'Cascadia Code', 'JetBrains Mono', Menlo, Consolas, 'DejaVu Sans Mono', monospace",
  fontSize: 14,
  lineHeight: 22,
  minimap: { enabled: false },
  scrollBeyondLastLine: false,
  padding: { top: 12, bottom: 12 },
  renderLineHighlight: 'all',
  tabSize: 4,
  fixedOverflowWidgets: true,
  glyphMargin: true,
};

/** A marked range of the viewed text (a review comment), in code points. */
export interface ViewerMark {
  id: string;
  from: number;
  to: number;
  /** Hover text (shown literally). */
  hover: string;
  /** Drafts look different from released comments. */
  draft?: boolean;
}

const NO_MARKS: readonly ViewerMark[] = [];
const NO_MARKERS: readonly EditorMarker[] = [];

/** Whole lines of the viewed text, 1-based and inclusive (what AI findings use). */
export interface LineRange {
  startLine: number;
  endLine: number;
}

/** A selection in code points of the viewed text (what comment offsets use). */
export interface CodePointRange {
  from: number;
  to: number;
}

/** Escapes Markdown so a comment's text shows literally in Monaco's hover. */
export function plainHover(text: string): monaco.IMarkdownString {
  return { value: text.replace(/[\\`*_{}[\]()#+\-.!<>|~]/g, '\\$&'), isTrusted: false, supportHtml: false };
}

/** Monaco range of code points [from, to) of `text` in `model` (whose value is `text`). */
function rangeOf(model: monaco.editor.ITextModel, index: CodePointIndex, from: number, to: number): monaco.Range {
  const start = model.getPositionAt(index.toUtf16(from));
  const end = model.getPositionAt(index.toUtf16(Math.max(from, to)));
  return monaco.Range.fromPositions(start, end);
}

/**
 * Read-only Monaco for a text that is not live (a submitted version, a point in history):
 * marks comment ranges, reports the selection in code points, and can reveal a range.
 */
export function CodeViewer({
  text,
  language,
  theme,
  marks = NO_MARKS,
  markers = NO_MARKERS,
  onSelection,
  onCommentKey,
  reveal = null,
  testId,
  label,
}: {
  text: string;
  language: string;
  theme: Theme;
  marks?: readonly ViewerMark[];
  /** Markers (AI review findings) on whole lines, replaced whenever a new array is passed. */
  markers?: readonly EditorMarker[];
  /** Called with the non-empty selection (code points), or null when nothing is selected. */
  onSelection?: (range: CodePointRange | null) => void;
  /** Ctrl/Cmd+Alt+M in the viewer (and its context menu): comment on the selection. */
  onCommentKey?: () => void;
  /** Select and scroll to this range (code points, or whole lines); a new object reveals again. */
  reveal?: CodePointRange | LineRange | null;
  testId: string;
  label: string;
}) {
  const mountRef = useRef<HTMLDivElement>(null);
  const [editor, setEditor] = useState<monaco.editor.IStandaloneCodeEditor | null>(null);
  const [model, setModel] = useState<monaco.editor.ITextModel | null>(null);
  const indexRef = useRef<CodePointIndex>(CodePointIndex.fromText(''));
  const selectionRef = useRef(onSelection);
  selectionRef.current = onSelection;
  const commentRef = useRef(onCommentKey);
  commentRef.current = onCommentKey;
  const themeRef = useRef(theme);
  themeRef.current = theme;
  const viewRef = useRef<monaco.editor.ICodeEditorViewState | null>(null);
  const revealedRef = useRef<CodePointRange | LineRange | null>(null);

  useEffect(() => {
    monaco.editor.setTheme(monacoTheme(theme));
  }, [theme]);

  // One model per text: a new version replaces it (keeping the scroll position when it can).
  useEffect(() => {
    if (!editor) return;
    const created = monaco.editor.createModel(text, language);
    created.updateOptions({ tabSize: language === 'javascript' || language === 'typescript' ? 2 : 4 });
    indexRef.current = CodePointIndex.fromText(created.getValue());
    editor.setModel(created);
    if (viewRef.current) editor.restoreViewState(viewRef.current);
    setModel(created);
    selectionRef.current?.(null);
    return () => {
      viewRef.current = editor.saveViewState();
      editor.setModel(null);
      created.dispose();
      setModel(null);
    };
  }, [editor, text, language]);

  useEffect(() => {
    if (!model || model.isDisposed() || marks.length === 0) return;
    const index = indexRef.current;
    const ids = model.deltaDecorations(
      [],
      marks.flatMap((m) => {
        const range = rangeOf(model, index, m.from, m.to);
        const hover = plainHover(m.hover);
        const kind = m.draft ? 'draft' : 'released';
        const line: monaco.editor.IModelDeltaDecoration = {
          range: new monaco.Range(range.startLineNumber, 1, range.endLineNumber, 1),
          options: {
            isWholeLine: true,
            className: `note-line note-line-${kind}`,
            glyphMarginClassName: `note-glyph note-glyph-${kind}`,
            glyphMarginHoverMessage: hover,
            stickiness: monaco.editor.TrackedRangeStickiness.NeverGrowsWhenTypingAtEdges,
          },
        };
        if (range.isEmpty()) return [line];
        return [line, { range, options: { inlineClassName: `note-range note-range-${kind}`, hoverMessage: hover } }];
      }),
    );
    return () => {
      if (!model.isDisposed()) model.deltaDecorations(ids, []);
    };
  }, [model, marks]);

  useEffect(() => {
    if (!model || model.isDisposed() || markers.length === 0) return;
    monaco.editor.setModelMarkers(model, MARKER_OWNER, lineMarkerData(model, markers));
    return () => monaco.editor.setModelMarkers(model, MARKER_OWNER, []);
  }, [model, markers]);

  useEffect(() => {
    // Once per reveal request, on the model it was meant for (not one being replaced).
    if (!editor || !model || model.isDisposed() || !reveal || revealedRef.current === reveal) return;
    revealedRef.current = reveal;
    const range = 'startLine' in reveal ? lineRange(model, reveal.startLine, reveal.endLine) : rangeOf(model, indexRef.current, reveal.from, reveal.to);
    editor.setSelection(range);
    editor.revealRangeInCenterIfOutsideViewport(range);
  }, [editor, model, reveal]);

  // Declared last so that on unmount the effects above let go of their models before the editor goes.
  useEffect(() => {
    const mount = mountRef.current;
    if (!mount) return;
    const created = monaco.editor.create(mount, { ...VIEWER_OPTIONS, model: null, theme: monacoTheme(themeRef.current), ariaLabel: label });
    const selection = created.onDidChangeCursorSelection((e) => {
      const m = created.getModel();
      if (!m) return;
      const s = e.selection;
      if (s.isEmpty()) {
        selectionRef.current?.(null);
        return;
      }
      const index = indexRef.current;
      const from = index.toCodePoint(m.getOffsetAt(s.getStartPosition()));
      const to = index.toCodePoint(m.getOffsetAt(s.getEndPosition()));
      selectionRef.current?.(from < to ? { from, to } : null);
    });
    const action = created.addAction({
      id: 'tandem.comment',
      label: 'Comment on selection',
      keybindings: [monaco.KeyMod.CtrlCmd | monaco.KeyMod.Alt | monaco.KeyCode.KeyM],
      contextMenuGroupId: 'navigation',
      precondition: 'editorHasSelection',
      run: () => commentRef.current?.(),
    });
    setEditor(created);
    if (typeof window !== 'undefined') {
      window.__tandemViewers ??= {};
      window.__tandemViewers[testId] = () => created.getModel()?.getValue() ?? null;
    }
    return () => {
      if (window.__tandemViewers?.[testId]) delete window.__tandemViewers[testId];
      selection.dispose();
      action.dispose();
      created.dispose();
      setEditor(null);
    };
    // The label and test id are fixed for the life of a viewer.
  }, []);

  return <div ref={mountRef} className="viewer-mount" data-testid={testId} data-ready={model ? 'true' : 'false'} />;
}

/** Read-only side-by-side diff (original on the left) with Monaco's diff editor. */
export function DiffViewer({
  original,
  modified,
  language,
  theme,
  testId,
}: {
  original: string;
  modified: string;
  language: string;
  theme: Theme;
  testId: string;
}) {
  const mountRef = useRef<HTMLDivElement>(null);
  const [editor, setEditor] = useState<monaco.editor.IStandaloneDiffEditor | null>(null);
  const themeRef = useRef(theme);
  themeRef.current = theme;

  useEffect(() => {
    monaco.editor.setTheme(monacoTheme(theme));
  }, [theme]);

  useEffect(() => {
    if (!editor) return;
    const left = monaco.editor.createModel(original, language);
    const right = monaco.editor.createModel(modified, language);
    editor.setModel({ original: left, modified: right });
    return () => {
      editor.setModel(null);
      left.dispose();
      right.dispose();
    };
  }, [editor, original, modified, language]);

  // Declared last: on unmount the models are detached before the editor is disposed.
  useEffect(() => {
    const mount = mountRef.current;
    if (!mount) return;
    const created = monaco.editor.createDiffEditor(mount, {
      ...VIEWER_OPTIONS,
      glyphMargin: false,
      originalEditable: false,
      renderSideBySide: true,
      theme: monacoTheme(themeRef.current),
    });
    setEditor(created);
    return () => {
      created.dispose();
      setEditor(null);
    };
  }, []);

  return <div ref={mountRef} className="viewer-mount" data-testid={testId} />;
}

declare global {
  interface Window {
    /** Test hook: the text each mounted viewer shows, by its test id (Monaco renders only visible lines). */
    __tandemViewers?: Record<string, () => string | null>;
  }
}
