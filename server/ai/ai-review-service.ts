import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createTwoFilesPatch } from 'diff';
import { z } from 'zod';
import type {
  AiFinding,
  AiReview,
  AiSettings,
  AiStore,
  AiTask,
  ClassroomStore,
  Group,
  ReviewStore,
  User,
} from '../../prisma-free-db';
import type { Submission } from '../../prisma-free-db';
import type { AiAdminStatus, AiFindingView, AiRequestAccepted, AiReviewTranscript, AiReviewView, AiSettingsView, AiWorkspaceReviews } from '../../lib/ai/ai-api';
import type { CodeFile, HelpLevel, ReviewMaterial } from '../../lib/ai/ai-types';
import type { Roster } from '../../lib/ai/pseudonymise';
import { ErrorCode } from '../../lib/protocol';
import type { AiConfig } from '../config';
import { TandemError } from '../errors';
import type { Logger } from '../logger';
import type { FileHistoryReader } from '../review/file-history';
import { notFound, type GroupContext, type ReviewContext } from '../review/review-context';
import type { WorkspaceService } from '../services/workspace-service';
import type { CircuitBreaker } from './circuit-breaker';
import type { Metrics } from '../observability/metrics';
import type { ReviewPool } from './review-pool';
import type { TaskHandler } from './task-runner';
import { checkProviderHealth, describeProvider } from './providers';

/** Built-in policy when neither the assignment nor the class says otherwise. */
export const AI_DEFAULTS = { helpLevel: 'hints' as HelpLevel, approvalRequired: true };
/** What a review may look at: big enough for class work, small enough for a prompt. */
const MAX_FILES = 30;
const MAX_FILE_CHARS = 200_000;
const MAX_DIFF_CHARS = 20_000;
/** A whole review (analysers + every model attempt) is aborted after this long. */
const JOB_TIMEOUT_FLOOR_MS = 120_000;

const TaskPayload = z.object({
  workspaceId: z.string(),
  groupId: z.string(),
  assignmentId: z.string(),
  classId: z.string(),
  submissionId: z.string().nullable(),
  trigger: z.enum(['submission', 'on-demand']),
  requestedBy: z.string().nullable(),
  files: z.array(z.object({ fileId: z.string(), name: z.string(), version: z.number().int().min(0) })),
});
type TaskPayload = z.infer<typeof TaskPayload>;

export interface AiReviewEvents {
  /** A review of this workspace was queued, stored, changed or released. */
  changed: [workspaceId: string, classId: string];
}

export interface AiReviewServiceOptions {
  classroom: ClassroomStore;
  reviews: ReviewStore;
  ai: AiStore;
  context: ReviewContext;
  history: FileHistoryReader;
  workspaces: WorkspaceService;
  config: AiConfig;
  pool: ReviewPool;
  breaker: CircuitBreaker;
  logger: Logger;
  metrics?: Metrics;
  /** Called after a task is enqueued so the runner looks for it at once. */
  wake: () => void;
}

export interface SettingsInput {
  helpLevel: HelpLevel | null;
  approvalRequired: boolean | null;
  guidance: string;
  hiddenNotes: string;
  onDemandPerHour: number | null;
}

interface Effective {
  helpLevel: HelpLevel;
  approvalRequired: boolean;
  onDemandPerHour: number;
  guidance: string;
  hiddenNotes: string;
  /** Changes whenever a setting that shapes the review changes (part of the task key). */
  fingerprint: string;
}

/**
 * The AI review assistant (issue 5, docs/ai-review.md): settings, enqueueing review tasks after
 * the write that caused them, performing them through the worker pool, and the views students
 * and staff get. Students only ever see released reviews and approved findings; the prompt and
 * reply are staff-only; every provider call leaves an audit row.
 */
export class AiReviewService extends EventEmitter<AiReviewEvents> implements TaskHandler {
  private readonly o: AiReviewServiceOptions;
  private health: AiAdminStatus['health'] = null;
  private healthChecking: Promise<void> | null = null;

