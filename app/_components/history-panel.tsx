'use client';

import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import type { HistoryEntry } from '../../lib/review/review-api';
import { api, errorMessage } from '../_lib/api';
import type { Theme } from '../_lib/theme';
import { useResource } from '../_lib/use-resource';
import { CodeViewer } from './code-viewer';
import { SourceBadge } from './blame-panel';

/** Playback advances this many versions per tick at 1x (4x and 16x multiply it). */
const TICK_MS = 250;
const SPEEDS = [1, 4, 16] as const;
/** At most one version fetch in flight, and no faster than this: scrubbing must not flood the server. */
const MIN_FETCH_GAP_MS = 80;

/** A request to show one version (from a comment's "jump to version" or a paste signal). */
export interface HistoryTarget {
  fileId: string;
  version: number;
}

/**
 * The op that produced version `v` (the text after `v` ops). ShareDB numbers an op by the version
 * it applies to, so that op carries `v - 1`.
 */
export function opProducing(entries: readonly HistoryEntry[], v: number): HistoryEntry | null {
  return entries.find((e) => e.v === v - 1) ?? null;
}

/** The version whose text first includes op `v` (what a paste signal links to). */
export function versionAfterOp(v: number): number {
  return v + 1;
}

/**
 * Versions the scrubber can stop at, ascending: milestones kept below `firstVersion` (after op
 * retention compacted the keystrokes around them), then every version from `firstVersion` on.
 */
export function viewableVersions(history: { version: number; firstVersion: number; keptVersions?: number[] }): number[] {
  const kept = (history.keptVersions ?? []).filter((v) => v < history.firstVersion);
  const all = [...new Set(kept)].sort((a, b) => a - b);
  for (let v = history.firstVersion; v <= history.version; v++) all.push(v);
  return all;
}

/** Index of the viewable version nearest to `version` (the first one at or after it, else the last). */
function nearestIndex(versions: readonly number[], version: number): number {
  const at = versions.findIndex((v) => v >= version);
  return at === -1 ? versions.length - 1 : at;
}

/**
 * Playback of one file: a scrubber over its viewable versions with play/pause and speed, showing
 * the text after each op and who made it. Texts are fetched one at a time, newest wish first,
 * and cached.
 */
