'use client';

import { useCallback, useEffect, useState } from 'react';
import type { TestResultView, WorkspaceTestResults } from '../../lib/run/test-api';
import { api, errorMessage } from '../_lib/api';
import { ago } from '../_lib/time';
import { useResource } from '../_lib/use-resource';

/**
 * The assignment's tests in the workspace (issue 7 §4): members press Run tests (the visible tests
 * run in their browser and the counts are reported); the grade of the newest submission comes
 * from the server, hidden tests included. Staff see the same, read-only.
 */
export function TestsPanel({
  workspaceId,
  assignmentId,
  canRun,
  version,
  runTests,
}: {
  workspaceId: string;
  assignmentId: string;
  canRun: boolean;
  /** Moves on APP_PUSH.testResultsChanged. */
  version: number;
  /** Runs the visible tests in this browser and reports them; resolves when stored. */
  runTests: (testsHash: string, tests: Array<{ fileName: string; code: string }>) => Promise<void>;
}) {
  const tests = useResource(() => api.assignmentTests(assignmentId), assignmentId, version);
  const results = useResource(() => api.testResults(workspaceId), workspaceId, version);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const visible = (tests.data?.tests ?? []).filter((t) => t.code !== null && !t.hidden);
  const hiddenCount = (tests.data?.tests ?? []).filter((t) => t.hidden).length;
  const reloadResults = results.reload;

  const run = useCallback(async () => {
    if (!tests.data) return;
    setBusy(true);
    setError(null);
    try {
      await runTests(
        tests.data.testsHash,
        visible.map((t) => ({ fileName: t.fileName, code: t.code ?? '' })),
      );
      reloadResults();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }, [tests.data, visible, runTests, reloadResults]);

  if (!tests.data || tests.data.tests.length === 0) return null;
  const data: WorkspaceTestResults | null = results.data;

  return (
    <section className="panel panel-tests" aria-labelledby="tests-title" data-testid="tests-panel">
      <div className="panel-head">
        <h2 className="panel-title" id="tests-title">
          Tests
        </h2>
        {canRun && visible.length > 0 && (
          <button type="button" className="btn small-btn" onClick={() => void run()} disabled={busy} data-testid="run-tests">
            {busy ? 'Running…' : 'Run tests'}
          </button>
        )}
      </div>
      <div className="panel-body">
        <p className="tree-hint">
          {visible.length} test file{visible.length === 1 ? '' : 's'}
          {hiddenCount > 0 ? `, plus ${hiddenCount} hidden (run when you submit)` : ''}.
        </p>
        {error && (
          <p className="field-error" role="alert" data-testid="tests-error">
            {error}
          </p>
        )}
        {data?.browser && <ResultBlock title="Your last run" result={data.browser} testId="tests-browser" />}
        {data?.grading && (
          <p className="tree-hint" data-testid="tests-grading">
            Grading your submission…
          </p>
        )}
        {data?.server && <ResultBlock title="Graded on submission" result={data.server} testId="tests-server" />}
      </div>
    </section>
  );
}

function ResultBlock({ title, result, testId }: { title: string; result: TestResultView; testId: string }) {
  const total = result.passed + result.failed;
  const allPassed = result.failed === 0 && !result.error && total > 0;
  return (
    <div className="test-result" data-testid={testId} data-passed={result.passed} data-failed={result.failed}>
      <div className="test-result-head">
        <strong>{title}</strong>
        <span className={allPassed ? 'test-ok' : 'test-bad'} data-testid={`${testId}-counts`}>
          {result.passed}/{total} passed
        </span>
        <span className="tree-hint">
          {result.ranBy ? `${result.ranBy.displayName}, ` : ''}
          {ago(Date.now() - result.createdAt)}
          {result.stale ? ' · tests changed since' : ''}
        </span>
      </div>
      {result.error && <p className="test-error">{result.error}</p>}
      <ul className="test-cases">
        {result.cases.map((c, i) => (
          <li key={i} className={c.passed ? 'test-ok' : 'test-bad'} data-testid="test-case" data-passed={c.passed ? 'true' : 'false'}>
            <span aria-hidden="true">{c.passed ? '✓' : '✗'}</span> <span className="test-name">{c.name}</span>
            {!c.passed && c.message && <div className="test-message">{c.message}</div>}
          </li>
        ))}
        {result.hiddenCases > 0 && <li className="tree-hint">{result.hiddenCases} hidden test{result.hiddenCases === 1 ? '' : 's'} counted above</li>}
      </ul>
    </div>
  );
}

/** While a fresh submission is being graded, look again this often. */
const GRADING_POLL_MS = 3000;

/** The server grade of one submission, for the review page (staff see every case). */
export function SubmissionTests({ submissionId, submittedAt }: { submissionId: string; submittedAt: number }) {
  const result = useResource(() => api.submissionTestResult(submissionId), submissionId);
  const { reload } = result;
  const waiting = result.data !== null && result.data?.result === null && Date.now() - submittedAt < 5 * 60_000;
  useEffect(() => {
    if (!waiting) return;
    const timer = setInterval(reload, GRADING_POLL_MS);
    return () => clearInterval(timer);
  }, [waiting, reload]);
  if (!result.data) return null;
  return (
    <section className="review-card" aria-label="Tests" data-testid="submission-tests">
      <h2 className="review-card-title">Tests</h2>
      {result.data.result ? (
        <ResultBlock title="Graded on submission" result={result.data.result} testId="submission-test-result" />
      ) : (
        <p className="field-hint">{waiting ? 'Grading…' : 'Not graded (the assignment had no tests when this was submitted).'}</p>
      )}
    </section>
  );
}
