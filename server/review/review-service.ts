import { EventEmitter } from 'node:events';
import { zipSync, strToU8 } from 'fflate';
import type {
  AuditEntry,
  ClassroomStore,
  Grade,
  ReviewComment,
  ReviewStore,
  RubricRecord,
  Submission,
  User,
} from '../../prisma-free-db';
import { ErrorCode } from '../../lib/protocol';
import { codePointLength } from '../../lib/text/offsets';
import { languageForFileName } from '../../lib/workspace';
import { transformAnchorThrough } from '../../lib/review/comment-anchor';
import type {
  AuditEntryView,
  CommentView,
  FeedbackView,
  GradeView,
  ReviewView,
  Rubric,
  SubmissionDetail,
  SubmissionFileView,
  SubmissionList,
  SubmissionListRow,
  SubmissionStatus,
  SubmissionView,
} from '../../lib/review/review-api';
import { TandemError } from '../errors';
import { newId } from '../auth/session-tokens';
import type { WorkspaceService } from '../services/workspace-service';
import type { FileHistoryReader, FileLog } from './file-history';
import { notFound, type GroupContext, type ReviewContext } from './review-context';
import { safeName, safePath } from './zip-names';

export interface ReviewEvents {
  /** Feedback of a group was released: its members' open views refetch. */
  feedbackReleased: [workspaceId: string];
  /** A group submitted: staff views of the assignment refetch. */
  submitted: [classId: string, assignmentId: string];
  /** A submission row committed (the AI review task is enqueued from here, never before). */
  submissionSaved: [submission: Submission, classId: string];
}

export interface ReviewServiceOptions {
  classroom: ClassroomStore;
  reviews: ReviewStore;
  context: ReviewContext;
  history: FileHistoryReader;
  workspaces: WorkspaceService;
}

export interface CommentInput {
  fileId: string;
  version: number;
  from: number;
  to: number;
  body: string;
  parentId?: string | undefined;
}

export interface CriterionInput {
  id?: string | undefined;
  title: string;
  points: number;
  description?: string | undefined;
}

/**
 * Submissions, review comments, rubrics, grades, feedback and the audit log (docs/review.md;
 * access rules in docs/permissions.md). Submissions are references to file versions: the op log
 * keeps every version, so nothing is copied. Staff reads of a student's work are audited (AD-1)
 * before the answer leaves, so an answer never exists without its record.
 */
export class ReviewService extends EventEmitter<ReviewEvents> {
  private readonly classroom: ClassroomStore;
  private readonly reviews: ReviewStore;
  private readonly ctx: ReviewContext;
  private readonly history: FileHistoryReader;
  private readonly workspaces: WorkspaceService;

  constructor(options: ReviewServiceOptions) {
    super();
    this.classroom = options.classroom;
    this.reviews = options.reviews;
    this.ctx = options.context;
    this.history = options.history;
    this.workspaces = options.workspaces;
  }

  // ── submissions ─────────────────────────────────────────────────────────────────────────
  /**
   * SB-1: a pair member submits the workspace as it is now: the current version of every file.
   * SB-2: before the deadline a group may resubmit; after it, a group that already submitted on
   * time keeps that submission, and a first submission is accepted and flagged late.
   */
  async submit(user: User, workspaceId: string): Promise<SubmissionView> {
    const ctx = await this.ctx.contextOfWorkspace(user, workspaceId);
    if (!ctx.member) throw new TandemError(ErrorCode.Forbidden, 'Only the students of this workspace can submit it.');
    if (ctx.klass.archivedAt !== null) throw new TandemError(ErrorCode.Forbidden, 'This class is archived.');
    if (ctx.assignment.publishedAt === null) throw notFound('workspace');
    const now = Date.now();
    const late = ctx.assignment.deadline !== null && now > ctx.assignment.deadline;
    const previous = await this.reviews.listGroupSubmissions(ctx.group.id);
    if (late && previous.some((s) => !s.late)) {
      throw new TandemError(ErrorCode.Conflict, 'The deadline has passed; your on-time submission stands.');
    }
    const summary = await this.workspaces.getWorkspace(workspaceId);
    const files = [];
    for (const f of summary.files) {
      // The version only: a deadline brings every group's submit at once.
      files.push({ fileId: f.id, name: f.name, version: await this.history.version(workspaceId, f.id) });
    }
    const submission = await this.reviews.createSubmission({
      id: newId(),
      assignmentId: ctx.assignment.id,
      groupId: ctx.group.id,
      workspaceId,
      files,
      submittedBy: user.id,
      submittedAt: now,
      late,
    });
    this.emit('submitted', ctx.klass.id, ctx.assignment.id);
    this.emit('submissionSaved', submission, ctx.klass.id);
    return this.submissionView(submission, previous.length + 1);
  }

