import { randomBytes } from 'node:crypto';
import { ServerProcess } from '../helpers/server-process';
import { RawClient, waitFor } from '../helpers/clients';
import { call, logIn, pairWorkspace, signUp, type PairFixture, type TestUser } from '../helpers/accounts';
import { api } from '../helpers/server-process';

/**
 * Issue #3 "Authorization matrix": roles × actions × forged ids, through the real server, over
 * raw ShareDB frames (so the client library cannot hide anything) and REST. Where access must be
 * denied we assert the reply carries no data, no op or presence arrives afterwards, and nothing
 * was persisted. Rule ids: docs/permissions.md.
 */

type Role =
  | 'anonymous'
  | 'studentOfOtherClass'
  | 'studentOfOtherPair'
  | 'pairMember'
  | 'ta'
  | 'teacherOfOtherClass'
  | 'teacher'
  | 'admin';

const ROLES: Role[] = ['anonymous', 'studentOfOtherClass', 'studentOfOtherPair', 'pairMember', 'ta', 'teacherOfOtherClass', 'teacher', 'admin'];

/** What each role may do with the pair's workspace W (WS-1..WS-7). */
const WORKSPACE_ACCESS: Record<Role, 'none' | 'read' | 'write'> = {
  anonymous: 'none',
  studentOfOtherClass: 'none',
  studentOfOtherPair: 'none',
  pairMember: 'write',
  ta: 'read',
  teacherOfOtherClass: 'none',
  teacher: 'read',
  admin: 'read',
};

const ADMIN_EMAIL = 'admin@example.edu';
const ADMIN_PASSWORD = 'admin-password-123';

