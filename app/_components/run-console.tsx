'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import type { TandemClient } from '../../lib/client/tandem-client';
import { RUN_LIMITS, runLanguageOf, type RunBroadcast, type RunBroadcastPush, type RunFile, type RunLanguage } from '../../lib/run/run-types';
import type { FileEntry } from '../../lib/workspace';
import { CodeRunner, type RunHandle, type RunOutcome, type RunPhase } from '../_lib/run/code-runner';
import { collectRunFiles } from '../_lib/run/workspace-files';
import { APP_EVENTS, APP_PUSH, useSocketEvent } from '../_lib/live-client';

type Stream = 'stdout' | 'stderr' | 'stdin';
interface Segment {
  stream: Stream;
  text: string;
}
interface ConsoleRun {
  runId: string;
  file: string;
  by: string;
  at: number;
  local: boolean;
  phase: RunPhase | 'ended';
  outcome: RunOutcome | null;
  message: string | null;
}

const LANGUAGE_NAMES: Record<RunLanguage, string> = { python: 'Python', javascript: 'JavaScript', typescript: 'TypeScript' };
/** The shared console is coalesced: one socket message per 100 ms at most while output streams. */
const BROADCAST_EVERY_MS = 100;
const BROADCAST_CHUNK = 8000;

/**
 * Run and the shared console (issue 7 §1–3). Runs happen only in the browser of someone who may
 * write here — the code is theirs — and everyone else in the room (the partner, a teacher
 * following) sees the same output live, with who ran it and when.
 */