  async workspaceSubmissions(user: User, workspaceId: string): Promise<SubmissionView[]> {
    const ctx = await this.ctx.contextOfWorkspace(user, workspaceId);
    const list = await this.reviews.listGroupSubmissions(ctx.group.id);
    return Promise.all(list.map((s, i) => this.submissionView(s, i + 1)));
  }

  /** SB-3: every group of the assignment with its state, filtered by `status`. */
  async submissionList(user: User, assignmentId: string, status: SubmissionStatus | null): Promise<SubmissionList> {
    const { assignment } = await this.ctx.requireStaffOfAssignment(user, assignmentId);
    const [groups, submissions, grades, rubric] = await Promise.all([
      this.classroom.listGroups(assignmentId),
      this.reviews.listAssignmentSubmissions(assignmentId),
      this.reviews.listGrades(assignmentId),
      this.rubricOf(assignmentId),
    ]);
    const byGroup = new Map<string, Submission[]>();
    for (const s of submissions) byGroup.set(s.groupId, [...(byGroup.get(s.groupId) ?? []), s]);
    const gradeOf = new Map(grades.map((g) => [g.groupId, g]));
    const rows: SubmissionListRow[] = [];
    for (const g of groups) {
      const list = byGroup.get(g.id) ?? [];
      const latest = list[list.length - 1] ?? null;
      const grade = gradeOf.get(g.id) ?? null;
      const reviewed = grade?.releasedAt != null;
      const rowStatus: SubmissionStatus = !latest ? 'missing' : reviewed ? 'reviewed' : latest.late ? 'late' : 'submitted';
      const row: SubmissionListRow = {
        groupId: g.id,
        workspaceId: g.workspaceId,
        members: await this.ctx.people(g.members.map((m) => m.userId)),
        latest: latest ? await this.submissionView(latest, list.length) : null,
        submissions: list.length,
        reviewed,
        score: grade ? total(grade.scores, rubric) : null,
        status: rowStatus,
      };
      if (status === null || matches(row, status)) rows.push(row);
    }
    return { assignmentId, deadline: assignment.deadline, maxScore: rubric.maxScore, rows };
  }

  /** SB-4: the submitted text of every file, with the starter and previous submission to diff. */
  async submissionDetail(user: User, submissionId: string): Promise<SubmissionDetail> {
    const submission = await this.reviews.getSubmission(submissionId);
    if (!submission) throw notFound('submission');
    const ctx = await this.ctx.groupContext(user, await this.classroom.getGroup(submission.groupId));
    const all = await this.reviews.listGroupSubmissions(submission.groupId);
    const index = all.findIndex((s) => s.id === submission.id);
    const previous = index > 0 ? all[index - 1]! : null;
    await this.ctx.auditView(user, ctx, `submission:${submission.id}`);
    const files: SubmissionFileView[] = [];
    for (const f of submission.files) {
      const prevRef = previous?.files.find((p) => p.fileId === f.fileId) ?? null;
      files.push({
        ...f,
        language: languageForFileName(f.name),
        text: (await this.history.textAt(submission.workspaceId, f.fileId, f.version))?.text ?? '',
        starterText: ctx.assignment.starterFiles.find((s) => s.name === f.name)?.content ?? null,
        previousText: prevRef ? ((await this.history.textAt(submission.workspaceId, f.fileId, prevRef.version))?.text ?? null) : null,
      });
    }
    return {
      submission: await this.submissionView(submission, index + 1),
      files,
      history: await Promise.all(all.map((s, i) => this.submissionView(s, i + 1))),
    };
  }

  /** SB-5: a zip of every group's latest submission, one folder per group, plus a manifest. */
  async submissionsZip(user: User, assignmentId: string): Promise<{ fileName: string; data: Uint8Array }> {
    const list = await this.submissionList(user, assignmentId, null);
    const { assignment } = await this.ctx.requireStaffOfAssignment(user, assignmentId);
    const entries: Record<string, Uint8Array> = {};
    const manifest: Array<Record<string, unknown>> = [];
    const used = new Set<string>();
    for (const row of list.rows) {
      const names = row.members.map((m) => m.displayName).join(' & ') || 'group';
      let folder = safeName(names);
      for (let i = 2; used.has(folder); i++) folder = `${safeName(names)} (${i})`;
      used.add(folder);
      manifest.push({
        folder: row.latest ? folder : null,
        members: row.members,
        status: row.status,
        submissions: row.submissions,
        submittedAt: row.latest ? new Date(row.latest.submittedAt).toISOString() : null,
        late: row.latest?.late ?? false,
        score: row.score,
      });
      if (!row.latest) continue;
      for (const f of row.latest.files) {
        const at = await this.history.textAt(row.latest.workspaceId, f.fileId, f.version);
        entries[`${folder}/${safePath(f.name)}`] = strToU8(at?.text ?? '');
      }
    }
    entries['manifest.json'] = strToU8(JSON.stringify({ assignment: { id: assignment.id, title: assignment.title }, maxScore: list.maxScore, groups: manifest }, null, 2));
    await this.ctx.audit(user, 'export', `assignment:${assignmentId}`, { subjectUserId: null }, { groups: list.rows.length });
    return { fileName: `${safeName(assignment.title)}-submissions.zip`, data: zipSync(entries, { level: 6 }) };
  }

