import type { RunLanguage, TestCaseResult } from './run-types';

/** Shapes of the teacher-tests endpoints (issue 7 §4), shared by the server and the UI. */

/** A test file as its viewer may see it: students get no `code` for hidden tests. */
export interface TestFileView {
  fileName: string;
  language: RunLanguage;
  hidden: boolean;
  code: string | null;
  updatedAt: number;
}

export interface AssignmentTestsView {
  assignmentId: string;
  tests: TestFileView[];
  /** Whether the viewer may change them. */
  canEdit: boolean;
  /** Identity of the whole set (hidden ones included); a browser run reports it back. */
  testsHash: string;
}

export interface TestResultView {
  id: string;
  source: 'browser' | 'server';
  submissionId: string | null;
  passed: number;
  failed: number;
  error: string | null;
  /** Cases the viewer may see (hidden tests' cases are staff-only). */
  cases: Array<TestCaseResult & { file: string }>;
  /** Hidden cases left out of `cases` (their counts are in passed/failed). */
  hiddenCases: number;
  durationMs: number;
  ranBy: { id: string; displayName: string } | null;
  createdAt: number;
  /** The test files changed since this run. */
  stale: boolean;
}

export interface WorkspaceTestResults {
  /** The newest run in a member's browser (self-reported: a student could fake it). */
  browser: TestResultView | null;
  /** The newest server grade of a submission (authoritative). */
  server: TestResultView | null;
  /** Server grading in progress for the newest submission. */
  grading: boolean;
}

/** Per group, for the live grid. */
export interface GroupTestSummary {
  groupId: string;
  browser: { passed: number; failed: number; at: number } | null;
  server: { passed: number; failed: number; error: string | null; at: number; submissionId: string | null } | null;
}

/** A browser run, as a member's tab reports it. */
export interface BrowserTestReport {
  versions: Array<{ fileId: string; version: number }>;
  testsHash: string;
  passed: number;
  failed: number;
  error: string | null;
  cases: Array<TestCaseResult & { file: string }>;
  durationMs: number;
}
