'use client';

import { useEffect, useId, useState, type FormEvent } from 'react';
import { api, errorMessage, type GradesFinalView, type RetentionPolicy } from '../_lib/api';
import { Modal } from './modal';

/** The server's bound for `opRetentionDays` (server/http/review-routes.ts). */
const MAX_RETENTION_DAYS = 3650;
const DAY_MS = 86_400_000;

/** "12 Mar 2027": compaction dates can be a year out, so the year is shown. */
function formatDay(at: number): string {
  return new Date(at).toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
}

function parseDays(text: string): number | null {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return null;
  const days = Number(trimmed);
  return days <= MAX_RETENTION_DAYS ? days : null;
}

function describePolicy(days: number | null): string {
  if (days === null) return 'Keystroke history is kept forever.';
  if (days === 0) return 'Keystroke history is compacted as soon as an assignment’s grades are final.';
  return `Keystroke history is kept for ${days} ${days === 1 ? 'day' : 'days'} after an assignment’s grades are final, then compacted.`;
}

/**
 * RT-1: how long the class keeps keystroke-level history once grades are final. Staff read it;
 * only the teacher changes it (TAs see the policy, read-only).
 */
export function RetentionCard({
  classId,
  isTeacher,
  policy,
  error: loadError,
  onSaved,
}: {
  classId: string;
  isTeacher: boolean;
  /** Null while loading. */
  policy: RetentionPolicy | null;
  error: string | null;
  onSaved: (policy: RetentionPolicy) => void;
}) {
  const id = useId();
  const [mode, setMode] = useState<'forever' | 'days'>('forever');
  const [daysText, setDaysText] = useState('180');
  const [dirty, setDirty] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);

  // Show what the server holds, unless the teacher is in the middle of changing it.
  useEffect(() => {
    if (!policy || dirty) return;
    setMode(policy.opRetentionDays === null ? 'forever' : 'days');
    if (policy.opRetentionDays !== null) setDaysText(String(policy.opRetentionDays));
  }, [policy, dirty]);

  const days = parseDays(daysText);
  const invalid = mode === 'days' && days === null;

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (invalid) return setError(`Enter a whole number of days from 0 to ${MAX_RETENTION_DAYS}.`);
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const next = await api.setRetention(classId, mode === 'forever' ? null : days);
      setDirty(false);
      setSaved(true);
      onSaved(next);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  function change(update: () => void) {
    update();
    setDirty(true);
    setSaved(false);
    setError(null);
  }

  return (
    <section className="card side-card" aria-labelledby={`${id}-title`} data-testid="retention-card">
      <h2 id={`${id}-title`}>History retention</h2>
      <p className="card-sub">
        Tandem keeps every keystroke for playback and blame. Compacting keeps only the submitted versions and the final code.
      </p>
      {loadError && (
        <p className="field-error" role="alert">
          {loadError}
        </p>
      )}
      {!isTeacher ? (
        policy && (
          <p className="retention-readonly" data-testid="retention-readonly" data-days={policy.opRetentionDays ?? 'forever'}>
            {describePolicy(policy.opRetentionDays)} <span className="field-note">Only the teacher changes this.</span>
          </p>
        )
      ) : (
        <form onSubmit={onSubmit} noValidate>
          <fieldset className="retention-options" disabled={!policy || busy}>
            <legend className="visually-hidden">How long to keep keystroke history</legend>
            <label className="choice">
              <input
                type="radio"
                name={`${id}-mode`}
                checked={mode === 'forever'}
                onChange={() => change(() => setMode('forever'))}
                data-testid="retention-forever"
              />
              Keep forever
            </label>
            <label className="choice">
              <input
                type="radio"
                name={`${id}-mode`}
                checked={mode === 'days'}
                onChange={() => change(() => setMode('days'))}
                data-testid="retention-keep-days"
              />
              Keep for a number of days after grades are final
            </label>
            {mode === 'days' && (
              <div className="retention-days">
                <input
                  id={`${id}-days`}
                  className="input"
                  type="number"
                  inputMode="numeric"
                  min={0}
                  max={MAX_RETENTION_DAYS}
                  step={1}
                  value={daysText}
                  aria-invalid={invalid}
                  aria-describedby={`${id}-days-hint`}
                  onChange={(e) => change(() => setDaysText(e.target.value))}
                  data-testid="retention-days"
                />
                <label htmlFor={`${id}-days`}>days</label>
              </div>
            )}
          </fieldset>
          {mode === 'days' && (
            <p className="field-hint" id={`${id}-days-hint`}>
              {days === 0 ? 'With 0, history is compacted as soon as grades are final.' : 'Until then, you can reopen grading.'}
            </p>
          )}
          {error && (
            <p className="field-error form-error" role="alert">
              {error}
            </p>
          )}
          <div className="retention-actions">
            <button type="submit" className="btn btn-primary" disabled={!policy || busy || !dirty} data-testid="retention-save">
              {busy ? 'Saving…' : 'Save'}
            </button>
            <span className="field-hint" role="status" data-testid="retention-status">
              {saved ? 'Saved.' : ''}
            </span>
          </div>
        </form>
      )}
    </section>
  );
}

