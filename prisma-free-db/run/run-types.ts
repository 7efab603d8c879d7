import type { RunLanguage, TestCaseResult } from '../../lib/run/run-types';

/** A teacher's test file of an assignment (issue 7 §4). */
export interface AssignmentTest {
  assignmentId: string;
  fileName: string;
  language: RunLanguage;
  code: string;
  /** Hidden tests run only on the server; students see that they exist and how many passed. */
  hidden: boolean;
  updatedAt: number;
  updatedBy: string | null;
}

export type TestResultSource = 'browser' | 'server';

/** One run of an assignment's tests against a workspace at given file versions. */
export interface TestResult {
  id: string;
  groupId: string;
  workspaceId: string;
  /** 'browser': reported by a student's tab (could be faked); 'server': graded here. */
  source: TestResultSource;
  /** The submission a server grade belongs to. */
  submissionId: string | null;
  /** File versions the run saw. */
  versions: Array<{ fileId: string; version: number }>;
  /** Hash of the test files run, so a result can be matched to the tests as they were. */
  testsHash: string;
  passed: number;
  failed: number;
  error: string | null;
  /** Cases of every test file, hidden ones included (the service filters per viewer). */
  cases: Array<TestCaseResult & { file: string; hidden: boolean }>;
  durationMs: number;
  ranBy: string | null;
  createdAt: number;
}
