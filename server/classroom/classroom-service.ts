import { EventEmitter } from 'node:events';
import type {
  Assignment,
  AssignmentPatch,
  ClassRecord,
  ClassRole,
  ClassroomStore,
  Group,
  GroupMember,
  HelpRequest,
  Membership,
  StarterFile,
  User,
} from '../../prisma-free-db';
import { StorageError, StorageErrorCode } from '../../prisma-free-db';
import { ErrorCode } from '../../lib/protocol';
import { fileNameProblem } from '../../lib/workspace';
import { TandemError } from '../errors';
import type { AccessPolicy } from '../authz/access-policy';
import { assignmentVisible } from '../authz/access-policy';
import { newId, newJoinCode } from '../auth/session-tokens';
import type { WorkspaceService } from '../services/workspace-service';

export interface ClassroomEvents {
  /** Someone lost access to a class: close their sockets (CL-6). */
  accessRevoked: [userId: string];
  /** Roster, assignments, pairing or broadcast of a class changed: clients refetch. */
  classChanged: [classId: string, what: 'roster' | 'assignments' | 'groups' | 'broadcast' | 'class'];
  /** The help queue of a class changed. */
  helpChanged: [classId: string];
  /** Pair roles of a group changed. */
  rolesChanged: [group: Group];
}

export interface AssignmentInput {
  title: string;
  instructions: string;
  language: string;
  starterFiles: StarterFile[];
  deadline: number | null;
  mode: Assignment['mode'];
  pairing: Assignment['pairing'];
  strictRoles: boolean;
  swapMinutes: number | null;
}

/**
 * Classes, rosters, assignments, pairing, group workspaces and the help queue, with the role
 * checks of docs/permissions.md (CL-*, AS-*, HQ-*). Routes stay thin; this is where rules live.
 * Every change that can alter access calls `policy.invalidate()`.
 */
export class ClassroomService extends EventEmitter<ClassroomEvents> {
  constructor(
    private readonly store: ClassroomStore,
    private readonly policy: AccessPolicy,
    private readonly workspaces: WorkspaceService,
  ) {
    super();
  }

  /** An account changed (role, disabled): drop cached decisions and reconnect their sockets. */
  accessChanged(userId: string): void {
    this.policy.invalidate();
    this.emit('accessRevoked', userId);
  }

  // ── classes ─────────────────────────────────────────────────────────────────────────────
  async createClass(user: User, name: string): Promise<ClassRecord> {
    if (user.role !== 'teacher' && user.role !== 'admin') {
      throw new TandemError(ErrorCode.Forbidden, 'Only teachers create classes.');
    }
    const now = Date.now();
    const record: ClassRecord = {
      id: newId(),
      name: name.trim(),
      joinCode: newJoinCode(),
      createdBy: user.id,
      createdAt: now,
      archivedAt: null,
      broadcastWorkspaceId: null,
    };
    return this.store.createClass(record, { classId: record.id, userId: user.id, role: 'teacher', joinedAt: now });
  }

  /** The class and the caller's role in it; 404 for non-members (CL-1: no existence leak). */
  async classFor(user: User, classId: string): Promise<{ klass: ClassRecord; role: ClassRole | null }> {
    const klass = await this.store.getClass(classId);
    const membership = klass ? await this.store.getMembership(classId, user.id) : null;
    if (!klass || (!membership && user.role !== 'admin')) throw notFound('class');
    return { klass, role: membership?.role ?? null };
  }

  async requireStaff(user: User, classId: string, teacherOnly = false): Promise<ClassRecord> {
    const { klass, role } = await this.classFor(user, classId);
    const ok = role === 'teacher' || (!teacherOnly && role === 'ta') || user.role === 'admin';
    if (!ok) throw new TandemError(ErrorCode.Forbidden, teacherOnly ? 'Only the class teacher can do that.' : 'Only teachers and TAs can do that.');
    return klass;
  }

  async updateClass(user: User, classId: string, patch: { name?: string; archived?: boolean }): Promise<ClassRecord> {
    await this.requireStaff(user, classId, true);
    const updated = await this.store.updateClass(classId, {
      name: patch.name?.trim(),
      archivedAt: patch.archived === undefined ? undefined : patch.archived ? Date.now() : null,
    });
    this.policy.invalidate();
    this.emit('classChanged', classId, 'class');
    return updated!;
  }

