'use client';

import { useCallback, useEffect, useMemo, useState } from 'react';
import type { AiFindingView, AiReviewView, AiWorkspaceReviews } from '../../lib/ai/ai-api';
import type { FindingSeverity, HelpLevel } from '../../lib/ai/ai-types';
import { api, ApiError, errorMessage } from '../_lib/api';
import { ago } from '../_lib/time';
import { useResource, type Resource } from '../_lib/use-resource';
import type { EditorMarker } from './code-editor';

// Everything a model wrote (summary, message, hint, note) is rendered as React text nodes in
// elements styled `white-space: pre-wrap`: never as HTML, Markdown or links. Monaco markers show
// their message as plain text too.

/** The teacher's choices, as the settings and the review cards name them. */
export const HELP_LEVEL_LABEL: Record<HelpLevel, string> = {
  off: 'Off',
  questions: 'Questions only',
  hints: 'Hints (no code)',
  full: 'Full feedback',
};

const SEVERITY_LABEL: Record<FindingSeverity, string> = { error: 'Error', warning: 'Warning', info: 'Info' };

/** While a review is queued or running, look again this often in case its push was missed. */
const PENDING_POLL_MS = 20_000;

/**
 * The AI reviews of a workspace, fetched on open, when `version` moves (APP_PUSH.aiReviewChanged),
 * when the tab comes back into view and, while a review is in progress, every few seconds.
 */
