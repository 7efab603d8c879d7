'use client';

import * as monaco from 'monaco-editor';
import { useEffect, useRef, useState } from 'react';
import type { Doc } from 'sharedb/lib/client';
import { installUndoRedoKeybindings, MonacoBinding } from '../../lib/binding/monaco-binding';
import { RemoteCursors } from '../../lib/binding/remote-cursors';
import type { TandemClient } from '../../lib/client/tandem-client';
import { COLLECTIONS, fileDocId, type CursorPresence } from '../../lib/protocol';
import type { Theme } from '../_lib/theme';
import type { WorkspacePresence } from '../_lib/workspace-presence';

// Workers come from our own bundle (stack-facts §0 pitfall 6): never a CDN.
self.MonacoEnvironment = {
  getWorker(_workerId: string, label: string) {
    switch (label) {
      case 'typescript':
      case 'javascript':
        return new Worker(new URL('monaco-editor/languages/features/typescript/ts.worker.js', import.meta.url), { type: 'module' });
      case 'json':
        return new Worker(new URL('monaco-editor/languages/features/json/json.worker.js', import.meta.url), { type: 'module' });
      case 'css':
      case 'scss':
      case 'less':
        return new Worker(new URL('monaco-editor/languages/features/css/css.worker.js', import.meta.url), { type: 'module' });
      case 'html':
      case 'handlebars':
      case 'razor':
        return new Worker(new URL('monaco-editor/languages/features/html/html.worker.js', import.meta.url), { type: 'module' });
      default:
        return new Worker(new URL('monaco-editor/editor/editor.worker.js', import.meta.url), { type: 'module' });
    }
  },
};

// Editor colours match the page's surfaces (app/globals.css) so the editor does not look pasted in.
monaco.editor.defineTheme('tandem-light', {
  base: 'vs',
  inherit: true,
  rules: [],
  colors: {
    'editor.background': '#ffffff',
    'editorLineNumber.foreground': '#a0a7b1',
    'editorLineNumber.activeForeground': '#1b1f24',
    'editor.lineHighlightBackground': '#f5f7fa',
    'editor.lineHighlightBorder': '#00000000',
    'editorIndentGuide.background1': '#eceff3',
    'editorWidget.background': '#ffffff',
    'editorWidget.border': '#e2e5ea',
  },
});
monaco.editor.defineTheme('tandem-dark', {
  base: 'vs-dark',
  inherit: true,
  rules: [],
  colors: {
    'editor.background': '#1c1f26',
    'editorLineNumber.foreground': '#5b6270',
    'editorLineNumber.activeForeground': '#d7dae0',
    'editor.lineHighlightBackground': '#22262e',
    'editor.lineHighlightBorder': '#00000000',
    'editorIndentGuide.background1': '#2a2e37',
    'editorWidget.background': '#22262e',
    'editorWidget.border': '#2e333d',
  },
});

const monacoTheme = (theme: Theme) => (theme === 'dark' ? 'tandem-dark' : 'tandem-light');

export interface CodeEditorHandle {
  /** The open file's text exactly as the editor holds it. */
  getText(): string | null;
  /** The text of another file, if this tab has it loaded. */
  getDocText(fileId: string): string | null;
}

/** A range to mark in the open file (a released review comment), in code points of its text. */
export interface EditorDecoration {
  id: string;
  from: number;
  to: number;
  /** Shown literally on hover over the range and its glyph. */
  hover: string;
}

/**
 * A finding to show as a Monaco marker (squiggle, hover and Problems-style message) on whole lines
 * of the open file. Today these are AI review findings (owner MARKER_OWNER).
 */
export interface EditorMarker {
  id: string;
  /** 1-based and inclusive; clamped to the file as it is now. */
  startLine: number;
  endLine: number;
  severity: 'info' | 'warning' | 'error';
  /** Shown literally (Monaco renders marker messages as plain text, never Markdown or HTML). */
  message: string;
  /** Who said it, e.g. "AI" or "eslint". */
  source: string;
  /** The analyser's rule id, if any. */
  code?: string | null;
}

