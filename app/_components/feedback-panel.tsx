'use client';

import { useCallback, useEffect, useMemo, useState } from 'react';
import type { CommentView, FeedbackView, SubmissionView } from '../../lib/review/review-api';
import { api, errorMessage } from '../_lib/api';
import { ago, formatDeadline } from '../_lib/time';
import type { Resource } from '../_lib/use-resource';
import { useResource } from '../_lib/use-resource';
import type { EditorDecoration } from './code-editor';
import { CommentThread, commentThreads } from './comment-thread';

/**
 * Released feedback of a group workspace, fetched on open, when the tab comes back into view and
 * when `version` moves. Students only ever receive released comments (the server filters).
 */
export function useFeedback(workspaceId: string, enabled: boolean, version: number): Resource<FeedbackView> {
  const feedback = useResource(enabled ? () => api.feedback(workspaceId) : null, workspaceId, version);
  const { reload } = feedback;
  useEffect(() => {
    if (!enabled) return;
    const onVisible = () => {
      if (document.visibilityState === 'visible') reload();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => document.removeEventListener('visibilitychange', onVisible);
  }, [enabled, reload]);
  return feedback;
}

/** Released comments on `fileId` as editor decorations at their range in the live text. */
export function feedbackDecorations(feedback: FeedbackView | null, fileId: string | null): EditorDecoration[] {
  if (!feedback || !fileId) return [];
  return feedback.comments
    .filter((c) => !c.parentId && c.fileId === fileId && !c.current.outdated)
    .map((c) => ({ id: c.id, from: c.current.from, to: c.current.to, hover: `${c.author.displayName}: ${c.body}` }));
}

/**
 * The sidebar "Feedback" panel: the released grade (per criterion and summary) and the released
 * comments with their replies; a comment opens its file at the commented line.
 */
export function FeedbackPanel({
  feedback,
  meId,
  fileName,
  onShow,
  onChanged,
}: {
  feedback: FeedbackView;
  meId: string;
  fileName: (fileId: string) => string | null;
  onShow: (comment: CommentView) => void;
  onChanged: () => void;
}) {
  const [open, setOpen] = useState(true);
  const threads = useMemo(() => commentThreads(feedback.comments, () => 0), [feedback.comments]);
  const grade = feedback.grade?.releasedAt ? feedback.grade : null;
  if (threads.length === 0 && !grade) return null;
  return (
    <section className="panel panel-feedback" aria-labelledby="feedback-title" data-testid="feedback-panel">
      <div className="panel-head">
        <h2 className="panel-title" id="feedback-title">
          <button type="button" className="panel-toggle" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
            Feedback
            <span className="panel-count" data-testid="feedback-count">
              {threads.length}
            </span>
          </button>
        </h2>
      </div>
      {open && (
        <div className="panel-body">
          {grade && (
            <div className="feedback-grade" data-testid="feedback-grade">
              <p className="feedback-total" data-testid="feedback-total">
                <strong>
                  {grade.total} / {feedback.rubric.maxScore}
                </strong>{' '}
                points
              </p>
              {feedback.rubric.criteria.length > 0 && (
                <ul className="rubric-list">
                  {feedback.rubric.criteria.map((c) => (
                    <li key={c.id}>
                      <span>{c.title}</span>
                      <span className="score-max">
                        {grade.scores[c.id] ?? '—'} / {c.points}
                      </span>
                    </li>
                  ))}
                </ul>
              )}
              {grade.summary && <p className="feedback-summary">{grade.summary}</p>}
            </div>
          )}
          <ul className="thread-list">
            {threads.map(({ comment, replies }) => (
              <CommentThread
                key={comment.id}
                comment={comment}
                replies={replies}
                fileName={fileName(comment.fileId) ?? 'deleted file'}
                workspaceId={feedback.workspaceId}
                meId={meId}
                canReply={comment.releasedAt !== null}
                onShow={onShow}
                onChanged={onChanged}
              />
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}

/**
 * Submit (or resubmit) the group's work: the files' versions right now. Shows when the group last
 * submitted, and a late badge when that was after the deadline.
 */
export function SubmitControl({
  workspaceId,
  deadline,
  onNotice,
}: {
  workspaceId: string;
  deadline: number | null;
  onNotice: (message: string) => void;
}) {
  const submissions = useResource(() => api.workspaceSubmissions(workspaceId), workspaceId);
  const reloadSubmissions = submissions.reload;
  const [busy, setBusy] = useState(false);
  const [, setTick] = useState(0);
  const latest = useMemo<SubmissionView | null>(
    () => [...(submissions.data ?? [])].sort((a, b) => b.number - a.number)[0] ?? null,
    [submissions.data],
  );

  // "submitted 3 min ago" moves on by itself.
  useEffect(() => {
    if (!latest) return;
    const timer = setInterval(() => setTick((t) => t + 1), 30_000);
    return () => clearInterval(timer);
  }, [latest]);

  const submit = useCallback(async () => {
    setBusy(true);
    try {
      const made = await api.submit(workspaceId);
      onNotice(made.late ? `Submitted (#${made.number}), after the deadline.` : `Submitted (#${made.number}).`);
      reloadSubmissions();
    } catch (err) {
      onNotice(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }, [workspaceId, onNotice, reloadSubmissions]);

  const pastDeadline = deadline !== null && Date.now() > deadline;
  return (
    <span className="submit-control" data-testid="submit-control">
      {latest ? (
        <span className="submit-state" data-testid="last-submission" data-number={latest.number} title={new Date(latest.submittedAt).toLocaleString()}>
          Submitted {ago(Date.now() - latest.submittedAt)}
          {latest.late && (
            <span className="status-badge warn" data-testid="late-badge">
              late
            </span>
          )}
        </span>
      ) : (
        deadline !== null && (
          <span className={`submit-state${pastDeadline ? ' warn' : ''}`} data-testid="deadline">
            {pastDeadline ? 'Deadline passed' : `Due ${formatDeadline(deadline)}`}
          </span>
        )
      )}
      <button
        type="button"
        className={`btn${latest ? '' : ' btn-primary'}`}
        disabled={busy}
        onClick={submit}
        data-testid="submit-button"
        title={latest ? 'Submit the files as they are now; the reviewer sees every submission' : 'Submit the files as they are now'}
      >
        {busy ? 'Submitting…' : latest ? 'Resubmit' : 'Submit'}
      </button>
    </span>
  );
}
