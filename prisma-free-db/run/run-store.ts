import type { AssignmentTest, TestResult, TestResultSource } from './run-types';

/**
 * The run-code port (issue 7): an assignment's test files and the results of running them. Async
 * like the other ports; the SQLite adapter keeps the tables in classroom.sqlite so deleting an
 * assignment or a group takes its tests and results with it.
 */
export interface RunStore {
  listTests(assignmentId: string): Promise<AssignmentTest[]>;
  /** Replaces the assignment's whole test set in one transaction. */
  replaceTests(assignmentId: string, tests: Array<Omit<AssignmentTest, 'assignmentId'>>): Promise<AssignmentTest[]>;

  /** Stores a result; a browser result beyond the newest `keepBrowser` of its group is dropped. */
  saveResult(result: TestResult, keepBrowser: number): Promise<TestResult>;
  /** The newest result of a group from a source. */
  latestResult(groupId: string, source: TestResultSource): Promise<TestResult | null>;
  resultOfSubmission(submissionId: string): Promise<TestResult | null>;
  /** Newest result per group of an assignment, per source (for the live grid). */
  latestResultsOfAssignment(assignmentId: string): Promise<TestResult[]>;
  /** Erasure (PV-2): the person no longer appears as who ran or changed anything. */
  eraseUser(userId: string): Promise<void>;
}
