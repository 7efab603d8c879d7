'use client';

import { useEffect, useId, useState, type FormEvent } from 'react';
import type { AiSettingsView } from '../../lib/ai/ai-api';
import { fileNameProblem } from '../../lib/workspace';
import { api, errorMessage, type AssignmentFields, type AssignmentMode, type PairingMode } from '../_lib/api';
import { ASSIGNMENT_LANGUAGES, languageLabel } from '../_lib/languages';
import { fromLocalInput, toLocalInput } from '../_lib/time';
import { AiSettingsFields, draftOf, INHERIT_ALL, inputOf, type AiSettingsDraft } from './ai-settings';
import { testFileProblem, TestFilesFields, type TestFileDraft } from './test-files-editor';

const EMPTY: AssignmentFields = {
  title: '',
  instructions: '',
  language: 'python',
  starterFiles: [{ name: 'main.py', content: '' }],
  deadline: null,
  mode: 'pairs',
  pairing: 'manual',
  strictRoles: false,
  swapMinutes: null,
};

/**
 * Create or edit an assignment: title, Markdown instructions, language, starter files (name +
 * content rows), deadline, pairs or solo, how pairs are made, strict roles and a swap timer, and
 * its AI assistant settings (their own endpoint, saved by the same Save once changed).
 * `onDone(id)` after a save, `onDone(null)` on cancel.
 */
