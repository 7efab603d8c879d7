import type {
  Assignment,
  ClassRecord,
  ClassRole,
  Group,
  GroupMember,
  HelpRequest,
  Membership,
  NewUser,
  PasswordReset,
  Session,
  User,
  WorkspaceOwnership,
} from './classroom-types';

export interface UserPatch {
  displayName?: string;
  passwordHash?: string | null;
  role?: User['role'];
  oidcSubject?: string | null;
  disabledAt?: number | null;
}

export interface ClassPatch {
  name?: string;
  joinCode?: string;
  archivedAt?: number | null;
  broadcastWorkspaceId?: string | null;
}

export type AssignmentPatch = Partial<Omit<Assignment, 'id' | 'classId' | 'createdAt'>>;

export interface MemberWithUser extends Membership {
  email: string;
  displayName: string;
}

export interface ClassWithRole extends ClassRecord {
  role: ClassRole;
}

export interface NewGroup {
  id: string;
  members: GroupMember[];
}

/**
 * The classroom port: everything the server keeps about people and classes besides the documents
 * themselves (those live behind ShareDB's DB port). Async so a network database can implement it;
 * the embedded SQLite adapter answers synchronously inside the promise.
 *
 * Constraint violations come back as StorageError(InvalidArgument) — a duplicate email, a second
 * open help request — with a message that names the rule, never SQL.
 */
export interface ClassroomStore {
  // Accounts
  createUser(user: NewUser): Promise<User>;
  getUser(id: string): Promise<User | null>;
  getUserByEmail(email: string): Promise<User | null>;
  getUserByOidcSubject(subject: string): Promise<User | null>;
  updateUser(id: string, patch: UserPatch): Promise<User | null>;
  countUsers(): Promise<number>;
  /**
   * Delete an account and everything that is only theirs, in one transaction: sessions, resets,
   * memberships, help requests, personal workspaces, and groups where they were the only member
   * (with those groups' submissions, comments and grades). Groups shared with others keep their
   * work without them. Returns the workspaces left without an owner, whose documents the caller
   * erases. Refused (InvalidArgument) for the creator of a class.
   */
  deleteUser(id: string): Promise<{ deleted: boolean; orphanedWorkspaces: string[] }>;
  listUsers(): Promise<User[]>;

  // Sessions (cookie tokens are stored hashed)
  createSession(session: Session): Promise<void>;
  getSession(tokenHash: string): Promise<Session | null>;
  deleteSession(tokenHash: string): Promise<void>;
  /** Delete every session of a user; returns their token hashes (to close their sockets). */
  deleteUserSessions(userId: string): Promise<string[]>;
  deleteExpiredSessions(now: number): Promise<number>;

  // Password reset links
  createPasswordReset(reset: PasswordReset): Promise<void>;
  /** Mark an unexpired, unused reset as used and return its user id; null when there is none. */
  consumePasswordReset(tokenHash: string, now: number): Promise<string | null>;

  // Classes and rosters
  createClass(record: ClassRecord, teacher: Membership): Promise<ClassRecord>;
  getClass(id: string): Promise<ClassRecord | null>;
  getClassByJoinCode(code: string): Promise<ClassRecord | null>;
  updateClass(id: string, patch: ClassPatch): Promise<ClassRecord | null>;
  listClassesForUser(userId: string): Promise<ClassWithRole[]>;
  listAllClasses(): Promise<ClassRecord[]>;
  /** Add a member, or return the existing membership unchanged. */
  addMember(membership: Membership): Promise<Membership>;
  getMembership(classId: string, userId: string): Promise<Membership | null>;
  setMemberRole(classId: string, userId: string, role: ClassRole): Promise<Membership | null>;
  /** Remove a member and take them out of every group of the class that has not started. */
  removeMember(classId: string, userId: string): Promise<boolean>;
  listMembers(classId: string): Promise<MemberWithUser[]>;

  // Assignments
  createAssignment(assignment: Assignment): Promise<Assignment>;
  getAssignment(id: string): Promise<Assignment | null>;
  updateAssignment(id: string, patch: AssignmentPatch): Promise<Assignment | null>;
  listAssignments(classId: string): Promise<Assignment[]>;

  // Pair groups
  getGroup(id: string): Promise<Group | null>;
  getGroupOfUser(assignmentId: string, userId: string): Promise<Group | null>;
  getGroupByWorkspace(workspaceId: string): Promise<Group | null>;
  /** Every group the user is a member of, across classes (data export). */
  listGroupsOfUser(userId: string): Promise<Group[]>;
  listGroups(assignmentId: string): Promise<Group[]>;
  /**
   * Replace every group of the assignment that has not started with `groups`. Fails with
   * InvalidArgument if a new group names a user who is in a started group, or twice.
   */
  replaceUnstartedGroups(assignmentId: string, groups: NewGroup[], now: number): Promise<Group[]>;
  /** Add one group (a student picking a partner, or a solo student's own group). */
  addGroup(assignmentId: string, group: NewGroup, now: number): Promise<Group>;
  /** Set the group's workspace once; returns the group as stored (the first caller's workspace wins). */
  startGroup(groupId: string, workspaceId: string, now: number): Promise<Group>;
  /**
   * Set the members' roles if the group's roles last changed at `expectedRolesChangedAt`
   * (compare-and-set, so two simultaneous swaps cannot undo each other). Null when the group is
   * missing or its roles changed since.
   */
  setGroupRoles(groupId: string, members: GroupMember[], now: number, expectedRolesChangedAt: number): Promise<Group | null>;

  // Workspace ownership
  recordWorkspace(ownership: WorkspaceOwnership): Promise<void>;
  getWorkspaceOwnership(workspaceId: string): Promise<WorkspaceOwnership | null>;
  listPersonalWorkspaces(userId: string): Promise<WorkspaceOwnership[]>;

  // Help queue
  /** Add a request, or return the user's open one in that class. */
  raiseHand(request: HelpRequest): Promise<HelpRequest>;
  getHelpRequest(id: string): Promise<HelpRequest | null>;
  listOpenHelpRequests(classId: string): Promise<HelpRequest[]>;
  /** Every help request the user raised, oldest first (data export). */
  listHelpRequestsOfUser(userId: string): Promise<HelpRequest[]>;
  resolveHelpRequest(id: string, by: string, now: number): Promise<HelpRequest | null>;

  ping(): Promise<void>;
  close(): Promise<void>;
}
