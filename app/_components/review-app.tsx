'use client';

import Link from 'next/link';
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { AiFindingView, AiReviewView } from '../../lib/ai/ai-api';
import type { CommentView, ReviewView, SubmissionFileView } from '../../lib/review/review-api';
import { api, type Me } from '../_lib/api';
import { redirectToSignIn } from '../_lib/auth-redirect';
import { APP_EVENTS, APP_PUSH, useAccountClient, useOnConnect, useSocketEvent } from '../_lib/live-client';
import { ago, formatDeadline } from '../_lib/time';
import { useTheme } from '../_lib/theme';
import { useMe } from '../_lib/use-me';
import { useResource } from '../_lib/use-resource';
import { aiFindingMarkers, latestDoneReview, useAiReviews } from './ai-review-panel';
import { AiReviewSection } from './ai-review-staff';
import { AppHeader, type Crumb } from './app-header';
import { BlamePanel, SourceBadge } from './blame-panel';
import { CodeViewer, DiffViewer, type CodePointRange, type LineRange, type ViewerMark } from './code-viewer';
import { CommentForm, CommentThread, commentThreads } from './comment-thread';
import { HistoryPanel, versionAfterOp, type HistoryTarget } from './history-panel';
import { PageError, PageLoading, PageNotFound } from './page-states';
import { GradePanel, RubricEditor } from './review-grading';
import { SubmissionTests } from './tests-panel';

type View = 'code' | 'history' | 'blame';
type Diff = 'none' | 'starter' | 'previous';

/** A file of the review: as submitted (when it was) and/or as it is live in the workspace. */
interface ReviewFile {
  id: string;
  name: string;
  language: string;
  submitted: SubmissionFileView | null;
}

/** `/review/[groupId]`: a group's submission, comments, grade, history and blame, for staff. */
export default function ReviewApp({ groupId }: { groupId: string }) {
  const me = useMe();
  useEffect(() => {
    if (me.status === 'signed-out') redirectToSignIn();
  }, [me.status]);
  if (me.status === 'loading' || me.status === 'signed-out') return <PageLoading />;
  if (me.status === 'error') return <PageError message={me.message} />;
  return <ReviewLoaded groupId={groupId} me={me.me} />;
}

function ReviewLoaded({ groupId, me }: { groupId: string; me: Me }) {
  const review = useResource(() => api.review(groupId), groupId);
  if (review.error && !review.data) {
    if (review.error.status === 404 || review.error.status === 403) {
      return (
        <div className="app-page">
          <AppHeader user={me.user} />
          <PageNotFound title="Review not found" text="This group does not exist, or your account cannot review it." testId="review-missing" />
        </div>
      );
    }
    if (review.error.status === 401) return <PageLoading />;
    return <PageError message={review.error.message} />;
  }
  if (!review.data) return <PageLoading />;
  return <ReviewPage groupId={groupId} me={me} review={review.data} reload={review.reload} />;
}