  async rotateJoinCode(user: User, classId: string): Promise<ClassRecord> {
    await this.requireStaff(user, classId, true);
    const updated = await this.store.updateClass(classId, { joinCode: newJoinCode() });
    this.emit('classChanged', classId, 'class');
    return updated!;
  }

  async joinByCode(user: User, code: string): Promise<{ klass: ClassRecord; membership: Membership }> {
    const klass = await this.store.getClassByJoinCode(code.trim().toUpperCase());
    if (!klass || klass.archivedAt !== null) throw new TandemError(ErrorCode.NotFound, 'No open class has that join code.');
    const membership = await this.store.addMember({ classId: klass.id, userId: user.id, role: 'student', joinedAt: Date.now() });
    this.policy.invalidate();
    this.emit('classChanged', klass.id, 'roster');
    return { klass, membership };
  }

  async setMemberRole(user: User, classId: string, userId: string, role: ClassRole): Promise<Membership> {
    await this.requireStaff(user, classId, true);
    if (userId === user.id && role !== 'teacher') throw new TandemError(ErrorCode.Conflict, 'You cannot demote yourself.');
    const m = await this.store.setMemberRole(classId, userId, role);
    if (!m) throw notFound('member');
    this.policy.invalidate();
    this.emit('accessRevoked', userId);
    this.emit('classChanged', classId, 'roster');
    return m;
  }

  /** CL-6: the member's sockets are closed and their later (or queued) ops are refused. */
  async removeMember(user: User, classId: string, userId: string): Promise<void> {
    const klass = await this.requireStaff(user, classId, true);
    if (userId === klass.createdBy) throw new TandemError(ErrorCode.Conflict, "The class's creator cannot be removed.");
    const removed = await this.store.removeMember(classId, userId);
    if (!removed) throw notFound('member');
    this.policy.invalidate();
    this.emit('accessRevoked', userId);
    this.emit('classChanged', classId, 'roster');
    this.emit('helpChanged', classId);
  }

  async listMembers(user: User, classId: string) {
    const { role } = await this.classFor(user, classId);
    const members = await this.store.listMembers(classId);
    // Students see names (to pick a partner), never emails (CL-3).
    if (role === 'student') return members.map((m) => ({ userId: m.userId, displayName: m.displayName, role: m.role }));
    return members;
  }

  async setBroadcast(user: User, classId: string, workspaceId: string | null): Promise<ClassRecord> {
    await this.requireStaff(user, classId);
    if (workspaceId !== null) {
      const owner = await this.store.getWorkspaceOwnership(workspaceId);
      if (!owner || owner.kind !== 'personal' || owner.ownerUserId !== user.id) {
        throw new TandemError(ErrorCode.Forbidden, 'You can broadcast only a workspace of your own.');
      }
    }
    const updated = await this.store.updateClass(classId, { broadcastWorkspaceId: workspaceId });
    this.policy.invalidate();
    this.emit('classChanged', classId, 'broadcast');
    return updated!;
  }

  // ── assignments ─────────────────────────────────────────────────────────────────────────
  async createAssignment(user: User, classId: string, input: AssignmentInput): Promise<Assignment> {
    await this.requireStaff(user, classId, true);
    checkStarterFiles(input.starterFiles);
    const a = await this.store.createAssignment({ id: newId(), classId, ...input, publishedAt: null, createdAt: Date.now() });
    this.emit('classChanged', classId, 'assignments');
    return a;
  }

  /** The assignment if the user may see it (published, or staff); 404 otherwise (AS-1). */
  async assignmentFor(user: User, assignmentId: string): Promise<{ assignment: Assignment; role: ClassRole | null }> {
    const assignment = await this.store.getAssignment(assignmentId);
    if (!assignment) throw notFound('assignment');
    const membership = await this.store.getMembership(assignment.classId, user.id);
    const role = membership?.role ?? null;
    if (!assignmentVisible(assignment, role) && user.role !== 'admin') throw notFound('assignment');
    return { assignment, role };
  }

