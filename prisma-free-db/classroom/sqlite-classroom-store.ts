import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { StorageError, StorageErrorCode, toStorageError } from '../storage-error';
import { RETENTION_MIGRATION, REVIEW_MIGRATION } from '../review/review-schema';
import { SqliteReviewStore } from '../review/sqlite-review-store';
import { AI_MIGRATION } from '../ai/ai-schema';
import { SqliteAiStore } from '../ai/sqlite-ai-store';
import { RUN_MIGRATION } from '../run/run-schema';
import { SqliteRunStore } from '../run/sqlite-run-store';
import type {
  AssignmentPatch,
  ClassPatch,
  ClassWithRole,
  ClassroomStore,
  MemberWithUser,
  NewGroup,
  UserPatch,
} from './classroom-store';
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

/** 'TDCL' as a big-endian 32-bit integer: marks the file as Tandem's classroom store. */
const CLASSROOM_APPLICATION_ID = 0x5444434c;

/** Append only; never edit a released migration. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'teacher', 'student')),
    password_hash TEXT,
    oidc_subject  TEXT UNIQUE,
    created_at    INTEGER NOT NULL,
    disabled_at   INTEGER
  ) STRICT;

  CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX sessions_by_user ON sessions (user_id);

  CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
  ) STRICT;

  CREATE TABLE classes (
    id                     TEXT PRIMARY KEY,
    name                   TEXT NOT NULL,
    join_code              TEXT NOT NULL UNIQUE,
    created_by             TEXT NOT NULL REFERENCES users(id),
    created_at             INTEGER NOT NULL,
    archived_at            INTEGER,
    broadcast_workspace_id TEXT
  ) STRICT;

  CREATE TABLE memberships (
    class_id  TEXT NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
    user_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role      TEXT NOT NULL CHECK (role IN ('teacher', 'ta', 'student')),
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (class_id, user_id)
  ) STRICT;
  CREATE INDEX memberships_by_user ON memberships (user_id);

  CREATE TABLE assignments (
    id            TEXT PRIMARY KEY,
    class_id      TEXT NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
    title         TEXT NOT NULL,
    instructions  TEXT NOT NULL,
    language      TEXT NOT NULL,
    starter_files TEXT NOT NULL,      -- JSON [{name, content}]
    deadline      INTEGER,
    mode          TEXT NOT NULL CHECK (mode IN ('pairs', 'solo')),
    pairing       TEXT NOT NULL CHECK (pairing IN ('manual', 'random', 'choice')),
    strict_roles  INTEGER NOT NULL,
    swap_minutes  INTEGER,
    published_at  INTEGER,
    created_at    INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX assignments_by_class ON assignments (class_id);

  CREATE TABLE groups (
    id               TEXT PRIMARY KEY,
    assignment_id    TEXT NOT NULL REFERENCES assignments(id) ON DELETE CASCADE,
    workspace_id     TEXT UNIQUE,
    created_at       INTEGER NOT NULL,
    started_at       INTEGER,
    roles_changed_at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX groups_by_assignment ON groups (assignment_id);

  -- One group per student per assignment: the UNIQUE key makes a double pairing impossible.
  CREATE TABLE group_members (
    group_id      TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    assignment_id TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role          TEXT NOT NULL CHECK (role IN ('driver', 'navigator')),
    position      INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id),
    UNIQUE (assignment_id, user_id)
  ) STRICT;

  CREATE TABLE workspaces (
    workspace_id  TEXT PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('personal', 'group')),
    owner_user_id TEXT REFERENCES users(id),
    class_id      TEXT REFERENCES classes(id),
    group_id      TEXT REFERENCES groups(id),
    created_at    INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX workspaces_by_owner ON workspaces (owner_user_id);

  CREATE TABLE help_requests (
    id           TEXT PRIMARY KEY,
    class_id     TEXT NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    workspace_id TEXT,
    note         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    resolved_at  INTEGER,
    resolved_by  TEXT
  ) STRICT;
  -- At most one open request per student per class.
  CREATE UNIQUE INDEX help_open_once ON help_requests (class_id, user_id) WHERE resolved_at IS NULL;
  CREATE INDEX help_open_by_class ON help_requests (class_id, created_at) WHERE resolved_at IS NULL;
  `,
  REVIEW_MIGRATION,
  RETENTION_MIGRATION,
  AI_MIGRATION,
  RUN_MIGRATION,
];

export const CLASSROOM_FILE_NAME = 'classroom.sqlite';

type Row = Record<string, unknown>;

/**
 * The classroom store in its own SQLite file next to the document store (WAL, foreign keys on).
 * Every multi-row change is one transaction, so a crash never leaves half a pairing.
 */
