import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { AiStore, AiTask, AssignmentTest, ClassroomStore, ReviewStore, RunStore, Submission, TestResult, User } from '../../prisma-free-db';
import { ErrorCode } from '../../lib/protocol';
import { runLanguageOf, type RunFile, type TestRunResult, type TestSpec } from '../../lib/run/run-types';
import type { AssignmentTestsView, BrowserTestReport, GroupTestSummary, TestResultView, WorkspaceTestResults } from '../../lib/run/test-api';
import { TandemError } from '../errors';
import type { Logger } from '../logger';
import type { FileHistoryReader } from '../review/file-history';
import type { ReviewContext } from '../review/review-context';
import type { TaskHandler } from '../ai/task-runner';

/** What grades a submission: the isolated grader (server/run/grader.ts) in production. */
export interface SubmissionGrader {
  /** An aborted signal stops the grading (its result is then meaningless and not stored). */
  grade(input: { files: RunFile[]; tests: TestSpec[] }, signal?: AbortSignal): Promise<TestRunResult>;
}

export interface TestServiceEvents {
  /** Test results of this workspace changed (to its members and the class's staff). */
  changed: [workspaceId: string, classId: string];
}

export interface TestServiceOptions {
  classroom: ClassroomStore;
  runs: RunStore;
  reviews: ReviewStore;
  /** The persisted task queue shared with AI reviews: grading survives a restart. */
  tasks: AiStore;
  context: ReviewContext;
  history: FileHistoryReader;
  grader: SubmissionGrader;
  logger: Logger;
  /** Something was enqueued: wake the task runner. */
  wake?: () => void;
}

/** Browser results kept per group (the newest matter; they are self-reported). */
const KEEP_BROWSER_RESULTS = 10;
const MAX_GRADED_FILES = 50;
const MAX_GRADED_FILE_CHARS = 200_000;

interface GradePayload {
  submissionId: string;
  workspaceId: string;
  groupId: string;
  classId: string;
}

/**
 * Teacher tests (issue 7 §4): teachers write them per assignment, students run the visible ones
 * in their browser (results are reported and shown as "in the browser" — a student could fake
 * them), and on every submission the server grades the submitted versions against all tests,
 * hidden ones included, in an isolated worker (SubmissionGrader). Grading is a persisted task
 * (`GradeSubmission`, the same queue as AI reviews), so a restart does not lose it.
 */
export class TestService extends EventEmitter<TestServiceEvents> implements TaskHandler {
  constructor(private readonly o: TestServiceOptions) {
    super();
  }

  // ── tests ──────────────────────────────────────────────────────────────────────────────────
  async assignmentTests(user: User, assignmentId: string): Promise<AssignmentTestsView> {
    const { staff } = await this.viewerOfAssignment(user, assignmentId);
    const tests = await this.o.runs.listTests(assignmentId);
    return {
      assignmentId,
      canEdit: staff,
      testsHash: testsHash(tests),
      tests: tests.map((t) => ({ fileName: t.fileName, language: t.language, hidden: t.hidden, code: staff || !t.hidden ? t.code : null, updatedAt: t.updatedAt })),
    };
  }

  async putTests(user: User, assignmentId: string, tests: Array<{ fileName: string; code: string; hidden: boolean }>): Promise<AssignmentTestsView> {
    await this.o.context.requireStaffOfAssignment(user, assignmentId);
    const names = new Set<string>();
    const rows: Array<Omit<AssignmentTest, 'assignmentId'>> = [];
    for (const t of tests) {
      const language = runLanguageOf(t.fileName);
      if (!language) throw new TandemError(ErrorCode.InvalidRequest, `${t.fileName}: a test file ends in .py, .js or .ts.`);
      if (names.has(t.fileName.toLowerCase())) throw new TandemError(ErrorCode.InvalidRequest, `${t.fileName} is listed twice.`);
      names.add(t.fileName.toLowerCase());
      rows.push({ fileName: t.fileName, language, code: t.code, hidden: t.hidden, updatedAt: Date.now(), updatedBy: user.id });
    }
    await this.o.runs.replaceTests(assignmentId, rows);
    const assignment = await this.o.classroom.getAssignment(assignmentId);
    await this.o.context.audit(user, 'tests.update', `assignment:${assignmentId}`, {}, { files: rows.map((r) => ({ name: r.fileName, hidden: r.hidden })) });
    if (assignment) this.o.logger.info({ assignmentId, files: rows.length }, 'assignment tests saved');
    return this.assignmentTests(user, assignmentId);
  }