  constructor(options: AiReviewServiceOptions) {
    super();
    this.o = options;
  }

  // ── settings ──────────────────────────────────────────────────────────────────────────────
  private async effective(classId: string, assignmentId: string): Promise<Effective> {
    const [c, a] = await Promise.all([this.o.ai.getClassSettings(classId), this.o.ai.getAssignmentSettings(assignmentId)]);
    const helpLevel = a?.helpLevel ?? c?.helpLevel ?? AI_DEFAULTS.helpLevel;
    const approvalRequired = a?.approvalRequired ?? c?.approvalRequired ?? AI_DEFAULTS.approvalRequired;
    const onDemandPerHour = a?.onDemandPerHour ?? c?.onDemandPerHour ?? this.o.config.onDemandPerHour;
    const join = (x: string | undefined, y: string | undefined) => [x, y].filter((s): s is string => !!s && s.trim() !== '').join('\n\n');
    const guidance = join(c?.guidance, a?.guidance);
    const hiddenNotes = join(c?.hiddenNotes, a?.hiddenNotes);
    const fingerprint = sha256(JSON.stringify([helpLevel, approvalRequired, guidance, hiddenNotes, this.o.config.provider?.model ?? null]));
    return { helpLevel, approvalRequired, onDemandPerHour, guidance, hiddenNotes, fingerprint };
  }

  private settingsView(s: AiSettings | null, e: Effective): AiSettingsView {
    return {
      helpLevel: s?.helpLevel ?? null,
      approvalRequired: s?.approvalRequired ?? null,
      guidance: s?.guidance ?? '',
      hiddenNotes: s?.hiddenNotes ?? '',
      onDemandPerHour: s?.onDemandPerHour ?? null,
      effective: { helpLevel: e.helpLevel, approvalRequired: e.approvalRequired, onDemandPerHour: e.onDemandPerHour },
    };
  }

  private async requireClassStaff(user: User, classId: string, write: boolean): Promise<void> {
    const klass = await this.o.classroom.getClass(classId);
    if (!klass) throw notFound('class');
    const membership = await this.o.classroom.getMembership(classId, user.id);
    const admin = user.role === 'admin';
    if (!admin && !membership) throw notFound('class');
    const staff = admin || membership?.role === 'teacher' || membership?.role === 'ta';
    if (!staff) throw new TandemError(ErrorCode.Forbidden, 'Only teachers and TAs see AI settings.');
    if (write && !(admin || membership?.role === 'teacher')) throw new TandemError(ErrorCode.Forbidden, 'Only teachers change AI settings.');
  }

  async classSettings(user: User, classId: string): Promise<AiSettingsView> {
    await this.requireClassStaff(user, classId, false);
    const s = await this.o.ai.getClassSettings(classId);
    // A class's effective values are what a new assignment inherits.
    return this.settingsView(s, await this.effective(classId, '-'));
  }

  async putClassSettings(user: User, classId: string, input: SettingsInput): Promise<AiSettingsView> {
    await this.requireClassStaff(user, classId, true);
    await this.o.ai.putClassSettings(classId, { ...input, updatedAt: Date.now() });
    return this.classSettings(user, classId);
  }

  async assignmentSettings(user: User, assignmentId: string): Promise<AiSettingsView> {
    const { assignment } = await this.o.context.requireStaffOfAssignment(user, assignmentId);
    const s = await this.o.ai.getAssignmentSettings(assignmentId);
    return this.settingsView(s, await this.effective(assignment.classId, assignmentId));
  }

  async putAssignmentSettings(user: User, assignmentId: string, input: SettingsInput): Promise<AiSettingsView> {
    const { assignment } = await this.o.context.requireStaffOfAssignment(user, assignmentId);
    await this.requireClassStaff(user, assignment.classId, true);
    await this.o.ai.putAssignmentSettings(assignmentId, { ...input, updatedAt: Date.now() });
    return this.assignmentSettings(user, assignmentId);
  }

