import type { Assignment, ClassRecord, ClassRole, ClassroomStore, Group, ReviewStore, User } from '../../prisma-free-db';
import { ErrorCode } from '../../lib/protocol';
import { TandemError } from '../errors';
import type { AccessPolicy } from '../authz/access-policy';

/** Where a group workspace sits and who is asking (RV-*). */
export interface GroupContext {
  group: Group;
  assignment: Assignment;
  klass: ClassRecord;
  classRole: ClassRole | null;
  staff: boolean;
  member: boolean;
}

export const notFound = (what: string) => new TandemError(ErrorCode.NotFound, `No such ${what}.`);

/**
 * Who is asking about which group's work, and the audit trail of staff reading it (RV-0, AD-1).
 * Shared by the review and history services so both answer and record the same way.
 */
export class ReviewContext {
  constructor(
    private readonly classroom: ClassroomStore,
    private readonly reviews: ReviewStore,
    private readonly policy: AccessPolicy,
  ) {}

  async groupContext(user: User, group: Group | null): Promise<GroupContext> {
    if (!group) throw notFound('group');
    const assignment = await this.classroom.getAssignment(group.assignmentId);
    const klass = assignment ? await this.classroom.getClass(assignment.classId) : null;
    if (!assignment || !klass) throw notFound('group');
    const membership = await this.classroom.getMembership(klass.id, user.id);
    const classRole = membership?.role ?? null;
    const staff = user.disabledAt === null && (classRole === 'teacher' || classRole === 'ta' || user.role === 'admin');
    const member = user.disabledAt === null && classRole === 'student' && group.members.some((m) => m.userId === user.id);
    // RV-0: outsiders cannot tell a group exists.
    if (!staff && !member) throw notFound('group');
    return { group, assignment, klass, classRole, staff, member };
  }

  async contextOfWorkspace(user: User, workspaceId: string): Promise<GroupContext> {
    const group = await this.classroom.getGroupByWorkspace(workspaceId);
    return this.groupContext(user, group);
  }

  async requireStaffOfAssignment(user: User, assignmentId: string): Promise<{ assignment: Assignment; klass: ClassRecord }> {
    const assignment = await this.classroom.getAssignment(assignmentId);
    const klass = assignment ? await this.classroom.getClass(assignment.classId) : null;
    if (!assignment || !klass) throw notFound('assignment');
    const membership = await this.classroom.getMembership(klass.id, user.id);
    const staff = membership?.role === 'teacher' || membership?.role === 'ta' || user.role === 'admin';
    if (!staff) {
      if (membership) throw new TandemError(ErrorCode.Forbidden, 'Only teachers and TAs see submissions.');
      throw notFound('assignment');
    }
    return { assignment, klass };
  }

  /** RV-5: history, versions and blame need read access to the workspace, like the editor. */
  async requireRead(user: User, workspaceId: string): Promise<void> {
    const decision = await this.policy.workspace(user, workspaceId);
    if (decision.access === 'none') throw notFound('workspace');
  }

  async audit(actor: User, action: string, target: string, ctx: { group?: Group; subjectUserId?: string | null }, detail: Record<string, unknown> = {}) {
    const members = ctx.group?.members.map((m) => m.userId) ?? [];
    await this.reviews.appendAudit({
      at: Date.now(),
      actorId: actor.id,
      action,
      subjectUserId: ctx.subjectUserId ?? members[0] ?? null,
      target,
      detail: members.length ? { ...detail, members } : detail,
    });
  }

  /** Staff looking at a student's work is recorded; students looking at their own is not. */
  async auditView(user: User, ctx: GroupContext, target: string, detail: Record<string, unknown> = {}) {
    if (ctx.member) return;
    await this.audit(user, 'view', target, { group: ctx.group }, detail);
  }

  /** Staff or an admin reading a group's (or someone's personal) work leaves an audit row. */
  async auditIfOthersWork(user: User, workspaceId: string, target: string, detail: Record<string, unknown>) {
    const owner = await this.classroom.getWorkspaceOwnership(workspaceId);
    if (!owner) return;
    if (owner.kind === 'personal') {
      if (owner.ownerUserId !== user.id) await this.audit(user, 'view', target, { subjectUserId: owner.ownerUserId }, detail);
      return;
    }
    const group = owner.groupId ? await this.classroom.getGroup(owner.groupId) : null;
    if (group && !group.members.some((m) => m.userId === user.id)) await this.audit(user, 'view', target, { group }, detail);
  }

  async people(ids: string[]): Promise<Array<{ id: string; displayName: string }>> {
    return Promise.all(
      ids.map(async (id) => ({ id, displayName: (await this.classroom.getUser(id))?.displayName ?? 'Former member' })),
    );
  }
}