  // ── results ────────────────────────────────────────────────────────────────────────────────
  async reportBrowserRun(user: User, workspaceId: string, report: BrowserTestReport): Promise<TestResultView> {
    const ctx = await this.o.context.contextOfWorkspace(user, workspaceId);
    if (!ctx.member) throw new TandemError(ErrorCode.Forbidden, 'Only the students of this workspace report test runs.');
    const tests = await this.o.runs.listTests(ctx.assignment.id);
    if (tests.length === 0) throw new TandemError(ErrorCode.Conflict, 'This assignment has no tests.');
    const visible = new Set(tests.filter((t) => !t.hidden).map((t) => t.fileName));
    // A browser never runs hidden tests; anything claiming to is refused rather than stored.
    const unknown = report.cases.find((c) => !visible.has(c.file));
    if (unknown) throw new TandemError(ErrorCode.InvalidRequest, `No visible test file named ${unknown.file}.`);
    const saved = await this.o.runs.saveResult(
      {
        id: newId(),
        groupId: ctx.group.id,
        workspaceId,
        source: 'browser',
        submissionId: null,
        versions: report.versions,
        testsHash: report.testsHash,
        passed: report.passed,
        failed: report.failed,
        error: report.error,
        cases: report.cases.map((c) => ({ ...c, hidden: false })),
        durationMs: report.durationMs,
        ranBy: user.id,
        createdAt: Date.now(),
      },
      KEEP_BROWSER_RESULTS,
    );
    this.emit('changed', workspaceId, ctx.klass.id);
    return this.view(saved, true, testsHash(tests));
  }

  async workspaceResults(user: User, workspaceId: string): Promise<WorkspaceTestResults> {
    const ctx = await this.o.context.contextOfWorkspace(user, workspaceId);
    const tests = await this.o.runs.listTests(ctx.assignment.id);
    const hash = testsHash(tests);
    const [browser, server] = await Promise.all([this.o.runs.latestResult(ctx.group.id, 'browser'), this.o.runs.latestResult(ctx.group.id, 'server')]);
    return {
      browser: browser ? await this.view(browser, ctx.staff, hash) : null,
      server: server ? await this.view(server, ctx.staff, hash) : null,
      grading: (await this.o.tasks.countLiveTasks(workspaceId, 'GradeSubmission')) > 0,
    };
  }

  async submissionResult(user: User, submissionId: string): Promise<TestResultView | null> {
    const submission = await this.o.reviews.getSubmission(submissionId);
    if (!submission) throw new TandemError(ErrorCode.NotFound, 'No such submission.');
    const ctx = await this.o.context.contextOfWorkspace(user, submission.workspaceId);
    const result = await this.o.runs.resultOfSubmission(submissionId);
    return result ? this.view(result, ctx.staff, testsHash(await this.o.runs.listTests(ctx.assignment.id))) : null;
  }

  /** Newest counts per group for the live grid (staff only). */
  async assignmentSummary(user: User, assignmentId: string): Promise<GroupTestSummary[]> {
    await this.o.context.requireStaffOfAssignment(user, assignmentId);
    const byGroup = new Map<string, GroupTestSummary>();
    for (const r of await this.o.runs.latestResultsOfAssignment(assignmentId)) {
      const entry = byGroup.get(r.groupId) ?? { groupId: r.groupId, browser: null, server: null };
      if (r.source === 'browser') entry.browser = { passed: r.passed, failed: r.failed, at: r.createdAt };
      else entry.server = { passed: r.passed, failed: r.failed, error: r.error, at: r.createdAt, submissionId: r.submissionId };
      byGroup.set(r.groupId, entry);
    }
    return [...byGroup.values()];
  }

  // ── server grading ─────────────────────────────────────────────────────────────────────────
  /** After a submission committed: grade it if its assignment has tests. */
  async onSubmission(submission: Submission, classId: string): Promise<void> {
    const tests = await this.o.runs.listTests(submission.assignmentId);
    if (tests.length === 0) return;
    const payload: GradePayload = { submissionId: submission.id, workspaceId: submission.workspaceId, groupId: submission.groupId, classId };
    await this.o.tasks.enqueueTask({
      id: newId(),
      kind: 'GradeSubmission',
      key: `grade:${submission.id}:${testsHash(tests)}`,
      payload: { ...payload },
      runAt: Date.now(),
      createdAt: Date.now(),
    });
    this.emit('changed', submission.workspaceId, classId);
    this.o.wake?.();
  }

