'use client';

import { useState, type KeyboardEvent, type ReactNode } from 'react';
import type { CommentView } from '../../lib/review/review-api';
import { api, errorMessage } from '../_lib/api';
import { ago } from '../_lib/time';

/** Top-level comments with their replies (oldest first), in reading order: by file, then position. */
export function commentThreads(comments: readonly CommentView[], fileOrder: (fileId: string) => number) {
  const replies = new Map<string, CommentView[]>();
  for (const c of comments) if (c.parentId) replies.set(c.parentId, [...(replies.get(c.parentId) ?? []), c]);
  return comments
    .filter((c) => !c.parentId)
    .sort((a, b) => fileOrder(a.fileId) - fileOrder(b.fileId) || a.current.from - b.current.from || a.createdAt - b.createdAt)
    .map((c) => ({ comment: c, replies: (replies.get(c.id) ?? []).sort((a, b) => a.createdAt - b.createdAt) }));
}

/** A small text form: Ctrl/Cmd+Enter saves, Escape cancels. */
export function CommentForm({
  initial = '',
  placeholder,
  submitLabel,
  onSubmit,
  onCancel,
  testId,
  autoFocus = true,
}: {
  initial?: string;
  placeholder: string;
  submitLabel: string;
  onSubmit: (body: string) => Promise<void>;
  onCancel?: () => void;
  testId: string;
  autoFocus?: boolean;
}) {
  const [body, setBody] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit() {
    const text = body.trim();
    if (!text || busy) return;
    setBusy(true);
    setError(null);
    try {
      await onSubmit(text);
      setBody('');
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void submit();
    } else if (e.key === 'Escape' && onCancel) {
      e.preventDefault();
      onCancel();
    }
  }

  return (
    <form
      className="comment-form"
      data-testid={testId}
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <textarea
        className="input textarea"
        aria-label={placeholder}
        placeholder={placeholder}
        value={body}
        autoFocus={autoFocus}
        rows={3}
        onChange={(e) => setBody(e.target.value)}
        onKeyDown={onKeyDown}
        data-testid={`${testId}-body`}
      />
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      <div className="button-row">
        <button type="submit" className="btn btn-primary small-btn" disabled={busy || !body.trim()} data-testid={`${testId}-save`}>
          {submitLabel}
        </button>
        {onCancel && (
          <button type="button" className="btn btn-ghost small-btn" onClick={onCancel}>
            Cancel
          </button>
        )}
        <span className="field-hint form-keys">
          <span className="kbd">Ctrl</span>+<span className="kbd">Enter</span>
        </span>
      </div>
    </form>
  );
}

function OneComment({
  comment: c,
  meId,
  onChanged,
  children,
}: {
  comment: CommentView;
  meId: string;
  onChanged: () => void;
  children?: ReactNode;
}) {
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const mine = c.author.id === meId;
  return (
    <div className="comment" data-testid="comment" data-comment-id={c.id} data-draft={c.releasedAt === null ? 'true' : 'false'}>
      <div className="comment-head">
        <strong className="comment-author">{c.author.displayName}</strong>
        {c.author.staff && <span className="role-badge role-teacher">staff</span>}
        {c.releasedAt === null && (
          <span className="status-badge warn" data-testid="draft-badge" title="Only staff see this until the feedback is released">
            draft
          </span>
        )}
        <span className="comment-when" title={new Date(c.createdAt).toLocaleString()}>
          {ago(Date.now() - c.createdAt)}
        </span>
      </div>
      {editing ? (
        <CommentForm
          initial={c.body}
          placeholder="Edit comment"
          submitLabel="Save"
          testId="edit-comment"
          onCancel={() => setEditing(false)}
          onSubmit={async (body) => {
            await api.editComment(c.id, body);
            setEditing(false);
            onChanged();
          }}
        />
      ) : (
        <p className="comment-body" data-testid="comment-body">
          {c.body}
        </p>
      )}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      <div className="comment-actions">
        {children}
        {mine && !editing && (
          <>
            <button type="button" className="link-btn" onClick={() => setEditing(true)} data-testid="edit-comment-button">
              Edit
            </button>
            <button
              type="button"
              className="link-btn danger"
              data-testid="delete-comment"
              onClick={async () => {
                if (!window.confirm('Delete this comment?')) return;
                setError(null);
                try {
                  await api.deleteComment(c.id);
                  onChanged();
                } catch (err) {
                  setError(errorMessage(err));
                }
              }}
            >
              Delete
            </button>
          </>
        )}
      </div>
    </div>
  );
}

/**
 * One anchored comment with its replies: where it is (click to show it in the code), its text,
 * draft and outdated badges, reply / edit / delete, and for staff "jump to version".
 */
export function CommentThread({
  comment: c,
  replies,
  fileName,
  workspaceId,
  meId,
  canReply,
  onShow,
  onJumpToVersion,
  onChanged,
}: {
  comment: CommentView;
  replies: CommentView[];
  fileName: string;
  workspaceId: string;
  meId: string;
  canReply: boolean;
  onShow: (comment: CommentView) => void;
  onJumpToVersion?: (comment: CommentView) => void;
  onChanged: () => void;
}) {
  const [replying, setReplying] = useState(false);
  const quote = c.quote.length > 80 ? `${c.quote.slice(0, 80)}…` : c.quote;
  return (
    <li className="thread" data-testid="comment-thread" data-comment-id={c.id} data-file-id={c.fileId}>
      <button type="button" className="comment-loc" onClick={() => onShow(c)} data-testid="show-comment" title="Show in the code">
        <span className="comment-file">{fileName}</span>
        {c.current.outdated && (
          <span className="status-badge" data-testid="outdated-badge" title="The commented code has since been deleted">
            outdated
          </span>
        )}
        {quote && <code className="comment-quote">{quote}</code>}
      </button>
      <OneComment comment={c} meId={meId} onChanged={onChanged}>
        {canReply && !replying && (
          <button type="button" className="link-btn" onClick={() => setReplying(true)} data-testid="reply-button">
            Reply
          </button>
        )}
        {onJumpToVersion && (
          <button type="button" className="link-btn" onClick={() => onJumpToVersion(c)} data-testid="jump-to-version" title="Open the history at the version this comment was made on">
            Version {c.version}
          </button>
        )}
      </OneComment>
      {replies.length > 0 && (
        <ul className="replies">
          {replies.map((r) => (
            <li key={r.id}>
              <OneComment comment={r} meId={meId} onChanged={onChanged} />
            </li>
          ))}
        </ul>
      )}
      {replying && (
        <CommentForm
          placeholder="Reply"
          submitLabel="Reply"
          testId="reply-form"
          onCancel={() => setReplying(false)}
          onSubmit={async (body) => {
            await api.addComment(workspaceId, { fileId: c.fileId, version: c.version, from: c.from, to: c.to, body, parentId: c.id });
            setReplying(false);
            onChanged();
          }}
        />
      )}
    </li>
  );
}