export function HistoryPanel({
  workspaceId,
  fileId,
  language,
  theme,
  target,
}: {
  workspaceId: string;
  fileId: string;
  language: string;
  theme: Theme;
  /** Show this version first (ignored when it is for another file). */
  target: HistoryTarget | null;
}) {
  const history = useResource(() => api.fileHistory(workspaceId, fileId), `${workspaceId}:${fileId}`);
  const data = history.data?.fileId === fileId ? history.data : null;
  const [version, setVersion] = useState<number | null>(null);
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState<(typeof SPEEDS)[number]>(1);
  const [shown, setShown] = useState<{ fileId: string; version: number; text: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const sliderId = useId();

  const versions = useMemo(() => (data ? viewableVersions(data) : []), [data]);
  const max = data?.version ?? 0;
  const lastIndex = Math.max(0, versions.length - 1);

  // Start at the requested version, or at the newest one.
  const targetKey = target && target.fileId === fileId ? target : null;
  useEffect(() => {
    setPlaying(false);
    if (!data) {
      setVersion(null);
      return;
    }
    const all = viewableVersions(data);
    setVersion(targetKey ? (all[nearestIndex(all, targetKey.version)] ?? data.version) : data.version);
  }, [data, targetKey]);

  // ── fetching: one request at a time for the latest wish; the rest come from the cache ─────
  const cache = useRef(new Map<string, string>());
  const wanted = useRef<number | null>(null);
  const inFlight = useRef(false);
  const lastFetch = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const current = useRef({ workspaceId, fileId });
  current.current = { workspaceId, fileId };

  const pump = useCallback(() => {
    const v = wanted.current;
    const { workspaceId: ws, fileId: file } = current.current;
    if (v === null || inFlight.current) return;
    const key = `${file}@${v}`;
    const hit = cache.current.get(key);
    if (hit !== undefined) {
      setShown({ fileId: file, version: v, text: hit });
      return;
    }
    const wait = lastFetch.current + MIN_FETCH_GAP_MS - Date.now();
    if (wait > 0) {
      if (!timer.current) {
        timer.current = setTimeout(() => {
          timer.current = null;
          pump();
        }, wait);
      }
      return;
    }
    inFlight.current = true;
    lastFetch.current = Date.now();
    api.fileAtVersion(ws, file, v).then(
      (at) => {
        cache.current.set(key, at.text);
        setError(null);
        if (wanted.current === v && current.current.fileId === file) setShown({ fileId: file, version: v, text: at.text });
      },
      (err: unknown) => {
        if (wanted.current === v) setError(errorMessage(err));
        setPlaying(false);
      },
    ).finally(() => {
      inFlight.current = false;
      if (wanted.current !== v || current.current.fileId !== file) pump();
    });
  }, []);

  useEffect(() => {
    wanted.current = version;
    pump();
  }, [version, fileId, pump]);

  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );

  // ── playback ─────────────────────────────────────────────────────────────────────────────
  // Playing waits for each text to arrive before moving on, so a slow server slows playback down
  // instead of skipping what it has not shown.
  const caughtUp = shown !== null && shown.fileId === fileId && shown.version === version;
  useEffect(() => {
    if (!playing || version === null || !caughtUp) return;
    const at = nearestIndex(versions, version);
    if (at >= lastIndex) {
      setPlaying(false);
      return;
    }
    const t = setTimeout(() => setVersion(versions[Math.min(lastIndex, at + speed)] ?? max), TICK_MS);
    return () => clearTimeout(t);
  }, [playing, version, caughtUp, versions, lastIndex, max, speed]);

  const authors = useMemo(() => new Map((data?.authors ?? []).map((a) => [a.id, a.displayName])), [data]);
  const op = data && version !== null ? opProducing(data.entries, version) : null;

  if (history.error && !data) {
    return (
      <p className="field-error" role="alert">
        {history.error.message}
      </p>
    );
  }
  if (!data || version === null) return <p className="card-sub review-pad">Loading history…</p>;

  const text = shown && shown.fileId === fileId ? shown.text : null;
  const keptCount = versions.length - (max - data.firstVersion + 1);
  return (
    <div className="history" data-testid="history" data-version={version} data-max-version={max} data-shown-version={shown?.version ?? ''}>
      <div className="history-bar">
        <button
          type="button"
          className="btn small-btn"
          data-testid="history-play"
          aria-pressed={playing}
          disabled={versions.length < 2}
          onClick={() => {
            if (!playing && version >= max) setVersion(versions[0] ?? 0);
            setPlaying((p) => !p);
          }}
        >
          {playing ? 'Pause' : 'Play'}
        </button>
        <label className="visually-hidden" htmlFor={sliderId}>
          Version
        </label>
        <input
          id={sliderId}
          type="range"
          className="history-slider"
          min={0}
          max={lastIndex}
          step={1}
          value={nearestIndex(versions, version)}
          data-testid="history-slider"
          aria-valuetext={`Version ${version} of ${max}`}
          onChange={(e) => {
            setPlaying(false);
            setVersion(versions[Number(e.target.value)] ?? max);
          }}
        />
        <span className="history-pos" data-testid="history-position">
          {version} / {max}
        </span>
        <span className="seg" role="group" aria-label="Playback speed">
          {SPEEDS.map((s) => (
            <button key={s} type="button" className="seg-btn" aria-pressed={speed === s} data-testid={`history-speed-${s}`} onClick={() => setSpeed(s)}>
              {s}x
            </button>
          ))}
        </span>
      </div>
      {data.firstVersion > 0 && (
        <p className="field-hint history-note" data-testid="history-compacted">
          Keystroke history before version {data.firstVersion} was compacted;{' '}
          {keptCount === 1 ? 'one earlier snapshot is' : `${keptCount} earlier snapshots are`} kept (submissions and other milestones).
        </p>
      )}
      <p className="history-op" data-testid="history-op" aria-live="polite">
        {version === 0 ? (
          'Before the file was created'
        ) : op ? (
          <>
            <strong>{op.author ? (authors.get(op.author) ?? 'Someone') : 'Tandem'}</strong>
            {op.source && <SourceBadge source={op.source} />}
            {op.ts !== null && <span>{new Date(op.ts).toLocaleString()}</span>}
            <span className="ins">+{op.inserted}</span>
            <span className="del">−{op.deleted}</span>
          </>
        ) : (
          <span className="muted">Version {version}</span>
        )}
        {!caughtUp && <span className="muted"> · loading…</span>}
      </p>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      <div className="viewer-host">
        {text !== null ? (
          <CodeViewer key={fileId} text={text} language={language} theme={theme} testId="history-viewer" label={`Version ${shown?.version ?? ''}`} />
        ) : (
          <p className="card-sub review-pad">Loading…</p>
        )}
      </div>
    </div>
  );
}
