'use client';

import { useId, useState, type FormEvent } from 'react';
import type { AiFindingStateView, AiFindingView, AiReviewView, AiWorkspaceReviews } from '../../lib/ai/ai-api';
import { api, errorMessage } from '../_lib/api';
import { ago } from '../_lib/time';
import { useResource } from '../_lib/use-resource';
import { FindingBadges, findingLines, findingsByFile, FindingText, HELP_LEVEL_LABEL, newestFirst, StaticOnlyLabel } from './ai-review-panel';

/** Same caps as MODEL_LIMITS in lib/ai/ai-types.ts (not imported: that module brings zod into the page). */
const MAX_MESSAGE_CHARS = 1200;
const MAX_HINT_CHARS = 1200;

const STATE_LABEL: Record<AiFindingStateView, string> = { pending: 'pending', approved: 'approved', dismissed: 'dismissed' };
const STATE_CLASS: Record<AiFindingStateView, string> = { pending: 'status-badge warn', approved: 'status-badge ok', dismissed: 'status-badge' };

/**
 * The review page's "AI review" card, for staff: every review of the group's workspace (failed
 * ones too, with why), each finding to approve, dismiss or edit, "Release to students", the exact
 * prompt and reply, and resetting a student's on-demand quota. `onShow` shows a finding in the
 * code viewer; `markedReviewId` is the review whose findings are drawn there.
 */
export function AiReviewSection({
  assignmentId,
  data,
  error,
  members,
  markedReviewId,
  onShow,
  onChanged,
}: {
  assignmentId: string;
  data: AiWorkspaceReviews | null;
  error: string | null;
  members: Array<{ userId: string; displayName: string }>;
  markedReviewId: string | null;
  onShow: (review: AiReviewView, finding: AiFindingView) => void;
  onChanged: () => void;
}) {
  const reviews = newestFirst(data?.reviews ?? []);
  return (
    <section className="review-card" aria-labelledby="ai-review-title" data-testid="ai-review-section">
      <h2 id="ai-review-title" className="review-card-title">
        AI review <span className="panel-count">{reviews.length}</span>
      </h2>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      {!data && !error && <p className="field-hint">Loading…</p>}
      {data && (
        <>
          <p className="field-hint" data-testid="ai-review-mode">
            Help level: {HELP_LEVEL_LABEL[data.helpLevel] ?? data.helpLevel}
            {data.mode === 'static-only' ? ' · no model available now: new reviews use static analysis only' : ''}
          </p>
          {data.pending > 0 && (
            <p className="ai-pending" role="status" data-testid="ai-pending">
              Review in progress…
            </p>
          )}
          {reviews.length === 0 ? (
            <p className="field-hint">No AI reviews yet. One runs when the group submits, or when a student asks for feedback.</p>
          ) : (
            <ul className="ai-review-list">
              {reviews.map((r) => (
                <StaffReview key={r.id} review={r} marked={r.id === markedReviewId} onShow={onShow} onChanged={onChanged} />
              ))}
            </ul>
          )}
          <QuotaReset assignmentId={assignmentId} members={members} />
        </>
      )}
    </section>
  );
}