  async perform(task: AiTask, signal?: AbortSignal): Promise<void> {
    const p = task.payload as unknown as GradePayload;
    const submission = await this.o.reviews.getSubmission(p.submissionId);
    if (!submission) return; // deleted (erasure, retention) while queued: nothing to grade
    const tests = await this.o.runs.listTests(submission.assignmentId);
    const started = Date.now();
    const { files, skipped } = await this.filesAt(submission);
    // Every case comes back from the grader (hidden: false); store() marks the hidden files' cases,
    // so staff see them and students only their counts.
    const specs: TestSpec[] = tests.map((t) => ({ language: t.language, fileName: t.fileName, code: t.code, hidden: false }));
    const result = skipped.length
      ? { passed: 0, failed: 0, cases: [], error: `Could not grade: ${skipped.join(', ')}.`, durationMs: 0 }
      : await this.o.grader.grade({ files, tests: specs }, signal);
    // Shutdown or a lost lease: the task goes back to the queue; a killed grading is not a grade.
    if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('grading interrupted');
    await this.store(submission, p, tests, result, started);
  }

  async onFailed(task: AiTask, error: string): Promise<void> {
    const p = task.payload as unknown as GradePayload;
    const submission = await this.o.reviews.getSubmission(p.submissionId);
    if (!submission) return;
    const tests = await this.o.runs.listTests(submission.assignmentId);
    await this.store(submission, p, tests, { passed: 0, failed: 0, cases: [], error: `Grading failed: ${error}`, durationMs: 0 }, Date.now());
  }

  private async store(submission: Submission, p: GradePayload, tests: AssignmentTest[], result: TestRunResult, started: number): Promise<void> {
    const hidden = new Set(tests.filter((t) => t.hidden).map((t) => t.fileName));
    await this.o.runs.saveResult(
      {
        id: newId(),
        groupId: submission.groupId,
        workspaceId: submission.workspaceId,
        source: 'server',
        submissionId: submission.id,
        versions: submission.files.map((f) => ({ fileId: f.fileId, version: f.version })),
        testsHash: testsHash(tests),
        passed: result.passed,
        failed: result.failed,
        error: result.error,
        cases: result.cases.map((c) => {
          const file = (c as { file?: string }).file ?? '';
          return { name: c.name, passed: c.passed, message: c.message, file, hidden: hidden.has(file) };
        }),
        durationMs: result.durationMs || Date.now() - started,
        ranBy: null,
        createdAt: Date.now(),
      },
      KEEP_BROWSER_RESULTS,
    );
    this.emit('changed', p.workspaceId, p.classId);
  }

  private async filesAt(submission: Submission): Promise<{ files: RunFile[]; skipped: string[] }> {
    const files: RunFile[] = [];
    const skipped: string[] = [];
    for (const ref of submission.files.slice(0, MAX_GRADED_FILES)) {
      const log = await this.o.history.read(submission.workspaceId, ref.fileId);
      const text = log?.textAt(ref.version) ?? null;
      if (text === null) skipped.push(`${ref.name} (history no longer kept)`);
      else if (text.length > MAX_GRADED_FILE_CHARS) skipped.push(`${ref.name} (too large)`);
      else files.push({ name: ref.name, text });
    }
    return { files, skipped };
  }

  // ── helpers ────────────────────────────────────────────────────────────────────────────────
  private async viewerOfAssignment(user: User, assignmentId: string): Promise<{ staff: boolean }> {
    const assignment = await this.o.classroom.getAssignment(assignmentId);
    if (!assignment) throw new TandemError(ErrorCode.NotFound, 'No such assignment.');
    const membership = await this.o.classroom.getMembership(assignment.classId, user.id);
    const staff = user.role === 'admin' || membership?.role === 'teacher' || membership?.role === 'ta';
    // Students see the tests of published assignments of their class; outsiders learn nothing.
    if (!staff && (membership?.role !== 'student' || assignment.publishedAt === null)) throw new TandemError(ErrorCode.NotFound, 'No such assignment.');
    return { staff };
  }

  private async view(r: TestResult, staff: boolean, currentHash: string): Promise<TestResultView> {
    const visible = staff ? r.cases : r.cases.filter((c) => !c.hidden);
    const ranBy = r.ranBy ? ((await this.o.context.people([r.ranBy]))[0] ?? null) : null;
    return {
      id: r.id,
      source: r.source,
      submissionId: r.submissionId,
      passed: r.passed,
      failed: r.failed,
      error: r.error,
      cases: visible.map(({ name, passed, message, file }) => ({ name, passed, message, file })),
      hiddenCases: r.cases.length - visible.length,
      durationMs: r.durationMs,
      ranBy,
      createdAt: r.createdAt,
      stale: r.testsHash !== currentHash,
    };
  }
}

export function testsHash(tests: Array<{ fileName: string; code: string; hidden: boolean }>): string {
  const canonical = JSON.stringify([...tests].sort((a, b) => (a.fileName < b.fileName ? -1 : 1)).map((t) => [t.fileName, t.hidden, t.code]));
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

function newId(): string {
  return randomBytes(12).toString('base64url');
}
