'use client';

import { useEffect, useId, useState, type FormEvent } from 'react';
import type { AiSettingsView } from '../../lib/ai/ai-api';
import type { HelpLevel } from '../../lib/ai/ai-types';
import { api, errorMessage, type AiSettingsInput } from '../_lib/api';
import { useResource } from '../_lib/use-resource';
import { HELP_LEVEL_LABEL } from './ai-review-panel';

/** The server's bound for on-demand requests per student per hour (AI_ON_DEMAND_PER_HOUR's range). */
const MAX_PER_HOUR = 1000;
const HELP_LEVELS: HelpLevel[] = ['off', 'questions', 'hints', 'full'];

/** AI settings as form state: '' / 'inherit' / empty text mean "inherit". */
export interface AiSettingsDraft {
  helpLevel: HelpLevel | '';
  approval: 'inherit' | 'on' | 'off';
  guidance: string;
  hiddenNotes: string;
  perHour: string;
}

export const INHERIT_ALL: AiSettingsDraft = { helpLevel: '', approval: 'inherit', guidance: '', hiddenNotes: '', perHour: '' };

export function draftOf(view: AiSettingsView): AiSettingsDraft {
  return {
    helpLevel: view.helpLevel ?? '',
    approval: view.approvalRequired === null ? 'inherit' : view.approvalRequired ? 'on' : 'off',
    guidance: view.guidance,
    hiddenNotes: view.hiddenNotes,
    perHour: view.onDemandPerHour === null ? '' : String(view.onDemandPerHour),
  };
}

/** What to PUT, or a sentence saying what to fix. */
export function inputOf(draft: AiSettingsDraft): AiSettingsInput | string {
  const text = draft.perHour.trim();
  let perHour: number | null = null;
  if (text) {
    if (!/^\d+$/.test(text) || Number(text) > MAX_PER_HOUR) {
      return `On-demand requests per hour: a whole number from 0 to ${MAX_PER_HOUR}, or empty to inherit.`;
    }
    perHour = Number(text);
  }
  return {
    helpLevel: draft.helpLevel === '' ? null : draft.helpLevel,
    approvalRequired: draft.approval === 'inherit' ? null : draft.approval === 'on',
    guidance: draft.guidance,
    hiddenNotes: draft.hiddenNotes,
    onDemandPerHour: perHour,
  };
}

/** "Hints (no code) · teacher approves first · 5 requests per student per hour". */
export function describeEffective(effective: AiSettingsView['effective']): string {
  const approval = effective.approvalRequired ? 'teacher approves AI feedback first' : 'students see AI feedback at once';
  const perHour = `${effective.onDemandPerHour} on-demand request${effective.onDemandPerHour === 1 ? '' : 's'} per student per hour`;
  return `${HELP_LEVEL_LABEL[effective.helpLevel] ?? effective.helpLevel} · ${approval} · ${perHour}`;
}

/**
 * The fields of a class's or an assignment's AI settings. No <form> of its own: the class card
 * wraps it in one, the assignment editor puts it inside the assignment's form (one Save).
 */
