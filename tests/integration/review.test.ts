import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { unzipSync, strFromU8 } from 'fflate';
import type { Doc } from 'sharedb/lib/client';
import type { TandemClient } from '../../lib/client/tandem-client';
import type { CommentView, FeedbackView, FileHistory, ReviewView, SubmissionDetail, SubmissionList, SubmissionView } from '../../lib/review/review-api';
import { ServerProcess, api } from '../helpers/server-process';
import { newClient, subscribeFile, waitFor, whenAcked } from '../helpers/clients';
import { call, logIn, pairWorkspace, signUp, type PairFixture, type TestUser } from '../helpers/accounts';

const ADMIN_EMAIL = 'review-admin@example.edu';
const ADMIN_PASSWORD = 'admin-password-123';

/**
 * Issue #4 through a real server process and SQLite files: submissions as version references,
 * resubmission and lateness, the submission list and zip, anchored comments through later edits,
 * rubric, grade and release, history at every version, blame, provenance, paste signals and the
 * audit trail — and who may call what.
 */
describe('submissions and review', () => {
  let server: ServerProcess;
  let admin: TestUser;
  const clients: TandemClient[] = [];

  beforeAll(async () => {
    // Milestones every 10 versions (the least allowed), so playback steps are served from them here.
    server = await ServerProcess.start({ env: { ADMIN_EMAIL, ADMIN_PASSWORD, PASTE_SIGNAL_MIN_CHARS: '40', MILESTONE_INTERVAL: '10' } });
    admin = await logIn(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await server.dispose();
  });

  async function open(user: TestUser, pair: PairFixture, file = 'main.py'): Promise<Doc<string>> {
    const client = newClient(server.url, user);
    clients.push(client);
    return subscribeFile(client, pair.workspaceId, pair.fileIds[file]!);
  }

  /** Type `text` one character per op at `at`, the way an editor does. */
  async function type(doc: Doc<string>, at: number, text: string): Promise<void> {
    let pos = at;
    for (const ch of [...text]) {
      doc.submitOp(pos === 0 ? [ch] : [pos, ch]);
      pos++;
    }
    await whenAcked(doc);
  }

  /** One op, as an editor paste sends it (provenance in `x.source`, P-OP-PROV). */
  async function paste(doc: Doc<string>, at: number, text: string): Promise<void> {
    const d = doc as Doc<string> & { submitSource: boolean };
    d.submitSource = true;
    doc.submitOp(at === 0 ? [text] : [at, text], { source: { binding: 'test', kind: 'pasted' } });
    await whenAcked(doc);
    d.submitSource = false;
  }

  test('[SB-1][SB-4] a submission is the files at their versions; later edits do not change it; resubmission diffs against it', async () => {
    const pair = await pairWorkspace(server.url, [{ name: 'main.py', content: 'print(1)\n' }, { name: 'util.py', content: '' }]);
    const [ada, brian] = pair.students as [TestUser, TestUser];
    const doc = await open(ada, pair);
    await type(doc, 9, 'x = 2\n');
    const first = await call<SubmissionView>(server.url, brian, 'POST', `/api/workspaces/${pair.workspaceId}/submit`, undefined, 201);
    expect(first.number).toBe(1);
    expect(first.late).toBe(false);
    expect(first.submittedBy.displayName).toBe('Brian');
    expect(first.files.map((f) => f.name).sort()).toEqual(['main.py', 'util.py']);
    await type(doc, 0, '# v2\n');
    const second = await call<SubmissionView>(server.url, ada, 'POST', `/api/workspaces/${pair.workspaceId}/submit`, undefined, 201);
    expect(second.number).toBe(2);

    const d1 = await call<SubmissionDetail>(server.url, pair.teacher, 'GET', `/api/submissions/${first.id}`, undefined, 200);
    const main1 = d1.files.find((f) => f.name === 'main.py')!;
    expect(main1.text).toBe('print(1)\nx = 2\n');
    expect(main1.starterText).toBe('print(1)\n');
    expect(main1.previousText).toBeNull();
    const d2 = await call<SubmissionDetail>(server.url, ada, 'GET', `/api/submissions/${second.id}`, undefined, 200);
    const main2 = d2.files.find((f) => f.name === 'main.py')!;
    expect(main2.text).toBe('# v2\nprint(1)\nx = 2\n');
    expect(main2.previousText).toBe('print(1)\nx = 2\n');
    expect(d2.history.map((s) => s.id)).toEqual([first.id, second.id]);
    expect((await call<SubmissionView[]>(server.url, brian, 'GET', `/api/workspaces/${pair.workspaceId}/submissions`, undefined, 200)).length).toBe(2);
    // The teacher cannot submit for the students; nobody outside the class learns it exists.
    expect((await api(server.url, 'POST', `/api/workspaces/${pair.workspaceId}/submit`, undefined, pair.teacher.cookie)).status).toBe(403);
    const outsider = await signUp(server.url, 'Outsider');
    expect((await api(server.url, 'POST', `/api/workspaces/${pair.workspaceId}/submit`, undefined, outsider.cookie)).status).toBe(404);
    expect((await api(server.url, 'GET', `/api/submissions/${first.id}`, undefined, outsider.cookie)).status).toBe(404);
  });

  test('[SB-2] after the deadline a first submission is flagged late and an on-time one cannot be replaced', async () => {
    const pair = await pairWorkspace(server.url);
    const [ada] = pair.students as [TestUser];
    const other = await pairWorkspace(server.url);
    // Deadline in the past for both assignments, after `pair` submitted on time.
    const onTime = await call<SubmissionView>(server.url, ada, 'POST', `/api/workspaces/${pair.workspaceId}/submit`, undefined, 201);
    expect(onTime.late).toBe(false);
    for (const p of [pair, other]) {
      await call(server.url, p.teacher, 'PATCH', `/api/assignments/${p.assignmentId}`, { deadline: Date.now() - 1000 }, 200);
    }
    const refused = await api<{ error: { message: string } }>(server.url, 'POST', `/api/workspaces/${pair.workspaceId}/submit`, undefined, ada.cookie);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/deadline has passed/);
    const late = await call<SubmissionView>(server.url, other.students[0]!, 'POST', `/api/workspaces/${other.workspaceId}/submit`, undefined, 201);
    expect(late.late).toBe(true);
    const list = await call<SubmissionList>(server.url, other.teacher, 'GET', `/api/assignments/${other.assignmentId}/submissions?status=late`, undefined, 200);
    expect(list.rows.map((r) => r.status)).toEqual(['late']);
  });

  test('[SB-3][SB-5][AD-1] the list filters by state; the zip opens cleanly with one folder per group; the export is audited', async () => {
    const teacher = await signUp(server.url, 'Teacher');
    const klass = await call(server.url, teacher, 'POST', '/api/classes', { name: 'CS' }, 201);
    const s = [];
    for (const n of ['Ann', 'Ben', 'Cat', 'Dan']) s.push(await signUp(server.url, n, klass.joinCode));
    const a = await call(server.url, teacher, 'POST', `/api/classes/${klass.id}/assignments`, {
      title: 'Lab: "quotes"/slashes',
      starterFiles: [{ name: 'main.py', content: 'print("hi")\n' }],
    }, 201);
    await call(server.url, teacher, 'PATCH', `/api/assignments/${a.id}`, { published: true }, 200);
    await call(server.url, teacher, 'PUT', `/api/assignments/${a.id}/groups`, { groups: [[s[0]!.id, s[1]!.id], [s[2]!.id, s[3]!.id]] }, 200);
    const opened = await call(server.url, s[0]!, 'POST', `/api/assignments/${a.id}/open`, undefined, 200);
    await call(server.url, s[1]!, 'POST', `/api/workspaces/${opened.workspaceId}/submit`, undefined, 201);

    const all = await call<SubmissionList>(server.url, teacher, 'GET', `/api/assignments/${a.id}/submissions`, undefined, 200);
    expect(all.rows.map((r) => r.status).sort()).toEqual(['missing', 'submitted']);
    expect((await call<SubmissionList>(server.url, teacher, 'GET', `/api/assignments/${a.id}/submissions?status=missing`, undefined, 200)).rows[0]!.members.map((m) => m.displayName)).toEqual(['Cat', 'Dan']);
    expect((await api(server.url, 'GET', `/api/assignments/${a.id}/submissions?status=bogus`, undefined, teacher.cookie)).status).toBe(400);
    expect((await api(server.url, 'GET', `/api/assignments/${a.id}/submissions`, undefined, s[0]!.cookie)).status).toBe(403);

    const res = await fetch(`${server.url}/api/assignments/${a.id}/submissions.zip`, { headers: { cookie: teacher.cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    const bytes = new Uint8Array(await res.arrayBuffer());
    const files = unzipSync(bytes);
    expect(Object.keys(files).sort()).toEqual(['Ann & Ben/main.py', 'manifest.json']);
    expect(strFromU8(files['Ann & Ben/main.py']!)).toBe('print("hi")\n');
    const manifest = JSON.parse(strFromU8(files['manifest.json']!));
    expect(manifest.groups.map((g: { status: string }) => g.status).sort()).toEqual(['missing', 'submitted']);
    // The system unzip agrees the archive is sound.
    const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-zip-')), 'all.zip');
    fs.writeFileSync(tmp, bytes);
    expect(execFileSync('unzip', ['-t', tmp]).toString()).toMatch(/No errors detected/);
    expect((await api(server.url, 'GET', `/api/assignments/${a.id}/submissions.zip`, undefined, s[0]!.cookie)).status).toBe(403);

    const audit = await call(server.url, admin, 'GET', '/api/admin/audit?limit=500', undefined, 200);
    expect(audit.filter((e: { action: string; target: string }) => e.action === 'export' && e.target === `assignment:${a.id}`)).toHaveLength(1);
  });

  test('[CM-1][CM-2][CM-4][GR-3] comments are drafts until released, stay on their code through later edits, and students reply only to released ones', async () => {
    const pair = await pairWorkspace(server.url, [{ name: 'main.py', content: 'def area(r):\n    return 3.14 * r * r\n' }]);
    const [ada, brian] = pair.students as [TestUser, TestUser];
    const sub = await call<SubmissionView>(server.url, ada, 'POST', `/api/workspaces/${pair.workspaceId}/submit`, undefined, 201);
    const file = sub.files[0]!;
    const text = 'def area(r):\n    return 3.14 * r * r\n';
    const from = [...text].indexOf('3');
    const comment = await call<CommentView>(server.url, pair.teacher, 'POST', `/api/workspaces/${pair.workspaceId}/comments`, {
      fileId: file.fileId,
      version: file.version,
      from,
      to: from + 4,
      body: 'Use math.pi',
    }, 201);
    expect(comment.quote).toBe('3.14');
    expect(comment.releasedAt).toBeNull();
    expect(comment.author.staff).toBe(true);
    // Students see nothing before release, and cannot reply to a draft or start a thread.
    expect((await call<FeedbackView>(server.url, ada, 'GET', `/api/workspaces/${pair.workspaceId}/feedback`, undefined, 200)).comments).toEqual([]);
    const body = { fileId: file.fileId, version: file.version, from: 0, to: 1, body: 'ok' };
    expect((await api(server.url, 'POST', `/api/workspaces/${pair.workspaceId}/comments`, { ...body, parentId: comment.id }, ada.cookie)).status).toBe(404);
    expect((await api(server.url, 'POST', `/api/workspaces/${pair.workspaceId}/comments`, body, ada.cookie)).status).toBe(403);

    // Students keep editing: text before the comment, and inside it.
    const doc = await open(brian, pair);
    await type(doc, 0, 'import math\n\n');
    await call(server.url, pair.teacher, 'POST', `/api/groups/${pair.groupId}/release`, undefined, 200);
    const feedback = await call<FeedbackView>(server.url, ada, 'GET', `/api/workspaces/${pair.workspaceId}/feedback`, undefined, 200);
    expect(feedback.comments).toHaveLength(1);
    const carried = feedback.comments[0]!.current;
    expect([...doc.data].slice(carried.from, carried.to).join('')).toBe('3.14');
    expect(carried.outdated).toBe(false);

    const reply = await call<CommentView>(server.url, ada, 'POST', `/api/workspaces/${pair.workspaceId}/comments`, { ...body, parentId: comment.id, body: 'Done!' }, 201);
    expect(reply.releasedAt).not.toBeNull();
    expect(reply.fileId).toBe(file.fileId);
    // Only the author edits; the student's reply is theirs.
    expect((await api(server.url, 'PATCH', `/api/comments/${comment.id}`, { body: 'x' }, ada.cookie)).status).toBe(403);
    expect((await call<CommentView>(server.url, ada, 'PATCH', `/api/comments/${reply.id}`, { body: 'Done.' }, 200)).body).toBe('Done.');

    // Replacing the commented text makes the comment outdated, and it stays so.
    const start = [...doc.data].indexOf('3');
    doc.submitOp([start, { d: 4 }, 'math.pi']);
    await whenAcked(doc);
    const review = await call<ReviewView>(server.url, pair.teacher, 'GET', `/api/groups/${pair.groupId}/review`, undefined, 200);
    const top = review.comments.find((c) => c.id === comment.id)!;
    expect(top.current.outdated).toBe(true);
    expect(top.quote).toBe('3.14');
    expect(review.comments.find((c) => c.id === reply.id)!.author.staff).toBe(false);
  });

  test('[GR-1][GR-2] rubric scores are checked against the rubric; a changed grade is a draft again', async () => {
    const pair = await pairWorkspace(server.url);
    const [ada] = pair.students as [TestUser];
    const rubric = await call(server.url, pair.teacher, 'PUT', `/api/assignments/${pair.assignmentId}/rubric`, {
      criteria: [{ id: 'works', title: 'Works', points: 5 }, { id: 'style', title: 'Style', points: 3, description: 'Readable' }],
    }, 200);
    expect(rubric.maxScore).toBe(8);
    for (const scores of [{ works: 6 }, { nope: 1 }, { works: -1 }, { works: 'five' }]) {
      expect((await api(server.url, 'PUT', `/api/groups/${pair.groupId}/grade`, { scores }, pair.teacher.cookie)).status).toBe(400);
    }
    expect((await api(server.url, 'PUT', `/api/groups/${pair.groupId}/grade`, { scores: { works: 1 } }, ada.cookie)).status).toBe(403);
    const grade = await call(server.url, pair.teacher, 'PUT', `/api/groups/${pair.groupId}/grade`, { scores: { works: 4, style: 2.5 }, summary: 'Nice' }, 200);
    expect(grade.total).toBe(6.5);
    expect((await call<FeedbackView>(server.url, ada, 'GET', `/api/workspaces/${pair.workspaceId}/feedback`, undefined, 200)).grade).toBeNull();
    await call(server.url, pair.teacher, 'POST', `/api/groups/${pair.groupId}/release`, undefined, 200);
    expect((await call<FeedbackView>(server.url, ada, 'GET', `/api/workspaces/${pair.workspaceId}/feedback`, undefined, 200)).grade?.total).toBe(6.5);
    await call(server.url, pair.teacher, 'PUT', `/api/groups/${pair.groupId}/grade`, { scores: { works: 5, style: 2.5 }, summary: 'Nice' }, 200);
    expect((await call<FeedbackView>(server.url, ada, 'GET', `/api/workspaces/${pair.workspaceId}/feedback`, undefined, 200)).grade).toBeNull();
    const list = await call<SubmissionList>(server.url, pair.teacher, 'GET', `/api/assignments/${pair.assignmentId}/submissions`, undefined, 200);
    expect(list.rows[0]!.score).toBe(7.5);
    expect(list.maxScore).toBe(8);
  });

  test('[HS-1][HS-2] the text at every version equals what a subscribed client saw at that version', async () => {
    const pair = await pairWorkspace(server.url, [{ name: 'main.py', content: 'start\n' }]);
    const [ada, brian] = pair.students as [TestUser, TestUser];
    const a = await open(ada, pair);
    const b = await open(brian, pair);
    const watcher = await open(ada, pair);
    const seen = new Map<number, string>([[watcher.version!, watcher.data]]);
    watcher.on('op', () => seen.set(watcher.version!, watcher.data));
    // Concurrent typing from two clients, with emoji and CJK, at both ends.
    const typing = [type(a, 0, 'A😀世'), type(b, 6, 'b\nz')];
    await Promise.all(typing);
    await waitFor(() => watcher.version === a.version && watcher.data === a.data, 'watcher caught up');
    const history = await call<FileHistory>(server.url, brian, 'GET', `/api/workspaces/${pair.workspaceId}/files/${pair.fileIds['main.py']}/history`, undefined, 200);
    expect(history.version).toBe(watcher.version);
    expect(history.entries[0]).toMatchObject({ v: 0, source: 'starter', inserted: 6 });
    // Keystrokes typed while one is in flight are composed into one op by ShareDB's client.
    expect(history.entries.slice(1).every((e) => e.source === 'typed' && e.deleted === 0)).toBe(true);
    expect(history.entries.slice(1).reduce((n, e) => n + e.inserted, 0)).toBe(6);
    expect(history.authors.map((x) => x.displayName).sort()).toEqual(['Ada', 'Brian']);
    for (const [v, text] of seen) {
      const at = await call(server.url, ada, 'GET', `/api/workspaces/${pair.workspaceId}/files/${pair.fileIds['main.py']}/versions/${v}`, undefined, 200);
      expect(at.text).toBe(text);
    }
    expect((await api(server.url, 'GET', `/api/workspaces/${pair.workspaceId}/files/${pair.fileIds['main.py']}/versions/99999`, undefined, ada.cookie)).status).toBe(404);
    expect((await api(server.url, 'GET', `/api/workspaces/${pair.workspaceId}/files/${pair.fileIds['main.py']}/versions/-1`, undefined, ada.cookie)).status).toBe(400);
  });

  test('[HS-2] past several milestones, every version is served right: from the nearest milestone and the ops after it', async () => {
    const pair = await pairWorkspace(server.url, [{ name: 'main.py', content: 'start\n' }]);
    const a = await open(pair.students[0]!, pair);
    const seen = new Map<number, string>([[a.version!, a.data]]);
    for (const ch of [...'def f(x):\n    return x * 2  # 😀 done\n']) {
      a.submitOp([a.data.length - 1, ch]);
      await whenAcked(a);
      seen.set(a.version!, a.data);
    }
    a.submitOp([0, { d: 6 }]); // the starter line goes
    await whenAcked(a);
    seen.set(a.version!, a.data);
    expect(a.version).toBeGreaterThan(35);
    for (const [v, text] of seen) {
      const at = await call(server.url, pair.teacher, 'GET', `/api/workspaces/${pair.workspaceId}/files/${pair.fileIds['main.py']}/versions/${v}`, undefined, 200);
      expect({ v, text: at.text }).toEqual({ v, text });
    }
  });

  test('[BL-1][P-OP-PROV] blame attributes every character after a two-person session; pasted ops say so', async () => {
    const pair = await pairWorkspace(server.url, [{ name: 'main.py', content: 'S\n' }]);
    const [ada, brian] = pair.students as [TestUser, TestUser];
    const a = await open(ada, pair);
    const b = await open(brian, pair);
    await type(a, 2, 'aaa');
    await waitFor(() => b.data === a.data, 'brian sees ada');
    await type(b, 3, 'BB'); // S\naBBaa
    await waitFor(() => a.data === b.data, 'ada sees brian');
    a.submitOp([4, { d: 1 }]); // ada deletes one of Brian's B: S\naBaa
    await whenAcked(a);
    await waitFor(() => b.data === a.data, 'brian sees the delete');
    await paste(b, 6, 'PP');
    const blame = await call(server.url, pair.teacher, 'GET', `/api/workspaces/${pair.workspaceId}/files/${pair.fileIds['main.py']}/blame`, undefined, 200);
    expect(blame.text).toBe('S\naBaaPP');
    const owner = (i: number) => blame.spans.find((s: { from: number; to: number }) => s.from <= i && i < s.to);
    const expected = [null, null, ada.id, brian.id, ada.id, ada.id, brian.id, brian.id];
    expected.forEach((who, i) => expect(owner(i).author).toBe(who));
    expect(owner(0).source).toBe('starter');
    expect(owner(3).source).toBe('typed');
    expect(owner(6).source).toBe('pasted');
    const byAuthor = Object.fromEntries(blame.contributions.map((c: { author: string; chars: number }) => [c.author, c.chars]));
    expect(byAuthor).toMatchObject({ [ada.id]: 3, [brian.id]: 3 });
  });

  test('[PS-1] a large paste from outside is flagged; typing it, or moving text within the workspace, is not', async () => {
    const pair = await pairWorkspace(server.url, [{ name: 'main.py', content: '' }, { name: 'notes.txt', content: '' }]);
    const [ada] = pair.students as [TestUser];
    const main = await open(ada, pair);
    const notes = await open(ada, pair, 'notes.txt');
    const outside = 'def solve(xs):\n    return sorted(set(xs), reverse=True)[:3]\n';
    // Typed fast: ShareDB composes the keystrokes into one large op, declared typed: not a signal.
    await type(main, 0, outside);
    const moved = 'this paragraph was written here first, by hand, in the notes';
    await type(notes, 0, moved);
    await paste(main, [...main.data].length, `\n${moved}`); // from within the workspace
    await paste(main, [...main.data].length, '\nclass Stack:\n    def __init__(self):\n        self.items = []\n'); // from outside
    expect((await api(server.url, 'GET', `/api/workspaces/${pair.workspaceId}/paste-signals`, undefined, ada.cookie)).status).toBe(403);
    const signals = await call(server.url, pair.teacher, 'GET', `/api/workspaces/${pair.workspaceId}/paste-signals`, undefined, 200);
    expect(signals).toHaveLength(1);
    expect(signals[0]).toMatchObject({ fileName: 'main.py', source: 'pasted', author: { id: ada.id } });
    expect(signals[0].preview).toMatch(/^class Stack:/);
    const at = await call(server.url, pair.teacher, 'GET', `/api/workspaces/${pair.workspaceId}/files/${pair.fileIds['main.py']}/versions/${signals[0].v + 1}`, undefined, 200);
    expect(at.text).toContain('class Stack:');
  });

  test('[AD-1][AD-2] every staff view of a group’s work writes one audit row; students reading their own do not; only admins read the log', async () => {
    const pair = await pairWorkspace(server.url);
    const [ada] = pair.students as [TestUser];
    const sub = await call<SubmissionView>(server.url, ada, 'POST', `/api/workspaces/${pair.workspaceId}/submit`, undefined, 201);
    const before = await call(server.url, admin, 'GET', `/api/admin/audit?limit=500&subject=${ada.id}`, undefined, 200);
    await call(server.url, ada, 'GET', `/api/submissions/${sub.id}`, undefined, 200);
    await call(server.url, ada, 'GET', `/api/workspaces/${pair.workspaceId}/files/${pair.fileIds['main.py']}/history`, undefined, 200);
    await call(server.url, pair.teacher, 'GET', `/api/submissions/${sub.id}`, undefined, 200);
    await call(server.url, pair.teacher, 'GET', `/api/groups/${pair.groupId}/review`, undefined, 200);
    await call(server.url, pair.teacher, 'GET', `/api/workspaces/${pair.workspaceId}/files/${pair.fileIds['main.py']}/history`, undefined, 200);
    const after = await call(server.url, admin, 'GET', `/api/admin/audit?limit=500&subject=${ada.id}`, undefined, 200);
    const added = after.slice(0, after.length - before.length);
    expect(added.map((e: { action: string; target: string }) => `${e.action} ${e.target.split(':')[0]}`).sort()).toEqual(['view file', 'view group', 'view submission']);
    expect(added.every((e: { actor: { id: string }; detail: { members: string[] } }) => e.actor.id === pair.teacher.id && e.detail.members.includes(ada.id))).toBe(true);
    for (const who of [ada, pair.teacher]) expect((await api(server.url, 'GET', '/api/admin/audit', undefined, who.cookie)).status).toBe(403);
    expect((await api(server.url, 'GET', '/api/admin/audit?limit=0', undefined, admin.cookie)).status).toBe(400);
    // Append-only even for someone with the database file.
    const db = new Database(path.join(server.dataDir, 'classroom.sqlite'));
    try {
      expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
  });

  test('[RV-0] bad input on every review endpoint gets a clear 4xx and changes nothing', async () => {
    const pair = await pairWorkspace(server.url);
    const t = pair.teacher;
    const ws = pair.workspaceId;
    const cases: Array<[string, string, unknown, number]> = [
      ['POST', `/api/workspaces/${ws}/comments`, { fileId: pair.fileIds['main.py'], version: 1, from: 5, to: 2, body: 'x' }, 400],
      ['POST', `/api/workspaces/${ws}/comments`, { fileId: pair.fileIds['main.py'], version: 1, from: 0, to: 999, body: 'x' }, 400],
      ['POST', `/api/workspaces/${ws}/comments`, { fileId: pair.fileIds['main.py'], version: 999, from: 0, to: 0, body: 'x' }, 400],
      ['POST', `/api/workspaces/${ws}/comments`, { fileId: pair.fileIds['main.py'], version: 1, from: 0, to: 0, body: '   ' }, 400],
      ['POST', `/api/workspaces/${ws}/comments`, { fileId: 'nofile000', version: 1, from: 0, to: 0, body: 'x' }, 404],
      ['POST', `/api/workspaces/${ws}/comments`, { fileId: pair.fileIds['main.py'], version: 1, from: 0, to: 0, body: 'x', extra: 1 }, 400],
      ['POST', `/api/workspaces/${ws}/comments`, '{not json', 400],
      ['PUT', `/api/assignments/${pair.assignmentId}/rubric`, { criteria: [{ title: '', points: 1 }] }, 400],
      ['PUT', `/api/assignments/${pair.assignmentId}/rubric`, { criteria: [{ id: 'a', title: 'A', points: 1 }, { id: 'a', title: 'B', points: 1 }] }, 400],
      ['PUT', `/api/assignments/${pair.assignmentId}/rubric`, { criteria: [{ id: '__proto__!', title: 'A', points: 1 }] }, 400],
      ['PUT', `/api/groups/${pair.groupId}/grade`, '{"scores":{"__proto__":1}}', 400],
      ['PUT', `/api/groups/${pair.groupId}/grade`, { scores: { constructor: 1 } }, 400],
      ['GET', `/api/submissions/%3Cscript%3E`, undefined, 404],
      ['GET', `/api/groups/nogroup00/review`, undefined, 404],
      ['PATCH', `/api/comments/nocomment0`, { body: 'x' }, 404],
    ];
    for (const [method, url, body, status] of cases) {
      const res = await api<{ error?: { message: string } }>(server.url, method, url, body, t.cookie);
      expect([method, url, res.status]).toEqual([method, url, status]);
      expect(typeof res.body?.error?.message).toBe('string');
    }
    const review = await call<ReviewView>(server.url, t, 'GET', `/api/groups/${pair.groupId}/review`, undefined, 200);
    expect(review.comments).toEqual([]);
    expect(review.rubric.criteria).toEqual([]);
    expect(review.grade).toBeNull();
  });
});