function StaffReview({
  review: r,
  marked,
  onShow,
  onChanged,
}: {
  review: AiReviewView;
  marked: boolean;
  onShow: (review: AiReviewView, finding: AiFindingView) => void;
  onChanged: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [transcript, setTranscript] = useState(false);
  const transcriptId = useId();
  const groups = findingsByFile(r.findings);
  const failed = r.status === 'failed';
  const released = r.releasedAt !== null;
  const pendingCount = r.findings.filter((f) => f.state === 'pending').length;

  async function release() {
    setBusy(true);
    setError(null);
    try {
      await api.releaseAiReview(r.id);
      onChanged();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <li
      className={`ai-review${failed ? ' ai-review-failed' : ''}${marked ? ' ai-review-marked' : ''}`}
      data-testid="ai-review"
      data-review-id={r.id}
      data-status={r.status}
      data-static-only={r.staticOnly ? 'true' : 'false'}
      data-released={released ? 'true' : 'false'}
    >
      <div className="ai-review-head">
        <strong>{r.trigger === 'submission' ? 'On submission' : 'Asked by a student'}</strong>
        <span className="comment-when" title={new Date(r.completedAt).toLocaleString()}>
          {ago(Date.now() - r.completedAt)}
        </span>
      </div>
      <p className="ai-badges">
        {failed && (
          <span className="status-badge danger" data-testid="ai-review-failed">
            Failed
          </span>
        )}
        {released ? (
          <span className="status-badge ok" data-testid="ai-released" title={new Date(r.releasedAt!).toLocaleString()}>
            Released {ago(Date.now() - r.releasedAt!)}
          </span>
        ) : (
          <span className="status-badge" data-testid="ai-not-released">
            Not released
          </span>
        )}
        <span className="field-note">
          {HELP_LEVEL_LABEL[r.helpLevel] ?? r.helpLevel}
          {r.approvalRequired ? ' · approval required' : ''}
          {r.model ? ` · ${r.model}` : ''}
        </span>
      </p>
      {/* A failed review's note says why it failed: shown on its own, where it stands out. */}
      {r.staticOnly && <StaticOnlyLabel note={failed ? null : r.note} />}
      {(failed || (!r.staticOnly && r.note)) && (
        <p className={`ai-text ai-note${failed ? ' ai-note-failed' : ''}`} data-testid="ai-review-note">
          {r.note ?? 'The review failed.'}
        </p>
      )}
      {r.summary && (
        <p className="ai-text ai-summary" data-testid="ai-summary">
          {r.summary}
        </p>
      )}
      {groups.length === 0
        ? !failed && <p className="field-hint">No findings.</p>
        : groups.map((g) => (
            <div key={g.fileId} className="ai-file">
              <h3 className="ai-file-name">{g.fileName}</h3>
              <ul className="ai-finding-list">
                {g.findings.map((f) => (
                  <StaffFinding key={f.id} finding={f} onShow={() => onShow(r, f)} onChanged={onChanged} />
                ))}
              </ul>
            </div>
          ))}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      <div className="button-row">
        <button type="button" className="btn btn-primary small-btn" disabled={busy || released} onClick={release} data-testid="ai-release">
          Release to students
        </button>
        <button
          type="button"
          className="btn small-btn"
          aria-expanded={transcript}
          aria-controls={transcript ? transcriptId : undefined}
          onClick={() => setTranscript((t) => !t)}
          data-testid="ai-transcript-toggle"
        >
          Show prompt and reply
        </button>
      </div>
      {!released && pendingCount > 0 && (
        <p className="field-hint">
          Releasing approves the {pendingCount} pending finding{pendingCount === 1 ? '' : 's'}; dismissed ones stay hidden.
        </p>
      )}
      {transcript && (
        <div id={transcriptId}>
          <Transcript reviewId={r.id} />
        </div>
      )}
    </li>
  );
}

function StaffFinding({ finding: f, onShow, onChanged }: { finding: AiFindingView; onShow: () => void; onChanged: () => void }) {
  const [editing, setEditing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function setState(state: AiFindingStateView) {
    setBusy(true);
    setError(null);
    try {
      await api.updateAiFinding(f.id, { state });
      onChanged();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <li className={`ai-finding ai-finding-${f.state}`} data-testid="ai-finding" data-finding-id={f.id} data-state={f.state} data-source={f.source} data-severity={f.severity}>
      <button type="button" className="comment-loc ai-finding-loc" onClick={onShow} title="Show in the code" data-testid="ai-show-finding">
        <span className="comment-file">{findingLines(f)}</span>
        <FindingBadges finding={f} />
        <span className={STATE_CLASS[f.state]} data-testid="ai-finding-state">
          {STATE_LABEL[f.state]}
        </span>
        {f.edited && <span className="status-badge">edited</span>}
      </button>
      {editing ? (
        <FindingEditor
          finding={f}
          onCancel={() => setEditing(false)}
          onSaved={() => {
            setEditing(false);
            onChanged();
          }}
        />
      ) : (
        <FindingText finding={f} />
      )}
      {(f.rule || f.ratingUp > 0 || f.ratingDown > 0) && (
        <p className="field-note ai-finding-meta">
          {f.rule && <span>{f.rule}</span>}
          {(f.ratingUp > 0 || f.ratingDown > 0) && (
            <span data-testid="ai-finding-ratings" aria-label={`${f.ratingUp} found it helpful, ${f.ratingDown} did not`}>
              👍 {f.ratingUp} · 👎 {f.ratingDown}
            </span>
          )}
        </p>
      )}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      {!editing && (
        <div className="comment-actions">
          <button type="button" className="link-btn" disabled={busy || f.state === 'approved'} onClick={() => setState('approved')} data-testid="ai-approve">
            Approve
          </button>
          <button type="button" className="link-btn danger" disabled={busy || f.state === 'dismissed'} onClick={() => setState('dismissed')} data-testid="ai-dismiss">
            Dismiss
          </button>
          <button type="button" className="link-btn" disabled={busy} onClick={() => setEditing(true)} data-testid="ai-edit">
            Edit
          </button>
        </div>
      )}
    </li>
  );
}

/** Inline edit of a finding's message and hint (the student sees the edited text, marked as such for staff). */
function FindingEditor({ finding: f, onCancel, onSaved }: { finding: AiFindingView; onCancel: () => void; onSaved: () => void }) {
  const id = useId();
  const [message, setMessage] = useState(f.message);
  const [hint, setHint] = useState(f.hint ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!message.trim()) return setError('The message cannot be empty.');
    setBusy(true);
    setError(null);
    try {
      await api.updateAiFinding(f.id, { message: message.trim(), hint: hint.trim() ? hint.trim() : null });
      onSaved();
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  return (
    <form className="ai-finding-edit" onSubmit={onSubmit} noValidate data-testid="ai-finding-edit">
      <label className="field-label" htmlFor={`${id}-m`}>
        Message
      </label>
      <textarea
        id={`${id}-m`}
        className="input textarea"
        rows={3}
        maxLength={MAX_MESSAGE_CHARS}
        value={message}
        autoFocus
        onChange={(e) => setMessage(e.target.value)}
        onKeyDown={(e) => e.key === 'Escape' && onCancel()}
        data-testid="ai-edit-message"
      />
      <label className="field-label" htmlFor={`${id}-h`}>
        Hint <span className="field-note">(optional)</span>
      </label>
      <textarea
        id={`${id}-h`}
        className="input textarea"
        rows={2}
        maxLength={MAX_HINT_CHARS}
        value={hint}
        onChange={(e) => setHint(e.target.value)}
        onKeyDown={(e) => e.key === 'Escape' && onCancel()}
        data-testid="ai-edit-hint"
      />
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      <div className="button-row">
        <button type="submit" className="btn btn-primary small-btn" disabled={busy} data-testid="ai-edit-save">
          {busy ? 'Saving…' : 'Save'}
        </button>
        <button type="button" className="btn btn-ghost small-btn" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** Exactly what was sent to the model and what came back (staff only), as plain text. */
function Transcript({ reviewId }: { reviewId: string }) {
  const transcript = useResource(() => api.aiTranscript(reviewId), reviewId);
  const t = transcript.data;
  if (transcript.error) {
    return (
      <p className="field-error" role="alert">
        {transcript.error.message}
      </p>
    );
  }
  if (!t) return <p className="field-hint">Loading…</p>;
  return (
    <div className="ai-transcript" data-testid="ai-transcript">
      <p className="field-hint">{t.provider || t.model ? `${t.provider ?? 'provider'} · ${t.model ?? 'model'}` : 'No model was called.'}</p>
      <h4 className="ai-transcript-title">Prompt</h4>
      <pre className="ai-pre" data-testid="ai-transcript-prompt">
        {t.prompt ?? '(none: no model was called)'}
      </pre>
      <h4 className="ai-transcript-title">Reply</h4>
      <pre className="ai-pre" data-testid="ai-transcript-reply">
        {t.reply ?? '(none)'}
      </pre>
    </div>
  );
}

/** Give a student their on-demand requests for this hour back. */
function QuotaReset({ assignmentId, members }: { assignmentId: string; members: Array<{ userId: string; displayName: string }> }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (members.length === 0) return null;

  async function reset(userId: string, name: string) {
    setBusy(userId);
    setError(null);
    setDone(null);
    try {
      await api.resetAiQuota(assignmentId, userId);
      setDone(`${name} can ask for feedback again.`);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(null);
    }
  }

  return (
    <div className="ai-quota-reset" data-testid="ai-quota-reset">
      <p className="field-hint">On-demand feedback requests this hour:</p>
      <div className="button-row">
        {members.map((m) => (
          <button key={m.userId} type="button" className="btn small-btn" disabled={busy !== null} onClick={() => reset(m.userId, m.displayName)} data-user-id={m.userId}>
            Reset for {m.displayName}
          </button>
        ))}
      </div>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      <p className="field-hint" role="status">
        {done ?? ''}
      </p>
    </div>
  );
}
