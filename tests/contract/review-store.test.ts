import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteClassroomStore, StorageError, type ReviewStore, type User } from '../../prisma-free-db';

/**
 * Contract of the ReviewStore port (prisma-free-db/review/review-store.ts) on the embedded SQLite
 * adapter, on a real file. The service relies on: submissions ordered oldest first, release
 * touching only that group's drafts, cascades from a group, and an audit log nobody can rewrite.
 */
describe('ReviewStore contract: SQLite', () => {
  let dir: string;
  let file: string;
  let classroom: SqliteClassroomStore;
  let store: ReviewStore;
  let n = 0;
  const id = (prefix: string) => `${prefix}${String(++n).padStart(8, '0')}`;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-review-'));
    file = path.join(dir, 'classroom.sqlite');
    classroom = SqliteClassroomStore.open(file);
    store = classroom.reviewStore();
  });
  afterEach(async () => {
    await classroom.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function user(role: User['role'] = 'student'): Promise<User> {
    return classroom.createUser({ id: id('user'), email: `${id('u')}@example.edu`, displayName: 'S', role, passwordHash: 'h', createdAt: 1 });
  }

  /** A class with one assignment and `pairs` started groups of two. */
  async function setup(pairs: number) {
    const teacher = await user('teacher');
    const classId = id('class');
    await classroom.createClass(
      { id: classId, name: 'C', joinCode: id('JC'), createdBy: teacher.id, createdAt: 1, archivedAt: null, broadcastWorkspaceId: null },
      { classId, userId: teacher.id, role: 'teacher', joinedAt: 1 },
    );
    const assignmentId = id('asg');
    await classroom.createAssignment({
      id: assignmentId,
      classId,
      title: 'A',
      instructions: '',
      language: 'python',
      starterFiles: [],
      deadline: null,
      mode: 'pairs',
      pairing: 'manual',
      strictRoles: false,
      swapMinutes: null,
      publishedAt: 2,
      createdAt: 2,
    });
    const groups = [];
    for (let i = 0; i < pairs; i++) {
      const a = await user();
      const b = await user();
      const g = await classroom.addGroup(assignmentId, { id: id('grp'), members: [{ userId: a.id, role: 'driver' }, { userId: b.id, role: 'navigator' }] }, 3);
      groups.push(await classroom.startGroup(g.id, id('ws'), 4));
    }
    return { teacher, classId, assignmentId, groups };
  }

  const submission = (assignmentId: string, groupId: string, workspaceId: string, at: number, late = false) => ({
    id: id('sub'),
    assignmentId,
    groupId,
    workspaceId,
    files: [{ fileId: 'file0001', name: 'main.py', version: at }],
    submittedBy: 'someone',
    submittedAt: at,
    late,
  });

  test('submissions keep their file versions and come back oldest first, per group and per assignment', async () => {
    const { assignmentId, groups } = await setup(2);
    const [g1, g2] = groups as [(typeof groups)[0], (typeof groups)[0]];
    const s2 = await store.createSubmission(submission(assignmentId, g1.id, g1.workspaceId!, 20, true));
    const s1 = await store.createSubmission(submission(assignmentId, g1.id, g1.workspaceId!, 10));
    const s3 = await store.createSubmission(submission(assignmentId, g2.id, g2.workspaceId!, 15));
    expect((await store.listGroupSubmissions(g1.id)).map((s) => s.id)).toEqual([s1.id, s2.id]);
    expect((await store.listAssignmentSubmissions(assignmentId)).map((s) => s.id)).toEqual([s1.id, s3.id, s2.id]);
    expect(await store.getSubmission(s2.id)).toEqual(s2);
    expect(s2.late).toBe(true);
    expect(s2.files).toEqual([{ fileId: 'file0001', name: 'main.py', version: 20 }]);
    expect(await store.getSubmission('nope0000')).toBeNull();
  });

  test('a submission for a group that does not exist is refused with a clear error', async () => {
    const { assignmentId } = await setup(0);
    await expect(store.createSubmission(submission(assignmentId, 'ghost000', 'ws000000', 1))).rejects.toThrow(StorageError);
    await expect(store.createSubmission(submission(assignmentId, 'ghost000', 'ws000000', 1))).rejects.toThrow(/does not exist/);
  });

  test('release publishes only that group’s drafts and its grade; replies are deleted with their parent', async () => {
    const { assignmentId, groups, teacher } = await setup(2);
    const [g1, g2] = groups as [(typeof groups)[0], (typeof groups)[0]];
    const comment = (groupId: string, parentId: string | null = null) => ({
      id: id('cmt'),
      groupId,
      workspaceId: 'ws000000',
      fileId: 'file0001',
      version: 3,
      from: 1,
      to: 4,
      quote: 'abc',
      body: 'Look here',
      authorId: teacher.id,
      releasedAt: null,
      parentId,
      createdAt: ++n,
      updatedAt: n,
    });
    const c1 = await store.createComment(comment(g1.id));
    const reply = await store.createComment(comment(g1.id, c1.id));
    const other = await store.createComment(comment(g2.id));
    await store.putGrade({ groupId: g1.id, assignmentId, scores: { c1: 3 }, summary: 'ok', gradedBy: teacher.id, updatedAt: 5, releasedAt: null });

    expect(await store.releaseFeedback(g1.id, 99)).toBe(2);
    expect((await store.getComment(c1.id))?.releasedAt).toBe(99);
    expect((await store.getComment(other.id))?.releasedAt).toBeNull();
    expect((await store.getGrade(g1.id))?.releasedAt).toBe(99);
    expect(await store.releaseFeedback(g1.id, 100)).toBe(0);
    expect((await store.getComment(c1.id))?.releasedAt).toBe(99);

    expect((await store.updateCommentBody(c1.id, 'Edited', 101))?.body).toBe('Edited');
    expect(await store.deleteComment(c1.id)).toBe(true);
    expect(await store.getComment(reply.id)).toBeNull();
    expect((await store.listComments(g1.id)).length).toBe(0);
    expect((await store.listComments(g2.id)).map((c) => c.id)).toEqual([other.id]);
  });

  test('eraseAuthor deletes their comments (and replies to them) and renames them on submissions and grades', async () => {
    const { assignmentId, groups, teacher } = await setup(1);
    const g = groups[0]!;
    const student = g.members[0]!.userId;
    const base = { groupId: g.id, workspaceId: 'ws000000', fileId: 'file0001', version: 1, from: 0, to: 0, quote: '', releasedAt: 1, createdAt: 1, updatedAt: 1 };
    const mine = await store.createComment({ ...base, id: id('cmt'), body: 'mine', authorId: student, parentId: null });
    await store.createComment({ ...base, id: id('cmt'), body: 'reply to mine', authorId: teacher.id, parentId: mine.id });
    const theirs = await store.createComment({ ...base, id: id('cmt'), body: 'theirs', authorId: teacher.id, parentId: null });
    const s = await store.createSubmission({ ...submission(assignmentId, g.id, g.workspaceId!, 1), submittedBy: student });
    await store.eraseAuthor(student, 'erased');
    expect((await store.listComments(g.id)).map((c) => c.id)).toEqual([theirs.id]);
    expect((await store.getSubmission(s.id))?.submittedBy).toBe('erased');
  });

  test('retention: an assignment is due once its grades have been final for the class’s retention days, until marked compacted', async () => {
    const { assignmentId, classId } = await setup(0);
    const day = 86_400_000;
    expect(await store.getClassRetention(classId)).toBeNull();
    await store.setGradesFinal(assignmentId, 1000);
    expect(await store.listDueCompactions(1000 + 100 * day)).toEqual([]); // no policy: kept forever
    await store.setClassRetention(classId, 2);
    expect(await store.listDueCompactions(1000 + 2 * day - 1)).toEqual([]);
    expect(await store.listDueCompactions(1000 + 2 * day)).toEqual([{ assignmentId, classId, gradesFinalAt: 1000, opRetentionDays: 2 }]);
    await store.setGradesFinal(assignmentId, null);
    expect(await store.listDueCompactions(1000 + 9 * day)).toEqual([]);
    await store.setGradesFinal(assignmentId, 1000);
    await store.markCompacted(assignmentId, 5);
    expect(await store.listDueCompactions(1000 + 9 * day)).toEqual([]);
    expect(await store.getAssignmentRetention(assignmentId)).toEqual({ assignmentId, gradesFinalAt: 1000, opsCompactedAt: 5 });
    await store.setClassRetention(classId, null);
    expect(await store.getClassRetention(classId)).toBeNull();
  });

  test('rubric and grade are replaced in place', async () => {
    const { assignmentId, groups, teacher } = await setup(1);
    const g = groups[0]!;
    await store.setRubric({ assignmentId, criteria: [{ id: 'c1', title: 'Works', points: 5, description: '' }], updatedAt: 1 });
    const r = await store.setRubric({ assignmentId, criteria: [{ id: 'c2', title: 'Style', points: 3, description: 'PEP 8' }], updatedAt: 2 });
    expect(r.criteria).toEqual([{ id: 'c2', title: 'Style', points: 3, description: 'PEP 8' }]);
    expect(await store.getRubric(assignmentId)).toEqual(r);
    await store.putGrade({ groupId: g.id, assignmentId, scores: { c2: 1 }, summary: '', gradedBy: teacher.id, updatedAt: 3, releasedAt: null });
    await store.putGrade({ groupId: g.id, assignmentId, scores: { c2: 2 }, summary: 'better', gradedBy: teacher.id, updatedAt: 4, releasedAt: null });
    expect((await store.listGrades(assignmentId)).map((x) => x.scores)).toEqual([{ c2: 2 }]);
  });

  test('the audit log is append-only even to someone holding the database file', async () => {
    const a = await store.appendAudit({ at: 1, actorId: 'u1', action: 'view', subjectUserId: 's1', target: 'submission:x', detail: { n: 1 } });
    const b = await store.appendAudit({ at: 2, actorId: null, action: 'ai-call', subjectUserId: null, target: 'workspace:y', detail: {} });
    expect(b.id).toBeGreaterThan(a.id);
    expect((await store.listAudit({ limit: 10 })).map((e) => e.id)).toEqual([b.id, a.id]);
    expect((await store.listAudit({ limit: 10, before: b.id })).map((e) => e.id)).toEqual([a.id]);
    expect((await store.listAudit({ limit: 10, subjectUserId: 's1' }))[0]).toEqual(a);

    const raw = new Database(file);
    try {
      expect(() => raw.prepare('UPDATE audit_log SET action = ?').run('nothing')).toThrow(/append-only/);
      expect(() => raw.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
    } finally {
      raw.close();
    }
    expect((await store.listAudit({ limit: 10 })).length).toBe(2);
  });

  test('the review tables survive a reopen (migration runs once)', async () => {
    const { assignmentId, groups } = await setup(1);
    const s = await store.createSubmission(submission(assignmentId, groups[0]!.id, groups[0]!.workspaceId!, 1));
    await classroom.close();
    classroom = SqliteClassroomStore.open(file);
    store = classroom.reviewStore();
    expect(await store.getSubmission(s.id)).toEqual(s);
  });
});