export function useAiReviews(workspaceId: string | null, enabled: boolean, version: number): Resource<AiWorkspaceReviews> {
  const reviews = useResource(enabled && workspaceId ? () => api.aiReviews(workspaceId) : null, workspaceId ?? '', version);
  const { reload } = reviews;
  const pending = (reviews.data?.pending ?? 0) > 0;
  useEffect(() => {
    if (!enabled) return;
    const onVisible = () => {
      if (document.visibilityState === 'visible') reload();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => document.removeEventListener('visibilitychange', onVisible);
  }, [enabled, reload]);
  useEffect(() => {
    if (!enabled || !pending) return;
    const timer = setInterval(reload, PENDING_POLL_MS);
    return () => clearInterval(timer);
  }, [enabled, pending, reload]);
  return reviews;
}

/** Newest first, by when each review finished. */
export function newestFirst(reviews: readonly AiReviewView[]): AiReviewView[] {
  return [...reviews].sort((a, b) => b.completedAt - a.completedAt || b.createdAt - a.createdAt);
}

/** The newest review that completed (a failed one has nothing to draw). */
export function latestDoneReview(reviews: readonly AiReviewView[] | undefined): AiReviewView | null {
  return newestFirst(reviews ?? []).find((r) => r.status === 'done') ?? null;
}

/**
 * Findings of `review` on `fileId` as editor markers. Students only ever receive approved
 * findings; staff also see pending ones (dismissed ones are left out).
 *
 * A finding's lines refer to the file version that was reviewed (`finding.version`). If the file
 * has changed since, the markers are still put at those line numbers (clamped to the file): good
 * enough for a hint where to look, and Monaco moves them along with edits made while open.
 */
export function aiFindingMarkers(review: AiReviewView | null, fileId: string | null): EditorMarker[] {
  if (!review || !fileId) return [];
  return review.findings
    .filter((f) => f.fileId === fileId && f.state !== 'dismissed')
    .map((f) => ({
      id: f.id,
      startLine: f.startLine,
      endLine: f.endLine,
      severity: f.severity,
      message: f.hint ? `${f.message}\n\nHint: ${f.hint}` : f.message,
      source: f.source === 'static' ? f.tool : 'AI',
      code: f.rule,
    }));
}

/** "static analysis (eslint)" for an analyser's finding, "AI" for the model's. */
export function findingSourceLabel(f: AiFindingView): string {
  return f.source === 'static' ? `static analysis (${f.tool})` : 'AI';
}

export function findingLines(f: AiFindingView): string {
  return f.endLine > f.startLine ? `lines ${f.startLine}–${f.endLine}` : `line ${f.startLine}`;
}

/** Findings by file (in name order), each file's by line. */
export function findingsByFile(findings: readonly AiFindingView[]): Array<{ fileId: string; fileName: string; findings: AiFindingView[] }> {
  const files = new Map<string, { fileId: string; fileName: string; findings: AiFindingView[] }>();
  for (const f of findings) {
    const entry = files.get(f.fileId) ?? { fileId: f.fileId, fileName: f.fileName, findings: [] };
    entry.findings.push(f);
    files.set(f.fileId, entry);
  }
  return [...files.values()]
    .sort((a, b) => a.fileName.localeCompare(b.fileName))
    .map((g) => ({ ...g, findings: g.findings.sort((a, b) => a.startLine - b.startLine || a.endLine - b.endLine) }));
}

/** The "Static analysis only" label, and why the model did not contribute. */
export function StaticOnlyLabel({ note }: { note: string | null }) {
  return (
    <p className="ai-static-only">
      <span className="status-badge warn" data-testid="ai-static-only">
        Static analysis only
      </span>
      {note && <span className="ai-text ai-note">{note}</span>}
    </p>
  );
}

/** Severity and source badges for the head of a finding. */
export function FindingBadges({ finding: f }: { finding: AiFindingView }) {
  return (
    <>
      <span className={`ai-severity ai-severity-${f.severity}`}>{SEVERITY_LABEL[f.severity] ?? f.severity}</span>
      <span className={`source-badge ai-source-${f.source}`} data-testid="ai-finding-source">
        {findingSourceLabel(f)}
      </span>
    </>
  );
}

/** A finding's message and hint, as plain text. */
export function FindingText({ finding: f }: { finding: AiFindingView }) {
  return (
    <>
      <p className="ai-text ai-message" data-testid="ai-finding-message">
        {f.message}
      </p>
      {f.hint && (
        <p className="ai-text ai-hint" data-testid="ai-finding-hint">
          <strong>Hint: </strong>
          {f.hint}
        </p>
      )}
    </>
  );
}

function when(at: number): { text: string; title: string } {
  return { text: ago(Date.now() - at), title: new Date(at).toLocaleString() };
}

/**
 * The workspace sidebar's "AI feedback" panel for the members of a group: ask for feedback now
 * (within the hourly quota), see that a review is in progress, and read released reviews,
 * newest first; a finding shows its lines in the editor and can be rated.
 */
export function AiReviewPanel({
  workspaceId,
  data,
  loading,
  error,
  onChanged,
  onShow,
}: {
  workspaceId: string;
  data: AiWorkspaceReviews;
  /** A reload is in flight (its answer may change "in progress"). */
  loading: boolean;
  error: string | null;
  onChanged: () => void;
  onShow: (finding: AiFindingView) => void;
}) {
  const [open, setOpen] = useState(true);
  const [busy, setBusy] = useState(false);
  const [askError, setAskError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const reviews = useMemo(() => newestFirst(data.reviews), [data.reviews]);
  const pending = data.pending > 0;

  const ask = useCallback(async () => {
    setBusy(true);
    setAskError(null);
    setNotice(null);
    try {
      const accepted = await api.requestAiReview(workspaceId);
      if (!accepted.created) setNotice('Nothing changed since the last review, so no new one was started.');
      onChanged();
    } catch (err) {
      // 429: over the hourly quota; the server's message says when to try again.
      setAskError(errorMessage(err));
      if (err instanceof ApiError && err.status === 429) onChanged();
    } finally {
      setBusy(false);
    }
  }, [workspaceId, onChanged]);

  // Finished reviews the teacher has not released yet (the count is all a student learns of them).
  const awaitingTeacher = !loading && !busy && !pending && data.awaitingApproval > 0;

  return (
    <section className="panel panel-ai" aria-labelledby="ai-title" data-testid="ai-review-panel" data-pending={data.pending} data-mode={data.mode}>
      <div className="panel-head">
        <h2 className="panel-title" id="ai-title">
          <button type="button" className="panel-toggle" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
            AI feedback
            <span className="panel-count" data-testid="ai-review-count">
              {reviews.length}
            </span>
          </button>
        </h2>
      </div>
      {open && (
        <div className="panel-body">
          <div className="ai-ask">
            <button type="button" className="btn btn-primary small-btn" disabled={busy || pending} aria-busy={busy} onClick={ask} data-testid="ai-ask">
              Ask for feedback
            </button>
            {data.quota && (
              <span
                className={`field-hint ai-quota${data.quota.used >= data.quota.perHour ? ' warn' : ''}`}
                data-testid="ai-quota"
                data-used={data.quota.used}
                data-per-hour={data.quota.perHour}
                title="Requests for feedback you made in the last hour"
              >
                {data.quota.used}/{data.quota.perHour} this hour
              </span>
            )}
          </div>
          {pending && (
            <p className="ai-pending" role="status" data-testid="ai-pending">
              Review in progress…
            </p>
          )}
          {askError && (
            <p className="field-error" role="alert" data-testid="ai-ask-error">
              {askError}
            </p>
          )}
          {notice && (
            <p className="field-hint" role="status">
              {notice}
            </p>
          )}
          {awaitingTeacher && !notice && (
            <p className="field-hint" data-testid="ai-awaiting-teacher">
              A review is waiting for your teacher; it appears here once they release it.
            </p>
          )}
          {(data.mode === 'static-only' || data.helpLevel === 'off') && (
            <p className="field-hint" data-testid="ai-mode-note">
              {data.helpLevel === 'off'
                ? 'The AI is turned off for this assignment: feedback comes from static analysis only.'
                : 'No AI model is available right now: feedback comes from static analysis only.'}
            </p>
          )}
          {error && (
            <p className="field-error" role="alert">
              {error}
            </p>
          )}
          {reviews.length === 0 ? (
            <p className="tree-hint">No AI feedback yet.</p>
          ) : (
            <ul className="ai-review-list">
              {reviews.map((r) => (
                <StudentReview key={r.id} review={r} onShow={onShow} onChanged={onChanged} />
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  );
}

function StudentReview({ review: r, onShow, onChanged }: { review: AiReviewView; onShow: (f: AiFindingView) => void; onChanged: () => void }) {
  const at = when(r.releasedAt ?? r.completedAt);
  const groups = findingsByFile(r.findings.filter((f) => f.state === 'approved'));
  return (
    <li className="ai-review" data-testid="ai-review" data-review-id={r.id} data-static-only={r.staticOnly ? 'true' : 'false'} data-status={r.status}>
      <div className="ai-review-head">
        <strong>{r.trigger === 'submission' ? 'On submission' : 'On request'}</strong>
        <span className="comment-when" title={at.title}>
          {at.text}
        </span>
      </div>
      {r.staticOnly && <StaticOnlyLabel note={r.note} />}
      {!r.staticOnly && r.note && <p className="ai-text ai-note">{r.note}</p>}
      {r.summary && (
        <p className="ai-text ai-summary" data-testid="ai-summary">
          {r.summary}
        </p>
      )}
      {groups.length === 0 ? (
        <p className="field-hint">No findings.</p>
      ) : (
        groups.map((g) => (
          <div key={g.fileId} className="ai-file">
            <h3 className="ai-file-name">{g.fileName}</h3>
            <ul className="ai-finding-list">
              {g.findings.map((f) => (
                <li key={f.id} className="ai-finding" data-testid="ai-finding" data-finding-id={f.id} data-state={f.state} data-source={f.source} data-severity={f.severity}>
                  <button
                    type="button"
                    className="comment-loc ai-finding-loc"
                    onClick={() => onShow(f)}
                    title="Show in the code"
                    aria-label={`Show ${findingLines(f)} of ${f.fileName}`}
                    data-testid="ai-show-finding"
                  >
                    <span className="comment-file">{findingLines(f)}</span>
                    <FindingBadges finding={f} />
                  </button>
                  <FindingText finding={f} />
                  <FindingRating finding={f} onChanged={onChanged} />
                </li>
              ))}
            </ul>
          </div>
        ))
      )}
    </li>
  );
}

/** 👍/👎 on a released finding: the student's own rating (asked again, it replaces the old one). */
function FindingRating({ finding: f, onChanged }: { finding: AiFindingView; onChanged: () => void }) {
  const [mine, setMine] = useState(f.myRating);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setMine(f.myRating), [f.myRating]);

  async function rate(rating: 1 | -1) {
    setBusy(true);
    setError(null);
    const before = mine;
    setMine(rating);
    try {
      const saved = await api.rateAiFinding(f.id, rating);
      setMine(saved.myRating);
      onChanged();
    } catch (err) {
      setMine(before);
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="ai-rating" role="group" aria-label="Was this helpful?">
      <button type="button" className="ai-rate" aria-label="Helpful" aria-pressed={mine === 1} title="Helpful" disabled={busy} onClick={() => rate(1)} data-testid="ai-rate-up">
        <span aria-hidden="true">👍</span>
      </button>
      <button
        type="button"
        className="ai-rate"
        aria-label="Not helpful"
        aria-pressed={mine === -1}
        title="Not helpful"
        disabled={busy}
        onClick={() => rate(-1)}
        data-testid="ai-rate-down"
      >
        <span aria-hidden="true">👎</span>
      </button>
      {error && (
        <span className="field-error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