export class SqliteClassroomStore implements ClassroomStore {
  private closed = false;

  private constructor(private readonly db: Database.Database) {}

  /** The review port on this same file (submissions, comments, grades, audit log). */
  reviewStore(): SqliteReviewStore {
    return new SqliteReviewStore(this.db, () => this.closed);
  }

  /** The AI review port on this same file (settings, task queue, reviews, findings, ratings). */
  aiStore(): SqliteAiStore {
    return new SqliteAiStore(this.db, () => this.closed);
  }

  /** The run-code port on this same file (assignment tests and their results). */
  runStore(): SqliteRunStore {
    return new SqliteRunStore(this.db, () => this.closed);
  }

  static open(filename: string): SqliteClassroomStore {
    let db: Database.Database;
    try {
      fs.mkdirSync(path.dirname(filename), { recursive: true });
      db = new Database(filename, { timeout: 5000 });
    } catch (err) {
      throw new StorageError(StorageErrorCode.OpenFailed, `Cannot open classroom database ${filename}.`, { cause: err });
    }
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      migrate(db, filename);
    } catch (err) {
      db.close();
      if (err instanceof StorageError) throw err;
      throw new StorageError(StorageErrorCode.OpenFailed, `Cannot prepare classroom database ${filename}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    return new SqliteClassroomStore(db);
  }

  private run<T>(action: string, fn: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new StorageError(StorageErrorCode.Closed, 'The classroom store is closed.'));
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(mapConstraint(err, action));
    }
  }

  // ── accounts ────────────────────────────────────────────────────────────────────────────
  createUser(user: NewUser): Promise<User> {
    return this.run('creating an account', () => {
      this.db
        .prepare(
          `INSERT INTO users (id, email, display_name, role, password_hash, oidc_subject, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(user.id, user.email, user.displayName, user.role, user.passwordHash, user.oidcSubject ?? null, user.createdAt);
      return this.userById(user.id)!;
    });
  }

  getUser(id: string): Promise<User | null> {
    return this.run('reading an account', () => this.userById(id));
  }

  getUserByEmail(email: string): Promise<User | null> {
    return this.run('reading an account', () => toUser(this.db.prepare('SELECT * FROM users WHERE email = ?').get(email)));
  }

  getUserByOidcSubject(subject: string): Promise<User | null> {
    return this.run('reading an account', () =>
      toUser(this.db.prepare('SELECT * FROM users WHERE oidc_subject = ?').get(subject)),
    );
  }

  updateUser(id: string, patch: UserPatch): Promise<User | null> {
    return this.run('updating an account', () => {
      this.patchRow('users', 'id', id, patch as Record<string, unknown>, {
        displayName: 'display_name',
        passwordHash: 'password_hash',
        role: 'role',
        oidcSubject: 'oidc_subject',
        disabledAt: 'disabled_at',
      });
      return this.userById(id);
    });
  }

  /**
   * UPDATE the columns of `patch`'s defined keys. Column names come only from `columns` (our
   * code), never from the caller's keys, so a patch cannot inject SQL.
   */
  private patchRow(
    table: string,
    keyColumn: string,
    key: string,
    patch: Record<string, unknown>,
    columns: Record<string, string>,
    encode: Record<string, (v: unknown) => unknown> = {},
  ): void {
    const sets: string[] = [];
    const values: unknown[] = [];
    for (const [field, column] of Object.entries(columns)) {
      const value = patch[field];
      if (value === undefined) continue;
      sets.push(`${column} = ?`);
      values.push(encode[field] ? encode[field](value) : value);
    }
    if (sets.length) this.db.prepare(`UPDATE ${table} SET ${sets.join(', ')} WHERE ${keyColumn} = ?`).run(...values, key);
  }