export function AiSettingsFields({
  draft,
  onChange,
  scope,
  effective,
  disabled = false,
}: {
  draft: AiSettingsDraft;
  onChange: (draft: AiSettingsDraft) => void;
  scope: 'class' | 'assignment';
  /** What applies now, after inheritance (as saved); null while unknown. */
  effective: AiSettingsView['effective'] | null;
  disabled?: boolean;
}) {
  const id = useId();
  const inherit = scope === 'assignment' ? 'Inherit from the class' : 'Inherit (Tandem’s default)';
  const set = (patch: Partial<AiSettingsDraft>) => onChange({ ...draft, ...patch });
  return (
    <fieldset className="ai-settings-fields" disabled={disabled} data-testid="ai-settings-fields">
      <legend className="visually-hidden">AI assistant settings</legend>
      <div className="form-row">
        <label className="field-label" htmlFor={`${id}-level`}>
          Help level
        </label>
        <select
          id={`${id}-level`}
          className="select"
          value={draft.helpLevel}
          onChange={(e) => set({ helpLevel: e.target.value as HelpLevel | '' })}
          data-testid="ai-help-level"
        >
          <option value="">{inherit}</option>
          {HELP_LEVELS.map((l) => (
            <option key={l} value={l}>
              {HELP_LEVEL_LABEL[l]}
            </option>
          ))}
        </select>
      </div>
      <div className="form-row">
        <label className="field-label" htmlFor={`${id}-approval`}>
          Teacher approves AI feedback before students see it
        </label>
        <select
          id={`${id}-approval`}
          className="select"
          value={draft.approval}
          onChange={(e) => set({ approval: e.target.value as AiSettingsDraft['approval'] })}
          data-testid="ai-approval"
        >
          <option value="inherit">{inherit}</option>
          <option value="on">On: I approve first</option>
          <option value="off">Off: students see it at once</option>
        </select>
      </div>
      <div className="form-row">
        <label className="field-label" htmlFor={`${id}-hour`}>
          On-demand requests per student per hour
        </label>
        <input
          id={`${id}-hour`}
          className="input"
          type="number"
          inputMode="numeric"
          min={0}
          max={MAX_PER_HOUR}
          step={1}
          placeholder="inherit"
          value={draft.perHour}
          aria-describedby={`${id}-hour-hint`}
          onChange={(e) => set({ perHour: e.target.value })}
          data-testid="ai-per-hour"
        />
        <p className="field-hint" id={`${id}-hour-hint`}>
          Empty inherits; with 0, students cannot ask for feedback themselves.
        </p>
      </div>
      <div className="form-row">
        <label className="field-label" htmlFor={`${id}-guidance`}>
          Guidance for the AI <span className="field-note">(optional)</span>
        </label>
        <textarea
          id={`${id}-guidance`}
          className="input textarea"
          rows={3}
          value={draft.guidance}
          placeholder="e.g. Focus on loop logic; they have not learned classes yet."
          onChange={(e) => set({ guidance: e.target.value })}
          data-testid="ai-guidance"
        />
      </div>
      <div className="form-row">
        <label className="field-label" htmlFor={`${id}-notes`}>
          Hidden instructor notes / solution <span className="field-note">(optional)</span>
        </label>
        <textarea
          id={`${id}-notes`}
          className="input textarea code-input"
          rows={4}
          spellCheck={false}
          value={draft.hiddenNotes}
          aria-describedby={`${id}-notes-hint`}
          onChange={(e) => set({ hiddenNotes: e.target.value })}
          data-testid="ai-hidden-notes"
        />
        <p className="field-hint" id={`${id}-notes-hint`}>
          The model may read this to give better hints; students never see it. Its output is checked so it does not leak these notes.
        </p>
      </div>
      <p className="ai-effective" data-testid="ai-effective" data-help-level={effective?.helpLevel ?? ''}>
        <strong>In effect{scope === 'assignment' ? ' for this assignment' : ''}:</strong>{' '}
        {effective ? describeEffective(effective) : <span className="field-note">known after saving</span>}
      </p>
    </fieldset>
  );
}

/**
 * A class's AI assistant defaults (its assignments inherit them). Staff read them; the teacher
 * changes them (the server refuses a TA's PUT with 403, shown as any other error).
 */
export function AiSettingsCard({ classId, isTeacher }: { classId: string; isTeacher: boolean }) {
  const id = useId();
  const settings = useResource(() => api.classAiSettings(classId), classId);
  const [draft, setDraft] = useState<AiSettingsDraft>(INHERIT_ALL);
  const [dirty, setDirty] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);

  // Show what the server holds, unless the teacher is in the middle of changing it.
  useEffect(() => {
    if (settings.data && !dirty) setDraft(draftOf(settings.data));
  }, [settings.data, dirty]);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    const input = inputOf(draft);
    if (typeof input === 'string') return setError(input);
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      await api.setClassAiSettings(classId, input);
      setDirty(false);
      setSaved(true);
      settings.reload();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card side-card" aria-labelledby={`${id}-title`} data-testid="ai-settings-card">
      <h2 id={`${id}-title`}>AI assistant</h2>
      <p className="card-sub">Defaults for this class’s assignments; each assignment can override them.</p>
      {settings.error && (
        <p className="field-error" role="alert">
          {settings.error.message}
        </p>
      )}
      {settings.data && (
        <form onSubmit={onSubmit} noValidate>
          <AiSettingsFields
            draft={draft}
            scope="class"
            effective={settings.data.effective}
            disabled={!isTeacher || busy}
            onChange={(next) => {
              setDraft(next);
              setDirty(true);
              setSaved(false);
              setError(null);
            }}
          />
          {error && (
            <p className="field-error form-error" role="alert" data-testid="ai-settings-error">
              {error}
            </p>
          )}
          {isTeacher ? (
            <div className="retention-actions">
              <button type="submit" className="btn btn-primary" disabled={busy || !dirty} data-testid="ai-settings-save">
                {busy ? 'Saving…' : 'Save'}
              </button>
              <span className="field-hint" role="status">
                {saved ? 'Saved.' : ''}
              </span>
            </div>
          ) : (
            <p className="field-note">Only the teacher changes these.</p>
          )}
        </form>
      )}
    </section>
  );
}

/** One line for the staff's assignment view: what the AI assistant does for this assignment. */
export function AiSettingsSummary({ assignmentId, isTeacher }: { assignmentId: string; isTeacher: boolean }) {
  const settings = useResource(() => api.assignmentAiSettings(assignmentId), assignmentId);
  if (!settings.data) return null;
  return (
    <p className="ai-effective ai-settings-summary" data-testid="ai-settings-summary" data-help-level={settings.data.effective.helpLevel}>
      <strong>AI assistant:</strong> {describeEffective(settings.data.effective)}
      {isTeacher && <span className="field-note"> · change it under Edit</span>}
    </p>
  );
}