  async listAssignments(user: User, classId: string): Promise<Assignment[]> {
    const { role } = await this.classFor(user, classId);
    const all = await this.store.listAssignments(classId);
    return user.role === 'admin' ? all : all.filter((a) => assignmentVisible(a, role));
  }

  async updateAssignment(user: User, assignmentId: string, patch: AssignmentPatch & { published?: boolean }): Promise<Assignment> {
    const { assignment } = await this.assignmentFor(user, assignmentId);
    await this.requireStaff(user, assignment.classId, true);
    if (patch.starterFiles) checkStarterFiles(patch.starterFiles);
    const { published, ...rest } = patch;
    const changes: AssignmentPatch = { ...rest };
    if (published !== undefined) changes.publishedAt = published ? (assignment.publishedAt ?? Date.now()) : null;
    const updated = await this.store.updateAssignment(assignmentId, changes);
    this.policy.invalidate();
    this.emit('classChanged', assignment.classId, 'assignments');
    return updated!;
  }

  // ── pairing ─────────────────────────────────────────────────────────────────────────────
  async listGroups(user: User, assignmentId: string): Promise<Group[]> {
    const { assignment, role } = await this.assignmentFor(user, assignmentId);
    const groups = await this.store.listGroups(assignmentId);
    if (role === 'teacher' || role === 'ta' || user.role === 'admin') return groups;
    void assignment;
    return groups.filter((g) => g.members.some((m) => m.userId === user.id));
  }

  /** AS-4: the teacher pairs by hand; groups that started keep their members. */
  async pairManually(user: User, assignmentId: string, groups: string[][]): Promise<Group[]> {
    const { assignment } = await this.assignmentFor(user, assignmentId);
    await this.requireStaff(user, assignment.classId, true);
    const students = await this.studentIds(assignment.classId);
    const started = await this.startedMembers(assignmentId);
    const seen = new Set<string>();
    for (const g of groups) {
      if (g.length === 0 || g.length > (assignment.mode === 'solo' ? 1 : 3)) {
        throw new TandemError(ErrorCode.InvalidRequest, assignment.mode === 'solo' ? 'Solo groups have one student.' : 'Pairs have 1–3 students.');
      }
      for (const id of g) {
        if (!students.has(id)) throw new TandemError(ErrorCode.InvalidRequest, 'Every member must be a student of this class.');
        if (seen.has(id)) throw new TandemError(ErrorCode.InvalidRequest, 'A student appears in two groups.');
        if (started.has(id)) throw new TandemError(ErrorCode.Conflict, 'A student is in a group that already started; it cannot be re-paired.');
        seen.add(id);
      }
    }
    const result = await this.store.replaceUnstartedGroups(assignmentId, groups.map(toNewGroup), Date.now());
    this.policy.invalidate();
    this.emit('classChanged', assignment.classId, 'groups');
    return result;
  }

  /** AS-4: random pairs of every student not in a started group (a trio when the count is odd). */
  async pairRandomly(user: User, assignmentId: string): Promise<Group[]> {
    const { assignment } = await this.assignmentFor(user, assignmentId);
    await this.requireStaff(user, assignment.classId, true);
    const started = await this.startedMembers(assignmentId);
    const pool = [...(await this.studentIds(assignment.classId))].filter((id) => !started.has(id));
    shuffle(pool);
    const groups: string[][] = [];
    const size = assignment.mode === 'solo' ? 1 : 2;
    for (let i = 0; i < pool.length; i += size) groups.push(pool.slice(i, i + size));
    if (size === 2 && groups.length > 1 && groups[groups.length - 1]!.length === 1) groups[groups.length - 2]!.push(groups.pop()![0]!);
    const result = await this.store.replaceUnstartedGroups(assignmentId, groups.map(toNewGroup), Date.now());
    this.policy.invalidate();
    this.emit('classChanged', assignment.classId, 'groups');
    return result;
  }