  // ── enqueueing ────────────────────────────────────────────────────────────────────────────
  /** ReviewSubmission: called after the submission row committed. */
  async onSubmission(submission: Submission, classId: string): Promise<AiRequestAccepted> {
    const group = await this.o.classroom.getGroup(submission.groupId);
    if (!group) return { taskId: '', created: false };
    return this.enqueue('ReviewSubmission', {
      workspaceId: submission.workspaceId,
      groupId: submission.groupId,
      assignmentId: submission.assignmentId,
      classId,
      submissionId: submission.id,
      trigger: 'submission',
      requestedBy: submission.submittedBy,
      files: submission.files.map((f) => ({ fileId: f.fileId, name: f.name, version: f.version })),
    });
  }

  /** ReviewWorkspace: a student asks for feedback on the workspace as it is now. */
  async requestOnDemand(user: User, workspaceId: string): Promise<AiRequestAccepted> {
    const ctx = await this.o.context.contextOfWorkspace(user, workspaceId);
    if (!ctx.member) throw new TandemError(ErrorCode.Forbidden, 'Only the students of this workspace can ask for feedback.');
    if (ctx.klass.archivedAt !== null) throw new TandemError(ErrorCode.Forbidden, 'This class is archived.');
    const e = await this.effective(ctx.klass.id, ctx.assignment.id);
    if (e.onDemandPerHour === 0) throw new TandemError(ErrorCode.Forbidden, 'Your teacher has turned off feedback on request for this assignment.');
    if ((await this.o.ai.countLiveTasks(workspaceId, 'ReviewSubmission', 'ReviewWorkspace')) > 0) {
      throw new TandemError(ErrorCode.Conflict, 'A review of this workspace is already in progress.');
    }
    const used = await this.quotaUsed(user.id, ctx.assignment.id);
    if (used >= e.onDemandPerHour) {
      throw new TandemError(ErrorCode.RateLimited, `You can ask for feedback ${e.onDemandPerHour} time(s) per hour; try again later or ask your teacher.`);
    }
    const summary = await this.o.workspaces.getWorkspace(workspaceId);
    const files = [];
    for (const f of summary.files.slice(0, MAX_FILES)) {
      files.push({ fileId: f.id, name: f.name, version: await this.o.history.version(workspaceId, f.id) });
    }
    return this.enqueue('ReviewWorkspace', {
      workspaceId,
      groupId: ctx.group.id,
      assignmentId: ctx.assignment.id,
      classId: ctx.klass.id,
      submissionId: null,
      trigger: 'on-demand',
      requestedBy: user.id,
      files,
    });
  }

  private async quotaUsed(userId: string, assignmentId: string): Promise<number> {
    const reset = await this.o.ai.getOnDemandReset(userId, assignmentId);
    const since = Math.max(Date.now() - 3600_000, reset ?? 0);
    return this.o.ai.countOnDemand(userId, assignmentId, since);
  }

  private async enqueue(kind: AiTask['kind'], payload: TaskPayload): Promise<AiRequestAccepted> {
    const e = await this.effective(payload.classId, payload.assignmentId);
    const versions = [...payload.files].sort((a, b) => a.fileId.localeCompare(b.fileId)).map((f) => `${f.fileId}@${f.version}`);
    // Idempotent per (file versions, policy): the same code under the same policy is reviewed once.
    const key = sha256(JSON.stringify([kind, payload.workspaceId, versions, e.fingerprint]));
    const now = Date.now();
    const { task, created } = await this.o.ai.enqueueTask({ id: randomUUID(), kind, key, payload: { ...payload }, runAt: now, createdAt: now });
    if (created) {
      this.emit('changed', payload.workspaceId, payload.classId);
      this.o.wake();
    }
    return { taskId: task.id, created };
  }