/**
 * RT-1: the teacher marks an assignment's grades final, which starts the class's retention
 * period; afterwards the history is compacted and this can no longer be taken back.
 *
 * The saved state is read when the control mounts; marking again keeps the first date.
 */
export function GradesFinalControl({
  assignmentId,
  title,
  retentionDays,
}: {
  assignmentId: string;
  title: string;
  /** The class's policy; undefined while it loads. */
  retentionDays: number | null | undefined;
}) {
  const id = useId();
  const [view, setView] = useState<GradesFinalView | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    api.gradesFinal(assignmentId).then(
      (v) => {
        if (live) setView((current) => current ?? v);
      },
      (err: unknown) => {
        if (live) setError(errorMessage(err));
      },
    );
    return () => {
      live = false;
    };
  }, [assignmentId]);

  async function set(final: boolean) {
    setBusy(true);
    setError(null);
    try {
      setView(await api.setGradesFinal(assignmentId, final));
      setConfirming(false);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  const final = view !== null && view.gradesFinalAt !== null;
  // The policy may have changed since the answer: recompute when it is known.
  const compactAfter =
    view === null || view.gradesFinalAt === null
      ? null
      : retentionDays === undefined
        ? view.compactAfter
        : retentionDays === null
          ? null
          : view.gradesFinalAt + retentionDays * DAY_MS;
  const compacted = view?.opsCompactedAt != null;

  let note: string;
  if (!final) note = 'When grading is done, this starts the class’s history retention period.';
  else if (compacted) note = `Keystroke history was compacted on ${formatDay(view!.opsCompactedAt!)}. This cannot be undone.`;
  else if (compactAfter === null) note = 'The class keeps keystroke history forever.';
  else if (compactAfter <= Date.now()) note = 'Keystroke history is being compacted now. After that, this cannot be undone.';
  else note = `Keystroke history will be compacted after ${formatDay(compactAfter)}. After that, this cannot be undone.`;

  let consequence: string;
  if (retentionDays === null) consequence = 'This class keeps keystroke history forever, so nothing is compacted. You can reopen grading later.';
  else if (retentionDays === 0)
    consequence = 'This class keeps no history after grades are final: every group’s keystroke history is compacted right away, leaving the submitted versions and the final code. This cannot be undone.';
  else if (retentionDays !== undefined)
    consequence = `After ${retentionDays} ${retentionDays === 1 ? 'day' : 'days'} (${formatDay(Date.now() + retentionDays * DAY_MS)}), every group’s keystroke history is compacted, leaving the submitted versions and the final code. You can reopen grading until then, not after.`;
  else consequence = 'After the class’s retention period, every group’s keystroke history is compacted. That cannot be undone.';

  return (
    <div className="grades-final" data-testid="grades-final" data-final={view === null ? 'unknown' : final ? 'true' : 'false'} data-compacted={compacted ? 'true' : 'false'}>
      {final ? (
        <>
          <span className="status-badge ok">Grades final</span>
          <span className="grades-final-note" data-testid="grades-final-note" data-compact-after={compactAfter ?? ''}>
            Since {formatDay(view!.gradesFinalAt!)}. {note}
          </span>
          <button type="button" className="btn small-btn" disabled={busy || compacted} onClick={() => void set(false)} data-testid="grades-final-reopen">
            {busy ? 'Reopening…' : 'Reopen grading'}
          </button>
        </>
      ) : (
        <>
          <button type="button" className="btn small-btn" disabled={busy} onClick={() => setConfirming(true)} data-testid="grades-final-mark">
            Mark grades final…
          </button>
          <span className="grades-final-note field-note">{note}</span>
        </>
      )}
      {error && !confirming && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      <Modal open={confirming} labelledBy={`${id}-title`} onCancel={() => !busy && setConfirming(false)} testId="grades-final-dialog">
        <div className="modal-body">
          <h2 id={`${id}-title`}>Mark the grades of “{title}” final?</h2>
          <p>{consequence}</p>
          {view === null && <p className="field-hint">If they were marked final before, the first date is kept.</p>}
          {error && (
            <p className="field-error form-error" role="alert">
              {error}
            </p>
          )}
        </div>
        <div className="modal-actions">
          <button type="button" className="btn" autoFocus disabled={busy} onClick={() => setConfirming(false)}>
            Cancel
          </button>
          <button
            type="button"
            className={retentionDays === 0 ? 'btn btn-danger' : 'btn btn-primary'}
            disabled={busy}
            onClick={() => void set(true)}
            data-testid="grades-final-confirm"
          >
            {busy ? 'Saving…' : 'Mark final'}
          </button>
        </div>
      </Modal>
    </div>
  );
}
