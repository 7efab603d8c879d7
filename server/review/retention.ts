import { z } from 'zod';
import { compactDocOps, type AssignmentRetention, type ClassroomStore, type DueCompaction, type ReviewStore, type Store, type User } from '../../prisma-free-db';
import { COLLECTIONS, ErrorCode, fileDocId } from '../../lib/protocol';
import { transformAnchorThrough } from '../../lib/review/comment-anchor';
import { TandemError } from '../errors';
import type { Logger } from '../logger';
import type { ClassroomService } from '../classroom/classroom-service';
import type { WorkspaceService } from '../services/workspace-service';
import type { FileHistoryReader } from './file-history';
import { claimAlone, type ClaimWork } from '../scale/claims';

const DAY_MS = 86_400_000;

export interface RetentionOptions {
  classroom: ClassroomStore;
  reviews: ReviewStore;
  store: Store;
  history: FileHistoryReader;
  workspaces: WorkspaceService;
  classrooms: ClassroomService;
  logger: Logger;
  /** How often to look for assignments whose history is due for compaction. */
  sweepEveryMs: number;
  /** With several processes, one compacts an assignment while the others skip it (server/scale/claims.ts). */
  claim?: ClaimWork;
}

/** Longer than compacting one assignment takes; a process that dies holding it frees it after this. */
const COMPACTION_LEASE_MS = 15 * 60_000;

/** Payload of CompactAssignmentHistoryTask. */
const CompactPayload = z.strictObject({ assignmentId: z.string().min(1), classId: z.string().min(1) });
type CompactPayload = z.infer<typeof CompactPayload>;

/**
 * RT-2: compact the keystroke-level history of one assignment's group workspaces to milestone
 * snapshots at every submitted version and at the current one. Comments are first moved to the
 * current version (carried through the ops that are about to go), so they keep following the
 * code. A failure leaves the assignment unmarked; the next sweep retries it (onFailed logs).
 */
export class CompactAssignmentHistoryTask {
  static readonly taskName = 'compact-assignment-history';

  constructor(private readonly o: Pick<RetentionOptions, 'classroom' | 'reviews' | 'store' | 'history' | 'workspaces' | 'logger'>) {}

  async perform(input: CompactPayload): Promise<{ docs: number }> {
    const payload = CompactPayload.parse(input);
    let docs = 0;
    for (const group of await this.o.classroom.listGroups(payload.assignmentId)) {
      if (!group.workspaceId) continue;
      const workspaceId = group.workspaceId;
      const [submissions, comments] = await Promise.all([this.o.reviews.listGroupSubmissions(group.id), this.o.reviews.listComments(group.id)]);
      for (const file of (await this.o.workspaces.getWorkspace(workspaceId)).files) {
        const log = await this.o.history.read(workspaceId, file.id);
        if (!log) continue;
        const before = log.version;
        for (const c of comments) {
          if (c.fileId !== file.id || c.version >= before || c.version < log.retainedFrom) continue;
          const ops = log.ops.filter((o) => o.v >= c.version).flatMap((o) => (o.kind === 'edit' && o.op ? [o.op] : []));
          const carried = transformAnchorThrough({ from: c.from, to: c.to, outdated: false }, ops);
          await this.o.reviews.updateCommentAnchor(c.id, { version: before, from: carried.from, to: carried.to });
        }
        const keep = submissions.flatMap((s) => s.files.filter((f) => f.fileId === file.id).map((f) => f.version));
        await compactDocOps(this.o.store, COLLECTIONS.files, fileDocId(workspaceId, file.id), { before, keepVersions: keep });
        docs++;
      }
    }
    await this.o.reviews.markCompacted(payload.assignmentId, Date.now());
    return { docs };
  }

  onFailed(payload: CompactPayload, err: unknown): void {
    this.o.logger.warn({ err, task: CompactAssignmentHistoryTask.taskName, assignmentId: payload.assignmentId }, 'history compaction failed; retrying on the next sweep');
  }
}

/**
 * Op retention per class (RT-*): the policy API for teachers, and the sweeper that runs the
 * compaction task for every assignment whose grades have been final for the class's retention
 * period. Until then (the retention window) every keystroke is kept and reconnects resume.
 */
export class RetentionService {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private running: Promise<number> | null = null;
  private readonly task: CompactAssignmentHistoryTask;