/** Marker owner of AI review findings: setting them again replaces only these markers. */
export const MARKER_OWNER = 'tandem-ai';

/** Select and scroll to a range of the open file: code points (comments) or whole lines (findings). */
export type EditorReveal = { fileId: string; from: number; to: number } | { fileId: string; startLine: number; endLine: number };

/** `markers` as Monaco marker data on `model`, with their lines clamped to the model's lines. */
export function lineMarkerData(model: monaco.editor.ITextModel, markers: readonly EditorMarker[]): monaco.editor.IMarkerData[] {
  const severity = { info: monaco.MarkerSeverity.Info, warning: monaco.MarkerSeverity.Warning, error: monaco.MarkerSeverity.Error } as const;
  return markers.map((m) => {
    const range = lineRange(model, m.startLine, m.endLine);
    return {
      severity: severity[m.severity] ?? monaco.MarkerSeverity.Info,
      message: m.message,
      source: m.source,
      ...(m.code ? { code: m.code } : {}),
      startLineNumber: range.startLineNumber,
      startColumn: range.startColumn,
      endLineNumber: range.endLineNumber,
      endColumn: range.endColumn,
    };
  });
}

/** Lines `startLine`..`endLine` (1-based, inclusive) of `model`, clamped, from the first non-blank character. */
export function lineRange(model: monaco.editor.ITextModel, startLine: number, endLine: number): monaco.Range {
  const count = model.getLineCount();
  const start = Math.min(Math.max(1, Math.floor(startLine) || 1), count);
  const end = Math.min(Math.max(start, Math.floor(endLine) || start), count);
  const startColumn = model.getLineFirstNonWhitespaceColumn(start) || 1;
  return new monaco.Range(start, startColumn, end, model.getLineMaxColumn(end));
}

export interface CodeEditorProps {
  client: TandemClient;
  presence: WorkspacePresence;
  workspaceId: string;
  fileId: string;
  fileName: string;
  language: string;
  theme: Theme;
  self: { clientId: string; name: string; color: string };
  onHandle: (handle: CodeEditorHandle | null) => void;
  /** Something the person should know (an edit refused as too large, a rejected op). */
  onNotice: (message: string) => void;
  /** Read-only viewer, or a navigator under strict roles: typing (and undo) does nothing. */
  readOnly: boolean;
  /** Shown by Monaco when someone types into the read-only editor. */
  readOnlyMessage: string;
  /** Follow mode: the clientId whose primary cursor this editor keeps in view, or null. */
  follow: string | null;
  /** Own keyboard input in the editor (ends follow mode). */
  onUserInput: () => void;
  /** Marked ranges of the open file: line highlight, glyph and hover. */
  decorations?: readonly EditorDecoration[];
  /**
   * Markers on the open file (AI review findings), replaced whenever a new array is passed.
   * Drawn on the live model, so Monaco carries them along while people type until the next set.
   */
  markers?: readonly EditorMarker[];
  /** Select and scroll to this range once it is the open file; a new object reveals again. */
  reveal?: EditorReveal | null;
}

type FileState = { status: 'loading' } | { status: 'ready' } | { status: 'error'; message: string };

/**
 * One Monaco editor for the workspace; one model per open file, bound to that file's ShareDB doc.
 * Docs stay subscribed once visited, so switching back is instant and edits made offline in a
 * file you left are still sent when the connection returns.
 */