describe('authorization matrix (docs/permissions.md)', () => {
  let server: ServerProcess;
  let pair: PairFixture;
  let otherPairWorkspace: string;
  let otherPairFile: string;
  let unpublishedId: string;
  let teacherWorkspace: string;
  let otherClassId: string;
  let submissionId: string;
  let otherGroupId: string;
  const users = {} as Record<Exclude<Role, 'anonymous'>, TestUser>;
  const raws: RawClient[] = [];
  const ORIGINAL = 'secret = "pair only"\n';
  let fileId: string;
  let docId: string;

  const userOf = (role: Role): TestUser | null => (role === 'anonymous' ? null : users[role]);

  beforeAll(async () => {
    server = await ServerProcess.start({ env: { ADMIN_EMAIL, ADMIN_PASSWORD } });
    const base = server.url;
    pair = await pairWorkspace(base, [{ name: 'main.py', content: ORIGINAL }, { name: 'notes.md', content: '# notes' }], ['Pia', 'Pete']);
    fileId = pair.fileIds['main.py']!;
    docId = `${pair.workspaceId}:${fileId}`;
    users.pairMember = pair.students[0]!;
    users.teacher = pair.teacher;
    users.ta = await signUp(base, 'Tara', pair.joinCode);
    await call(base, pair.teacher, 'PATCH', `/api/classes/${pair.classId}/members/${users.ta.id}`, { role: 'ta' }, 200);
    // Another pair of the same class, with its own workspace.
    const q1 = await signUp(base, 'Quinn', pair.joinCode);
    const q2 = await signUp(base, 'Quade', pair.joinCode);
    await call(base, pair.teacher, 'PUT', `/api/assignments/${pair.assignmentId}/groups`, { groups: [[q1.id, q2.id]] }, 200);
    users.studentOfOtherPair = q1;
    otherPairWorkspace = (await call(base, q1, 'POST', `/api/assignments/${pair.assignmentId}/open`, undefined, 200)).workspaceId;
    const otherWs = await call(base, q1, 'GET', `/api/workspaces/${otherPairWorkspace}`, undefined, 200);
    otherPairFile = otherWs.files[0].id;
    // Another class, its teacher and student.
    users.teacherOfOtherClass = await signUp(base, 'Otto');
    const other = await call(base, users.teacherOfOtherClass, 'POST', '/api/classes', { name: 'Other' }, 201);
    otherClassId = other.id;
    users.studentOfOtherClass = await signUp(base, 'Olga', other.joinCode);
    users.admin = await logIn(base, ADMIN_EMAIL, ADMIN_PASSWORD);
    unpublishedId = (
      await call(base, pair.teacher, 'POST', `/api/classes/${pair.classId}/assignments`, { title: 'Draft', starterFiles: [] }, 201)
    ).id;
    teacherWorkspace = (await call(base, pair.teacher, 'POST', '/api/workspaces', { name: 'Demo', files: [{ name: 'demo.py', content: 'demo' }] }, 201)).id;
    submissionId = (await call(base, pair.students[1]!, 'POST', `/api/workspaces/${pair.workspaceId}/submit`, undefined, 201)).id;
    otherGroupId = (await call(base, q1, 'GET', `/api/assignments/${pair.assignmentId}/groups`, undefined, 200)).groups[0].id;
  });

  afterEach(() => {
    for (const r of raws.splice(0)) r.close();
  });

  afterAll(async () => {
    await server.dispose();
  });

  /** A raw ShareDB client signed in as `role`, handshake done. */
  async function rawAs(role: Role): Promise<RawClient> {
    const r = new RawClient(server.url, userOf(role)?.cookie ?? null);
    raws.push(r);
    await r.connected();
    await r.request({ a: 'hs', id: null, protocol: 1, protocolMinor: 2 });
    return r;
  }

  /** The file as the pair sees it (through REST + a pair member's socket). */
  async function storedText(): Promise<{ text: string; version: number }> {
    const r = await rawAs('pairMember');
    const reply = await r.request({ a: 'f', c: 'files', d: docId });
    const data = reply.data as { v: number; data: string };
    return { text: data.data, version: data.v };
  }

  test('[AU-2] anonymous sockets are refused at the handshake', async () => {
    const r = new RawClient(server.url, null);
    raws.push(r);
    await expect(r.connected()).rejects.toThrow(/unauthenticated/);
  });

  const socketRoles = ROLES.filter((r) => r !== 'anonymous');

  describe.each(socketRoles)('ShareDB as %s', (role) => {
    const access = () => WORKSPACE_ACCESS[role];

    test('[WS] fetch, subscribe, bulk-subscribe, workspace doc, snapshot-at-version, snapshot-at-time', async () => {
      const r = await rawAs(role);
      const replies = [
        await r.request({ a: 'f', c: 'files', d: docId }),
        await r.request({ a: 's', c: 'files', d: `${pair.workspaceId}:${pair.fileIds['notes.md']}` }),
        await r.request({ a: 'bs', c: 'files', b: [docId] }),
        await r.request({ a: 'f', c: 'workspaces', d: pair.workspaceId }),
        await r.request({ a: 'nf', id: 1, c: 'files', d: docId, v: 1 }),
        await r.request({ a: 'nt', id: 2, c: 'files', d: docId, ts: Date.now() }),
      ];
      for (const reply of replies) {
        const text = JSON.stringify(reply);
        if (access() === 'none') {
          expect(reply.error).toMatchObject({ code: 'ERR_TANDEM_FORBIDDEN' });
          expect(text).not.toContain('pair only');
          expect(text).not.toContain('main.py');
        } else {
          expect(reply.error).toBeUndefined();
        }
      }
      if (access() !== 'none') expect(JSON.stringify(replies[0])).toContain('pair only');
    });

    test('[WS] receiving ops and presence: only readers get the pair member\'s edits and cursors', async () => {
      const watcher = await rawAs(role);
      const sub = await watcher.request({ a: 's', c: 'files', d: docId });
      const ps = await watcher.request({ a: 'ps', ch: `files.${docId}`, seq: 1 });
      const people = await watcher.request({ a: 'ps', ch: `people.${pair.workspaceId}`, seq: 2 });
      if (access() === 'none') {
        for (const reply of [sub, ps, people]) expect(reply.error).toMatchObject({ code: 'ERR_TANDEM_FORBIDDEN' });
      }
      // The pair member types and moves the cursor.
      const writer = await rawAs('pairMember');
      const w = await writer.request({ a: 's', c: 'files', d: docId });
      const v = (w.data as { v: number }).v;
      await writer.request({ a: 'ps', ch: `files.${docId}`, seq: 1 });
      const mark = `edit-${role}-${randomBytes(3).toString('hex')}`;
      const ack = await writer.request({ a: 'op', c: 'files', d: docId, v, seq: 5, op: [mark] });
      expect(ack.error).toBeUndefined();
      writer.send({ a: 'p', ch: `files.${docId}`, id: 'pia-cursor', c: 'files', d: docId, v: v + 1, seq: 2, p: { clientId: 'x', name: 'x', color: '#112233', selections: [{ anchor: 0, head: 1 }] } });
      if (access() === 'none') {
        await new Promise((r) => setTimeout(r, 400));
        expect(JSON.stringify(watcher.received)).not.toContain(mark);
        expect(watcher.received.filter((m) => m.a === 'p' && m.p)).toEqual([]);
      } else {
        await waitFor(() => JSON.stringify(watcher.received).includes(mark), `${role} to receive the op`);
        await waitFor(() => watcher.received.some((m) => m.a === 'p' && m.id === 'pia-cursor' && m.p), `${role} to receive presence`);
      }
      // Undo the mark so other cases see the original text.
      const undo = await writer.request({ a: 'op', c: 'files', d: docId, v: v + 1, seq: 6, op: [{ d: mark.length }] });
      expect(undo.error).toBeUndefined();
    });

    test('[WS] submitting an op and publishing presence: only writers; nothing persisted otherwise', async () => {
      const before = await storedText();
      const r = await rawAs(role);
      const reply = await r.request({ a: 'op', c: 'files', d: docId, v: before.version, seq: 1, op: ['HACKED '] });
      const presence = await r.request({ a: 'ps', ch: `files.${docId}`, seq: 2 });
      if (access() === 'write') {
        expect(reply.error).toBeUndefined();
        const after = await storedText();
        expect(after.text).toBe(`HACKED ${before.text}`);
        const undo = await r.request({ a: 'op', c: 'files', d: docId, v: after.version, seq: 3, op: [{ d: 7 }] });
        expect(undo.error).toBeUndefined();
        expect(presence.error).toBeUndefined();
      } else {
        expect(reply.error).toMatchObject({ code: 'ERR_TANDEM_FORBIDDEN' });
        const after = await storedText();
        expect(after).toEqual(before);
        if (access() === 'none') expect(presence.error).toMatchObject({ code: 'ERR_TANDEM_FORBIDDEN' });
        else expect(presence.error).toBeUndefined();
      }
      expect((await storedText()).text).toBe(ORIGINAL);
    });

    test('[WS-1] forged and guessed ids: other pair\'s docs, mixed ids, random ids reveal nothing', async () => {
      const r = await rawAs(role);
      const otherDoc = `${otherPairWorkspace}:${otherPairFile}`;
      const mixed = `${pair.workspaceId}:${otherPairFile}`;
      const random = `${randomBytes(16).toString('base64url')}:${randomBytes(16).toString('base64url')}`;
      const otherReply = await r.request({ a: 'f', c: 'files', d: otherDoc });
      const otherOp = await r.request({ a: 'op', c: 'files', d: otherDoc, v: 1, seq: 1, op: ['x'] });
      const randomReply = await r.request({ a: 'f', c: 'files', d: random });
      const randomWs = await r.request({ a: 'f', c: 'workspaces', d: randomBytes(16).toString('base64url') });
      // Staff and the other pair itself may read the other pair's file; nobody else.
      const mayReadOther = role === 'studentOfOtherPair' || role === 'ta' || role === 'teacher' || role === 'admin';
      if (mayReadOther) expect(otherReply.error).toBeUndefined();
      else expect(otherReply.error).toMatchObject({ code: 'ERR_TANDEM_FORBIDDEN' });
      if (role !== 'studentOfOtherPair') expect(otherOp.error).toBeTruthy();
      // Unknown ids look exactly like forbidden ones.
      expect(randomReply.error).toMatchObject({ code: 'ERR_TANDEM_FORBIDDEN' });
      expect(randomWs.error).toMatchObject({ code: 'ERR_TANDEM_FORBIDDEN' });
      const mixedReply = await r.request({ a: 'f', c: 'files', d: mixed });
      if (access() === 'none') expect(mixedReply.error).toMatchObject({ code: 'ERR_TANDEM_FORBIDDEN' });
      // A reader of W gets an empty doc, never the other pair's text.
      else expect((mixedReply.data as { type?: unknown } | undefined)?.type ?? null).toBeNull();
    });

    test('[P-MSG-2] queries are refused for everyone', async () => {
      const r = await rawAs(role);
      const reply = await r.request({ a: 'qf', id: 1, c: 'files', q: {} });
      expect(reply.error).toBeTruthy();
      expect(reply.data).toBeUndefined();
    });
  });

  // ── REST ────────────────────────────────────────────────────────────────────────────────
  type Expect = Record<Role, number>;
  const AI_SETTINGS = { helpLevel: 'hints', approvalRequired: true, guidance: '', hiddenNotes: '', onDemandPerHour: null };
  const rest: Array<[string, () => [string, string, unknown?], Expect]> = [
    ['GET workspace', () => ['GET', `/api/workspaces/${pair.workspaceId}`], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 404, pairMember: 200, ta: 200, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['GET workspace context', () => ['GET', `/api/workspaces/${pair.workspaceId}/context`], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 404, pairMember: 200, ta: 200, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['POST file into workspace', () => ['POST', `/api/workspaces/${pair.workspaceId}/files`, { name: `f${randomBytes(4).toString('hex')}.py` }], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 404, pairMember: 201, ta: 403, teacherOfOtherClass: 404, teacher: 403, admin: 403 }],
    ['DELETE a file of the workspace', () => ['DELETE', `/api/workspaces/${pair.workspaceId}/files/${randomBytes(16).toString('base64url')}`], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 404, pairMember: 404, ta: 403, teacherOfOtherClass: 404, teacher: 403, admin: 403 }],
    ['GET class', () => ['GET', `/api/classes/${pair.classId}`], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 200, pairMember: 200, ta: 200, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['GET roster', () => ['GET', `/api/classes/${pair.classId}/members`], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 200, pairMember: 200, ta: 200, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['rotate join code', () => ['POST', `/api/classes/${otherClassId}/join-code`], { anonymous: 401, studentOfOtherClass: 403, studentOfOtherPair: 404, pairMember: 404, ta: 404, teacherOfOtherClass: 200, teacher: 404, admin: 200 }],
    ['GET published assignment', () => ['GET', `/api/assignments/${pair.assignmentId}`], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 200, pairMember: 200, ta: 200, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['GET unpublished assignment', () => ['GET', `/api/assignments/${unpublishedId}`], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 404, pairMember: 404, ta: 200, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['create assignment', () => ['POST', `/api/classes/${pair.classId}/assignments`, { title: 'By someone' }], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 403, pairMember: 403, ta: 403, teacherOfOtherClass: 404, teacher: 201, admin: 201 }],
    ['live activity', () => ['GET', `/api/assignments/${pair.assignmentId}/activity`], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 403, pairMember: 403, ta: 200, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['re-pair', () => ['POST', `/api/assignments/${unpublishedId}/groups/random`], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 404, pairMember: 404, ta: 403, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['swap pair roles', () => ['POST', `/api/groups/${pair.groupId}/swap`], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 404, pairMember: 200, ta: 404, teacherOfOtherClass: 404, teacher: 404, admin: 404 }],
    ['open assignment workspace', () => ['POST', `/api/assignments/${pair.assignmentId}/open`], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 200, pairMember: 200, ta: 403, teacherOfOtherClass: 404, teacher: 403, admin: 403 }],
    ['help queue', () => ['GET', `/api/classes/${pair.classId}/help`], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 200, pairMember: 200, ta: 200, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['broadcast a workspace that is not yours', () => ['PUT', `/api/classes/${pair.classId}/broadcast`, { workspaceId: teacherWorkspace }], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 403, pairMember: 403, ta: 403, teacherOfOtherClass: 404, teacher: 200, admin: 403 }],
    ['admin: list users', () => ['GET', '/api/admin/users'], { anonymous: 401, studentOfOtherClass: 403, studentOfOtherPair: 403, pairMember: 403, ta: 403, teacherOfOtherClass: 403, teacher: 403, admin: 200 }],
    // Submissions and review (docs/permissions.md RV-*): outsiders get 404, classmates of another pair too.
    ['submit a workspace', () => ['POST', `/api/workspaces/${pair.workspaceId}/submit`], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 404, pairMember: 201, ta: 403, teacherOfOtherClass: 404, teacher: 403, admin: 403 }],
    ['list a workspace\'s submissions', () => ['GET', `/api/workspaces/${pair.workspaceId}/submissions`], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 404, pairMember: 200, ta: 200, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['list an assignment\'s submissions', () => ['GET', `/api/assignments/${pair.assignmentId}/submissions`], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 403, pairMember: 403, ta: 200, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['download all submissions', () => ['GET', `/api/assignments/${pair.assignmentId}/submissions.zip`], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 403, pairMember: 403, ta: 200, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['read a submission', () => ['GET', `/api/submissions/${submissionId}`], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 404, pairMember: 200, ta: 200, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['set the rubric', () => ['PUT', `/api/assignments/${pair.assignmentId}/rubric`, { criteria: [{ id: 'works', title: 'Works', points: 5 }] }], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 403, pairMember: 403, ta: 200, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['review a group', () => ['GET', `/api/groups/${pair.groupId}/review`], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 404, pairMember: 403, ta: 200, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['grade a group', () => ['PUT', `/api/groups/${pair.groupId}/grade`, { scores: {} }], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 404, pairMember: 403, ta: 200, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['release feedback', () => ['POST', `/api/groups/${otherGroupId}/release`], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 403, pairMember: 404, ta: 200, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['start a comment', () => ['POST', `/api/workspaces/${pair.workspaceId}/comments`, { fileId, version: 1, from: 0, to: 6, body: 'Rename this' }], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 404, pairMember: 403, ta: 201, teacherOfOtherClass: 404, teacher: 201, admin: 201 }],
    ['read feedback', () => ['GET', `/api/workspaces/${pair.workspaceId}/feedback`], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 404, pairMember: 200, ta: 200, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['file history', () => ['GET', `/api/workspaces/${pair.workspaceId}/files/${fileId}/history`], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 404, pairMember: 200, ta: 200, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['file at a version', () => ['GET', `/api/workspaces/${pair.workspaceId}/files/${fileId}/versions/1`], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 404, pairMember: 200, ta: 200, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['blame', () => ['GET', `/api/workspaces/${pair.workspaceId}/files/${fileId}/blame`], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 404, pairMember: 200, ta: 200, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['paste signals', () => ['GET', `/api/workspaces/${pair.workspaceId}/paste-signals`], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 404, pairMember: 403, ta: 200, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['read the history retention policy', () => ['GET', `/api/classes/${pair.classId}/retention`], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 403, pairMember: 403, ta: 200, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['set the history retention policy', () => ['PUT', `/api/classes/${pair.classId}/retention`, { opRetentionDays: null }], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 403, pairMember: 403, ta: 403, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['read grades-final state', () => ['GET', `/api/assignments/${pair.assignmentId}/grades-final`], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 403, pairMember: 403, ta: 200, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['mark grades final', () => ['PUT', `/api/assignments/${pair.assignmentId}/grades-final`, { final: false }], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 403, pairMember: 403, ta: 403, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['admin: audit log', () => ['GET', '/api/admin/audit'], { anonymous: 401, studentOfOtherClass: 403, studentOfOtherPair: 403, pairMember: 403, ta: 403, teacherOfOtherClass: 403, teacher: 403, admin: 200 }],
    // AI review assistant (docs/permissions.md AI-*).
    ['AI reviews of a workspace', () => ['GET', `/api/workspaces/${pair.workspaceId}/ai-reviews`], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 404, pairMember: 200, ta: 200, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['read a class\'s AI settings', () => ['GET', `/api/classes/${pair.classId}/ai-settings`], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 403, pairMember: 403, ta: 200, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['set a class\'s AI settings', () => ['PUT', `/api/classes/${pair.classId}/ai-settings`, AI_SETTINGS], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 403, pairMember: 403, ta: 403, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['read an assignment\'s AI settings', () => ['GET', `/api/assignments/${pair.assignmentId}/ai-settings`], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 403, pairMember: 403, ta: 200, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['set an assignment\'s AI settings', () => ['PUT', `/api/assignments/${pair.assignmentId}/ai-settings`, AI_SETTINGS], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 403, pairMember: 403, ta: 403, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['reset a student\'s AI quota', () => ['POST', `/api/assignments/${pair.assignmentId}/ai-quota/reset`, { userId: randomBytes(16).toString('base64url') }], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 403, pairMember: 403, ta: 204, teacherOfOtherClass: 404, teacher: 204, admin: 204 }],
    ['admin: AI provider status', () => ['GET', '/api/admin/ai'], { anonymous: 401, studentOfOtherClass: 403, studentOfOtherPair: 403, pairMember: 403, ta: 403, teacherOfOtherClass: 403, teacher: 403, admin: 200 }],
    // Run code and teacher tests (docs/permissions.md RUN-*).
    ['read an assignment\'s tests', () => ['GET', `/api/assignments/${pair.assignmentId}/tests`], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 200, pairMember: 200, ta: 200, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['set an assignment\'s tests', () => ['PUT', `/api/assignments/${pair.assignmentId}/tests`, { tests: [] }], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 403, pairMember: 403, ta: 200, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['test results of a workspace', () => ['GET', `/api/workspaces/${pair.workspaceId}/test-results`], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 404, pairMember: 200, ta: 200, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    // With no tests on the assignment (the row above emptied them) a member's report is a conflict.
    ['report a browser test run', () => ['POST', `/api/workspaces/${pair.workspaceId}/test-results`, { versions: [], testsHash: '0'.repeat(32), passed: 0, failed: 0, error: null, cases: [], durationMs: 1 }], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 404, pairMember: 409, ta: 403, teacherOfOtherClass: 404, teacher: 403, admin: 403 }],
    ['test summary of an assignment (grid)', () => ['GET', `/api/assignments/${pair.assignmentId}/test-summary`], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 403, pairMember: 403, ta: 200, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
    ['test result of a submission', () => ['GET', `/api/submissions/${submissionId}/test-result`], { anonymous: 401, studentOfOtherClass: 404, studentOfOtherPair: 404, pairMember: 200, ta: 200, teacherOfOtherClass: 404, teacher: 200, admin: 200 }],
  ];

  describe.each(rest)('REST %s', (_name, request, expected) => {
    test.each(ROLES)('as %s', async (role) => {
      const [method, path, body] = request();
      const res = await api<{ error?: { code: string } }>(server.url, method, path, body, userOf(role)?.cookie);
      expect({ role, status: res.status }).toEqual({ role, status: expected[role] });
      if (res.status >= 400) expect(res.body.error?.code).toMatch(/^ERR_TANDEM_/);
      if (path.endsWith('/broadcast') && res.status === 200) {
        await call(server.url, userOf(role), 'PUT', path, { workspaceId: null }, 200);
      }
    });
  });

  test('[RV-3][FB-1] students never see draft feedback, another pair\'s submissions or their history', async () => {
    const draft = await call(server.url, pair.teacher, 'POST', `/api/workspaces/${pair.workspaceId}/comments`, { fileId, version: 1, from: 0, to: 6, body: 'DRAFT-ONLY' }, 201);
    await call(server.url, pair.teacher, 'PUT', `/api/groups/${pair.groupId}/grade`, { scores: {}, summary: 'DRAFT-GRADE' }, 200);
    for (const role of ['pairMember', 'studentOfOtherPair'] as const) {
      const res = await api(server.url, 'GET', `/api/workspaces/${pair.workspaceId}/feedback`, undefined, users[role].cookie);
      expect(JSON.stringify(res.body)).not.toMatch(/DRAFT-ONLY|DRAFT-GRADE/);
    }
    expect((await api(server.url, 'GET', `/api/submissions/${submissionId}`, undefined, users.studentOfOtherPair.cookie)).status).toBe(404);
    expect((await api(server.url, 'GET', `/api/workspaces/${otherPairWorkspace}/files/${otherPairFile}/history`, undefined, users.pairMember.cookie)).status).toBe(404);
    // Replies to a draft are refused as if it did not exist; editing it too.
    expect((await api(server.url, 'POST', `/api/workspaces/${pair.workspaceId}/comments`, { fileId, version: 1, from: 0, to: 0, body: 'hi', parentId: draft.id }, users.pairMember.cookie)).status).toBe(404);
    expect((await api(server.url, 'DELETE', `/api/comments/${draft.id}`, undefined, users.pairMember.cookie)).status).toBe(404);
    expect((await api(server.url, 'DELETE', `/api/comments/${draft.id}`, undefined, users.ta.cookie)).status).toBe(403);
  });

  test('[CL-3] students see classmates\' names but never their emails; staff see emails', async () => {
    const asStudent = await call(server.url, users.studentOfOtherPair, 'GET', `/api/classes/${pair.classId}/members`, undefined, 200);
    expect(JSON.stringify(asStudent)).not.toContain('@example.edu');
    expect(asStudent.members.map((m: { displayName: string }) => m.displayName)).toContain('Pia');
    const asTa = await call(server.url, users.ta, 'GET', `/api/classes/${pair.classId}/members`, undefined, 200);
    expect(JSON.stringify(asTa)).toContain('@example.edu');
    // Only staff see the join code.
    expect((await call(server.url, users.pairMember, 'GET', `/api/classes/${pair.classId}`)).joinCode).toBeUndefined();
    expect((await call(server.url, users.ta, 'GET', `/api/classes/${pair.classId}`)).joinCode).toBe(pair.joinCode);
  });

  test('[AS-4] a student sees only their own group; staff see all', async () => {
    const mine = await call(server.url, users.pairMember, 'GET', `/api/assignments/${pair.assignmentId}/groups`, undefined, 200);
    expect(mine.groups).toHaveLength(1);
    expect(mine.groups[0].workspaceId).toBe(pair.workspaceId);
    const all = await call(server.url, users.ta, 'GET', `/api/assignments/${pair.assignmentId}/groups`, undefined, 200);
    expect(all.groups).toHaveLength(2);
  });

  test('[WS-6] a broadcast workspace is readable (not writable) by the class, only while broadcasting', async () => {
    const student = await rawAs('pairMember');
    const outsider = await rawAs('studentOfOtherClass');
    const doc = `${teacherWorkspace}:${(await call(server.url, pair.teacher, 'GET', `/api/workspaces/${teacherWorkspace}`)).files[0].id}`;
    expect((await student.request({ a: 'f', c: 'files', d: doc })).error).toMatchObject({ code: 'ERR_TANDEM_FORBIDDEN' });
    await call(server.url, pair.teacher, 'PUT', `/api/classes/${pair.classId}/broadcast`, { workspaceId: teacherWorkspace }, 200);
    const seen = await student.request({ a: 'f', c: 'files', d: doc });
    expect(seen.error).toBeUndefined();
    expect((seen.data as { data: string }).data).toBe('demo');
    const write = await student.request({ a: 'op', c: 'files', d: doc, v: 1, seq: 1, op: ['x'] });
    expect(write.error).toMatchObject({ code: 'ERR_TANDEM_FORBIDDEN' });
    expect((await outsider.request({ a: 'f', c: 'files', d: doc })).error).toMatchObject({ code: 'ERR_TANDEM_FORBIDDEN' });
    // The student follows the broadcast live; the teacher types.
    const sub = await student.request({ a: 's', c: 'files', d: doc });
    expect(sub.error).toBeUndefined();
    const teacher = new RawClient(server.url, pair.teacher.cookie);
    raws.push(teacher);
    await teacher.connected();
    const live = await teacher.request({ a: 'op', c: 'files', d: doc, v: 1, seq: 1, op: [4, ' live'] });
    expect(live.error).toBeUndefined();
    await waitFor(() => JSON.stringify(student.received).includes(' live'), 'the broadcast edit to reach the class');
    // Broadcast ends: the same subscription stops receiving ops at once (op middleware, WS-6).
    await call(server.url, pair.teacher, 'PUT', `/api/classes/${pair.classId}/broadcast`, { workspaceId: null }, 200);
    const after = await teacher.request({ a: 'op', c: 'files', d: doc, v: 2, seq: 2, op: [9, ' private'] });
    expect(after.error).toBeUndefined();
    await new Promise((r) => setTimeout(r, 400));
    expect(JSON.stringify(student.received)).not.toContain(' private');
    expect((await student.request({ a: 'f', c: 'files', d: doc })).error).toMatchObject({ code: 'ERR_TANDEM_FORBIDDEN' });
  });
});