  /** AS-5: with "students pick", a student pairs with a classmate who has no group yet. */
  async pickPartner(user: User, assignmentId: string, partnerId: string): Promise<Group> {
    const { assignment, role } = await this.assignmentFor(user, assignmentId);
    if (role !== 'student') throw new TandemError(ErrorCode.Forbidden, 'Only students pick partners.');
    if (assignment.mode !== 'pairs' || assignment.pairing !== 'choice') {
      throw new TandemError(ErrorCode.Forbidden, 'Your teacher pairs students for this assignment.');
    }
    if (partnerId === user.id) throw new TandemError(ErrorCode.InvalidRequest, 'Pick someone other than yourself.');
    const students = await this.studentIds(assignment.classId);
    if (!students.has(partnerId)) throw new TandemError(ErrorCode.InvalidRequest, 'Your partner must be a student of this class.');
    for (const id of [user.id, partnerId]) {
      if (await this.store.getGroupOfUser(assignmentId, id)) {
        throw new TandemError(ErrorCode.Conflict, id === user.id ? 'You already have a partner.' : 'That classmate already has a partner.');
      }
    }
    const group = await this.store.addGroup(assignmentId, toNewGroup([user.id, partnerId]), Date.now());
    this.policy.invalidate();
    this.emit('classChanged', assignment.classId, 'groups');
    return group;
  }

  /**
   * AS-3: the caller's group workspace, copied from the starter files the first time anyone of
   * the group opens it. A solo student gets a group of one on the spot.
   */
  async openAssignment(user: User, assignmentId: string): Promise<{ workspaceId: string; group: Group }> {
    const { assignment, role } = await this.assignmentFor(user, assignmentId);
    if (role !== 'student') throw new TandemError(ErrorCode.Forbidden, 'Teachers open student workspaces from the live view.');
    const klass = await this.store.getClass(assignment.classId);
    if (!klass || klass.archivedAt !== null) throw new TandemError(ErrorCode.Forbidden, 'This class is archived.');
    let group = await this.store.getGroupOfUser(assignmentId, user.id);
    if (!group) {
      if (assignment.mode === 'pairs') {
        throw new TandemError(
          ErrorCode.Conflict,
          assignment.pairing === 'choice' ? 'Pick a partner first.' : 'You have not been paired yet. Your teacher will pair you.',
        );
      }
      try {
        group = await this.store.addGroup(assignmentId, toNewGroup([user.id]), Date.now());
      } catch (err) {
        // Two tabs opening at once: the other one made the group.
        if (!(err instanceof StorageError && err.code === StorageErrorCode.InvalidArgument)) throw err;
        group = await this.store.getGroupOfUser(assignmentId, user.id);
        if (!group) throw err;
      }
    }
    if (group.workspaceId) return { workspaceId: group.workspaceId, group };
    // Create the copy, then claim it; if another member claimed first, theirs wins and ours is
    // left as an orphan doc nobody can reach (no ownership row).
    const summary = await this.workspaces.createWorkspace(assignment.title, assignment.starterFiles);
    const started = await this.store.startGroup(group.id, summary.id, Date.now());
    if (started.workspaceId === summary.id) {
      await this.store.recordWorkspace({
        workspaceId: summary.id,
        kind: 'group',
        ownerUserId: null,
        classId: assignment.classId,
        groupId: group.id,
        createdAt: Date.now(),
      });
      this.policy.invalidate();
      this.emit('classChanged', assignment.classId, 'groups');
    }
    return { workspaceId: started.workspaceId!, group: started };
  }

  /** PR-2: any member swaps driver and navigator. */
  /**
   * PR-2: pass the driver role on. `ifRolesChangedAt` (what the caller last saw) makes a timed
   * auto-swap from two tabs idempotent: the second one gets 409 instead of swapping back.
   */
  async swapRoles(user: User, groupId: string, ifRolesChangedAt?: number): Promise<Group> {
    const group = await this.store.getGroup(groupId);
    if (!group || !group.members.some((m) => m.userId === user.id)) throw notFound('group');
    const assignment = await this.store.getAssignment(group.assignmentId);
    if (!assignment || !(await this.store.getMembership(assignment.classId, user.id))) throw notFound('group');
    const rolesChanged = () => new TandemError(ErrorCode.Conflict, 'The roles just changed; here is who drives now.');
    if (ifRolesChangedAt !== undefined && ifRolesChangedAt !== group.rolesChangedAt) throw rolesChanged();
    const members: GroupMember[] = rotateDriver(group.members);
    const updated = await this.store.setGroupRoles(groupId, members, Date.now(), group.rolesChangedAt);
    if (!updated) throw rolesChanged();
    this.policy.invalidate();
    this.emit('rolesChanged', updated);
    return updated;
  }