function ReviewPage({ groupId, me, review, reload }: { groupId: string; me: Me; review: ReviewView; reload: () => void }) {
  const theme = useTheme();
  const assignmentId = review.rubric.assignmentId;
  const workspaceId = review.workspaceId;
  const assignment = useResource(() => api.assignment(assignmentId), assignmentId);
  const classId = assignment.data?.classId ?? null;
  const klass = useResource(classId ? () => api.getClass(classId) : null, classId ?? '');
  const groups = useResource(() => api.groups(assignmentId), assignmentId);
  const live = useResource(workspaceId ? () => api.getWorkspace(workspaceId) : null, workspaceId ?? '');

  // ── live: AI reviews of this workspace change (stored, edited, released) ─────────────────────
  // The class's staff room is enough (APP_PUSH.aiReviewChanged goes to it); entering the
  // workspace would count the reviewer as present in it.
  const [aiVersion, setAiVersion] = useState(0);
  const client = useAccountClient(me.user);
  useOnConnect(client, (c, reconnect) => {
    if (classId) c.socket.emit(APP_EVENTS.watchClass, { id: classId });
    if (reconnect) setAiVersion((v) => v + 1);
  });
  useEffect(() => {
    if (client?.socket.connected && classId) client.socket.emit(APP_EVENTS.watchClass, { id: classId });
  }, [client, classId]);
  useSocketEvent<{ workspaceId: string }>(client, APP_PUSH.aiReviewChanged, (e) => {
    if (e.workspaceId === workspaceId) setAiVersion((v) => v + 1);
  });
  const ai = useAiReviews(workspaceId, workspaceId !== null, aiVersion);
  const [markedReviewId, setMarkedReviewId] = useState<string | null>(null);
  const markedReview = ai.data?.reviews.find((r) => r.id === markedReviewId) ?? latestDoneReview(ai.data?.reviews);

  // ── which submission ─────────────────────────────────────────────────────────────────────
  const submissions = useMemo(() => [...review.submissions].sort((a, b) => b.number - a.number), [review.submissions]);
  const [submissionId, setSubmissionId] = useState<string | null>(submissions[0]?.id ?? null);
  useEffect(() => {
    if (!submissionId && submissions[0]) setSubmissionId(submissions[0].id);
  }, [submissions, submissionId]);
  const detail = useResource(submissionId ? () => api.submission(submissionId) : null, submissionId ?? '');
  const shownDetail = detail.data?.submission.id === submissionId ? detail.data : null;

  // ── files: the submitted ones first, then any that exist only in the live workspace ────────
  const files = useMemo<ReviewFile[]>(() => {
    const list: ReviewFile[] = (shownDetail?.files ?? []).map((f) => ({ id: f.fileId, name: f.name, language: f.language, submitted: f }));
    for (const f of live.data?.files ?? []) {
      if (!list.some((x) => x.id === f.id)) list.push({ id: f.id, name: f.name, language: f.language, submitted: null });
    }
    return list;
  }, [shownDetail, live.data]);
  const [fileId, setFileId] = useState<string | null>(null);
  useEffect(() => {
    if (files.length > 0 && (!fileId || !files.some((f) => f.id === fileId))) setFileId(files[0]!.id);
  }, [files, fileId]);
  const file = files.find((f) => f.id === fileId) ?? null;
  const fileOrder = useCallback((id: string) => files.findIndex((f) => f.id === id), [files]);
  const fileName = useCallback(
    (id: string) => files.find((f) => f.id === id)?.name ?? review.submissions.flatMap((s) => s.files).find((f) => f.fileId === id)?.name ?? 'deleted file',
    [files, review.submissions],
  );

  // ── view state ───────────────────────────────────────────────────────────────────────────
  const [view, setView] = useState<View>('code');
  const [diff, setDiff] = useState<Diff>('none');
  const [selection, setSelection] = useState<CodePointRange | null>(null);
  const [composing, setComposing] = useState<CodePointRange | null>(null);
  const [reveal, setReveal] = useState<CodePointRange | LineRange | null>(null);
  const [historyTarget, setHistoryTarget] = useState<HistoryTarget | null>(null);
  useEffect(() => setSelection(null), [fileId, submissionId, view]);

  const openHistory = useCallback((target: HistoryTarget) => {
    setFileId(target.fileId);
    setHistoryTarget({ ...target });
    setView('history');
  }, []);

  // Comments made on the version shown are drawn in the code; others are one click away in history.
  const marks = useMemo<ViewerMark[]>(() => {
    const submitted = file?.submitted;
    if (!submitted) return [];
    return review.comments
      .filter((c) => !c.parentId && c.fileId === submitted.fileId && c.version === submitted.version)
      .map((c) => ({ id: c.id, from: c.from, to: c.to, hover: `${c.author.displayName}: ${c.body}`, draft: c.releasedAt === null }));
  }, [review.comments, file]);

  const showComment = useCallback(
    (c: CommentView) => {
      const here = shownDetail?.files.find((f) => f.fileId === c.fileId && f.version === c.version);
      if (here) {
        setFileId(c.fileId);
        setView('code');
        setDiff('none');
        setReveal({ from: c.from, to: c.to });
        return;
      }
      const other = review.submissions.find((s) => s.files.some((f) => f.fileId === c.fileId && f.version === c.version));
      if (other) {
        setSubmissionId(other.id);
        setFileId(c.fileId);
        setView('code');
        setDiff('none');
        setReveal({ from: c.from, to: c.to });
        return;
      }
      openHistory({ fileId: c.fileId, version: c.version });
    },
    [shownDetail, review.submissions, openHistory],
  );

  // AI findings of one review (the newest, or the one last clicked) as markers in the viewer. Their
  // lines refer to the reviewed file version; on another version they are still drawn at those
  // lines, which is close enough to find the spot.
  const aiMarkers = useMemo(() => aiFindingMarkers(markedReview, file?.submitted ? file.id : null), [markedReview, file]);
  const showFinding = useCallback(
    (r: AiReviewView, f: AiFindingView) => {
      setMarkedReviewId(r.id);
      const lines = { startLine: f.startLine, endLine: f.endLine };
      const reviewed = r.submissionId ? review.submissions.find((s) => s.id === r.submissionId) : undefined;
      const here = shownDetail?.files.some((x) => x.fileId === f.fileId && x.version === f.version);
      if (!here && reviewed && reviewed.files.some((x) => x.fileId === f.fileId)) {
        setSubmissionId(reviewed.id);
      } else if (!shownDetail?.files.some((x) => x.fileId === f.fileId)) {
        // Not in the submission shown (an on-demand review of newer code): the history has it.
        openHistory({ fileId: f.fileId, version: f.version });
        return;
      }
      setFileId(f.fileId);
      setView('code');
      setDiff('none');
      setComposing(null);
      setReveal(lines);
    },
    [review.submissions, shownDetail, openHistory],
  );

  const startComment = useCallback(() => {
    if (selection && file?.submitted && diff === 'none') setComposing(selection);
  }, [selection, file, diff]);

  const members = groups.data?.groups.find((g) => g.id === groupId)?.members ?? [];
  const groupName = members.length > 0 ? members.map((m) => m.displayName).join(' & ') : 'Group';
  const title = assignment.data?.title ?? 'Assignment';
  useEffect(() => {
    document.title = `Review: ${groupName} · ${title} · Tandem`;
  }, [groupName, title]);

  const crumbs: Crumb[] = [];
  if (classId) crumbs.push({ href: `/classes/${classId}`, label: klass.data?.name ?? 'Class' });
  crumbs.push({ href: `/assignments/${assignmentId}/submissions`, label: `${title}: submissions` });
  crumbs.push({ label: groupName });

  const threads = commentThreads(review.comments, fileOrder);
  const submitted = file?.submitted ?? null;
  const quote = composing && submitted ? sliceCodePoints(submitted.text, composing.from, composing.to) : '';

  return (
    <div className="review-page" data-testid="review-page" data-group-id={groupId}>
      <AppHeader user={me.user} crumbs={crumbs} />
      <div className="review-layout">
        <main className="review-main">
          <div className="review-toolbar">
            <div className="tabs review-tabs" role="tablist" aria-label="Review views">
              {(['code', 'history', 'blame'] as const).map((v) => (
                <button
                  key={v}
                  type="button"
                  role="tab"
                  className="tab"
                  aria-selected={view === v}
                  data-testid={`view-${v}`}
                  onClick={() => {
                    if (v === 'history') setHistoryTarget(null);
                    setView(v);
                  }}
                >
                  {v === 'code' ? 'Submission' : v === 'history' ? 'History' : 'Blame'}
                </button>
              ))}
            </div>
            <span className="spacer" />
            {view === 'code' && submissions.length > 0 && (
              <label className="inline-label">
                <span>Submission</span>
                <select
                  className="select small-select"
                  value={submissionId ?? ''}
                  data-testid="submission-select"
                  onChange={(e) => {
                    setSubmissionId(e.target.value);
                    setComposing(null);
                  }}
                >
                  {submissions.map((s) => (
                    <option key={s.id} value={s.id}>
                      #{s.number} · {new Date(s.submittedAt).toLocaleString()} · {s.submittedBy.displayName}
                      {s.late ? ' · late' : ''}
                    </option>
                  ))}
                </select>
              </label>
            )}
          </div>

          <div className="file-tabs" role="tablist" aria-label="Files">
            {files.map((f) => (
              <button
                key={f.id}
                type="button"
                role="tab"
                className="file-tab"
                aria-selected={f.id === fileId}
                data-testid="review-file-tab"
                data-name={f.name}
                onClick={() => {
                  setFileId(f.id);
                  setComposing(null);
                }}
              >
                {f.name}
                {view === 'code' && !f.submitted && <span className="muted"> (not submitted)</span>}
              </button>
            ))}
          </div>

          {view === 'code' && (
            <>
              {submitted && (
                <div className="review-subbar">
                  <span className="seg" role="group" aria-label="Compare">
                    <button type="button" className="seg-btn" aria-pressed={diff === 'none'} onClick={() => setDiff('none')} data-testid="diff-none">
                      Submitted
                    </button>
                    <button
                      type="button"
                      className="seg-btn"
                      aria-pressed={diff === 'starter'}
                      disabled={submitted.starterText === null}
                      title={submitted.starterText === null ? 'This file is not in the starter code' : undefined}
                      onClick={() => setDiff('starter')}
                      data-testid="diff-starter"
                    >
                      Diff vs starter
                    </button>
                    <button
                      type="button"
                      className="seg-btn"
                      aria-pressed={diff === 'previous'}
                      disabled={submitted.previousText === null}
                      title={submitted.previousText === null ? 'No earlier submission of this file' : undefined}
                      onClick={() => setDiff('previous')}
                      data-testid="diff-previous"
                    >
                      Diff vs previous
                    </button>
                  </span>
                  <span className="field-hint">version {submitted.version}</span>
                  <span className="spacer" />
                  {diff === 'none' && (
                    <button
                      type="button"
                      className="btn btn-primary small-btn"
                      disabled={!selection}
                      onClick={startComment}
                      data-testid="comment-button"
                      title="Select code first (Ctrl+Alt+M)"
                    >
                      Comment
                    </button>
                  )}
                </div>
              )}
              {composing && submitted && file && (
                <div className="composer" data-testid="composer">
                  <p className="field-hint">
                    Comment on <code className="comment-quote">{quote.length > 120 ? `${quote.slice(0, 120)}…` : quote}</code> in {file.name}. Students see it once you release feedback.
                  </p>
                  <CommentForm
                    placeholder="Write a comment"
                    submitLabel="Add comment"
                    testId="new-comment"
                    onCancel={() => setComposing(null)}
                    onSubmit={async (body) => {
                      if (!workspaceId) return;
                      await api.addComment(workspaceId, { fileId: file.id, version: submitted.version, from: composing.from, to: composing.to, body });
                      setComposing(null);
                      reload();
                    }}
                  />
                </div>
              )}
              <div className="viewer-host">
                {submissions.length === 0 ? (
                  <div className="editor-placeholder" data-testid="not-submitted">
                    <h2>Not submitted yet</h2>
                    <p>This group has no submission. Their work so far is in History and Blame.</p>
                  </div>
                ) : !shownDetail ? (
                  detail.error ? (
                    <p className="field-error review-pad" role="alert">
                      {detail.error.message}
                    </p>
                  ) : (
                    <p className="card-sub review-pad">Loading…</p>
                  )
                ) : !submitted || !file ? (
                  <div className="editor-placeholder">
                    <h2>Not in this submission</h2>
                    <p>This file was created after the submission (or not submitted). See it in History.</p>
                  </div>
                ) : diff === 'none' ? (
                  <CodeViewer
                    key={`${submissionId}:${file.id}`}
                    text={submitted.text}
                    language={submitted.language}
                    theme={theme}
                    marks={marks}
                    markers={aiMarkers}
                    onSelection={setSelection}
                    onCommentKey={startComment}
                    reveal={reveal}
                    testId="submission-viewer"
                    label={`${file.name} as submitted`}
                  />
                ) : (
                  <DiffViewer
                    key={`${submissionId}:${file.id}:${diff}`}
                    original={(diff === 'starter' ? submitted.starterText : submitted.previousText) ?? ''}
                    modified={submitted.text}
                    language={submitted.language}
                    theme={theme}
                    testId="diff-viewer"
                  />
                )}
              </div>
            </>
          )}
          {view === 'history' &&
            (workspaceId && file ? (
              <HistoryPanel workspaceId={workspaceId} fileId={file.id} language={file.language} theme={theme} target={historyTarget} />
            ) : (
              <p className="card-sub review-pad">No workspace yet: the group has not opened the assignment.</p>
            ))}
          {view === 'blame' &&
            (workspaceId && file ? (
              <div className="review-scroll">
                <BlamePanel workspaceId={workspaceId} fileId={file.id} />
              </div>
            ) : (
              <p className="card-sub review-pad">No workspace yet: the group has not opened the assignment.</p>
            ))}
        </main>

        <aside className="review-side" aria-label="Feedback">
          <section className="review-card" aria-labelledby="review-status-title">
            <h2 id="review-status-title" className="review-card-title">
              {groupName}
            </h2>
            <p className="field-hint" data-testid="review-summary">
              {submissions[0]
                ? `Submitted ${submissions.length} time${submissions.length === 1 ? '' : 's'}, last ${ago(Date.now() - submissions[0].submittedAt)}`
                : 'No submission yet'}
              {submissions[0]?.late && (
                <>
                  {' '}
                  <span className="status-badge warn">late</span>
                </>
              )}
              {assignment.data?.deadline ? ` · due ${formatDeadline(assignment.data.deadline)}` : ''}
            </p>
            {workspaceId && (
              <Link href={`/w/${workspaceId}`} className="btn btn-ghost small-btn">
                Open the live workspace
              </Link>
            )}
          </section>

          {submissionId && (
            <SubmissionTests submissionId={submissionId} submittedAt={submissions.find((x) => x.id === submissionId)?.submittedAt ?? 0} />
          )}

          <section className="review-card" aria-labelledby="comments-title" data-testid="comments-panel">
            <h2 id="comments-title" className="review-card-title">
              Comments <span className="panel-count">{threads.length}</span>
            </h2>
            {threads.length === 0 ? (
              <p className="field-hint">Select code in the submission and press Comment.</p>
            ) : (
              <ul className="thread-list">
                {threads.map(({ comment, replies }) => (
                  <CommentThread
                    key={comment.id}
                    comment={comment}
                    replies={replies}
                    fileName={fileName(comment.fileId)}
                    workspaceId={comment.workspaceId}
                    meId={me.user.id}
                    canReply
                    onShow={showComment}
                    onJumpToVersion={(c) => openHistory({ fileId: c.fileId, version: c.version })}
                    onChanged={reload}
                  />
                ))}
              </ul>
            )}
          </section>

          {workspaceId && (
            <AiReviewSection
              assignmentId={assignmentId}
              data={ai.data}
              error={ai.error?.message ?? null}
              members={members}
              markedReviewId={markedReview?.id ?? null}
              onShow={showFinding}
              onChanged={ai.reload}
            />
          )}
          <GradePanel groupId={groupId} review={review} onChanged={reload} />
          <RubricEditor rubric={review.rubric} onSaved={reload} />
          {workspaceId && <PasteSignals workspaceId={workspaceId} onOpen={openHistory} />}
        </aside>
      </div>
    </div>
  );
}

