'use client';

import { useEffect, useId, useState } from 'react';
import { api, errorMessage, type HelpRequest } from '../_lib/api';
import { useResource } from '../_lib/use-resource';
import { ago } from '../_lib/time';
import { HandIcon } from './icons';

/** Staff: raised hands in order, live; open the student's workspace or resolve. */
export function HelpQueue({ classId, version }: { classId: string; version: number }) {
  const help = useResource(() => api.helpQueue(classId), classId, version);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [, setTick] = useState(0);
  const id = useId();
  useEffect(() => {
    const timer = setInterval(() => setTick((t) => t + 1), 15_000);
    return () => clearInterval(timer);
  }, []);
  const queue: HelpRequest[] = help.data && 'queue' in help.data ? help.data.queue : [];

  return (
    <section className="card side-card help-card" aria-labelledby={`${id}-title`} data-testid="help-queue">
      <h2 id={`${id}-title`}>
        Help queue{' '}
        <span className={`panel-count${queue.length ? ' hot' : ''}`} data-testid="help-count">
          {queue.length}
        </span>
      </h2>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      {queue.length === 0 ? (
        <p className="card-sub" data-testid="help-empty">
          No raised hands.
        </p>
      ) : (
        <ol className="help-list" aria-live="polite">
          {queue.map((r) => (
            <li key={r.id} className="help-item" data-testid="help-item" data-name={r.displayName}>
              <div className="help-line">
                <span className="help-pos">#{r.position}</span>
                <strong>{r.displayName}</strong>
                <span className="when">{ago(Date.now() - r.createdAt)}</span>
              </div>
              {r.note && <p className="help-note">{r.note}</p>}
              <div className="button-row">
                {r.workspaceId && (
                  <a className="btn" href={`/w/${r.workspaceId}`} data-testid="open-help-workspace">
                    Open workspace
                  </a>
                )}
                <button
                  type="button"
                  className="btn btn-primary"
                  data-testid="resolve-help"
                  disabled={busy === r.id}
                  onClick={async () => {
                    setBusy(r.id);
                    setError(null);
                    try {
                      await api.resolveHelp(r.id);
                      help.reload();
                    } catch (err) {
                      setError(errorMessage(err));
                    } finally {
                      setBusy(null);
                    }
                  }}
                >
                  Resolve
                </button>
              </div>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

/**
 * Student: raise a hand (with an optional note) and see my place in line, live; lower it again.
 * `version` moves on every `tandem:help-changed` of the class.
 */
export function RaiseHand({
  classId,
  workspaceId,
  version,
  compact = false,
}: {
  classId: string;
  workspaceId: string | null;
  version: number;
  compact?: boolean;
}) {
  const help = useResource(() => api.helpQueue(classId), classId, version);
  const [note, setNote] = useState('');
  const [open, setOpen] = useState(!compact);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = useId();
  const mine = help.data && 'mine' in help.data ? help.data.mine : null;

  async function act(fn: () => Promise<unknown>) {
    setBusy(true);
    setError(null);
    try {
      await fn();
      help.reload();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  if (mine) {
    return (
      <div className={`raise-hand raised${compact ? ' compact' : ''}`} data-testid="raise-hand-box">
        <p className="my-place" data-testid="my-place" data-position={mine.position} role="status">
          <HandIcon /> You’re <strong>#{mine.position}</strong> in line
        </p>
        <button type="button" className="btn" disabled={busy} data-testid="lower-hand" onClick={() => act(() => api.resolveHelp(mine.id))}>
          Lower hand
        </button>
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
      </div>
    );
  }

  if (compact && !open) {
    return (
      <div className="raise-hand compact" data-testid="raise-hand-box">
        <button type="button" className="btn" data-testid="raise-hand-open" onClick={() => setOpen(true)}>
          <HandIcon /> Ask for help
        </button>
      </div>
    );
  }

  return (
    <form
      className={`raise-hand${compact ? ' compact open' : ''}`}
      data-testid="raise-hand-box"
      onSubmit={(e) => {
        e.preventDefault();
        void act(async () => {
          await api.raiseHand(classId, note.trim(), workspaceId);
          setNote('');
          // Once lowered or resolved, the compact box goes back to its single button.
          if (compact) setOpen(false);
        });
      }}
    >
      <label className={compact ? 'visually-hidden' : 'field-label'} htmlFor={id}>
        What do you need help with? <span className="field-note">(optional)</span>
      </label>
      <input
        id={id}
        className="input"
        maxLength={500}
        placeholder="e.g. Our loop never stops"
        value={note}
        onChange={(e) => setNote(e.target.value)}
        data-testid="raise-hand-note"
        autoFocus={compact}
        onKeyDown={(e) => {
          if (e.key === 'Escape' && compact) setOpen(false);
        }}
      />
      <button type="submit" className="btn btn-primary" disabled={busy} data-testid="raise-hand">
        <HandIcon /> Raise hand
      </button>
      {compact && (
        <button type="button" className="btn btn-ghost" onClick={() => setOpen(false)}>
          Cancel
        </button>
      )}
      {help.data && 'waiting' in help.data && help.data.waiting > 0 && !compact && (
        <p className="field-hint">{help.data.waiting} waiting right now.</p>
      )}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