  // ── performing (TaskHandler) ──────────────────────────────────────────────────────────────
  async perform(task: AiTask, signal: AbortSignal): Promise<void> {
    const p = TaskPayload.parse(task.payload);
    const group = await this.o.classroom.getGroup(p.groupId);
    const assignment = await this.o.classroom.getAssignment(p.assignmentId);
    if (!group || !assignment) {
      // Deleted since: nothing to review and nobody to tell.
      return;
    }
    const e = await this.effective(p.classId, p.assignmentId);
    const { files, skipped } = await this.filesAt(p.workspaceId, p.files);
    const material: ReviewMaterial = {
      assignmentTitle: assignment.title,
      instructions: assignment.instructions,
      rubric: ((await this.o.reviews.getRubric(assignment.id))?.criteria ?? []).map((c) => ({ title: c.title, points: c.points, description: c.description })),
      guidance: e.guidance,
      hiddenNotes: e.hiddenNotes,
      files,
      diffSinceLastReview: await this.diffSinceLastReview(group, p),
    };
    const provider = this.o.config.provider;
    let staticOnlyReason: string | null = null;
    if (!provider) staticOnlyReason = 'No AI model is configured: static analysis only.';
    else if (e.helpLevel !== 'off' && !this.o.breaker.tryAcquire()) {
      staticOnlyReason = `The AI provider is unavailable (circuit open: ${this.o.breaker.state().reason ?? 'repeated failures'}); static analysis only.`;
    }
    const started = Date.now();
    const result = await this.o.pool.run(
      { material, roster: await this.roster(p, group), level: e.helpLevel, provider: staticOnlyReason ? null : provider, staticOnlyReason },
      signal,
      Math.max(JOB_TIMEOUT_FLOOR_MS, (provider?.timeoutMs ?? 0) * ((provider?.maxRetries ?? 0) + 2)),
    );
    if (result.calls.length > 0) {
      if (result.providerFailed) this.o.breaker.recordFailure(result.calls.at(-1)?.error ?? 'provider failed');
      else this.o.breaker.recordSuccess();
    }
    // One audit row per provider request: model, tokens, duration and a hash of the payload.
    for (const call of result.calls) {
      this.o.metrics?.aiProviderCalls.inc({ outcome: call.outcome });
      await this.o.reviews.appendAudit({
        at: call.startedAt,
        actorId: null,
        action: 'ai.provider-call',
        subjectUserId: group.members[0]?.userId ?? null,
        target: `workspace:${p.workspaceId}`,
        detail: {
          taskId: task.id,
          provider: call.provider,
          model: call.model,
          outcome: call.outcome,
          inputTokens: call.inputTokens,
          outputTokens: call.outputTokens,
          durationMs: call.durationMs,
          payloadSha256: call.payloadSha256,
          members: group.members.map((m) => m.userId),
        },
      });
    }
    if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
    const now = Date.now();
    const notes = [result.note, skipped.length ? `Not reviewed: ${skipped.join(', ')}.` : null, ...result.staticFailed.map((f) => `${f.tool} could not run (${f.error}).`)];
    const review: AiReview = {
      ...reviewOfTask(task, p),
      helpLevel: e.helpLevel,
      approvalRequired: e.approvalRequired,
      status: 'done',
      staticOnly: result.staticOnly,
      note: notes.filter((n): n is string => !!n).join(' ') || null,
      summary: result.summary,
      provider: result.calls.length ? (provider?.kind ?? null) : null,
      model: result.calls.length ? (provider?.model ?? null) : null,
      prompt: result.prompt,
      reply: result.reply,
      createdAt: started,
      completedAt: now,
      releasedAt: e.approvalRequired ? null : now,
    };
    const byName = new Map(p.files.map((f) => [f.name, f]));
    const findings: AiFinding[] = result.findings.flatMap((f) => {
      const ref = byName.get(f.file);
      if (!ref) return [];
      return [
        {
          id: randomUUID(),
          reviewId: review.id,
          fileId: ref.fileId,
          fileName: ref.name,
          version: ref.version,
          startLine: f.startLine,
          endLine: f.endLine,
          severity: f.severity,
          category: f.category,
          message: f.message,
          hint: f.hint,
          source: f.source,
          tool: f.tool,
          rule: f.rule,
          state: e.approvalRequired ? 'pending' : 'approved',
          editedBy: null,
          ratingUp: 0,
          ratingDown: 0,
        },
      ];
    });
    await this.o.ai.saveReview(review, findings);
    this.o.metrics?.aiReviewDuration.observe({ outcome: result.staticOnly ? 'static-only' : 'model' }, (now - started) / 1000);
    this.o.logger.info(
      { taskId: task.id, findings: findings.length, staticOnly: result.staticOnly, calls: result.calls.length, ms: now - started },
      'ai review stored',
    );
    this.emit('changed', p.workspaceId, p.classId);
  }