export function RunConsole({
  client,
  workspaceId,
  files,
  openFile,
  canRun,
  me,
}: {
  client: TandemClient | null;
  workspaceId: string;
  files: Record<string, FileEntry> | null;
  openFile: { id: string; name: string } | null;
  canRun: boolean;
  me: { displayName: string };
}) {
  const runner = useRef<CodeRunner | null>(null);
  const handle = useRef<RunHandle | null>(null);
  const [run, setRun] = useState<ConsoleRun | null>(null);
  const [segments, setSegments] = useState<Segment[]>([]);
  const [inputValue, setInputValue] = useState('');
  const [collapsed, setCollapsed] = useState(false);
  const outputRef = useRef<HTMLPreElement | null>(null);
  const inputRef = useRef<HTMLInputElement | null>(null);
  const runRef = useRef(run);
  runRef.current = run;

  const language = openFile ? runLanguageOf(openFile.name) : null;

  useEffect(() => {
    runner.current = new CodeRunner();
    return () => {
      handle.current?.stop();
      runner.current?.dispose();
    };
  }, []);
  // Python takes seconds of CPU to load: start when the student reaches for Run, not for every
  // open of a Python file (thirty laptops in a room, most of them only editing).
  const prepare = useCallback(() => {
    if (canRun && language) runner.current?.prepare(language);
  }, [canRun, language]);

  const append = useCallback((stream: Stream, text: string) => {
    setSegments((prev) => {
      const last = prev[prev.length - 1];
      if (last && last.stream === stream) return [...prev.slice(0, -1), { stream, text: last.text + text }];
      return [...prev, { stream, text }];
    });
  }, []);

  useEffect(() => {
    const el = outputRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [segments]);

  // ── sending our run to the room ────────────────────────────────────────────────────────────
  const outbox = useRef<{ runId: string; stream: Stream; text: string } | null>(null);
  const flushTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const emit = useCallback(
    (event: RunBroadcast) => {
      client?.socket.emit(APP_EVENTS.runEvent, { workspaceId, event });
    },
    [client, workspaceId],
  );
  const flush = useCallback(() => {
    if (flushTimer.current) clearTimeout(flushTimer.current);
    flushTimer.current = null;
    const pending = outbox.current;
    outbox.current = null;
    if (!pending) return;
    for (let i = 0; i < pending.text.length; i += BROADCAST_CHUNK) {
      emit({ kind: 'output', runId: pending.runId, stream: pending.stream, text: pending.text.slice(i, i + BROADCAST_CHUNK) });
    }
  }, [emit]);
  const share = useCallback(
    (runId: string, stream: Stream, text: string) => {
      if (outbox.current && outbox.current.stream !== stream) flush();
      outbox.current = outbox.current ? { ...outbox.current, text: outbox.current.text + text } : { runId, stream, text };
      flushTimer.current ??= setTimeout(flush, BROADCAST_EVERY_MS);
    },
    [flush],
  );

  const collectFiles = useCallback(async (): Promise<RunFile[]> => {
    if (!client || !files) return [];
    return (await collectRunFiles(client, workspaceId, files, (name) => runLanguageOf(name) !== null)).files;
  }, [client, files, workspaceId]);

  const start = useCallback(async () => {
    if (!canRun || !openFile || !language || !runner.current) return;
    if (runRef.current?.local && runRef.current.phase !== 'ended') return;
    const runId = `r${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    setCollapsed(false);
    setSegments([]);
    setInputValue('');
    const current: ConsoleRun = { runId, file: openFile.name, by: me.displayName, at: Date.now(), local: true, phase: 'loading', outcome: null, message: null };
    setRun(current);
    let runFiles: RunFile[];
    try {
      runFiles = await collectFiles();
    } catch (err) {
      setRun({ ...current, phase: 'ended', outcome: 'error', message: `Could not read the files: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    emit({ kind: 'start', runId, file: openFile.name, language });
    handle.current = runner.current.run(language, runFiles, openFile.name, {
      onPhase: (phase) => {
        setRun((r) => (r && r.runId === runId ? { ...r, phase } : r));
        if (phase === 'input') setTimeout(() => inputRef.current?.focus(), 0);
      },
      onOutput: (stream, text) => {
        append(stream, text);
        share(runId, stream, text);
      },
      onEnd: (outcome, message) => {
        handle.current = null;
        flush();
        emit({ kind: 'end', runId, outcome, message: message ? message.slice(0, 2000) : null });
        setRun((r) => (r && r.runId === runId ? { ...r, phase: 'ended', outcome, message } : r));
      },
    });
  }, [canRun, openFile, language, me.displayName, collectFiles, emit, append, share, flush]);

  const stop = useCallback(() => handle.current?.stop(), []);

  // Ctrl+Enter / Cmd+Enter runs, even from inside the editor (captured before Monaco sees it).
  const startRef = useRef(start);
  startRef.current = start;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && !e.shiftKey && !e.altKey) {
        e.preventDefault();
        e.stopPropagation();
        void startRef.current();
      }
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, []);

  const submitInput = useCallback(() => {
    const h = handle.current;
    const r = runRef.current;
    if (!h || !r || r.phase !== 'input') return;
    const sent = h.input(inputValue);
    setInputValue('');
    append('stdin', `${sent}\n`);
    share(r.runId, 'stdin', `${sent}\n`);
  }, [inputValue, append, share]);

  // ── someone else's run ─────────────────────────────────────────────────────────────────────
  useSocketEvent<RunBroadcastPush>(client, APP_PUSH.runEvent, (e) => {
    if (e.workspaceId !== workspaceId) return;
    const current = runRef.current;
    // Our own run in progress keeps the console.
    if (current?.local && current.phase !== 'ended') return;
    if (e.kind === 'start') {
      setCollapsed(false);
      setSegments([]);
      setRun({ runId: e.runId, file: e.file, by: e.by.displayName, at: e.at, local: false, phase: 'running', outcome: null, message: null });
      return;
    }
    if (!current || current.runId !== e.runId) return;
    if (e.kind === 'output') append(e.stream, e.text);
    else setRun({ ...current, phase: 'ended', outcome: e.outcome, message: e.message });
  });

  const running = run?.local === true && run.phase !== 'ended';
  const status = statusText(run);

  return (
    <section className={`run-console${collapsed ? ' collapsed' : ''}`} aria-label="Run console" data-testid="run-console">
      <div className="run-bar">
        {canRun &&
          (running ? (
            <button type="button" className="btn small-btn btn-danger" onClick={stop} data-testid="run-stop">
              ■ Stop
            </button>
          ) : (
            <button
              type="button"
              className="btn small-btn btn-primary"
              onClick={() => void start()}
              onPointerEnter={prepare}
              onFocus={prepare}
              disabled={!language || !client}
              title={language ? `Run ${openFile?.name} (Ctrl+Enter)` : 'Only .py, .js and .ts files can be run'}
              data-testid="run-button"
            >
              ▶ Run
            </button>
          ))}
        <span className="run-title">{language ? LANGUAGE_NAMES[language] : 'Console'}</span>
        {run && (
          <span className="run-status" data-testid="run-status" data-outcome={run.outcome ?? ''} data-phase={run.phase}>
            {status}
          </span>
        )}
        <span className="spacer" />
        {segments.length > 0 && !running && (
          <button type="button" className="btn btn-ghost small-btn" onClick={() => setSegments([])} data-testid="run-clear">
            Clear
          </button>
        )}
        <button type="button" className="btn btn-ghost small-btn" onClick={() => setCollapsed((c) => !c)} aria-expanded={!collapsed}>
          {collapsed ? 'Show console' : 'Hide'}
        </button>
      </div>
      {!collapsed && (
        <div className="run-body">
          {run && (
            <div className="run-header" data-testid="run-header">
              {run.local ? 'You' : run.by} ran <strong>{run.file}</strong> at {new Date(run.at).toLocaleTimeString()}
            </div>
          )}
          <pre className="run-output" ref={outputRef} data-testid="run-output" aria-live="polite">
            {segments.map((s, i) => (
              <span key={i} className={`run-${s.stream}`}>
                {s.text}
              </span>
            ))}
            {!run && <span className="run-hint">{canRun ? 'Press Run or Ctrl+Enter to run the open file. Output appears here, for your partner too.' : 'Runs by the people working here appear here.'}</span>}
          </pre>
          {running && run?.phase === 'input' && (
            <form
              className="run-input"
              onSubmit={(e) => {
                e.preventDefault();
                submitInput();
              }}
            >
              <span aria-hidden="true">›</span>
              <input
                ref={inputRef}
                value={inputValue}
                maxLength={RUN_LIMITS.inputLineChars}
                onChange={(e) => setInputValue(e.target.value)}
                onKeyDown={(e) => {
                  if (e.key === 'd' && e.ctrlKey) {
                    e.preventDefault();
                    handle.current?.endInput();
                  }
                }}
                aria-label="Input for the program"
                placeholder="The program is waiting for input: type a line and press Enter"
                data-testid="run-input"
                autoComplete="off"
                spellCheck={false}
              />
            </form>
          )}
        </div>
      )}
    </section>
  );
}

function statusText(run: ConsoleRun | null): string {
  if (!run) return '';
  switch (run.phase) {
    case 'loading':
      return 'Starting…';
    case 'running':
      return 'Running…';
    case 'input':
      return run.local ? 'Waiting for your input' : 'Waiting for input';
    case 'ended':
      switch (run.outcome) {
        case 'ok':
          return 'Finished';
        case 'error':
          return run.message ? `Error: ${run.message}` : 'Finished with an error';
        case 'stopped':
          return 'Stopped';
        case 'timeout':
        case 'truncated':
          return run.message ?? 'Stopped';
        default:
          return 'Finished';
      }
  }
}
