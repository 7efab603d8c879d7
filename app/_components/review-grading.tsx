'use client';

import { useEffect, useId, useState } from 'react';
import type { ReviewView, Rubric } from '../../lib/review/review-api';
import { api, errorMessage } from '../_lib/api';

/** "12", "7.5": scores are shown without trailing zeros. */
function points(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

function parseScore(value: string): number | null {
  if (value.trim() === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : NaN;
}

/**
 * Scores per rubric criterion with a live total, the summary for the students, and "Release
 * feedback", which saves unsaved scores first and then shows every draft comment and the grade to
 * the group.
 */
export function GradePanel({ groupId, review, onChanged }: { groupId: string; review: ReviewView; onChanged: () => void }) {
  const criteria = review.rubric.criteria;
  const grade = review.grade;
  const [scores, setScores] = useState<Record<string, string>>({});
  const [summary, setSummary] = useState('');
  const [dirty, setDirty] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const id = useId();

  // The saved grade replaces the form whenever it changes on the server (and nothing is typed).
  const gradeStamp = grade ? `${grade.updatedAt}:${grade.releasedAt}` : 'none';
  useEffect(() => {
    setScores(Object.fromEntries(Object.entries(grade?.scores ?? {}).map(([k, v]) => [k, String(v)])));
    setSummary(grade?.summary ?? '');
    setDirty(false);
  }, [gradeStamp]);

  const parsed = criteria.map((c) => ({ c, value: parseScore(scores[c.id] ?? '') }));
  const invalid = parsed.filter(({ c, value }) => value !== null && (Number.isNaN(value) || value < 0 || value > c.points));
  const total = parsed.reduce((n, { value }) => n + (value !== null && !Number.isNaN(value) ? value : 0), 0);
  const drafts = review.comments.filter((c) => c.releasedAt === null).length;
  const unreleasedGrade = grade !== null && (grade.releasedAt === null || grade.updatedAt > grade.releasedAt);

  async function save(): Promise<boolean> {
    if (invalid.length > 0) {
      setError(`Scores must be between 0 and the criterion’s points (${invalid.map(({ c }) => c.title).join(', ')}).`);
      return false;
    }
    const body = {
      scores: Object.fromEntries(parsed.filter(({ value }) => value !== null).map(({ c, value }) => [c.id, value as number])),
      summary: summary.trim(),
    };
    await api.saveGrade(groupId, body);
    setDirty(false);
    return true;
  }

  async function act(fn: () => Promise<unknown>) {
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      await fn();
      onChanged();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="review-card" aria-labelledby={`${id}-title`} data-testid="grade-panel">
      <h2 id={`${id}-title`} className="review-card-title">
        Grade
        <span className="grade-total" data-testid="grade-total">
          {points(total)} / {points(review.rubric.maxScore)}
        </span>
      </h2>
      {criteria.length === 0 ? (
        <p className="field-hint">Add rubric criteria below to score this group.</p>
      ) : (
        <ul className="score-list">
          {criteria.map((c) => (
            <li key={c.id} className="score-row">
              <label htmlFor={`${id}-${c.id}`} className="score-label">
                <span>{c.title}</span>
                {c.description && <span className="field-hint">{c.description}</span>}
              </label>
              <span className="score-input">
                <input
                  id={`${id}-${c.id}`}
                  className="input"
                  type="number"
                  inputMode="decimal"
                  min={0}
                  max={c.points}
                  step="any"
                  value={scores[c.id] ?? ''}
                  aria-invalid={invalid.some((x) => x.c.id === c.id)}
                  data-testid="score-input"
                  data-criterion={c.title}
                  onChange={(e) => {
                    setScores((s) => ({ ...s, [c.id]: e.target.value }));
                    setDirty(true);
                  }}
                />
                <span className="score-max">/ {points(c.points)}</span>
              </span>
            </li>
          ))}
        </ul>
      )}
      <label className="field-label" htmlFor={`${id}-summary`}>
        Summary for the students
      </label>
      <textarea
        id={`${id}-summary`}
        className="input textarea"
        rows={3}
        value={summary}
        data-testid="grade-summary"
        onChange={(e) => {
          setSummary(e.target.value);
          setDirty(true);
        }}
      />
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      <div className="button-row">
        <button
          type="button"
          className="btn"
          disabled={busy || !dirty}
          data-testid="save-grade"
          onClick={() =>
            act(async () => {
              if (await save()) setSaved(true);
            })
          }
        >
          Save grade
        </button>
        <button
          type="button"
          className="btn btn-primary"
          disabled={busy}
          data-testid="release-feedback"
          onClick={() =>
            act(async () => {
              if (dirty && !(await save())) return;
              await api.release(groupId);
            })
          }
        >
          Release feedback
        </button>
      </div>
      <p className="field-hint" role="status" data-testid="release-state">
        {saved && !dirty ? 'Saved. ' : ''}
        {dirty
          ? 'Unsaved changes.'
          : drafts > 0 || unreleasedGrade
            ? `Not released yet: ${drafts} draft comment${drafts === 1 ? '' : 's'}${unreleasedGrade ? ' and the grade' : ''}.`
            : grade?.releasedAt
              ? `Released ${new Date(grade.releasedAt).toLocaleString()}.`
              : review.comments.length > 0
                ? 'All comments are released.'
                : 'Nothing to release yet.'}
      </p>
    </section>
  );
}

interface CriterionRow {
  key: string;
  id?: string;
  title: string;
  points: string;
  description: string;
}

const rowsOf = (rubric: Rubric): CriterionRow[] =>
  rubric.criteria.map((c) => ({ key: c.id, id: c.id, title: c.title, points: String(c.points), description: c.description }));

/** The assignment's rubric (shared by every group): add, change and remove criteria. */
export function RubricEditor({ rubric, onSaved }: { rubric: Rubric; onSaved: () => void }) {
  const [editing, setEditing] = useState(rubric.criteria.length === 0);
  const [rows, setRows] = useState<CriterionRow[]>(() => rowsOf(rubric));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = useId();
  const stamp = JSON.stringify(rubric.criteria);
  useEffect(() => {
    if (!editing) setRows(rowsOf(rubric));
  }, [stamp, editing]);

  const update = (key: string, patch: Partial<CriterionRow>) => setRows((rs) => rs.map((r) => (r.key === key ? { ...r, ...patch } : r)));

  async function save() {
    const criteria = rows
      .filter((r) => r.title.trim() || r.points.trim())
      .map((r) => ({ ...(r.id ? { id: r.id } : {}), title: r.title.trim(), points: Number(r.points), description: r.description.trim() }));
    const bad = criteria.find((c) => !c.title || !Number.isFinite(c.points) || c.points <= 0);
    if (bad) {
      setError('Every criterion needs a title and a positive number of points.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api.saveRubric(rubric.assignmentId, criteria);
      setEditing(false);
      onSaved();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="review-card" aria-labelledby={`${id}-title`} data-testid="rubric">
      <div className="review-card-head">
        <h2 id={`${id}-title`} className="review-card-title">
          Rubric
          <span className="panel-count">{points(rubric.maxScore)} pts</span>
        </h2>
        {!editing && (
          <button type="button" className="btn btn-ghost small-btn" data-testid="edit-rubric" onClick={() => setEditing(true)}>
            Edit
          </button>
        )}
      </div>
      <p className="field-hint">Shared by every group of this assignment.</p>
      {!editing ? (
        <ul className="rubric-list">
          {rubric.criteria.map((c) => (
            <li key={c.id}>
              <span>{c.title}</span>
              <span className="score-max">{points(c.points)}</span>
            </li>
          ))}
        </ul>
      ) : (
        <>
          <ul className="rubric-edit">
            {rows.map((r, i) => (
              <li key={r.key} className="rubric-row" data-testid="criterion-row">
                <input
                  className="input"
                  aria-label={`Criterion ${i + 1} title`}
                  placeholder="Criterion, e.g. Correctness"
                  value={r.title}
                  data-testid="criterion-title"
                  onChange={(e) => update(r.key, { title: e.target.value })}
                />
                <input
                  className="input rubric-points"
                  type="number"
                  min={0}
                  step="any"
                  aria-label={`Criterion ${i + 1} points`}
                  placeholder="pts"
                  value={r.points}
                  data-testid="criterion-points"
                  onChange={(e) => update(r.key, { points: e.target.value })}
                />
                <button
                  type="button"
                  className="icon-btn small"
                  aria-label={`Remove criterion ${i + 1}`}
                  title="Remove"
                  onClick={() => setRows((rs) => rs.filter((x) => x.key !== r.key))}
                >
                  ×
                </button>
                <input
                  className="input rubric-desc"
                  aria-label={`Criterion ${i + 1} description`}
                  placeholder="Description (optional)"
                  value={r.description}
                  onChange={(e) => update(r.key, { description: e.target.value })}
                />
              </li>
            ))}
          </ul>
          {error && (
            <p className="field-error" role="alert">
              {error}
            </p>
          )}
          <div className="button-row">
            <button
              type="button"
              className="btn small-btn"
              data-testid="add-criterion"
              onClick={() => setRows((rs) => [...rs, { key: `new-${Date.now()}-${rs.length}`, title: '', points: '', description: '' }])}
            >
              Add criterion
            </button>
            <button type="button" className="btn btn-primary small-btn" disabled={busy} data-testid="save-rubric" onClick={save}>
              Save rubric
            </button>
            {rubric.criteria.length > 0 && (
              <button
                type="button"
                className="btn btn-ghost small-btn"
                onClick={() => {
                  setRows(rowsOf(rubric));
                  setEditing(false);
                  setError(null);
                }}
              >
                Cancel
              </button>
            )}
          </div>
        </>
      )}
    </section>
  );
}