  /** The last attempt failed: the teacher sees a failed review with the reason. */
  async onFailed(task: AiTask, error: string): Promise<void> {
    const parsed = TaskPayload.safeParse(task.payload);
    if (!parsed.success) return;
    const p = parsed.data;
    if (!(await this.o.classroom.getGroup(p.groupId))) return;
    const now = Date.now();
    await this.o.ai.saveReview(
      {
        ...reviewOfTask(task, p),
        helpLevel: AI_DEFAULTS.helpLevel,
        approvalRequired: true,
        status: 'failed',
        staticOnly: true,
        note: `The review failed after ${task.attempts} attempt(s): ${error.slice(0, 500)}`,
        summary: '',
        provider: null,
        model: null,
        prompt: null,
        reply: null,
        createdAt: task.createdAt,
        completedAt: now,
        releasedAt: null,
      },
      [],
    );
    this.emit('changed', p.workspaceId, p.classId);
  }

  private async filesAt(workspaceId: string, refs: TaskPayload['files']): Promise<{ files: CodeFile[]; skipped: string[] }> {
    const files: CodeFile[] = [];
    const skipped: string[] = [];
    for (const ref of refs.slice(0, MAX_FILES)) {
      const text = (await this.o.history.textAt(workspaceId, ref.fileId, ref.version))?.text ?? null;
      if (text === null) skipped.push(`${ref.name} (history no longer kept)`);
      else if (text.length > MAX_FILE_CHARS) skipped.push(`${ref.name} (too large)`);
      else files.push({ name: ref.name, text });
    }
    return { files, skipped };
  }

  /** The trajectory, not only the final file: a unified diff since the group's previous review. */
  private async diffSinceLastReview(group: Group, p: TaskPayload): Promise<string | null> {
    const previous = (await this.o.ai.listGroupReviews(group.id, 5)).find((r) => r.status === 'done');
    if (!previous) return null;
    const before = new Map(previous.files.map((f) => [f.fileId, f]));
    let out = '';
    for (const f of p.files) {
      const old = before.get(f.fileId);
      if (old && old.version === f.version) continue;
      const a = old ? ((await this.o.history.textAt(p.workspaceId, f.fileId, old.version))?.text ?? '') : '';
      const b = (await this.o.history.textAt(p.workspaceId, f.fileId, f.version))?.text ?? '';
      out += createTwoFilesPatch(f.name, f.name, a, b, '', '', { context: 2 });
      if (out.length > MAX_DIFF_CHARS) return `${out.slice(0, MAX_DIFF_CHARS)}\n[diff truncated]`;
    }
    return out || null;
  }

  /** Everything that identifies someone in this class: it must not reach a provider. */
  private async roster(p: TaskPayload, group: Group): Promise<Roster> {
    const members = await this.o.classroom.listMembers(p.classId);
    const extraIds = group.members.map((m) => m.userId);
    return {
      names: members.map((m) => m.displayName),
      emails: members.map((m) => m.email),
      ids: [...new Set([...members.map((m) => m.userId), ...extraIds, p.groupId, p.workspaceId, p.classId, p.assignmentId])],
    };
  }

