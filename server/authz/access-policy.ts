import type { Assignment, ClassroomStore, Group, User } from '../../prisma-free-db';

/** What a user may do with a workspace and every file in it. */
export type Access = 'none' | 'read' | 'write';

export interface WorkspaceDecision {
  access: Access;
  /** Rule id of docs/permissions.md that decided, for logs and tests. */
  rule: string;
  /** Strict pair roles: the user may write only while they are the driver. */
  strictNavigator?: boolean;
}

const NONE = (rule: string): WorkspaceDecision => ({ access: 'none', rule });

/**
 * The one place that decides who may read or write a workspace (docs/permissions.md, WS-*).
 * Every path — ShareDB fetch/subscribe/ops/presence/history, REST — asks here.
 *
 * Decisions are cached per (user, workspace) and the whole cache is dropped on any change to
 * memberships, groups, classes or accounts (`invalidate()`), so revocation is immediate in this
 * process while the per-op check on the fan-out path stays a map lookup.
 */
export class AccessPolicy {
  private readonly cache = new Map<string, WorkspaceDecision>();
  private readonly pending = new Map<string, Promise<WorkspaceDecision>>();
  private epoch = 0;
  private readonly listeners = new Set<(origin: 'local' | 'remote') => void>();

  constructor(private readonly store: ClassroomStore) {}

  /**
   * Something access depends on changed: forget every cached decision. `remote` means another
   * process made the change (and already told everyone), so listeners must not re-broadcast it.
   */
  invalidate(origin: 'local' | 'remote' = 'local'): void {
    this.epoch++;
    this.cache.clear();
    this.pending.clear();
    for (const l of this.listeners) l(origin);
  }

  onInvalidate(listener: (origin: 'local' | 'remote') => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Cached decision if one is known (sync fast path for the op fan-out); undefined otherwise. */
  cached(userId: string, workspaceId: string): WorkspaceDecision | undefined {
    return this.cache.get(`${userId}|${workspaceId}`);
  }

  async workspace(user: User, workspaceId: string): Promise<WorkspaceDecision> {
    const key = `${user.id}|${workspaceId}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const inFlight = this.pending.get(key);
    if (inFlight) return inFlight;
    const epoch = this.epoch;
    const p: Promise<WorkspaceDecision> = this.decide(user, workspaceId).then(
      (d) => {
        // A change while deciding makes this answer stale: do not cache it.
        if (epoch === this.epoch) this.cache.set(key, d);
        if (this.pending.get(key) === p) this.pending.delete(key);
        return d;
      },
      (err: unknown) => {
        if (this.pending.get(key) === p) this.pending.delete(key);
        throw err;
      },
    );
    this.pending.set(key, p);
    return p;
  }

  private async decide(user: User, workspaceId: string): Promise<WorkspaceDecision> {
    if (user.disabledAt !== null) return NONE('WS-0');
    const owner = await this.store.getWorkspaceOwnership(workspaceId);
    // Unknown ids (forged, guessed, deleted) look exactly like forbidden ones (WS-1).
    if (!owner) return NONE('WS-1');

    if (owner.kind === 'personal') {
      if (owner.ownerUserId === user.id) return { access: 'write', rule: 'WS-2' };
      // A teacher's broadcast workspace is readable by everyone in that class (WS-6).
      for (const c of await this.store.listClassesForUser(user.id)) {
        if (c.broadcastWorkspaceId === workspaceId && c.archivedAt === null) return { access: 'read', rule: 'WS-6' };
      }
      if (user.role === 'admin') return { access: 'read', rule: 'WS-7' };
      return NONE('WS-1');
    }

    // Group workspace of an assignment.
    if (!owner.classId || !owner.groupId) return NONE('WS-1');
    const [membership, group] = await Promise.all([
      this.store.getMembership(owner.classId, user.id),
      this.store.getGroup(owner.groupId),
    ]);
    if (membership && (membership.role === 'teacher' || membership.role === 'ta')) return { access: 'read', rule: 'WS-5' };
    if (membership && group && isMember(group, user.id)) {
      const [klass, assignment] = await Promise.all([
        this.store.getClass(owner.classId),
        this.store.getAssignment(group.assignmentId),
      ]);
      if (!klass || klass.archivedAt !== null) return { access: 'read', rule: 'WS-4' };
      if (!assignment || assignment.publishedAt === null) return NONE('WS-3');
      return {
        access: 'write',
        rule: 'WS-3',
        strictNavigator: assignment.strictRoles && roleOf(group, user.id) === 'navigator',
      };
    }
    if (user.role === 'admin') return { access: 'read', rule: 'WS-7' };
    return NONE('WS-1');
  }
}

function isMember(group: Group, userId: string): boolean {
  return group.members.some((m) => m.userId === userId);
}

function roleOf(group: Group, userId: string): string | undefined {
  return group.members.find((m) => m.userId === userId)?.role;
}

/** A student sees an assignment only once it is published (CL-4). */
export function assignmentVisible(assignment: Assignment, classRole: string | null): boolean {
  if (classRole === 'teacher' || classRole === 'ta') return true;
  return classRole === 'student' && assignment.publishedAt !== null;
}