  constructor(private readonly o: RetentionOptions) {
    this.task = new CompactAssignmentHistoryTask(o);
  }

  /** RT-1: the class's policy (staff read it; only the teacher changes it). */
  async policy(user: User, classId: string): Promise<{ opRetentionDays: number | null }> {
    await this.o.classrooms.requireStaff(user, classId);
    return { opRetentionDays: await this.o.reviews.getClassRetention(classId) };
  }

  async setPolicy(user: User, classId: string, opRetentionDays: number | null): Promise<{ opRetentionDays: number | null }> {
    await this.o.classrooms.requireStaff(user, classId, true);
    await this.o.reviews.setClassRetention(classId, opRetentionDays);
    return { opRetentionDays };
  }

  /** RT-1: whether an assignment's grades are final and when its history is (or was) compacted; staff read it. */
  async gradesFinal(user: User, assignmentId: string): Promise<AssignmentRetention & { compactAfter: number | null }> {
    const assignment = await this.o.classroom.getAssignment(assignmentId);
    if (!assignment) throw new TandemError(ErrorCode.NotFound, 'No such assignment.');
    await this.o.classrooms.requireStaff(user, assignment.classId);
    const retention = await this.o.reviews.getAssignmentRetention(assignmentId);
    const days = await this.o.reviews.getClassRetention(assignment.classId);
    return { ...retention, compactAfter: retention.gradesFinalAt !== null && days !== null ? retention.gradesFinalAt + days * DAY_MS : null };
  }

  /** RT-1: the teacher marks an assignment's grades final (or takes it back before compaction). */
  async setGradesFinal(user: User, assignmentId: string, final: boolean): Promise<AssignmentRetention & { compactAfter: number | null }> {
    const assignment = await this.o.classroom.getAssignment(assignmentId);
    if (!assignment) throw new TandemError(ErrorCode.NotFound, 'No such assignment.');
    await this.o.classrooms.requireStaff(user, assignment.classId, true);
    const current = await this.o.reviews.getAssignmentRetention(assignmentId);
    if (!final && current.opsCompactedAt !== null) {
      throw new TandemError(ErrorCode.Conflict, 'The keystroke history of this assignment was already compacted.');
    }
    const retention = await this.o.reviews.setGradesFinal(assignmentId, final ? (current.gradesFinalAt ?? Date.now()) : null);
    const days = await this.o.reviews.getClassRetention(assignment.classId);
    const compactAfter = retention.gradesFinalAt !== null && days !== null ? retention.gradesFinalAt + days * DAY_MS : null;
    if (compactAfter !== null && compactAfter <= Date.now()) this.kick();
    return { ...retention, compactAfter };
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.kick(), this.o.sweepEveryMs);
    this.timer.unref();
  }

  /** No new sweep starts, and a running one stops after the assignment it is on. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Run a sweep now unless one is running. */
  kick(): void {
    if (this.running || this.stopped) return;
    this.running = this.sweep().finally(() => {
      this.running = null;
    });
    this.running.catch((err: unknown) => this.o.logger.warn({ err }, 'retention sweep failed'));
  }

  /** Compact every due assignment; returns how many were compacted. */
  async sweep(now = Date.now()): Promise<number> {
    let done = 0;
    for (const due of await this.o.reviews.listDueCompactions(now)) {
      if (this.stopped) break;
      done += await this.runTask(due);
    }
    return done;
  }

  private async runTask(due: DueCompaction): Promise<number> {
    const payload = { assignmentId: due.assignmentId, classId: due.classId };
    const release = await (this.o.claim ?? claimAlone)(`retention:${due.assignmentId}`, COMPACTION_LEASE_MS);
    if (!release) {
      this.o.logger.debug({ assignmentId: due.assignmentId }, 'history compaction left to another process');
      return 0;
    }
    try {
      // Another process may have finished it between our list and our claim.
      if ((await this.o.reviews.getAssignmentRetention(due.assignmentId)).opsCompactedAt !== null) return 0;
      const { docs } = await this.task.perform(payload);
      this.o.logger.info({ task: CompactAssignmentHistoryTask.taskName, assignmentId: due.assignmentId, docs }, 'keystroke history compacted');
      return 1;
    } catch (err) {
      this.task.onFailed(payload, err);
      return 0;
    } finally {
      await release();
    }
  }
}
