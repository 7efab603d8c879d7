'use client';

import { useId, useState, type FormEvent } from 'react';
import { MAX_DISPLAY_NAME_LENGTH } from '../../lib/limits';
import { displayNameProblem } from '../_lib/identity';
import { Modal } from './modal';

/**
 * Asks for the name classmates will see next to this person's cursor. On first visit it cannot
 * be dismissed (there is no one to be yet); later it edits the name.
 */
export function NameDialog({
  open,
  initialName,
  firstVisit,
  blockedReason,
  onSave,
  onCancel,
}: {
  open: boolean;
  initialName: string;
  firstVisit: boolean;
  /** Why the name cannot be changed right now (unsent edits), shown instead of saving. */
  blockedReason?: string | null;
  onSave: (name: string) => void;
  onCancel: () => void;
}) {
  const id = useId();
  return (
    <Modal open={open} labelledBy={`${id}-title`} onCancel={firstVisit ? undefined : onCancel} testId="name-dialog">
      <NameForm
        id={id}
        initialName={initialName}
        firstVisit={firstVisit}
        blockedReason={blockedReason ?? null}
        onSave={onSave}
        onCancel={onCancel}
      />
    </Modal>
  );
}

function NameForm({
  id,
  initialName,
  firstVisit,
  blockedReason,
  onSave,
  onCancel,
}: {
  id: string;
  initialName: string;
  firstVisit: boolean;
  blockedReason: string | null;
  onSave: (name: string) => void;
  onCancel: () => void;
}) {
  const [name, setName] = useState(initialName);
  const [touched, setTouched] = useState(false);
  const problem = displayNameProblem(name);

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    setTouched(true);
    if (problem || blockedReason) return;
    onSave(name.trim());
  }

  return (
    <form onSubmit={onSubmit} noValidate>
      <div className="modal-body">
        <h2 id={`${id}-title`}>{firstVisit ? 'What should we call you?' : 'Change your name'}</h2>
        <p>Your name appears next to your cursor, so classmates know who is typing.</p>
        <label className="field-label" htmlFor={`${id}-input`}>
          Your name
        </label>
        <input
          id={`${id}-input`}
          className="input"
          data-testid="display-name-input"
          autoFocus
          autoComplete="nickname"
          maxLength={MAX_DISPLAY_NAME_LENGTH * 2}
          placeholder="e.g. Ada Lovelace"
          value={name}
          aria-invalid={touched && problem ? true : undefined}
          aria-describedby={`${id}-msg`}
          onChange={(e) => setName(e.target.value)}
        />
        {touched && problem ? (
          <p className="field-error" id={`${id}-msg`} role="alert">
            {problem}
          </p>
        ) : blockedReason ? (
          <p className="field-error" id={`${id}-msg`} role="alert">
            {blockedReason}
          </p>
        ) : (
          <p className="field-hint" id={`${id}-msg`}>
            1–{MAX_DISPLAY_NAME_LENGTH} characters. You can change it later.
          </p>
        )}
      </div>
      <div className="modal-actions">
        {!firstVisit && (
          <button type="button" className="btn" onClick={onCancel}>
            Cancel
          </button>
        )}
        <button type="submit" className="btn btn-primary" data-testid="display-name-save">
          {firstVisit ? 'Join workspace' : 'Save'}
        </button>
      </div>
    </form>
  );
}