  private async submissionView(s: Submission, number: number): Promise<SubmissionView> {
    const [by] = await this.ctx.people([s.submittedBy]);
    return {
      id: s.id,
      assignmentId: s.assignmentId,
      groupId: s.groupId,
      workspaceId: s.workspaceId,
      files: s.files,
      submittedBy: by!,
      submittedAt: s.submittedAt,
      late: s.late,
      number,
    };
  }

  // ── rubric and grade ────────────────────────────────────────────────────────────────────
  async rubric(user: User, assignmentId: string): Promise<Rubric> {
    await this.ctx.requireStaffOfAssignment(user, assignmentId);
    return this.rubricOf(assignmentId);
  }

  async setRubric(user: User, assignmentId: string, criteria: CriterionInput[]): Promise<Rubric> {
    await this.ctx.requireStaffOfAssignment(user, assignmentId);
    const seen = new Set<string>();
    const record: RubricRecord = {
      assignmentId,
      updatedAt: Date.now(),
      criteria: criteria.map((c) => {
        const id = c.id ?? newId();
        if (seen.has(id)) throw new TandemError(ErrorCode.InvalidRequest, `Two criteria have the id "${id}".`);
        seen.add(id);
        return { id, title: c.title, points: c.points, description: c.description ?? '' };
      }),
    };
    await this.reviews.setRubric(record);
    return this.rubricOf(assignmentId);
  }

  private async rubricOf(assignmentId: string): Promise<Rubric> {
    const r = await this.reviews.getRubric(assignmentId);
    const criteria = r?.criteria ?? [];
    return { assignmentId, criteria, maxScore: criteria.reduce((sum, c) => sum + c.points, 0) };
  }

  /** GR-1: staff score each criterion (0..points). A grade stays a draft until released. */
  async putGrade(user: User, groupId: string, scores: Record<string, number>, summary: string): Promise<GradeView> {
    const ctx = await this.ctx.groupContext(user, await this.classroom.getGroup(groupId));
    if (!ctx.staff) throw new TandemError(ErrorCode.Forbidden, 'Only teachers and TAs grade.');
    const rubric = await this.rubricOf(ctx.assignment.id);
    for (const [criterion, points] of Object.entries(scores)) {
      const c = rubric.criteria.find((x) => x.id === criterion);
      if (!c) throw new TandemError(ErrorCode.InvalidRequest, `scores.${criterion}: not a criterion of this rubric.`);
      if (points < 0 || points > c.points) throw new TandemError(ErrorCode.InvalidRequest, `scores.${criterion}: must be between 0 and ${c.points}.`);
    }
    const existing = await this.reviews.getGrade(groupId);
    const grade = await this.reviews.putGrade({
      groupId,
      assignmentId: ctx.assignment.id,
      scores,
      summary,
      gradedBy: user.id,
      updatedAt: Date.now(),
      // Changing a released grade un-releases it until the teacher releases again (GR-2).
      releasedAt: existing?.releasedAt != null && sameGrade(existing, scores, summary) ? existing.releasedAt : null,
    });
    return gradeView(grade, rubric);
  }

  /** GR-3: release every draft comment and the grade of the group to its students. */
  async release(user: User, groupId: string): Promise<ReviewView> {
    const ctx = await this.ctx.groupContext(user, await this.classroom.getGroup(groupId));
    if (!ctx.staff) throw new TandemError(ErrorCode.Forbidden, 'Only teachers and TAs release feedback.');
    await this.reviews.releaseFeedback(groupId, Date.now());
    if (ctx.group.workspaceId) this.emit('feedbackReleased', ctx.group.workspaceId);
    return this.reviewOf(ctx);
  }