export default function CodeEditor(props: CodeEditorProps) {
  const { client, presence, workspaceId, fileId, language, theme, self, onHandle, onNotice, readOnly, readOnlyMessage, follow } = props;
  const mountRef = useRef<HTMLDivElement>(null);
  const [editor, setEditor] = useState<monaco.editor.IStandaloneCodeEditor | null>(null);
  const [fileState, setFileState] = useState<FileState>({ status: 'loading' });
  const docs = useRef(new Map<string, Doc>());
  const viewStates = useRef(new Map<string, monaco.editor.ICodeEditorViewState | null>());
  const modelRef = useRef<monaco.editor.ITextModel | null>(null);
  const bindingRef = useRef<MonacoBinding | null>(null);
  const [followLine, setFollowLine] = useState<number | null>(null);
  const readOnlyRef = useRef(readOnly);
  readOnlyRef.current = readOnly;
  const inputRef = useRef(props.onUserInput);
  inputRef.current = props.onUserInput;
  const teardownRef = useRef<(() => void) | null>(null);
  const themeRef = useRef(theme);
  themeRef.current = theme;
  const selfRef = useRef(self);
  selfRef.current = self;
  const noticeRef = useRef(onNotice);
  noticeRef.current = onNotice;

  useEffect(() => {
    const mount = mountRef.current;
    if (!mount) return;
    const created = monaco.editor.create(mount, {
      model: null,
      theme: monacoTheme(themeRef.current),
      automaticLayout: true,
      fontFamily: "ui-monospace, 'SF Mono', 'Cascadia Code', 'JetBrains Mono', Menlo, Consolas, 'DejaVu Sans Mono', monospace",
      fontSize: 14,
      lineHeight: 22,
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      padding: { top: 12, bottom: 12 },
      renderLineHighlight: 'all',
      smoothScrolling: true,
      tabSize: 4,
      fixedOverflowWidgets: true,
      bracketPairColorization: { enabled: true },
      ariaLabel: 'Code editor',
      readOnly: readOnlyRef.current,
    });
    // Any key of my own ends follow mode (the follower takes over their own view again).
    const keys = created.onKeyDown(() => inputRef.current());
    setEditor(created);
    const openDocs = docs.current;
    return () => {
      // React cleans effects up in declaration order; unbind the file before the editor goes.
      teardownRef.current?.();
      keys.dispose();
      created.dispose();
      setEditor(null);
      // destroy() waits until pending edits are acknowledged before unsubscribing.
      for (const doc of openDocs.values()) doc.destroy();
      openDocs.clear();
    };
  }, []);

  useEffect(() => {
    monaco.editor.setTheme(monacoTheme(theme));
  }, [theme]);

  useEffect(() => {
    editor?.updateOptions({ readOnly, readOnlyMessage: { value: readOnlyMessage } });
  }, [editor, readOnly, readOnlyMessage]);

  // Open, bind and later unbind the current file.
  useEffect(() => {
    if (!editor) return;
    const connection = client.connection;
    const docId = fileDocId(workspaceId, fileId);
    let doc = docs.current.get(fileId);
    if (!doc) {
      doc = connection.get(COLLECTIONS.files, docId);
      doc.on('error', () => {});
      docs.current.set(fileId, doc);
    }
    const fileDoc = doc;
    let cancelled = false;
    let binding: MonacoBinding | null = null;
    let cursors: RemoteCursors | null = null;
    let keys: monaco.IDisposable | null = null;
    let model: monaco.editor.ITextModel | null = null;
    // Where the keyboard was when this file started to open (see mayTakeFocus).
    const focusAtOpen = document.activeElement;
    setFileState({ status: 'loading' });

    fileDoc.subscribe((err: unknown) => {
      if (cancelled) return;
      if (err) {
        setFileState({ status: 'error', message: (err as { message?: string }).message ?? 'Could not open this file.' });
        return;
      }
      if (!fileDoc.type) {
        setFileState({ status: 'error', message: 'This file no longer exists.' });
        return;
      }
      model = monaco.editor.createModel(fileDoc.data as string, language, monaco.Uri.from({ scheme: 'tandem', path: `/${fileId}/${props.fileName}` }));
      model.setEOL(monaco.editor.EndOfLineSequence.LF);
      model.updateOptions({ tabSize: language === 'javascript' || language === 'typescript' ? 2 : 4, insertSpaces: true });
      modelRef.current = model;
      editor.setModel(model);
      const viewState = viewStates.current.get(fileId);
      if (viewState) editor.restoreViewState(viewState);
      binding = new MonacoBinding({
        doc: fileDoc,
        model,
        editor,
        onError: (notice) => noticeRef.current(notice.message),
        // The workspace doc's op removes the file from the tree and moves us elsewhere.
        onDeleted: () => {},
      });
      bindingRef.current = binding;
      const bound = binding;
      // Undo submits ops too: not while read-only (the server would refuse them anyway).
      keys = installUndoRedoKeybindings(monaco, editor, {
        undo: () => !readOnlyRef.current && bound.undo(),
        redo: () => !readOnlyRef.current && bound.redo(),
      });
      presence.setOpenFile(fileId);
      cursors = new RemoteCursors({
        connection,
        doc: fileDoc,
        model,
        editor,
        self: selfRef.current,
        file: fileId,
        offsets: binding,
        onError: () => {},
      });
      setFileState({ status: 'ready' });
      if (mayTakeFocus(document.activeElement, focusAtOpen, editor.getContainerDomNode())) editor.focus();
    });

    // Idempotent: runs on file switch, or first thing when the editor itself is torn down.
    const teardown = () => {
      if (cancelled) return;
      cancelled = true;
      if (model) viewStates.current.set(fileId, editor.saveViewState());
      cursors?.destroy();
      keys?.dispose();
      if (bindingRef.current === binding) bindingRef.current = null;
      binding?.destroy();
      presence.setOpenFile(null);
      editor.setModel(null);
      model?.dispose();
      if (modelRef.current === model) modelRef.current = null;
    };
    teardownRef.current = teardown;
    return teardown;
    // The language and name of an open file change through the effect below, not by reopening.
  }, [editor, client, presence, workspaceId, fileId]);

  useEffect(() => {
    if (modelRef.current && fileState.status === 'ready') monaco.editor.setModelLanguage(modelRef.current, language);
  }, [language, fileState]);

  // Follow mode: keep the followed person's primary cursor in view. Their cursor presence arrives
  // on the file's presence channel, which RemoteCursors already subscribes to; we only listen.
  useEffect(() => {
    setFollowLine(null);
    const binding = bindingRef.current;
    const model = modelRef.current;
    if (!editor || !follow || fileState.status !== 'ready' || !binding || !model) return;
    const channel = client.connection.getDocPresence(COLLECTIONS.files, fileDocId(workspaceId, fileId));
    const reveal = (value: unknown) => {
      const v = value as CursorPresence | null;
      const head = v && v.clientId === follow ? v.selections?.[0]?.head : undefined;
      if (typeof head !== 'number' || model.isDisposed()) return;
      let offset: number;
      try {
        offset = binding.toUtf16(head);
      } catch {
        return;
      }
      const line = model.getPositionAt(offset).lineNumber;
      editor.revealLineInCenterIfOutsideViewport(line);
      setFollowLine(line);
    };
    for (const value of Object.values(channel.remotePresences)) reveal(value);
    const onReceive = (_id: string, value: unknown) => reveal(value);
    channel.on('receive', onReceive);
    return () => {
      channel.off('receive', onReceive);
    };
  }, [editor, follow, fileState, client, workspaceId, fileId]);

  // Review comments: drawn on the bound model, so Monaco carries them along as people type.
  const { decorations, reveal } = props;
  useEffect(() => {
    const binding = bindingRef.current;
    const model = modelRef.current;
    if (!editor || fileState.status !== 'ready' || !binding || !model || !decorations?.length) return;
    const escape = (text: string) => ({ value: text.replace(/[\\`*_{}[\]()#+\-.!<>|~]/g, '\\$&') });
    const ids = model.deltaDecorations(
      [],
      decorations.flatMap((d) => {
        const range = monaco.Range.fromPositions(model.getPositionAt(binding.toUtf16(d.from)), model.getPositionAt(binding.toUtf16(Math.max(d.from, d.to))));
        const stickiness = monaco.editor.TrackedRangeStickiness.NeverGrowsWhenTypingAtEdges;
        return [
          { range, options: { isWholeLine: true, className: 'note-line note-line-released', stickiness } },
          {
            range,
            options: {
              inlineClassName: 'note-range note-range-released',
              glyphMarginClassName: 'note-glyph note-glyph-released',
              glyphMarginHoverMessage: escape(d.hover),
              hoverMessage: escape(d.hover),
              stickiness,
            },
          },
        ];
      }),
    );
    return () => {
      if (!model.isDisposed()) model.deltaDecorations(ids, []);
    };
  }, [editor, fileState, decorations]);
  const hasDecorations = (decorations?.length ?? 0) > 0;
  useEffect(() => {
    editor?.updateOptions({ glyphMargin: hasDecorations });
  }, [editor, hasDecorations]);
  // AI findings as markers. Markers live in Monaco's marker service by the model's URI (which
  // outlives the model when a file is switched away from), so they are always cleared by URI.
  const { markers } = props;
  useEffect(() => {
    const model = modelRef.current;
    if (!editor || fileState.status !== 'ready' || !model || model.isDisposed() || !markers?.length) return;
    monaco.editor.setModelMarkers(model, MARKER_OWNER, lineMarkerData(model, markers));
    return () => monaco.editor.setModelMarkers(model, MARKER_OWNER, []);
  }, [editor, fileState, markers]);
  const revealed = useRef<object | null>(null);
  useEffect(() => {
    const binding = bindingRef.current;
    const model = modelRef.current;
    if (!editor || fileState.status !== 'ready' || !binding || !model || !reveal || reveal.fileId !== fileId || revealed.current === reveal) return;
    revealed.current = reveal;
    const range =
      'startLine' in reveal
        ? lineRange(model, reveal.startLine, reveal.endLine)
        : monaco.Range.fromPositions(model.getPositionAt(binding.toUtf16(reveal.from)), model.getPositionAt(binding.toUtf16(reveal.to)));
    editor.setSelection(range);
    editor.revealRangeInCenter(range);
    editor.focus();
  }, [editor, fileState, reveal, fileId]);

  useEffect(() => {
    onHandle({
      getText: () => modelRef.current?.getValue() ?? null,
      getDocText: (id) => {
        const doc = client.connection.collections[COLLECTIONS.files]?.[fileDocId(workspaceId, id)];
        return doc && typeof doc.data === 'string' ? doc.data : null;
      },
    });
    return () => onHandle(null);
  }, [client, workspaceId, onHandle]);

  return (
    <>
      <div
        ref={mountRef}
        className="editor-mount"
        data-testid="editor"
        data-file-id={fileId}
        data-state={fileState.status}
        data-readonly={readOnly ? 'true' : 'false'}
        data-follow-line={followLine ?? undefined}
      />
      {fileState.status === 'error' && (
        <div className="editor-placeholder" role="alert" style={{ position: 'absolute', inset: 0, background: 'var(--surface)' }}>
          <h2>Can’t open this file</h2>
          <p>{fileState.message}</p>
        </div>
      )}
    </>
  );
}

/**
 * A file that finishes loading takes the keyboard only if the person has not put it somewhere
 * else meanwhile. Loading is a server round trip; on a slow network someone who clicked a file and
 * then "New file" (or the chat box) must not have their half-typed name blurred away.
 */
function mayTakeFocus(now: Element | null, atOpen: Element | null, editorNode: Element): boolean {
  if (!now || now === now.ownerDocument.body) return true;
  return now === atOpen || editorNode.contains(now);
}