/** Large pastes (a hint to look closer, not a verdict), each opening the history at that op. */
function PasteSignals({ workspaceId, onOpen }: { workspaceId: string; onOpen: (target: HistoryTarget) => void }) {
  const signals = useResource(() => api.pasteSignals(workspaceId), workspaceId);
  const list = signals.data ?? [];
  return (
    <section className="review-card" aria-labelledby="paste-title" data-testid="paste-signals">
      <h2 id="paste-title" className="review-card-title">
        Paste signals <span className="panel-count">{list.length}</span>
      </h2>
      {signals.error && (
        <p className="field-error" role="alert">
          {signals.error.message}
        </p>
      )}
      {!signals.data && !signals.error && <p className="field-hint">Loading…</p>}
      {signals.data && list.length === 0 && <p className="field-hint">No large pastes.</p>}
      <ul className="signal-list">
        {list.map((s) => (
          <li key={`${s.fileId}:${s.v}:${s.at}`}>
            <button
              type="button"
              className="signal"
              data-testid="paste-signal"
              onClick={() => onOpen({ fileId: s.fileId, version: versionAfterOp(s.v) })}
              title="Open the history at this paste"
            >
              <span className="signal-head">
                <strong>{s.author?.displayName ?? 'Someone'}</strong>
                {s.source && <SourceBadge source={s.source} />}
                <span>
                  {s.length} chars in {s.fileName}
                </span>
                {s.ts !== null && <span className="comment-when">{ago(Date.now() - s.ts)}</span>}
              </span>
              <code className="comment-quote">{s.preview}</code>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** `text` between code points `from` and `to`. */
function sliceCodePoints(text: string, from: number, to: number): string {
  return Array.from(text).slice(from, to).join('');
}