  /** Everything a reviewer needs about a group (audited). */
  async review(user: User, groupId: string): Promise<ReviewView> {
    const ctx = await this.ctx.groupContext(user, await this.classroom.getGroup(groupId));
    if (!ctx.staff) throw new TandemError(ErrorCode.Forbidden, 'Only teachers and TAs review.');
    await this.ctx.auditView(user, ctx, `group:${groupId}`, { what: 'review' });
    return this.reviewOf(ctx);
  }

  private async reviewOf(ctx: GroupContext): Promise<ReviewView> {
    const [rubric, grade, comments, submissions] = await Promise.all([
      this.rubricOf(ctx.assignment.id),
      this.reviews.getGrade(ctx.group.id),
      this.reviews.listComments(ctx.group.id),
      this.reviews.listGroupSubmissions(ctx.group.id),
    ]);
    return {
      groupId: ctx.group.id,
      workspaceId: ctx.group.workspaceId,
      rubric,
      grade: grade ? gradeView(grade, rubric) : null,
      comments: await this.commentViews(ctx, comments),
      submissions: await Promise.all(submissions.map((s, i) => this.submissionView(s, i + 1))),
    };
  }

  /** FB-1: what the students of a workspace see: released comments and a released grade only. */
  async feedback(user: User, workspaceId: string): Promise<FeedbackView> {
    const ctx = await this.ctx.contextOfWorkspace(user, workspaceId);
    const [rubric, grade, comments] = await Promise.all([
      this.rubricOf(ctx.assignment.id),
      this.reviews.getGrade(ctx.group.id),
      this.reviews.listComments(ctx.group.id),
    ]);
    const visible = comments.filter((c) => c.releasedAt !== null);
    return {
      workspaceId,
      rubric,
      grade: grade && grade.releasedAt !== null ? gradeView(grade, rubric) : null,
      comments: await this.commentViews(ctx, visible),
    };
  }

  // ── comments ────────────────────────────────────────────────────────────────────────────
  /**
   * CM-1: staff comment on a range of a file at a version (a draft until released). CM-2: a
   * student may only reply to released feedback on their own workspace; replies are visible at
   * once to the group and staff.
   */
  async addComment(user: User, workspaceId: string, input: CommentInput): Promise<CommentView> {
    const ctx = await this.ctx.contextOfWorkspace(user, workspaceId);
    let parent: ReviewComment | null = null;
    if (input.parentId) {
      parent = await this.reviews.getComment(input.parentId);
      if (!parent || parent.groupId !== ctx.group.id || (!ctx.staff && parent.releasedAt === null)) throw notFound('comment');
      if (parent.parentId !== null) throw new TandemError(ErrorCode.InvalidRequest, 'parentId: reply to the first comment of the thread.');
    } else if (!ctx.staff) {
      throw new TandemError(ErrorCode.Forbidden, 'Students reply to feedback; only teachers and TAs start comments.');
    }
    const anchor = parent ?? input;
    const fileId = parent ? parent.fileId : input.fileId;
    const at = await this.history.textAt(workspaceId, fileId, anchor.version);
    if (!at) throw notFound('file');
    // Comments are made on versions with keystroke history, so they can follow the code (CM-4).
    const text = anchor.version >= at.retainedFrom ? at.text : null;
    if (text === null) throw new TandemError(ErrorCode.InvalidRequest, `version: the file has no version ${anchor.version}.`);
    if (anchor.from > anchor.to || anchor.to > codePointLength(text)) {
      throw new TandemError(ErrorCode.InvalidRequest, 'from/to: the range is outside the file at that version.');
    }
    const now = Date.now();
    const comment = await this.reviews.createComment({
      id: newId(),
      groupId: ctx.group.id,
      workspaceId,
      fileId,
      version: anchor.version,
      from: anchor.from,
      to: anchor.to,
      quote: [...text].slice(anchor.from, anchor.to).join('').slice(0, 2000),
      body: input.body,
      authorId: user.id,
      releasedAt: ctx.staff ? null : now,
      parentId: parent?.id ?? null,
      createdAt: now,
      updatedAt: now,
    });
    const [view] = await this.commentViews(ctx, [comment]);
    return view!;
  }

  async editComment(user: User, commentId: string, body: string): Promise<CommentView> {
    const { comment, ctx } = await this.ownComment(user, commentId);
    const updated = await this.reviews.updateCommentBody(comment.id, body, Date.now());
    if (!updated) throw notFound('comment');
    const [view] = await this.commentViews(ctx, [updated]);
    return view!;
  }

  async deleteComment(user: User, commentId: string): Promise<void> {
    const { comment } = await this.ownComment(user, commentId);
    await this.reviews.deleteComment(comment.id);
  }