  // ── help queue ──────────────────────────────────────────────────────────────────────────
  async raiseHand(user: User, classId: string, note: string, workspaceId: string | null): Promise<HelpRequest> {
    const { role, klass } = await this.classFor(user, classId);
    if (role !== 'student') throw new TandemError(ErrorCode.Forbidden, 'Only students raise a hand.');
    if (klass.archivedAt !== null) throw new TandemError(ErrorCode.Forbidden, 'This class is archived.');
    if (workspaceId !== null) {
      const d = await this.policy.workspace(user, workspaceId);
      const owner = await this.store.getWorkspaceOwnership(workspaceId);
      if (d.access !== 'write' || owner?.classId !== classId) {
        throw new TandemError(ErrorCode.Forbidden, 'Raise a hand from one of your own workspaces in this class.');
      }
    }
    const request = await this.store.raiseHand({
      id: newId(),
      classId,
      userId: user.id,
      workspaceId,
      note: note.trim(),
      createdAt: Date.now(),
      resolvedAt: null,
      resolvedBy: null,
    });
    this.emit('helpChanged', classId);
    return request;
  }

  /** Staff see the whole queue; a student sees only their own request and its place in line (HQ-2). */
  async helpQueue(user: User, classId: string) {
    const { role } = await this.classFor(user, classId);
    const open = await this.store.listOpenHelpRequests(classId);
    if (role === 'teacher' || role === 'ta' || user.role === 'admin') {
      const members = new Map((await this.store.listMembers(classId)).map((m) => [m.userId, m.displayName]));
      return { queue: open.map((r, i) => ({ ...r, position: i + 1, displayName: members.get(r.userId) ?? 'Former member' })) };
    }
    const index = open.findIndex((r) => r.userId === user.id);
    return { mine: index < 0 ? null : { ...open[index]!, position: index + 1 }, waiting: open.length };
  }

  async resolveHelp(user: User, requestId: string): Promise<HelpRequest> {
    const request = await this.store.getHelpRequest(requestId);
    if (!request) throw notFound('help request');
    const membership = await this.store.getMembership(request.classId, user.id);
    const staff = membership?.role === 'teacher' || membership?.role === 'ta' || user.role === 'admin';
    if (!staff && request.userId !== user.id) throw notFound('help request');
    const resolved = await this.store.resolveHelpRequest(requestId, user.id, Date.now());
    this.emit('helpChanged', request.classId);
    return resolved!;
  }

  private async studentIds(classId: string): Promise<Set<string>> {
    return new Set((await this.store.listMembers(classId)).filter((m) => m.role === 'student').map((m) => m.userId));
  }

  private async startedMembers(assignmentId: string): Promise<Set<string>> {
    const started = new Set<string>();
    for (const g of await this.store.listGroups(assignmentId)) {
      if (g.startedAt !== null) for (const m of g.members) started.add(m.userId);
    }
    return started;
  }
}

function notFound(what: string): TandemError {
  return new TandemError(ErrorCode.NotFound, `No such ${what} (or you do not have access to it).`);
}

function toNewGroup(userIds: string[]) {
  return { id: newId(), members: userIds.map((userId, i) => ({ userId, role: i === 0 ? 'driver' : 'navigator' }) as GroupMember) };
}

/** The driver becomes a navigator and the next member drives. */
export function rotateDriver(members: GroupMember[]): GroupMember[] {
  if (members.length < 2) return members;
  const driver = Math.max(0, members.findIndex((m) => m.role === 'driver'));
  const next = (driver + 1) % members.length;
  return members.map((m, i) => ({ userId: m.userId, role: i === next ? 'driver' : 'navigator' }));
}

function checkStarterFiles(files: StarterFile[]): void {
  const names = new Set<string>();
  for (const f of files) {
    const problem = fileNameProblem(f.name);
    if (problem) throw new TandemError(ErrorCode.InvalidRequest, `Starter file "${f.name.slice(0, 60)}": ${problem}`);
    if (names.has(f.name)) throw new TandemError(ErrorCode.Conflict, `Two starter files are named "${f.name}".`);
    names.add(f.name);
  }
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}
