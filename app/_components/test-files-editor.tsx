'use client';

import { useId } from 'react';

export interface TestFileDraft {
  fileName: string;
  code: string;
  hidden: boolean;
}

const PYTHON_EXAMPLE = ['from main import total', '', 'def test_total():', '    assert total([1, 2, 3]) == 6', ''].join('\n');

/** A test file name is imported next to the students' files: a plain module name. */
export function testFileProblem(name: string): string | null {
  if (!name) return 'give the test file a name, like test_main.py';
  if (!/^[A-Za-z_][A-Za-z0-9_-]{0,60}\.(py|js|ts)$/.test(name)) return 'use letters, digits, _ or -, ending in .py, .js or .ts';
  return null;
}

/**
 * The assignment's tests (issue 7 §4): Python `test_*` functions with `assert` (or unittest
 * classes), JavaScript/TypeScript `test(name, fn)` with `expect(…)`. Hidden tests run only when
 * the server grades a submission; students see how many there are and how many passed.
 */
export function TestFilesFields({ tests, onChange, disabled }: { tests: TestFileDraft[]; onChange: (next: TestFileDraft[]) => void; disabled: boolean }) {
  const id = useId();
  const setTest = (i: number, patch: Partial<TestFileDraft>) => onChange(tests.map((t, j) => (j === i ? { ...t, ...patch } : t)));
  return (
    <fieldset className="form-row starter-files" disabled={disabled} data-testid="assignment-tests">
      <legend className="field-label">Tests</legend>
      <p className="field-hint">
        Students run the visible tests with <strong>Run tests</strong>; on every submission the server runs all of them, hidden ones too, and you see the counts in the
        live grid and on the submission. Python: <code>test_…</code> functions with <code>assert</code>, or <code>unittest</code>. JavaScript: <code>test(&apos;name&apos;, () =&gt; expect(x).toBe(y))</code>.
      </p>
      {tests.map((t, i) => (
        <div key={i} className="starter-file" data-testid="test-file">
          <div className="starter-file-head">
            <label className="visually-hidden" htmlFor={`${id}-n${i}`}>
              Test file {i + 1} name
            </label>
            <input
              id={`${id}-n${i}`}
              className="input code-input"
              placeholder="test_main.py"
              spellCheck={false}
              value={t.fileName}
              onChange={(e) => setTest(i, { fileName: e.target.value })}
              data-testid="test-name"
            />
            <label className="check">
              <input type="checkbox" checked={t.hidden} onChange={(e) => setTest(i, { hidden: e.target.checked })} data-testid="test-hidden" />
              Hidden from students
            </label>
            <button type="button" className="btn btn-ghost" onClick={() => onChange(tests.filter((_, j) => j !== i))} aria-label={`Remove test file ${t.fileName || i + 1}`}>
              Remove
            </button>
          </div>
          <label className="visually-hidden" htmlFor={`${id}-c${i}`}>
            Contents of {t.fileName || `test file ${i + 1}`}
          </label>
          <textarea
            id={`${id}-c${i}`}
            className="input textarea code-input"
            rows={6}
            spellCheck={false}
            value={t.code}
            onChange={(e) => setTest(i, { code: e.target.value })}
            data-testid="test-code"
          />
        </div>
      ))}
      <button
        type="button"
        className="btn"
        onClick={() => onChange([...tests, tests.length === 0 ? { fileName: 'test_main.py', code: PYTHON_EXAMPLE, hidden: false } : { fileName: '', code: '', hidden: false }])}
        data-testid="add-test-file"
      >
        Add test file
      </button>
    </fieldset>
  );
}
