import type Database from 'better-sqlite3';
import type { RunLanguage } from '../../lib/run/run-types';
import { SqlitePort } from '../sqlite-port';
import type { RunStore } from './run-store';
import type { AssignmentTest, TestResult, TestResultSource } from './run-types';

type Row = Record<string, unknown>;

/**
 * The run-code port on the classroom SQLite file (tables from run-schema.ts), borrowing the
 * classroom store's connection like the review and AI ports.
 */
export class SqliteRunStore extends SqlitePort implements RunStore {
  constructor(db: Database.Database, isClosed: () => boolean) {
    super(db, isClosed);
  }

  listTests(assignmentId: string): Promise<AssignmentTest[]> {
    return this.run('reading tests', () =>
      (this.sql('SELECT * FROM run_tests WHERE assignment_id = ? ORDER BY file_name').all(assignmentId) as Row[]).map(toTest),
    );
  }

  replaceTests(assignmentId: string, tests: Array<Omit<AssignmentTest, 'assignmentId'>>): Promise<AssignmentTest[]> {
    return this.run('saving tests', () =>
      this.db
        .transaction(() => {
          this.sql('DELETE FROM run_tests WHERE assignment_id = ?').run(assignmentId);
          for (const t of tests) {
            this.sql('INSERT INTO run_tests (assignment_id, file_name, language, code, hidden, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
              assignmentId,
              t.fileName,
              t.language,
              t.code,
              t.hidden ? 1 : 0,
              t.updatedAt,
              t.updatedBy,
            );
          }
          return (this.sql('SELECT * FROM run_tests WHERE assignment_id = ? ORDER BY file_name').all(assignmentId) as Row[]).map(toTest);
        })
        .immediate(),
    );
  }

  saveResult(result: TestResult, keepBrowser: number): Promise<TestResult> {
    return this.run('saving a test result', () =>
      this.db
        .transaction(() => {
          this.sql(
            `INSERT INTO run_test_results (id, group_id, workspace_id, source, submission_id, versions, tests_hash, passed, failed, error, cases, duration_ms, ran_by, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (submission_id) WHERE submission_id IS NOT NULL DO UPDATE SET
               passed = excluded.passed, failed = excluded.failed, error = excluded.error, cases = excluded.cases,
               duration_ms = excluded.duration_ms, tests_hash = excluded.tests_hash, created_at = excluded.created_at`,
          ).run(
            result.id,
            result.groupId,
            result.workspaceId,
            result.source,
            result.submissionId,
            JSON.stringify(result.versions),
            result.testsHash,
            result.passed,
            result.failed,
            result.error,
            JSON.stringify(result.cases),
            Math.round(result.durationMs),
            result.ranBy,
            result.createdAt,
          );
          if (result.source === 'browser') {
            // Browser runs are frequent and only the newest few matter.
            this.sql(
              `DELETE FROM run_test_results WHERE group_id = ? AND source = 'browser' AND id NOT IN (
                 SELECT id FROM run_test_results WHERE group_id = ? AND source = 'browser' ORDER BY created_at DESC, id DESC LIMIT ?)`,
            ).run(result.groupId, result.groupId, keepBrowser);
          }
          const stored = result.submissionId
            ? this.sql('SELECT * FROM run_test_results WHERE submission_id = ?').get(result.submissionId)
            : this.sql('SELECT * FROM run_test_results WHERE id = ?').get(result.id);
          return toResult(stored as Row);
        })
        .immediate(),
    );
  }

  latestResult(groupId: string, source: TestResultSource): Promise<TestResult | null> {
    return this.run('reading test results', () => {
      const row = this.sql('SELECT * FROM run_test_results WHERE group_id = ? AND source = ? ORDER BY created_at DESC, id DESC LIMIT 1').get(groupId, source) as Row | undefined;
      return row ? toResult(row) : null;
    });
  }

  resultOfSubmission(submissionId: string): Promise<TestResult | null> {
    return this.run('reading test results', () => {
      const row = this.sql('SELECT * FROM run_test_results WHERE submission_id = ?').get(submissionId) as Row | undefined;
      return row ? toResult(row) : null;
    });
  }

  latestResultsOfAssignment(assignmentId: string): Promise<TestResult[]> {
    return this.run('reading test results', () =>
      (
        this.sql(
          `SELECT r.* FROM run_test_results r JOIN groups g ON g.id = r.group_id
           WHERE g.assignment_id = ? AND r.id = (
             SELECT id FROM run_test_results x WHERE x.group_id = r.group_id AND x.source = r.source ORDER BY created_at DESC, id DESC LIMIT 1)`,
        ).all(assignmentId) as Row[]
      ).map(toResult),
    );
  }

  eraseUser(userId: string): Promise<void> {
    return this.run('erasing a user from test records', () => {
      this.db.transaction(() => {
        this.sql('UPDATE run_test_results SET ran_by = NULL WHERE ran_by = ?').run(userId);
        this.sql('UPDATE run_tests SET updated_by = NULL WHERE updated_by = ?').run(userId);
      })();
    });
  }
}

function toTest(r: Row): AssignmentTest {
  return {
    assignmentId: String(r.assignment_id),
    fileName: String(r.file_name),
    language: String(r.language) as RunLanguage,
    code: String(r.code),
    hidden: r.hidden === 1,
    updatedAt: Number(r.updated_at),
    updatedBy: r.updated_by === null ? null : String(r.updated_by),
  };
}

function toResult(r: Row): TestResult {
  return {
    id: String(r.id),
    groupId: String(r.group_id),
    workspaceId: String(r.workspace_id),
    source: String(r.source) as TestResultSource,
    submissionId: r.submission_id === null ? null : String(r.submission_id),
    versions: JSON.parse(String(r.versions)) as TestResult['versions'],
    testsHash: String(r.tests_hash),
    passed: Number(r.passed),
    failed: Number(r.failed),
    error: r.error === null ? null : String(r.error),
    cases: JSON.parse(String(r.cases)) as TestResult['cases'],
    durationMs: Number(r.duration_ms),
    ranBy: r.ran_by === null ? null : String(r.ran_by),
    createdAt: Number(r.created_at),
  };
}
