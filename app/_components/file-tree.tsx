'use client';

import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { fileNameProblem, sortedFileIds, type FileEntry } from '../../lib/workspace';
import { api, errorMessage } from '../_lib/api';
import { FileIcon, PencilIcon, PlusIcon, TrashIcon } from './icons';
import { Modal } from './modal';

type Mode = { kind: 'idle' } | { kind: 'create' } | { kind: 'rename'; fileId: string };

export interface FileTreeProps {
  workspaceId: string;
  files: Record<string, FileEntry>;
  openFileId: string | null;
  onOpen: (fileId: string) => void;
  /** Colours of the people in each file, shown as dots. */
  peerColors: Map<string, string[]>;
  /** No create, rename or delete (read-only viewer, or strict-mode navigator). */
  readOnly?: boolean;
}

/**
 * The workspace's files, live from the workspace doc. Create, rename and delete go through the
 * REST API (P-OP-1); the resulting op updates every tab, this one included.
 *
 * Keyboard: ↑/↓/Home/End move between files, Enter opens, F2 renames, Delete asks to delete.
 * In the name field Enter saves and Escape cancels.
 */
export function FileTree({ workspaceId, files, openFileId, onOpen, peerColors, readOnly = false }: FileTreeProps) {
  const [mode, setMode] = useState<Mode>({ kind: 'idle' });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState<string | null>(null);
  const listRef = useRef<HTMLUListElement>(null);
  const ids = sortedFileIds(files);
  const dialogId = useId();

  // A file renamed or deleted by someone else while we edit its name: stop editing.
  useEffect(() => {
    if (mode.kind === 'rename' && !files[mode.fileId]) setMode({ kind: 'idle' });
    if (confirmDelete && !files[confirmDelete]) setConfirmDelete(null);
  }, [files, mode, confirmDelete]);

  function focusFile(fileId: string) {
    // After React has rendered the row.
    requestAnimationFrame(() => {
      listRef.current?.querySelector<HTMLButtonElement>(`[data-file-id="${CSS.escape(fileId)}"] .file-button`)?.focus();
    });
  }

  function problemWith(name: string, exceptId?: string): string | null {
    const problem = fileNameProblem(name);
    if (problem) return problem;
    const taken = Object.entries(files).some(([id, f]) => id !== exceptId && f.name === name);
    return taken ? `A file named "${name}" already exists.` : null;
  }

  async function create(name: string) {
    const problem = problemWith(name);
    if (problem) return setError(problem);
    setBusy(true);
    try {
      const file = await api.createFile(workspaceId, name);
      setMode({ kind: 'idle' });
      setError(null);
      onOpen(file.id);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  async function rename(fileId: string, name: string) {
    if (files[fileId]?.name === name) {
      setMode({ kind: 'idle' });
      setError(null);
      return focusFile(fileId);
    }
    const problem = problemWith(name, fileId);
    if (problem) return setError(problem);
    setBusy(true);
    try {
      await api.renameFile(workspaceId, fileId, name);
      setMode({ kind: 'idle' });
      setError(null);
      focusFile(fileId);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  async function remove(fileId: string) {
    setBusy(true);
    const index = ids.indexOf(fileId);
    try {
      await api.deleteFile(workspaceId, fileId);
      setConfirmDelete(null);
      setError(null);
      const neighbour = ids[index + 1] ?? ids[index - 1];
      if (neighbour && neighbour !== fileId) focusFile(neighbour);
    } catch (err) {
      setConfirmDelete(null);
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  function onRowKeyDown(event: KeyboardEvent<HTMLButtonElement>, fileId: string) {
    const index = ids.indexOf(fileId);
    const move = (to: number) => {
      const target = ids[Math.max(0, Math.min(ids.length - 1, to))];
      if (target) focusFile(target);
      event.preventDefault();
    };
    switch (event.key) {
      case 'ArrowDown':
        return move(index + 1);
      case 'ArrowUp':
        return move(index - 1);
      case 'Home':
        return move(0);
      case 'End':
        return move(ids.length - 1);
      case 'F2':
        if (readOnly) return;
        event.preventDefault();
        setError(null);
        return setMode({ kind: 'rename', fileId });
      case 'Delete':
        if (readOnly) return;
        event.preventDefault();
        return setConfirmDelete(fileId);
      case 'Backspace':
        if (event.metaKey && !readOnly) {
          event.preventDefault();
          setConfirmDelete(fileId);
        }
        return;
    }
  }

  const deleting = confirmDelete ? files[confirmDelete] : undefined;

  return (
    <section className="panel panel-files" aria-labelledby="files-title">
      <div className="panel-head">
        <h2 className="panel-title" id="files-title">
          Files
        </h2>
        {!readOnly && (
        <button
          type="button"
          className="icon-btn"
          data-testid="new-file"
          aria-label="New file"
          title="New file"
          onClick={() => {
            setError(null);
            setMode({ kind: 'create' });
          }}
        >
          <PlusIcon />
        </button>
        )}
      </div>
      <div className="panel-body">
        {error && (
          <p className="tree-error" role="alert" data-testid="file-tree-error">
            {error}
          </p>
        )}
        {mode.kind === 'create' && (
          <NameInput
            label="New file name"
            initial=""
            busy={busy}
            onSubmit={create}
            onCancel={() => {
              setMode({ kind: 'idle' });
              setError(null);
            }}
          />
        )}
        <ul className="file-list" ref={listRef} data-testid="file-list" aria-label="Files">
          {ids.map((fileId) => {
            const file = files[fileId]!;
            const active = fileId === openFileId;
            if (mode.kind === 'rename' && mode.fileId === fileId) {
              return (
                <li key={fileId} data-file-id={fileId}>
                  <NameInput
                    label={`Rename ${file.name}`}
                    initial={file.name}
                    busy={busy}
                    onSubmit={(name) => rename(fileId, name)}
                    onCancel={() => {
                      setMode({ kind: 'idle' });
                      setError(null);
                      focusFile(fileId);
                    }}
                  />
                </li>
              );
            }
            const colors = peerColors.get(fileId) ?? [];
            return (
              <li key={fileId} className={`file-row${active ? ' active' : ''}`} data-file-id={fileId} data-testid="file-row" data-name={file.name}>
                <button
                  type="button"
                  className="file-button"
                  aria-current={active ? 'page' : undefined}
                  onClick={() => onOpen(fileId)}
                  onDoubleClick={() => !readOnly && setMode({ kind: 'rename', fileId })}
                  onKeyDown={(e) => onRowKeyDown(e, fileId)}
                >
                  <FileIcon className="file-icon" />
                  <span className="name">{file.name}</span>
                  {colors.length > 0 && (
                    <span className="file-peers" aria-label={`${colors.length} other ${colors.length === 1 ? 'person' : 'people'} here`}>
                      {colors.slice(0, 4).map((c, i) => (
                        <span key={i} className="dot" style={{ background: c }} />
                      ))}
                    </span>
                  )}
                </button>
                {!readOnly && (
                <span className="file-row-actions">
                  <button
                    type="button"
                    className="icon-btn small"
                    aria-label={`Rename ${file.name}`}
                    title="Rename (F2)"
                    data-testid="rename-file"
                    onClick={() => {
                      setError(null);
                      setMode({ kind: 'rename', fileId });
                    }}
                  >
                    <PencilIcon size={14} />
                  </button>
                  <button
                    type="button"
                    className="icon-btn small"
                    aria-label={`Delete ${file.name}`}
                    title="Delete (Del)"
                    data-testid="delete-file"
                    onClick={() => setConfirmDelete(fileId)}
                  >
                    <TrashIcon size={14} />
                  </button>
                </span>
                )}
              </li>
            );
          })}
        </ul>
        {ids.length === 0 && mode.kind !== 'create' && <p className="tree-empty">{readOnly ? 'No files yet.' : 'No files yet. Press + to create one.'}</p>}
        {ids.length > 0 && !readOnly && (
          <p className="tree-hint">
            <span className="kbd">F2</span> rename · <span className="kbd">Del</span> delete
          </p>
        )}
      </div>
      <Modal open={!!deleting} labelledBy={`${dialogId}-title`} onCancel={() => setConfirmDelete(null)} testId="confirm-delete">
        {deleting && (
          <>
            <div className="modal-body">
              <h2 id={`${dialogId}-title`}>Delete {deleting.name}?</h2>
              <p>The file disappears for everyone in this workspace.</p>
            </div>
            <div className="modal-actions">
              <button type="button" className="btn" autoFocus onClick={() => setConfirmDelete(null)}>
                Cancel
              </button>
              <button
                type="button"
                className="btn btn-danger"
                data-testid="confirm-delete-button"
                disabled={busy}
                onClick={() => confirmDelete && remove(confirmDelete)}
              >
                Delete
              </button>
            </div>
          </>
        )}
      </Modal>
    </section>
  );
}

/** The inline name field for create and rename. Enter saves, Escape cancels; leaving an untouched field cancels it. */
function NameInput({
  label,
  initial,
  busy,
  onSubmit,
  onCancel,
}: {
  label: string;
  initial: string;
  busy: boolean;
  onSubmit: (name: string) => void;
  onCancel: () => void;
}) {
  const [value, setValue] = useState(initial);
  const ref = useRef<HTMLInputElement>(null);
  const done = useRef(false);

  useEffect(() => {
    const input = ref.current;
    if (!input) return;
    input.focus();
    // Select the base name, not the extension, as editors do.
    const dot = initial.lastIndexOf('.');
    input.setSelectionRange(0, dot > 0 ? dot : initial.length);
  }, [initial]);

  return (
    <div className="file-edit">
      <input
        ref={ref}
        className="input"
        aria-label={label}
        data-testid="file-name-input"
        spellCheck={false}
        autoComplete="off"
        placeholder="name.py"
        value={value}
        disabled={busy}
        onChange={(e) => setValue(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            onSubmit(value.trim());
          } else if (e.key === 'Escape') {
            e.preventDefault();
            e.stopPropagation();
            done.current = true;
            onCancel();
          }
        }}
        onBlur={() => {
          if (done.current || busy) return;
          const name = value.trim();
          if (name === '' || name === initial) onCancel();
        }}
      />
    </div>
  );
}