  countUsers(): Promise<number> {
    return this.run('counting accounts', () => (this.db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n);
  }

  listUsers(): Promise<User[]> {
    return this.run('listing accounts', () =>
      this.db.prepare('SELECT * FROM users ORDER BY created_at').all().map((r) => toUser(r)!),
    );
  }

  deleteUser(id: string): Promise<{ deleted: boolean; orphanedWorkspaces: string[] }> {
    return this.run('deleting an account', () =>
      this.db.transaction(() => {
        if (this.db.prepare('SELECT 1 FROM classes WHERE created_by = ?').get(id)) {
          throw new StorageError(StorageErrorCode.InvalidArgument, 'This account created a class; archive it and hand it to another teacher first.');
        }
        const personal = this.db.prepare("SELECT workspace_id FROM workspaces WHERE owner_user_id = ?").pluck().all(id) as string[];
        const soloGroups = this.db
          .prepare(
            `SELECT gm.group_id FROM group_members gm WHERE gm.user_id = ?
             AND NOT EXISTS (SELECT 1 FROM group_members o WHERE o.group_id = gm.group_id AND o.user_id <> ?)`,
          )
          .pluck()
          .all(id, id) as string[];
        const soloWorkspaces: string[] = [];
        for (const groupId of soloGroups) {
          const ws = this.db.prepare('SELECT workspace_id FROM groups WHERE id = ?').pluck().get(groupId) as string | null;
          if (ws) soloWorkspaces.push(ws);
          this.db.prepare('DELETE FROM workspaces WHERE group_id = ?').run(groupId);
          this.db.prepare('DELETE FROM groups WHERE id = ?').run(groupId);
        }
        this.db.prepare('DELETE FROM workspaces WHERE owner_user_id = ?').run(id);
        this.db.prepare('UPDATE classes SET broadcast_workspace_id = NULL WHERE broadcast_workspace_id IN (SELECT value FROM json_each(?))').run(JSON.stringify(personal));
        this.db.prepare('DELETE FROM help_requests WHERE user_id = ?').run(id);
        this.db.prepare('UPDATE help_requests SET resolved_by = NULL WHERE resolved_by = ?').run(id);
        const deleted = this.db.prepare('DELETE FROM users WHERE id = ?').run(id).changes > 0;
        return { deleted, orphanedWorkspaces: [...personal, ...soloWorkspaces] };
      })(),
    );
  }

  private userById(id: string): User | null {
    return toUser(this.db.prepare('SELECT * FROM users WHERE id = ?').get(id));
  }

  // ── sessions ────────────────────────────────────────────────────────────────────────────
  createSession(s: Session): Promise<void> {
    return this.run('creating a session', () => {
      this.db
        .prepare('INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)')
        .run(s.tokenHash, s.userId, s.createdAt, s.expiresAt);
    });
  }

  getSession(tokenHash: string): Promise<Session | null> {
    return this.run('reading a session', () => {
      const r = this.db.prepare('SELECT * FROM sessions WHERE token_hash = ?').get(tokenHash) as Row | undefined;
      return r
        ? { tokenHash: str(r.token_hash), userId: str(r.user_id), createdAt: num(r.created_at), expiresAt: num(r.expires_at) }
        : null;
    });
  }

  deleteSession(tokenHash: string): Promise<void> {
    return this.run('ending a session', () => {
      this.db.prepare('DELETE FROM sessions WHERE token_hash = ?').run(tokenHash);
    });
  }

  deleteUserSessions(userId: string): Promise<string[]> {
    return this.run('ending sessions', () =>
      this.db.transaction(() => {
        const hashes = this.db
          .prepare('SELECT token_hash FROM sessions WHERE user_id = ?')
          .all(userId)
          .map((r) => str((r as Row).token_hash));
        this.db.prepare('DELETE FROM sessions WHERE user_id = ?').run(userId);
        return hashes;
      })(),
    );
  }

  deleteExpiredSessions(now: number): Promise<number> {
    return this.run('expiring sessions', () => this.db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(now).changes);
  }

  createPasswordReset(reset: PasswordReset): Promise<void> {
    return this.run('creating a password reset', () => {
      this.db
        .prepare('INSERT INTO password_resets (token_hash, user_id, expires_at, used_at) VALUES (?, ?, ?, NULL)')
        .run(reset.tokenHash, reset.userId, reset.expiresAt);
    });
  }

  consumePasswordReset(tokenHash: string, now: number): Promise<string | null> {
    return this.run('using a password reset', () => {
      const r = this.db
        .prepare(
          `UPDATE password_resets SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?
           RETURNING user_id`,
        )
        .get(now, tokenHash, now) as Row | undefined;
      return r ? str(r.user_id) : null;
    });
  }

  // ── classes ─────────────────────────────────────────────────────────────────────────────
  createClass(record: ClassRecord, teacher: Membership): Promise<ClassRecord> {
    return this.run('creating a class', () =>
      this.db.transaction(() => {
        this.db
          .prepare(
            `INSERT INTO classes (id, name, join_code, created_by, created_at, archived_at, broadcast_workspace_id)
             VALUES (?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(record.id, record.name, record.joinCode, record.createdBy, record.createdAt, record.archivedAt, record.broadcastWorkspaceId);
        this.insertMember(teacher);
        return this.classById(record.id)!;
      })(),
    );
  }

  getClass(id: string): Promise<ClassRecord | null> {
    return this.run('reading a class', () => this.classById(id));
  }

  getClassByJoinCode(code: string): Promise<ClassRecord | null> {
    return this.run('reading a class', () => toClass(this.db.prepare('SELECT * FROM classes WHERE join_code = ?').get(code)));
  }

  updateClass(id: string, patch: ClassPatch): Promise<ClassRecord | null> {
    return this.run('updating a class', () => {
      this.patchRow('classes', 'id', id, patch as Record<string, unknown>, {
        name: 'name',
        joinCode: 'join_code',
        archivedAt: 'archived_at',
        broadcastWorkspaceId: 'broadcast_workspace_id',
      });
      return this.classById(id);
    });
  }

  listClassesForUser(userId: string): Promise<ClassWithRole[]> {
    return this.run('listing classes', () =>
      this.db
        .prepare(
          `SELECT c.*, m.role AS member_role FROM classes c JOIN memberships m ON m.class_id = c.id
           WHERE m.user_id = ? ORDER BY c.created_at DESC`,
        )
        .all(userId)
        .map((r) => ({ ...toClass(r)!, role: str((r as Row).member_role) as ClassRole })),
    );
  }

  listAllClasses(): Promise<ClassRecord[]> {
    return this.run('listing classes', () =>
      this.db.prepare('SELECT * FROM classes ORDER BY created_at DESC').all().map((r) => toClass(r)!),
    );
  }

  private classById(id: string): ClassRecord | null {
    return toClass(this.db.prepare('SELECT * FROM classes WHERE id = ?').get(id));
  }

  addMember(m: Membership): Promise<Membership> {
    return this.run('joining a class', () =>
      this.db.transaction(() => {
        this.db
          .prepare('INSERT OR IGNORE INTO memberships (class_id, user_id, role, joined_at) VALUES (?, ?, ?, ?)')
          .run(m.classId, m.userId, m.role, m.joinedAt);
        return this.membership(m.classId, m.userId)!;
      })(),
    );
  }

  private insertMember(m: Membership): void {
    this.db
      .prepare('INSERT INTO memberships (class_id, user_id, role, joined_at) VALUES (?, ?, ?, ?)')
      .run(m.classId, m.userId, m.role, m.joinedAt);
  }

  getMembership(classId: string, userId: string): Promise<Membership | null> {
    return this.run('reading a membership', () => this.membership(classId, userId));
  }

  private membership(classId: string, userId: string): Membership | null {
    const r = this.db.prepare('SELECT * FROM memberships WHERE class_id = ? AND user_id = ?').get(classId, userId) as
      | Row
      | undefined;
    return r ? toMembership(r) : null;
  }

  setMemberRole(classId: string, userId: string, role: ClassRole): Promise<Membership | null> {
    return this.run('changing a role', () => {
      this.db.prepare('UPDATE memberships SET role = ? WHERE class_id = ? AND user_id = ?').run(role, classId, userId);
      return this.membership(classId, userId);
    });
  }

  removeMember(classId: string, userId: string): Promise<boolean> {
    return this.run('removing a member', () =>
      this.db.transaction(() => {
        const removed = this.db.prepare('DELETE FROM memberships WHERE class_id = ? AND user_id = ?').run(classId, userId).changes > 0;
        // Out of unstarted groups; a started group keeps its history but the member loses access
        // (the access policy requires a current membership).
        this.db
          .prepare(
            `DELETE FROM group_members WHERE user_id = ? AND group_id IN (
               SELECT g.id FROM groups g JOIN assignments a ON a.id = g.assignment_id
               WHERE a.class_id = ? AND g.started_at IS NULL)`,
          )
          .run(userId, classId);
        this.db
          .prepare(
            `DELETE FROM groups WHERE started_at IS NULL AND assignment_id IN (SELECT id FROM assignments WHERE class_id = ?)
             AND NOT EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = groups.id)`,
          )
          .run(classId);
        this.db.prepare('UPDATE help_requests SET resolved_at = ?, resolved_by = ? WHERE class_id = ? AND user_id = ? AND resolved_at IS NULL')
          .run(Date.now(), 'removed', classId, userId);
        return removed;
      })(),
    );
  }

  listMembers(classId: string): Promise<MemberWithUser[]> {
    return this.run('listing members', () =>
      this.db
        .prepare(
          `SELECT m.*, u.email, u.display_name FROM memberships m JOIN users u ON u.id = m.user_id
           WHERE m.class_id = ? ORDER BY m.role, u.display_name COLLATE NOCASE`,
        )
        .all(classId)
        .map((r) => ({ ...toMembership(r as Row), email: str((r as Row).email), displayName: str((r as Row).display_name) })),
    );
  }

  // ── assignments ─────────────────────────────────────────────────────────────────────────
  createAssignment(a: Assignment): Promise<Assignment> {
    return this.run('creating an assignment', () => {
      this.db
        .prepare(
          `INSERT INTO assignments (id, class_id, title, instructions, language, starter_files, deadline, mode, pairing,
             strict_roles, swap_minutes, published_at, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          a.id,
          a.classId,
          a.title,
          a.instructions,
          a.language,
          JSON.stringify(a.starterFiles),
          a.deadline,
          a.mode,
          a.pairing,
          a.strictRoles ? 1 : 0,
          a.swapMinutes,
          a.publishedAt,
          a.createdAt,
        );
      return this.assignmentById(a.id)!;
    });
  }

  getAssignment(id: string): Promise<Assignment | null> {
    return this.run('reading an assignment', () => this.assignmentById(id));
  }

  updateAssignment(id: string, patch: AssignmentPatch): Promise<Assignment | null> {
    return this.run('updating an assignment', () => {
      this.patchRow(
        'assignments',
        'id',
        id,
        patch as Record<string, unknown>,
        {
          title: 'title',
          instructions: 'instructions',
          language: 'language',
          starterFiles: 'starter_files',
          deadline: 'deadline',
          mode: 'mode',
          pairing: 'pairing',
          strictRoles: 'strict_roles',
          swapMinutes: 'swap_minutes',
          publishedAt: 'published_at',
        },
        { starterFiles: (v) => JSON.stringify(v), strictRoles: (v) => (v ? 1 : 0) },
      );
      return this.assignmentById(id);
    });
  }

  listAssignments(classId: string): Promise<Assignment[]> {
    return this.run('listing assignments', () =>
      this.db
        .prepare('SELECT * FROM assignments WHERE class_id = ? ORDER BY created_at')
        .all(classId)
        .map((r) => toAssignment(r as Row)),
    );
  }

  private assignmentById(id: string): Assignment | null {
    const r = this.db.prepare('SELECT * FROM assignments WHERE id = ?').get(id) as Row | undefined;
    return r ? toAssignment(r) : null;
  }

  // ── groups ──────────────────────────────────────────────────────────────────────────────
  getGroup(id: string): Promise<Group | null> {
    return this.run('reading a group', () => this.groupById(id));
  }

  getGroupOfUser(assignmentId: string, userId: string): Promise<Group | null> {
    return this.run('reading a group', () => {
      const r = this.db
        .prepare('SELECT group_id FROM group_members WHERE assignment_id = ? AND user_id = ?')
        .get(assignmentId, userId) as Row | undefined;
      return r ? this.groupById(str(r.group_id)) : null;
    });
  }

  getGroupByWorkspace(workspaceId: string): Promise<Group | null> {
    return this.run('reading a group', () => {
      const r = this.db.prepare('SELECT id FROM groups WHERE workspace_id = ?').get(workspaceId) as Row | undefined;
      return r ? this.groupById(str(r.id)) : null;
    });
  }

  listGroups(assignmentId: string): Promise<Group[]> {
    return this.run('listing groups', () =>
      this.db
        .prepare('SELECT id FROM groups WHERE assignment_id = ? ORDER BY created_at, id')
        .all(assignmentId)
        .map((r) => this.groupById(str((r as Row).id))!),
    );
  }

  replaceUnstartedGroups(assignmentId: string, groups: NewGroup[], now: number): Promise<Group[]> {
    return this.run('pairing students', () =>
      this.db.transaction(() => {
        this.db.prepare('DELETE FROM groups WHERE assignment_id = ? AND started_at IS NULL').run(assignmentId);
        for (const g of groups) this.insertGroup(assignmentId, g, now);
        return groups.map((g) => this.groupById(g.id)!);
      })(),
    );
  }

  addGroup(assignmentId: string, group: NewGroup, now: number): Promise<Group> {
    return this.run('forming a group', () =>
      this.db.transaction(() => {
        this.insertGroup(assignmentId, group, now);
        return this.groupById(group.id)!;
      })(),
    );
  }

  private insertGroup(assignmentId: string, g: NewGroup, now: number): void {
    this.db
      .prepare('INSERT INTO groups (id, assignment_id, workspace_id, created_at, started_at, roles_changed_at) VALUES (?, ?, NULL, ?, NULL, ?)')
      .run(g.id, assignmentId, now, now);
    const insert = this.db.prepare(
      'INSERT INTO group_members (group_id, assignment_id, user_id, role, position) VALUES (?, ?, ?, ?, ?)',
    );
    g.members.forEach((m, i) => insert.run(g.id, assignmentId, m.userId, m.role, i));
  }

  startGroup(groupId: string, workspaceId: string, now: number): Promise<Group> {
    return this.run('opening a group workspace', () =>
      this.db.transaction(() => {
        this.db
          .prepare('UPDATE groups SET workspace_id = ?, started_at = ? WHERE id = ? AND workspace_id IS NULL')
          .run(workspaceId, now, groupId);
        const group = this.groupById(groupId);
        if (!group) throw new StorageError(StorageErrorCode.InvalidArgument, 'No such group.');
        return group;
      })(),
    );
  }

  setGroupRoles(groupId: string, members: GroupMember[], now: number, expectedRolesChangedAt: number): Promise<Group | null> {
    return this.run('changing pair roles', () =>
      this.db.transaction(() => {
        // A swap at the same millisecond still moves the stamp, so the next compare-and-set sees it.
        const claimed = this.db
          .prepare('UPDATE groups SET roles_changed_at = max(?, roles_changed_at + 1) WHERE id = ? AND roles_changed_at = ?')
          .run(now, groupId, expectedRolesChangedAt).changes;
        if (claimed === 0) return null;
        const update = this.db.prepare('UPDATE group_members SET role = ? WHERE group_id = ? AND user_id = ?');
        for (const m of members) update.run(m.role, groupId, m.userId);
        return this.groupById(groupId);
      })(),
    );
  }

  listGroupsOfUser(userId: string): Promise<Group[]> {
    return this.run('listing groups', () =>
      (this.db.prepare('SELECT group_id FROM group_members WHERE user_id = ? ORDER BY group_id').pluck().all(userId) as string[]).map(
        (id) => this.groupById(id)!,
      ),
    );
  }

  listHelpRequestsOfUser(userId: string): Promise<HelpRequest[]> {
    return this.run('listing help requests', () =>
      (this.db.prepare('SELECT * FROM help_requests WHERE user_id = ? ORDER BY created_at').all(userId) as Row[]).map(toHelp),
    );
  }

  private groupById(id: string): Group | null {
    const r = this.db.prepare('SELECT * FROM groups WHERE id = ?').get(id) as Row | undefined;
    if (!r) return null;
    const members = this.db
      .prepare('SELECT user_id, role FROM group_members WHERE group_id = ? ORDER BY position')
      .all(id)
      .map((m) => ({ userId: str((m as Row).user_id), role: str((m as Row).role) as GroupMember['role'] }));
    return {
      id: str(r.id),
      assignmentId: str(r.assignment_id),
      workspaceId: optStr(r.workspace_id),
      members,
      createdAt: num(r.created_at),
      startedAt: optNum(r.started_at),
      rolesChangedAt: num(r.roles_changed_at),
    };
  }

  // ── workspaces ──────────────────────────────────────────────────────────────────────────
  recordWorkspace(w: WorkspaceOwnership): Promise<void> {
    return this.run('recording a workspace', () => {
      this.db
        .prepare(
          'INSERT INTO workspaces (workspace_id, kind, owner_user_id, class_id, group_id, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(w.workspaceId, w.kind, w.ownerUserId, w.classId, w.groupId, w.createdAt);
    });
  }

  getWorkspaceOwnership(workspaceId: string): Promise<WorkspaceOwnership | null> {
    return this.run('reading a workspace owner', () =>
      toOwnership(this.db.prepare('SELECT * FROM workspaces WHERE workspace_id = ?').get(workspaceId)),
    );
  }

  listPersonalWorkspaces(userId: string): Promise<WorkspaceOwnership[]> {
    return this.run('listing workspaces', () =>
      this.db
        .prepare("SELECT * FROM workspaces WHERE owner_user_id = ? AND kind = 'personal' ORDER BY created_at DESC")
        .all(userId)
        .map((r) => toOwnership(r)!),
    );
  }

  // ── help queue ──────────────────────────────────────────────────────────────────────────
  raiseHand(h: HelpRequest): Promise<HelpRequest> {
    return this.run('raising a hand', () =>
      this.db.transaction(() => {
        const open = this.db
          .prepare('SELECT * FROM help_requests WHERE class_id = ? AND user_id = ? AND resolved_at IS NULL')
          .get(h.classId, h.userId) as Row | undefined;
        if (open) return toHelp(open);
        this.db
          .prepare(
            `INSERT INTO help_requests (id, class_id, user_id, workspace_id, note, created_at, resolved_at, resolved_by)
             VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)`,
          )
          .run(h.id, h.classId, h.userId, h.workspaceId, h.note, h.createdAt);
        return this.helpById(h.id)!;
      })(),
    );
  }

  getHelpRequest(id: string): Promise<HelpRequest | null> {
    return this.run('reading a help request', () => this.helpById(id));
  }

  listOpenHelpRequests(classId: string): Promise<HelpRequest[]> {
    return this.run('listing help requests', () =>
      this.db
        .prepare('SELECT * FROM help_requests WHERE class_id = ? AND resolved_at IS NULL ORDER BY created_at, id')
        .all(classId)
        .map((r) => toHelp(r as Row)),
    );
  }

  resolveHelpRequest(id: string, by: string, now: number): Promise<HelpRequest | null> {
    return this.run('resolving a help request', () => {
      this.db.prepare('UPDATE help_requests SET resolved_at = ?, resolved_by = ? WHERE id = ? AND resolved_at IS NULL').run(now, by, id);
      return this.helpById(id);
    });
  }

  private helpById(id: string): HelpRequest | null {
    const r = this.db.prepare('SELECT * FROM help_requests WHERE id = ?').get(id) as Row | undefined;
    return r ? toHelp(r) : null;
  }

  ping(): Promise<void> {
    return this.run('checking the classroom database', () => {
      this.db.pragma('user_version', { simple: true });
    });
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      try {
        this.db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        // another process may hold the file; SQLite checkpoints on its last close
      }
      this.db.close();
    }
    return Promise.resolve();
  }
}

/**
 * Read the version and migrate under one write lock (BEGIN IMMEDIATE): processes starting at once
 * on a new file wait for each other, and the later ones find the schema made (a version read
 * before the lock let two processes both run migration 1; the second failed on CREATE TABLE).
 */
function migrate(db: Database.Database, filename: string): void {
  db.transaction(() => {
    const appId = Number(db.pragma('application_id', { simple: true }));
    const version = Number(db.pragma('user_version', { simple: true }));
    if (appId !== 0 && appId !== CLASSROOM_APPLICATION_ID) {
      throw new StorageError(StorageErrorCode.OpenFailed, `${filename} is not a Tandem classroom database.`);
    }
    if (version > MIGRATIONS.length) {
      throw new StorageError(StorageErrorCode.SchemaTooNew, `${filename} was written by a newer Tandem (schema ${version}).`);
    }
    for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
    if (appId === 0) db.pragma(`application_id = ${CLASSROOM_APPLICATION_ID}`);
    if (version < MIGRATIONS.length) db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}

/** Unique-key violations are caller errors: name the rule, not the SQL. */
function mapConstraint(err: unknown, action: string): StorageError {
  const code = (err as { code?: unknown } | null)?.code;
  // Not `instanceof Error`: under jest, driver errors can come from another realm.
  const message = String((err as { message?: unknown } | null)?.message ?? '');
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    if (message.includes('users.email')) return new StorageError(StorageErrorCode.InvalidArgument, 'That email already has an account.', { cause: err });
    if (message.includes('group_members')) return new StorageError(StorageErrorCode.InvalidArgument, 'A student can be in only one group per assignment.', { cause: err });
    if (message.includes('classes.join_code')) return new StorageError(StorageErrorCode.InvalidArgument, 'That join code is taken.', { cause: err });
    if (message.includes('users.oidc_subject')) return new StorageError(StorageErrorCode.InvalidArgument, 'That SSO identity is linked to another account.', { cause: err });
    return new StorageError(StorageErrorCode.InvalidArgument, `Duplicate record while ${action}.`, { cause: err });
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    return new StorageError(StorageErrorCode.InvalidArgument, `A referenced record does not exist (while ${action}).`, { cause: err });
  }
  return toStorageError(err, action);
}

const str = (v: unknown): string => String(v);
const num = (v: unknown): number => Number(v);
const optStr = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const optNum = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function toUser(row: unknown): User | null {
  if (!row) return null;
  const r = row as Row;
  return {
    id: str(r.id),
    email: str(r.email),
    displayName: str(r.display_name),
    role: str(r.role) as User['role'],
    passwordHash: optStr(r.password_hash),
    oidcSubject: optStr(r.oidc_subject),
    createdAt: num(r.created_at),
    disabledAt: optNum(r.disabled_at),
  };
}

function toClass(row: unknown): ClassRecord | null {
  if (!row) return null;
  const r = row as Row;
  return {
    id: str(r.id),
    name: str(r.name),
    joinCode: str(r.join_code),
    createdBy: str(r.created_by),
    createdAt: num(r.created_at),
    archivedAt: optNum(r.archived_at),
    broadcastWorkspaceId: optStr(r.broadcast_workspace_id),
  };
}

function toMembership(r: Row): Membership {
  return { classId: str(r.class_id), userId: str(r.user_id), role: str(r.role) as ClassRole, joinedAt: num(r.joined_at) };
}

function toAssignment(r: Row): Assignment {
  return {
    id: str(r.id),
    classId: str(r.class_id),
    title: str(r.title),
    instructions: str(r.instructions),
    language: str(r.language),
    starterFiles: JSON.parse(str(r.starter_files)) as Assignment['starterFiles'],
    deadline: optNum(r.deadline),
    mode: str(r.mode) as Assignment['mode'],
    pairing: str(r.pairing) as Assignment['pairing'],
    strictRoles: num(r.strict_roles) === 1,
    swapMinutes: optNum(r.swap_minutes),
    publishedAt: optNum(r.published_at),
    createdAt: num(r.created_at),
  };
}

function toOwnership(row: unknown): WorkspaceOwnership | null {
  if (!row) return null;
  const r = row as Row;
  return {
    workspaceId: str(r.workspace_id),
    kind: str(r.kind) as WorkspaceOwnership['kind'],
    ownerUserId: optStr(r.owner_user_id),
    classId: optStr(r.class_id),
    groupId: optStr(r.group_id),
    createdAt: num(r.created_at),
  };
}

function toHelp(r: Row): HelpRequest {
  return {
    id: str(r.id),
    classId: str(r.class_id),
    userId: str(r.user_id),
    workspaceId: optStr(r.workspace_id),
    note: str(r.note),
    createdAt: num(r.created_at),
    resolvedAt: optNum(r.resolved_at),
    resolvedBy: optStr(r.resolved_by),
  };
}