  /** CM-3: only a comment's author edits or deletes it, and students only what they can see. */
  private async ownComment(user: User, commentId: string): Promise<{ comment: ReviewComment; ctx: GroupContext }> {
    const comment = await this.reviews.getComment(commentId);
    if (!comment) throw notFound('comment');
    const ctx = await this.ctx.groupContext(user, await this.classroom.getGroup(comment.groupId));
    if (!ctx.staff && comment.releasedAt === null) throw notFound('comment');
    if (comment.authorId !== user.id) throw new TandemError(ErrorCode.Forbidden, 'Only the author can change a comment.');
    return { comment, ctx };
  }

  /** Comments with their ranges carried through every later op (CM-4), one log read per file. */
  private async commentViews(ctx: GroupContext, comments: ReviewComment[]): Promise<CommentView[]> {
    const logs = new Map<string, FileLog | null>();
    for (const c of comments) {
      if (!logs.has(c.fileId)) logs.set(c.fileId, await this.history.read(c.workspaceId, c.fileId));
    }
    const people = new Map((await this.ctx.people([...new Set(comments.map((c) => c.authorId))])).map((p) => [p.id, p]));
    const staffIds = new Set<string>();
    for (const id of people.keys()) {
      const m = await this.classroom.getMembership(ctx.klass.id, id);
      const u = m ? null : await this.classroom.getUser(id);
      if (m?.role === 'teacher' || m?.role === 'ta' || u?.role === 'admin') staffIds.add(id);
    }
    return comments.map((c) => {
      const log = logs.get(c.fileId) ?? null;
      const later = (log?.ops ?? []).filter((o) => o.v >= c.version);
      // History older than the comment was compacted without rebasing it: it cannot follow the code.
      const lost = !log || c.version < log.retainedFrom;
      const deleted = lost || later.some((o) => o.kind === 'delete');
      const carried = transformAnchorThrough(
        { from: c.from, to: c.to, outdated: false },
        later.flatMap((o) => (o.kind === 'edit' && o.op ? [o.op] : [])),
      );
      const version = log?.version ?? c.version;
      const author = people.get(c.authorId)!;
      return {
        id: c.id,
        groupId: c.groupId,
        workspaceId: c.workspaceId,
        fileId: c.fileId,
        version: c.version,
        from: c.from,
        to: c.to,
        current: { version, from: carried.from, to: carried.to, outdated: carried.outdated || deleted },
        quote: c.quote,
        body: c.body,
        author: { ...author, staff: staffIds.has(c.authorId) },
        parentId: c.parentId,
        createdAt: c.createdAt,
        releasedAt: c.releasedAt,
      };
    });
  }

  // ── audit log ───────────────────────────────────────────────────────────────────────────
  /** AD-2: administrators read the audit log, newest first. */
  async auditLog(user: User, query: { limit: number; before?: number | undefined; subjectUserId?: string | undefined }): Promise<AuditEntryView[]> {
    if (user.role !== 'admin') throw new TandemError(ErrorCode.Forbidden, 'Only administrators read the audit log.');
    const entries = await this.reviews.listAudit({
      limit: query.limit,
      ...(query.before !== undefined ? { before: query.before } : {}),
      ...(query.subjectUserId !== undefined ? { subjectUserId: query.subjectUserId } : {}),
    });
    const people = new Map((await this.ctx.people([...new Set(entries.map((e) => e.actorId).filter((a): a is string => a !== null))])).map((p) => [p.id, p]));
    return entries.map((e: AuditEntry) => ({ ...e, actor: e.actorId ? (people.get(e.actorId) ?? { id: e.actorId, displayName: 'Deleted account' }) : null }));
  }


}

function matches(row: SubmissionListRow, status: SubmissionStatus): boolean {
  if (status === 'missing') return row.latest === null;
  if (status === 'submitted') return row.latest !== null;
  if (status === 'late') return row.latest?.late === true;
  return row.reviewed;
}

function total(scores: Record<string, number>, rubric: Rubric): number {
  return rubric.criteria.reduce((sum, c) => sum + (scores[c.id] ?? 0), 0);
}

function sameGrade(g: Grade, scores: Record<string, number>, summary: string): boolean {
  return g.summary === summary && JSON.stringify(Object.entries(g.scores).sort()) === JSON.stringify(Object.entries(scores).sort());
}

function gradeView(g: Grade, rubric: Rubric): GradeView {
  return { groupId: g.groupId, scores: g.scores, total: total(g.scores, rubric), summary: g.summary, gradedBy: g.gradedBy, updatedAt: g.updatedAt, releasedAt: g.releasedAt };
}
