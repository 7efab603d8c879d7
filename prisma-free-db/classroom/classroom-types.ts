/**
 * Records of the classroom store: accounts, sessions, classes, rosters, assignments, pair groups,
 * workspace ownership and the help queue. Times are epoch milliseconds. Ids are opaque strings
 * minted by the caller (22 URL-safe random characters), so ids are never guessable.
 */

export type UserRole = 'admin' | 'teacher' | 'student';
export type ClassRole = 'teacher' | 'ta' | 'student';
export type PairRole = 'driver' | 'navigator';
export type AssignmentMode = 'pairs' | 'solo';
export type PairingMode = 'manual' | 'random' | 'choice';

export interface User {
  id: string;
  email: string;
  displayName: string;
  role: UserRole;
  /** Argon2id hash; null for accounts that only sign in through SSO. */
  passwordHash: string | null;
  /** `issuer|sub` of the campus identity provider, when linked. */
  oidcSubject: string | null;
  createdAt: number;
  disabledAt: number | null;
}

export interface NewUser {
  id: string;
  email: string;
  displayName: string;
  role: UserRole;
  passwordHash: string | null;
  oidcSubject?: string | null;
  createdAt: number;
}

export interface Session {
  /** SHA-256 of the cookie token, hex: the token itself is never stored. */
  tokenHash: string;
  userId: string;
  createdAt: number;
  expiresAt: number;
}

export interface PasswordReset {
  tokenHash: string;
  userId: string;
  expiresAt: number;
  usedAt: number | null;
}

export interface ClassRecord {
  id: string;
  name: string;
  joinCode: string;
  createdBy: string;
  createdAt: number;
  archivedAt: number | null;
  /** The teacher's workspace shown read-only to the whole class, while broadcasting. */
  broadcastWorkspaceId: string | null;
}

export interface Membership {
  classId: string;
  userId: string;
  role: ClassRole;
  joinedAt: number;
}

export interface StarterFile {
  name: string;
  content: string;
}

export interface Assignment {
  id: string;
  classId: string;
  title: string;
  /** Markdown as written by the teacher; sanitised when rendered. */
  instructions: string;
  language: string;
  starterFiles: StarterFile[];
  deadline: number | null;
  mode: AssignmentMode;
  pairing: PairingMode;
  /** Only the driver may type. */
  strictRoles: boolean;
  /** Suggest a driver/navigator swap every N minutes; null: no timer. */
  swapMinutes: number | null;
  publishedAt: number | null;
  createdAt: number;
}

export interface GroupMember {
  userId: string;
  role: PairRole;
}

/** A pair (or a solo student) of one assignment, and its workspace once someone opened it. */
export interface Group {
  id: string;
  assignmentId: string;
  workspaceId: string | null;
  members: GroupMember[];
  createdAt: number;
  /** When the workspace was first opened: from then on the group cannot be re-paired. */
  startedAt: number | null;
  /** When the roles last changed (swap timer counts from here). */
  rolesChangedAt: number;
}

export type WorkspaceKind = 'personal' | 'group';

/** Who a workspace belongs to; the access policy reads this. */
export interface WorkspaceOwnership {
  workspaceId: string;
  kind: WorkspaceKind;
  /** The owner of a personal workspace. */
  ownerUserId: string | null;
  /** The class and group of a group workspace. */
  classId: string | null;
  groupId: string | null;
  createdAt: number;
}

export interface HelpRequest {
  id: string;
  classId: string;
  userId: string;
  workspaceId: string | null;
  note: string;
  createdAt: number;
  resolvedAt: number | null;
  resolvedBy: string | null;
}
