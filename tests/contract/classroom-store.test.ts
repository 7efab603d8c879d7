import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteClassroomStore, StorageError, type ClassroomStore, type User } from '../../prisma-free-db';

/**
 * Contract of the ClassroomStore port (prisma-free-db/classroom/classroom-store.ts), run against
 * the embedded SQLite adapter on a real file. The rules here are the ones the access policy and
 * the classroom service rely on; a future adapter (MongoDB) must pass the same file.
 */
describe('ClassroomStore contract: SQLite', () => {
  let dir: string;
  let file: string;
  let store: ClassroomStore;
  let n = 0;
  const id = (prefix: string) => `${prefix}${String(++n).padStart(8, '0')}`;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-classroom-'));
    file = path.join(dir, 'classroom.sqlite');
    store = SqliteClassroomStore.open(file);
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function user(role: User['role'] = 'student', email = `${id('u')}@example.edu`): Promise<User> {
    return store.createUser({ id: id('user'), email, displayName: 'Someone', role, passwordHash: 'h', createdAt: Date.now() });
  }

  async function setup(students: number) {
    const teacher = await user('teacher');
    const classId = id('class');
    await store.createClass(
      { id: classId, name: 'C', joinCode: id('JC'), createdBy: teacher.id, createdAt: 1, archivedAt: null, broadcastWorkspaceId: null },
      { classId, userId: teacher.id, role: 'teacher', joinedAt: 1 },
    );
    const list: User[] = [];
    for (let i = 0; i < students; i++) {
      const s = await user();
      await store.addMember({ classId, userId: s.id, role: 'student', joinedAt: 2 });
      list.push(s);
    }
    const assignmentId = id('asg');
    await store.createAssignment({
      id: assignmentId,
      classId,
      title: 'A',
      instructions: '',
      language: 'python',
      starterFiles: [{ name: 'a.py', content: 'x' }],
      deadline: null,
      mode: 'pairs',
      pairing: 'manual',
      strictRoles: false,
      swapMinutes: null,
      publishedAt: null,
      createdAt: 3,
    });
    return { teacher, classId, students: list, assignmentId };
  }

  test('emails are unique regardless of case, with a clear error', async () => {
    await user('student', 'Ada@Example.edu');
    await expect(user('student', 'ada@example.EDU')).rejects.toThrow(StorageError);
    await expect(user('student', 'ada@example.edu')).rejects.toThrow(/already has an account/);
    expect((await store.getUserByEmail('ADA@example.edu'))?.email).toBe('Ada@Example.edu');
  });

  test('sessions: stored by hash, expired ones swept, all of a user\'s ended at once', async () => {
    const u = await user();
    await store.createSession({ tokenHash: 'a'.repeat(64), userId: u.id, createdAt: 1, expiresAt: 100 });
    await store.createSession({ tokenHash: 'b'.repeat(64), userId: u.id, createdAt: 1, expiresAt: Date.now() + 1e6 });
    expect(await store.deleteExpiredSessions(1000)).toBe(1);
    expect(await store.getSession('a'.repeat(64))).toBeNull();
    expect((await store.deleteUserSessions(u.id)).sort()).toEqual(['b'.repeat(64)]);
    expect(await store.getSession('b'.repeat(64))).toBeNull();
  });

  test('a password reset is used at most once and not after it expires', async () => {
    const u = await user();
    await store.createPasswordReset({ tokenHash: 'r1', userId: u.id, expiresAt: 5000, usedAt: null });
    await store.createPasswordReset({ tokenHash: 'r2', userId: u.id, expiresAt: 5000, usedAt: null });
    expect(await store.consumePasswordReset('r1', 1000)).toBe(u.id);
    expect(await store.consumePasswordReset('r1', 1001)).toBeNull();
    expect(await store.consumePasswordReset('r2', 6000)).toBeNull();
    expect(await store.consumePasswordReset('nope', 1)).toBeNull();
  });

  test('addMember keeps an existing membership (rejoining does not demote a TA)', async () => {
    const { classId, students } = await setup(1);
    await store.setMemberRole(classId, students[0]!.id, 'ta');
    const again = await store.addMember({ classId, userId: students[0]!.id, role: 'student', joinedAt: 9 });
    expect(again.role).toBe('ta');
  });

  test('a student is in at most one group per assignment; re-pairing replaces only unstarted groups', async () => {
    const { assignmentId, students } = await setup(4);
    const [a, b, c, d] = students.map((s) => s.id) as [string, string, string, string];
    const g1 = id('g');
    const g2 = id('g');
    await store.replaceUnstartedGroups(assignmentId, [
      { id: g1, members: [{ userId: a, role: 'driver' }, { userId: b, role: 'navigator' }] },
      { id: g2, members: [{ userId: c, role: 'driver' }, { userId: d, role: 'navigator' }] },
    ], 10);
    await expect(store.addGroup(assignmentId, { id: id('g'), members: [{ userId: a, role: 'driver' }] }, 11)).rejects.toThrow(/one group per assignment/);
    // A duplicate inside one replacement rolls the whole replacement back.
    await expect(
      store.replaceUnstartedGroups(assignmentId, [{ id: id('g'), members: [{ userId: a, role: 'driver' }, { userId: a, role: 'navigator' }] }], 12),
    ).rejects.toThrow(StorageError);
    expect((await store.listGroups(assignmentId)).map((g) => g.id).sort()).toEqual([g1, g2].sort());

    const started = await store.startGroup(g1, 'workspace01', 20);
    expect(started.workspaceId).toBe('workspace01');
    // The first workspace wins; a second opener gets the same one.
    expect((await store.startGroup(g1, 'workspace02', 21)).workspaceId).toBe('workspace01');
    await store.replaceUnstartedGroups(assignmentId, [{ id: id('g'), members: [{ userId: d, role: 'driver' }, { userId: c, role: 'navigator' }] }], 30);
    const groups = await store.listGroups(assignmentId);
    expect(groups).toHaveLength(2);
    expect(groups.find((g) => g.id === g1)?.members.map((m) => m.userId)).toEqual([a, b]);
    expect((await store.getGroupOfUser(assignmentId, d))?.members.map((m) => m.userId)).toEqual([d, c]);
    expect((await store.getGroupByWorkspace('workspace01'))?.id).toBe(g1);
  });

  test('removing a member takes them out of unstarted groups and resolves their open hand; started groups keep history', async () => {
    const { classId, assignmentId, students } = await setup(3);
    const [a, b, c] = students.map((s) => s.id) as [string, string, string];
    const started = id('g');
    const waiting = id('g');
    await store.replaceUnstartedGroups(assignmentId, [
      { id: started, members: [{ userId: a, role: 'driver' }, { userId: b, role: 'navigator' }] },
      { id: waiting, members: [{ userId: c, role: 'driver' }] },
    ], 1);
    await store.startGroup(started, 'wsstarted1', 2);
    await store.raiseHand({ id: id('h'), classId, userId: b, workspaceId: null, note: '', createdAt: 3, resolvedAt: null, resolvedBy: null });
    expect(await store.removeMember(classId, b)).toBe(true);
    expect(await store.removeMember(classId, b)).toBe(false);
    expect(await store.getMembership(classId, b)).toBeNull();
    expect((await store.getGroup(started))?.members.map((m) => m.userId)).toEqual([a, b]);
    await store.removeMember(classId, c);
    expect(await store.getGroup(waiting)).toBeNull();
    expect(await store.listOpenHelpRequests(classId)).toEqual([]);
  });

  test('help queue: one open request per student, in arrival order; resolving frees the slot', async () => {
    const { classId, students } = await setup(2);
    const [a, b] = students.map((s) => s.id) as [string, string];
    const first = await store.raiseHand({ id: id('h'), classId, userId: a, workspaceId: null, note: 'stuck', createdAt: 5, resolvedAt: null, resolvedBy: null });
    const again = await store.raiseHand({ id: id('h'), classId, userId: a, workspaceId: null, note: 'still stuck', createdAt: 6, resolvedAt: null, resolvedBy: null });
    expect(again.id).toBe(first.id);
    await store.raiseHand({ id: id('h'), classId, userId: b, workspaceId: null, note: '', createdAt: 7, resolvedAt: null, resolvedBy: null });
    expect((await store.listOpenHelpRequests(classId)).map((h) => h.userId)).toEqual([a, b]);
    const resolved = await store.resolveHelpRequest(first.id, 'teacher', 8);
    expect(resolved?.resolvedAt).toBe(8);
    expect((await store.listOpenHelpRequests(classId)).map((h) => h.userId)).toEqual([b]);
    const next = await store.raiseHand({ id: id('h'), classId, userId: a, workspaceId: null, note: '', createdAt: 9, resolvedAt: null, resolvedBy: null });
    expect(next.id).not.toBe(first.id);
  });

  test('everything survives closing and reopening the file; a foreign SQLite file is refused', async () => {
    const { classId, assignmentId } = await setup(1);
    await store.updateAssignment(assignmentId, { publishedAt: 42, starterFiles: [{ name: 'b.py', content: '😀\n' }], strictRoles: true });
    await store.close();
    store = SqliteClassroomStore.open(file);
    const a = await store.getAssignment(assignmentId);
    expect(a).toMatchObject({ publishedAt: 42, strictRoles: true, starterFiles: [{ name: 'b.py', content: '😀\n' }] });
    expect((await store.listMembers(classId)).length).toBe(2);

    const foreign = path.join(dir, 'foreign.sqlite');
    const Database = require('better-sqlite3') as typeof import('better-sqlite3');
    const db = new Database(foreign);
    db.pragma('application_id = 1234');
    db.close();
    expect(() => SqliteClassroomStore.open(foreign)).toThrow(/not a Tandem classroom database/);
  });

  test('deleteUser takes what was only theirs, keeps shared groups, and names the workspaces left without an owner', async () => {
    const { teacher, classId, students, assignmentId } = await setup(3);
    const [ann, ben, cat] = students as [User, User, User];
    const pair = await store.addGroup(assignmentId, { id: id('grp'), members: [{ userId: ann.id, role: 'driver' }, { userId: ben.id, role: 'navigator' }] }, 1);
    await store.startGroup(pair.id, 'wsPair0001', 2);
    await store.recordWorkspace({ workspaceId: 'wsPair0001', kind: 'group', ownerUserId: null, classId, groupId: pair.id, createdAt: 2 });
    const solo = await store.addGroup(assignmentId, { id: id('grp'), members: [{ userId: cat.id, role: 'driver' }] }, 1);
    await store.startGroup(solo.id, 'wsSolo0001', 2);
    await store.recordWorkspace({ workspaceId: 'wsSolo0001', kind: 'group', ownerUserId: null, classId, groupId: solo.id, createdAt: 2 });
    await store.recordWorkspace({ workspaceId: 'wsMine0001', kind: 'personal', ownerUserId: cat.id, classId: null, groupId: null, createdAt: 3 });
    await store.raiseHand({ id: id('help'), classId, userId: cat.id, workspaceId: null, note: 'n', createdAt: 4, resolvedAt: null, resolvedBy: null });
    await store.createSession({ tokenHash: id('tok'), userId: cat.id, createdAt: 1, expiresAt: 9e12 });
    expect((await store.listGroupsOfUser(ann.id)).map((g) => g.id)).toEqual([pair.id]);
    expect((await store.listHelpRequestsOfUser(cat.id)).map((h) => h.note)).toEqual(['n']);

    const result = await store.deleteUser(cat.id);
    expect(result.deleted).toBe(true);
    expect(result.orphanedWorkspaces.sort()).toEqual(['wsMine0001', 'wsSolo0001']);
    expect(await store.getUser(cat.id)).toBeNull();
    expect(await store.getGroup(solo.id)).toBeNull();
    expect(await store.getWorkspaceOwnership('wsSolo0001')).toBeNull();
    expect(await store.getWorkspaceOwnership('wsMine0001')).toBeNull();
    expect(await store.listOpenHelpRequests(classId)).toEqual([]);
    expect(await store.deleteUserSessions(cat.id)).toEqual([]);

    // In a shared group the partner keeps the group and its workspace.
    expect((await store.deleteUser(ann.id)).orphanedWorkspaces).toEqual([]);
    expect((await store.getGroup(pair.id))?.members.map((m) => m.userId)).toEqual([ben.id]);
    expect(await store.getWorkspaceOwnership('wsPair0001')).not.toBeNull();
    expect(await store.deleteUser('nobody00')).toEqual({ deleted: false, orphanedWorkspaces: [] });
    // The creator of a class is refused, with the reason.
    await expect(store.deleteUser(teacher.id)).rejects.toThrow(/created a class/);
  });

  test('a closed store rejects with ERR_STORAGE_CLOSED', async () => {
    await store.close();
    await expect(store.getUser('x')).rejects.toMatchObject({ code: 'ERR_STORAGE_CLOSED' });
    store = SqliteClassroomStore.open(file);
  });
});
