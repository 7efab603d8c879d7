import type { Doc } from 'sharedb/lib/client';
import type { TandemClient } from '../../lib/client/tandem-client';
import type { FileHistory, ReviewView, SubmissionDetail, SubmissionView } from '../../lib/review/review-api';
import { ServerProcess, api } from '../helpers/server-process';
import { RawClient, newClient, subscribeFile, waitFor, whenAcked } from '../helpers/clients';
import { call, pairWorkspace, type TestUser } from '../helpers/accounts';

/**
 * Issue #4 op retention (RT-*) through a real server: keystroke history is kept while the class's
 * retention window runs, then compacted to milestones at every submitted version; playback of
 * what is kept, submissions, comments, blame and live editing keep working, and a client that
 * comes back with a version older than the kept history is refused instead of corrupting text.
 */
describe('op retention', () => {
  let server: ServerProcess;
  const clients: TandemClient[] = [];
  const raws: RawClient[] = [];

  beforeAll(async () => {
    server = await ServerProcess.start({ env: { RETENTION_SWEEP_SECONDS: '0.2' } });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
    for (const r of raws.splice(0)) r.close();
  });
  afterAll(async () => {
    await server.dispose();
  });

  async function typeEach(doc: Doc<string>, at: number, text: string): Promise<void> {
    let pos = at;
    for (const ch of [...text]) {
      doc.submitOp(pos === 0 ? [ch] : [pos, ch]);
      await whenAcked(doc);
      pos++;
    }
  }

  async function stale(user: TestUser, docId: string, v: number, op: unknown[]): Promise<Record<string, unknown>> {
    const r = new RawClient(server.url, user.cookie);
    raws.push(r);
    await r.connected();
    await r.request({ a: 'hs', id: null, protocol: 1, protocolMinor: 2 });
    return r.request({ a: 'op', c: 'files', d: docId, v, seq: 1, op });
  }

  test('[RT-1][RT-2][RT-3] history is kept inside the window, compacted after it; kept versions, comments, blame and live editing still work', async () => {
    const pair = await pairWorkspace(server.url, [{ name: 'main.py', content: 'start\n' }]);
    const [ada] = pair.students as [TestUser];
    const t = pair.teacher;
    const fileId = pair.fileIds['main.py']!;
    const docId = `${pair.workspaceId}:${fileId}`;
    const client = newClient(server.url, ada);
    clients.push(client);
    const doc = await subscribeFile(client, pair.workspaceId, fileId);
    await typeEach(doc, 6, 'abc');
    const sub = await call<SubmissionView>(server.url, ada, 'POST', `/api/workspaces/${pair.workspaceId}/submit`, undefined, 201);
    const submitted = sub.files[0]!.version;
    expect(submitted).toBe(4);
    await call(server.url, t, 'POST', `/api/workspaces/${pair.workspaceId}/comments`, { fileId, version: submitted, from: 6, to: 9, body: 'name this' }, 201);
    await typeEach(doc, 0, 'XY');

    // Policy: staff only, validated; a student cannot change it.
    expect((await api(server.url, 'PUT', `/api/classes/${pair.classId}/retention`, { opRetentionDays: 0 }, ada.cookie)).status).toBe(403);
    expect((await api(server.url, 'PUT', `/api/classes/${pair.classId}/retention`, { opRetentionDays: -1 }, t.cookie)).status).toBe(400);
    expect((await api(server.url, 'PUT', `/api/assignments/${pair.assignmentId}/grades-final`, { final: 'yes' }, t.cookie)).status).toBe(400);
    expect(await call(server.url, t, 'GET', `/api/classes/${pair.classId}/retention`, undefined, 200)).toEqual({ opRetentionDays: null });

    // Inside the window (7 days): nothing is compacted, and a client back from offline at the
    // submitted version still gets its op transformed and applied.
    await call(server.url, t, 'PUT', `/api/classes/${pair.classId}/retention`, { opRetentionDays: 7 }, 200);
    const marked = await call(server.url, t, 'PUT', `/api/assignments/${pair.assignmentId}/grades-final`, { final: true }, 200);
    expect(marked.compactAfter - marked.gradesFinalAt).toBe(7 * 86_400_000);
    await new Promise((r) => setTimeout(r, 600));
    expect((await call<FileHistory>(server.url, t, 'GET', `/api/workspaces/${pair.workspaceId}/files/${fileId}/history`)).firstVersion).toBe(0);
    const resumed = await stale(ada, docId, submitted, [9, '!']);
    expect(resumed.error).toBeUndefined();
    await waitFor(() => doc.data === 'XYstart\nabc!', 'the resumed op to reach the editor');

    // The window ends (retention 0 days): the next sweep compacts.
    await call(server.url, t, 'PUT', `/api/classes/${pair.classId}/retention`, { opRetentionDays: 0 }, 200);
    let history!: FileHistory;
    const deadline = Date.now() + 15_000;
    do {
      await new Promise((r) => setTimeout(r, 200));
      history = await call<FileHistory>(server.url, t, 'GET', `/api/workspaces/${pair.workspaceId}/files/${fileId}/history`, undefined, 200);
    } while (history.firstVersion === 0 && Date.now() < deadline);
    const current = doc.version!;
    expect(history.firstVersion).toBe(current);
    expect(history.keptVersions).toContain(submitted);
    expect((await call(server.url, ada, 'GET', `/api/workspaces/${pair.workspaceId}/files/${fileId}/versions/${submitted}`)).text).toBe('start\nabc');
    const gone = await api<{ error: { message: string } }>(server.url, 'GET', `/api/workspaces/${pair.workspaceId}/files/${fileId}/versions/${submitted - 1}`, undefined, ada.cookie);
    expect(gone.status).toBe(404);
    expect(gone.body.error.message).toMatch(/older than the history this class keeps/);
    const detail = await call<SubmissionDetail>(server.url, t, 'GET', `/api/submissions/${sub.id}`, undefined, 200);
    expect(detail.files[0]!.text).toBe('start\nabc');
    // The comment was moved along before its ops went: it still marks "abc".
    const review = await call<ReviewView>(server.url, t, 'GET', `/api/groups/${pair.groupId}/review`, undefined, 200);
    const anchor = review.comments[0]!.current;
    expect(anchor.outdated).toBe(false);
    expect([...doc.data].slice(anchor.from, anchor.to).join('')).toBe('abc');
    const blame = await call(server.url, t, 'GET', `/api/workspaces/${pair.workspaceId}/files/${fileId}/blame`, undefined, 200);
    expect(blame.text).toBe(doc.data);
    expect(blame.spans.every((s: { source: string }) => s.source === 'compacted')).toBe(true);

    // Live editing carries on with full history from here.
    await typeEach(doc, 0, '#');
    const after = await call<FileHistory>(server.url, t, 'GET', `/api/workspaces/${pair.workspaceId}/files/${fileId}/history`, undefined, 200);
    expect(after.entries.map((e) => e.v)).toEqual([current]);
    expect((await call(server.url, t, 'GET', `/api/workspaces/${pair.workspaceId}/files/${fileId}/versions/${current + 1}`)).text).toBe('#XYstart\nabc!');
    // A client back with a version older than the kept history is refused; the text is unchanged.
    const refused = await stale(ada, docId, submitted, [0, 'LOST?']);
    expect(refused.error).toBeTruthy();
    await new Promise((r) => setTimeout(r, 200));
    expect(doc.data).toBe('#XYstart\nabc!');
    // Grades cannot be un-finalised once history is compacted.
    expect((await api(server.url, 'PUT', `/api/assignments/${pair.assignmentId}/grades-final`, { final: false }, t.cookie)).status).toBe(409);
  });
});