export function AssignmentEditor({
  classId,
  assignmentId,
  onDone,
}: {
  classId: string;
  assignmentId: string | null;
  onDone: (savedId: string | null) => void;
}) {
  const id = useId();
  const [fields, setFields] = useState<AssignmentFields | null>(assignmentId ? null : EMPTY);
  const [swapText, setSwapText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // A new assignment whose AI settings failed to save is already created: saving again updates it.
  const [createdId, setCreatedId] = useState<string | null>(null);
  const [ai, setAi] = useState<AiSettingsView | null>(null);
  const [aiDraft, setAiDraft] = useState<AiSettingsDraft>(INHERIT_ALL);
  const [aiDirty, setAiDirty] = useState(false);
  const [aiError, setAiError] = useState<string | null>(null);
  const [tests, setTests] = useState<TestFileDraft[]>([]);
  const [testsLoaded, setTestsLoaded] = useState(!assignmentId);
  const [testsDirty, setTestsDirty] = useState(false);

  useEffect(() => {
    if (!assignmentId) return;
    let live = true;
    api.assignmentTests(assignmentId).then(
      (view) => {
        if (!live) return;
        setTests(view.tests.map((t) => ({ fileName: t.fileName, code: t.code ?? '', hidden: t.hidden })));
        setTestsLoaded(true);
      },
      (err: unknown) => {
        if (live) setError(`The tests could not be loaded: ${errorMessage(err)}`);
      },
    );
    return () => {
      live = false;
    };
  }, [assignmentId]);

  // The assignment's own AI settings; a new one inherits the class's, whose effective values show.
  useEffect(() => {
    let live = true;
    (assignmentId ? api.assignmentAiSettings(assignmentId) : api.classAiSettings(classId)).then(
      (view) => {
        if (!live) return;
        setAi(view);
        if (assignmentId) setAiDraft(draftOf(view));
      },
      (err: unknown) => {
        if (live) setAiError(errorMessage(err));
      },
    );
    return () => {
      live = false;
    };
  }, [assignmentId, classId]);

  useEffect(() => {
    if (!assignmentId) return;
    api.assignment(assignmentId).then(
      (a) => {
        setFields({
          title: a.title,
          instructions: a.instructions ?? '',
          language: a.language,
          starterFiles: a.starterFiles.map((f) => ({ name: f.name, content: f.content ?? '' })),
          deadline: a.deadline,
          mode: a.mode,
          pairing: a.pairing,
          strictRoles: a.strictRoles,
          swapMinutes: a.swapMinutes,
        });
        setSwapText(a.swapMinutes ? String(a.swapMinutes) : '');
      },
      (err: unknown) => setError(errorMessage(err)),
    );
  }, [assignmentId]);

  if (!fields) {
    return (
      <div className="card assignment-form" aria-busy="true">
        {error ? (
          <p className="field-error" role="alert">
            {error}
          </p>
        ) : (
          <p className="card-sub">Loading…</p>
        )}
      </div>
    );
  }
  const f = fields;
  const set = (patch: Partial<AssignmentFields>) => setFields({ ...f, ...patch });
  const setFile = (i: number, patch: Partial<{ name: string; content: string }>) =>
    set({ starterFiles: f.starterFiles.map((file, j) => (j === i ? { ...file, ...patch } : file)) });

  function problem(): string | null {
    if (!f.title.trim()) return 'Give the assignment a title.';
    const names = new Set<string>();
    for (const file of f.starterFiles) {
      const p = fileNameProblem(file.name.trim());
      if (p) return `Starter file "${file.name}": ${p}`;
      if (names.has(file.name.trim())) return `Two starter files are named "${file.name.trim()}".`;
      names.add(file.name.trim());
    }
    const testNames = new Set<string>();
    for (const t of tests) {
      const p = testFileProblem(t.fileName.trim());
      if (p) return `Test file "${t.fileName}": ${p}`;
      if (testNames.has(t.fileName.trim().toLowerCase())) return `Two test files are named "${t.fileName.trim()}".`;
      testNames.add(t.fileName.trim().toLowerCase());
    }
    if (swapText.trim() && !(Number.isInteger(Number(swapText)) && Number(swapText) >= 1 && Number(swapText) <= 600)) {
      return 'The swap timer is a whole number of minutes between 1 and 600, or empty.';
    }
    if (aiDirty) {
      const input = inputOf(aiDraft);
      if (typeof input === 'string') return input;
    }
    return null;
  }

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    const p = problem();
    if (p) return setError(p);
    setBusy(true);
    setError(null);
    const body: AssignmentFields = {
      ...f,
      title: f.title.trim(),
      starterFiles: f.starterFiles.map((file) => ({ name: file.name.trim(), content: file.content })),
      swapMinutes: f.mode === 'pairs' && swapText.trim() ? Number(swapText) : null,
      strictRoles: f.mode === 'pairs' ? f.strictRoles : false,
    };
    const existing = assignmentId ?? createdId;
    let savedId: string;
    try {
      savedId = (existing ? await api.updateAssignment(existing, body) : await api.createAssignment(classId, body)).id;
      if (!existing) setCreatedId(savedId);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
      return;
    }
    const aiInput = aiDirty ? inputOf(aiDraft) : null;
    if (aiInput && typeof aiInput !== 'string') {
      try {
        setAi(await api.setAssignmentAiSettings(savedId, aiInput));
        setAiDirty(false);
      } catch (err) {
        // The assignment itself is saved; only the AI settings are not (a TA gets 403 here).
        setError(`${existing ? 'The assignment was saved' : 'The assignment was created'}, but its AI settings were not: ${errorMessage(err)}`);
        setBusy(false);
        return;
      }
    }
    if (testsDirty) {
      try {
        await api.setAssignmentTests(
          savedId,
          tests.map((t) => ({ fileName: t.fileName.trim(), code: t.code, hidden: t.hidden })),
        );
        setTestsDirty(false);
      } catch (err) {
        setError(`${existing ? 'The assignment was saved' : 'The assignment was created'}, but its tests were not: ${errorMessage(err)}`);
        setBusy(false);
        return;
      }
    }
    onDone(savedId);
  }

  return (
    <form className="card assignment-form" onSubmit={onSubmit} noValidate data-testid="assignment-form" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>{assignmentId ? 'Edit assignment' : 'New assignment'}</h3>
      <div className="form-row">
        <label className="field-label" htmlFor={`${id}-t`}>
          Title
        </label>
        <input id={`${id}-t`} className="input" maxLength={120} value={f.title} onChange={(e) => set({ title: e.target.value })} data-testid="assignment-title" autoFocus />
      </div>
      <div className="form-row">
        <label className="field-label" htmlFor={`${id}-i`}>
          Instructions <span className="field-note">(Markdown)</span>
        </label>
        <textarea
          id={`${id}-i`}
          className="input textarea"
          rows={6}
          value={f.instructions}
          placeholder={'## Goal\nWrite a function that…\n\n- Use a loop\n- Test it with `print`'}
          onChange={(e) => set({ instructions: e.target.value })}
          data-testid="assignment-instructions"
        />
      </div>
      <div className="form-grid">
        <div className="form-row">
          <label className="field-label" htmlFor={`${id}-l`}>
            Language
          </label>
          <select id={`${id}-l`} className="select" value={f.language} onChange={(e) => set({ language: e.target.value })} data-testid="assignment-language">
            {(ASSIGNMENT_LANGUAGES.includes(f.language) ? ASSIGNMENT_LANGUAGES : [f.language, ...ASSIGNMENT_LANGUAGES]).map((l) => (
              <option key={l} value={l}>
                {languageLabel(l)}
              </option>
            ))}
          </select>
        </div>
        <div className="form-row">
          <label className="field-label" htmlFor={`${id}-d`}>
            Deadline <span className="field-note">(optional)</span>
          </label>
          <input
            id={`${id}-d`}
            type="datetime-local"
            className="input"
            value={toLocalInput(f.deadline)}
            onChange={(e) => set({ deadline: fromLocalInput(e.target.value) })}
            data-testid="assignment-deadline"
          />
        </div>
      </div>

      <fieldset className="form-row starter-files">
        <legend className="field-label">Starter files</legend>
        <p className="field-hint">Every pair gets its own copy of these when they first open the assignment.</p>
        {f.starterFiles.map((file, i) => (
          <div key={i} className="starter-file" data-testid="starter-file">
            <div className="starter-file-head">
              <label className="visually-hidden" htmlFor={`${id}-fn${i}`}>
                Starter file {i + 1} name
              </label>
              <input
                id={`${id}-fn${i}`}
                className="input code-input"
                placeholder="name.py"
                spellCheck={false}
                value={file.name}
                onChange={(e) => setFile(i, { name: e.target.value })}
                data-testid="starter-name"
              />
              <button
                type="button"
                className="btn btn-ghost"
                aria-label={`Remove starter file ${file.name || i + 1}`}
                onClick={() => set({ starterFiles: f.starterFiles.filter((_, j) => j !== i) })}
                data-testid="remove-starter-file"
              >
                Remove
              </button>
            </div>
            <label className="visually-hidden" htmlFor={`${id}-fc${i}`}>
              Contents of {file.name || `starter file ${i + 1}`}
            </label>
            <textarea
              id={`${id}-fc${i}`}
              className="input textarea code-input"
              rows={5}
              spellCheck={false}
              value={file.content}
              onChange={(e) => setFile(i, { content: e.target.value })}
              onKeyDown={(e) => {
                // Tab indents inside code; Escape then Tab leaves the field (keyboard users can still get out).
                if (e.key === 'Tab' && !e.shiftKey && !e.currentTarget.dataset.escaped) {
                  e.preventDefault();
                  const el = e.currentTarget;
                  const { selectionStart: s, selectionEnd: end } = el;
                  const next = `${el.value.slice(0, s)}    ${el.value.slice(end)}`;
                  setFile(i, { content: next });
                  requestAnimationFrame(() => el.setSelectionRange(s + 4, s + 4));
                } else if (e.key === 'Escape') {
                  e.currentTarget.dataset.escaped = '1';
                } else {
                  delete e.currentTarget.dataset.escaped;
                }
              }}
              data-testid="starter-content"
            />
          </div>
        ))}
        <button
          type="button"
          className="btn"
          onClick={() => set({ starterFiles: [...f.starterFiles, { name: '', content: '' }] })}
          data-testid="add-starter-file"
        >
          Add starter file
        </button>
      </fieldset>

      <TestFilesFields
        tests={tests}
        disabled={!testsLoaded}
        onChange={(next) => {
          setTests(next);
          setTestsDirty(true);
        }}
      />

      <fieldset className="form-row">
        <legend className="field-label">Who works together</legend>
        <div className="choice-row">
          {(['pairs', 'solo'] as AssignmentMode[]).map((m) => (
            <label key={m} className="choice">
              <input type="radio" name={`${id}-mode`} value={m} checked={f.mode === m} onChange={() => set({ mode: m })} data-testid={`mode-${m}`} />
              {m === 'pairs' ? 'Pairs' : 'Solo'}
            </label>
          ))}
        </div>
      </fieldset>
      {f.mode === 'pairs' && (
        <div className="form-grid">
          <div className="form-row">
            <label className="field-label" htmlFor={`${id}-p`}>
              Pairing
            </label>
            <select id={`${id}-p`} className="select" value={f.pairing} onChange={(e) => set({ pairing: e.target.value as PairingMode })} data-testid="assignment-pairing">
              <option value="manual">I pair students</option>
              <option value="random">Random pairs (I press a button)</option>
              <option value="choice">Students pick a partner</option>
            </select>
          </div>
          <div className="form-row">
            <label className="field-label" htmlFor={`${id}-s`}>
              Swap roles every <span className="field-note">(minutes, optional)</span>
            </label>
            <input
              id={`${id}-s`}
              className="input"
              inputMode="numeric"
              placeholder="e.g. 10"
              value={swapText}
              onChange={(e) => setSwapText(e.target.value)}
              data-testid="assignment-swap"
            />
          </div>
          <label className="choice form-row">
            <input type="checkbox" checked={f.strictRoles} onChange={(e) => set({ strictRoles: e.target.checked })} data-testid="assignment-strict" />
            Strict roles: only the driver can type
          </label>
        </div>
      )}
      <fieldset className="form-row ai-settings-section" data-testid="assignment-ai-settings">
        <legend className="field-label">AI assistant</legend>
        <p className="field-hint">
          Static analysis and an AI model review the group’s code on submission, and when a student asks for feedback. Inherit uses the class’s settings.
        </p>
        {aiError ? (
          <p className="field-error" role="alert">
            {aiError}
          </p>
        ) : (
          <AiSettingsFields
            draft={aiDraft}
            scope="assignment"
            // A new assignment starts out inheriting everything: the class's effective values apply.
            effective={ai && !aiDirty ? ai.effective : null}
            disabled={!ai}
            onChange={(next) => {
              setAiDraft(next);
              setAiDirty(true);
            }}
          />
        )}
      </fieldset>
      {error && (
        <p className="field-error form-error" role="alert" data-testid="assignment-error">
          {error}
        </p>
      )}
      <div className="button-row">
        <button type="submit" className="btn btn-primary" disabled={busy} data-testid="assignment-save">
          {busy ? 'Saving…' : assignmentId || createdId ? 'Save changes' : 'Create assignment'}
        </button>
        {/* Created already (only its AI settings failed): leaving still shows it in the list. */}
        <button type="button" className="btn" onClick={() => onDone(createdId)}>
          Cancel
        </button>
      </div>
      {!assignmentId && <p className="field-hint">Students see it once you publish it.</p>}
    </form>
  );
}