  // ── views ─────────────────────────────────────────────────────────────────────────────────
  async workspaceReviews(user: User, workspaceId: string): Promise<AiWorkspaceReviews> {
    const ctx = await this.o.context.contextOfWorkspace(user, workspaceId);
    await this.o.context.auditView(user, ctx, `workspace:${workspaceId}`, { view: 'ai-reviews' });
    const e = await this.effective(ctx.klass.id, ctx.assignment.id);
    const all = await this.o.ai.listGroupReviews(ctx.group.id, 20);
    const visible = ctx.staff ? all : all.filter((r) => r.releasedAt !== null && r.status === 'done');
    const reviews = await Promise.all(visible.map((r) => this.reviewView(r, ctx, ctx.member ? user.id : null)));
    const quota = ctx.member ? { perHour: e.onDemandPerHour, used: await this.quotaUsed(user.id, ctx.assignment.id) } : null;
    return {
      reviews,
      pending: await this.o.ai.countLiveTasks(workspaceId, 'ReviewSubmission', 'ReviewWorkspace'),
      awaitingApproval: all.filter((r) => r.status === 'done' && r.releasedAt === null).length,
      quota,
      mode: this.o.config.provider && this.o.breaker.state().state !== 'open' && e.helpLevel !== 'off' ? 'model' : 'static-only',
      helpLevel: e.helpLevel,
    };
  }

  private async reviewView(r: AiReview, ctx: GroupContext, raterId: string | null = null): Promise<AiReviewView> {
    const findings = (await this.o.ai.listFindings(r.id)).filter((f) => ctx.staff || f.state === 'approved');
    const mine = raterId ? await this.o.ai.myRatings(r.id, raterId) : {};
    return {
      id: r.id,
      workspaceId: r.workspaceId,
      groupId: r.groupId,
      assignmentId: r.assignmentId,
      submissionId: r.submissionId,
      trigger: r.trigger,
      status: r.status,
      staticOnly: r.staticOnly,
      note: r.note,
      helpLevel: r.helpLevel,
      approvalRequired: r.approvalRequired,
      summary: r.summary,
      model: r.model,
      createdAt: r.createdAt,
      completedAt: r.completedAt,
      releasedAt: r.releasedAt,
      findings: findings.map((f) => ({ ...findingView(f), myRating: mine[f.id] ?? null })),
    };
  }

  private async reviewWithContext(user: User, reviewId: string): Promise<{ review: AiReview; ctx: GroupContext }> {
    const review = await this.o.ai.getReview(reviewId);
    if (!review) throw notFound('review');
    const ctx = await this.o.context.groupContext(user, await this.o.classroom.getGroup(review.groupId));
    if (!ctx.staff && review.releasedAt === null) throw notFound('review');
    return { review, ctx };
  }

  private requireStaff(ctx: GroupContext): void {
    if (!ctx.staff) throw new TandemError(ErrorCode.Forbidden, 'Only teachers and TAs review AI feedback.');
  }

  async transcript(user: User, reviewId: string): Promise<AiReviewTranscript> {
    const { review, ctx } = await this.reviewWithContext(user, reviewId);
    this.requireStaff(ctx);
    await this.o.context.auditView(user, ctx, `ai-review:${reviewId}`, { view: 'ai-transcript' });
    return { reviewId, provider: review.provider, model: review.model, prompt: review.prompt, reply: review.reply };
  }

  async editFinding(user: User, findingId: string, edit: { state?: AiFinding['state'] | undefined; message?: string | undefined; hint?: string | null | undefined }): Promise<AiFindingView> {
    const finding = await this.o.ai.getFinding(findingId);
    if (!finding) throw notFound('finding');
    const { review, ctx } = await this.reviewWithContext(user, finding.reviewId);
    this.requireStaff(ctx);
    const textChanged = edit.message !== undefined || edit.hint !== undefined;
    const updated = await this.o.ai.updateFinding(findingId, {
      ...(edit.state !== undefined ? { state: edit.state } : {}),
      ...(edit.message !== undefined ? { message: edit.message } : {}),
      ...(edit.hint !== undefined ? { hint: edit.hint } : {}),
      ...(textChanged ? { editedBy: user.id } : {}),
    });
    if (!updated) throw notFound('finding');
    await this.o.context.audit(user, 'ai.finding-edit', `ai-finding:${findingId}`, { group: ctx.group }, { state: edit.state ?? null, textChanged });
    this.emit('changed', review.workspaceId, review.classId);
    return findingView(updated);
  }

  async release(user: User, reviewId: string): Promise<AiReviewView> {
    const { review, ctx } = await this.reviewWithContext(user, reviewId);
    this.requireStaff(ctx);
    if (review.status !== 'done') throw new TandemError(ErrorCode.Conflict, 'A failed review has nothing to release.');
    const released = await this.o.ai.releaseReview(reviewId, Date.now());
    if (!released) throw notFound('review');
    await this.o.context.audit(user, 'ai.release', `ai-review:${reviewId}`, { group: ctx.group });
    this.emit('changed', review.workspaceId, review.classId);
    return this.reviewView(released, ctx);
  }

  async rate(user: User, findingId: string, rating: 1 | -1): Promise<AiFindingView> {
    const finding = await this.o.ai.getFinding(findingId);
    if (!finding) throw notFound('finding');
    const { ctx } = await this.reviewWithContext(user, finding.reviewId);
    if (!ctx.member) throw new TandemError(ErrorCode.Forbidden, 'Only the students of this workspace rate its feedback.');
    if (finding.state !== 'approved') throw notFound('finding');
    const rated = await this.o.ai.rateFinding(findingId, user.id, rating, Date.now());
    if (!rated) throw notFound('finding');
    return { ...findingView(rated), myRating: rating };
  }

  async resetQuota(user: User, assignmentId: string, studentId: string): Promise<void> {
    await this.o.context.requireStaffOfAssignment(user, assignmentId);
    await this.o.ai.resetOnDemand(studentId, assignmentId, Date.now());
  }

  // ── admin ─────────────────────────────────────────────────────────────────────────────────
  async adminStatus(user: User): Promise<AiAdminStatus> {
    if (user.role !== 'admin') throw new TandemError(ErrorCode.Forbidden, 'Only admins see the AI provider status.');
    const provider = this.o.config.provider;
    if (provider && (!this.health || Date.now() - this.health.checkedAt > 60_000)) {
      this.healthChecking ??= checkProviderHealth(provider)
        .then((h) => {
          this.health = { ok: h.ok, ms: h.ms ?? null, error: h.error ?? null, checkedAt: Date.now() };
        })
        .catch((err: unknown) => {
          this.health = { ok: false, ms: null, error: String(err), checkedAt: Date.now() };
        })
        .finally(() => {
          this.healthChecking = null;
        });
      await this.healthChecking;
    }
    const b = this.o.breaker.state();
    const counts = await this.o.ai.countTasks();
    return {
      configured: provider !== null,
      provider: provider ? describeProvider(provider) : null,
      health: provider ? this.health : null,
      circuit: { state: b.state, reason: b.reason, until: b.until, consecutiveFailures: b.consecutiveFailures, lastError: b.lastError },
      queue: counts,
    };
  }

}

/** What every review of a task records about where it came from. */
function reviewOfTask(task: AiTask, p: TaskPayload) {
  return {
    id: randomUUID(),
    taskId: task.id,
    classId: p.classId,
    assignmentId: p.assignmentId,
    groupId: p.groupId,
    workspaceId: p.workspaceId,
    submissionId: p.submissionId,
    trigger: p.trigger,
    requestedBy: p.requestedBy,
    files: p.files,
  };
}

function findingView(f: AiFinding): AiFindingView {
  return {
    id: f.id,
    fileId: f.fileId,
    fileName: f.fileName,
    version: f.version,
    startLine: f.startLine,
    endLine: f.endLine,
    severity: f.severity,
    category: f.category,
    message: f.message,
    hint: f.hint,
    source: f.source,
    tool: f.tool,
    rule: f.rule,
    state: f.state,
    edited: f.editedBy !== null,
    ratingUp: f.ratingUp,
    ratingDown: f.ratingDown,
    myRating: null,
  };
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
