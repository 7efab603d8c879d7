import type { Socket } from 'socket.io-client';
import type { TandemClient } from '../../lib/client/tandem-client';
import { ServerProcess, api } from '../helpers/server-process';
import { newClient, subscribeFile, waitFor, whenAcked } from '../helpers/clients';
import { call, pairWorkspace, signUp, type TestUser } from '../helpers/accounts';

/**
 * Issue #3 classroom flows through a real server: join codes, assignments and their Markdown,
 * publishing, the three pairing modes, first-open workspace copies, pair roles and strict mode,
 * the help queue and the live activity feed over Socket.io, and bad input on every new endpoint.
 */
describe('classrooms', () => {
  let server: ServerProcess;
  const clients: TandemClient[] = [];
  const track = (c: TandemClient) => {
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    server = await ServerProcess.start();
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await server.dispose();
  });

  /** Emit an app event and wait for its ack. */
  function emit(socket: Socket, event: string, payload: unknown): Promise<{ ok: boolean; error?: string }> {
    return new Promise((resolve) => socket.emit(event, payload, resolve));
  }

  async function newClass(): Promise<{ teacher: TestUser; id: string; joinCode: string }> {
    const teacher = await signUp(server.url, 'Teacher');
    const klass = await call(server.url, teacher, 'POST', '/api/classes', { name: 'Intro to CS' }, 201);
    return { teacher, id: klass.id, joinCode: klass.joinCode };
  }

  test('[CL-2] join by code (any case), rotate the code, archive the class', async () => {
    const { teacher, id, joinCode } = await newClass();
    // A teacher account can join someone else's class as a student too, by code in any case.
    const student = await signUp(server.url, 'Sam');
    expect((await call(server.url, student, 'POST', '/api/join', { code: joinCode.toLowerCase() }, 200)).role).toBe('student');
    const pupil = await signUp(server.url, 'Pupil', joinCode);
    expect(pupil.role).toBe('student');
    const rotated = await call(server.url, teacher, 'POST', `/api/classes/${id}/join-code`, undefined, 200);
    expect(rotated.joinCode).not.toBe(joinCode);
    const late = await signUp(server.url, 'Late');
    expect((await api(server.url, 'POST', '/api/join', { code: joinCode }, late.cookie)).status).toBe(404);
    expect((await call(server.url, late, 'POST', '/api/join', { code: rotated.joinCode }, 200)).classId).toBe(id);
    // A student account cannot create classes at all.
    expect((await api(server.url, 'POST', '/api/classes', { name: 'Mine' }, pupil.cookie)).status).toBe(403);
    await call(server.url, teacher, 'PATCH', `/api/classes/${id}`, { archived: true }, 200);
    const another = await signUp(server.url, 'Another');
    expect((await api(server.url, 'POST', '/api/join', { code: rotated.joinCode }, another.cookie)).status).toBe(404);
    const me = await call(server.url, student, 'GET', '/api/auth/me', undefined, 200);
    expect(me.classes).toEqual([{ id, name: 'Intro to CS', role: 'student', archived: true }]);
  });

  test('[CL-2] a join link shows the class name before sign-up; unknown or archived codes do not', async () => {
    const { teacher, id, joinCode } = await newClass();
    expect(await call(server.url, null, 'GET', `/api/join/${joinCode.toLowerCase()}`, undefined, 200)).toEqual({ name: 'Intro to CS' });
    expect((await api(server.url, 'GET', '/api/join/NOPE2345')).status).toBe(404);
    expect((await api(server.url, 'GET', '/api/join/%3Cscript%3E')).status).toBe(404);
    await call(server.url, teacher, 'PATCH', `/api/classes/${id}`, { archived: true }, 200);
    expect((await api(server.url, 'GET', `/api/join/${joinCode}`)).status).toBe(404);
  });

  test('[AS-2] instructions are sanitised Markdown: no script, no event handlers, no javascript: links, no remote images', async () => {
    const { teacher, id } = await newClass();
    const markdown = [
      '# Lab <script>alert(1)</script>',
      '<img src=x onerror=alert(1)>',
      '[click](javascript:alert(1)) [docs](https://docs.python.org)',
      '![remote](https://tracker.example/pixel.png)',
      '```python\nprint("<b>hi</b>")\n```',
    ].join('\n\n');
    const a = await call(server.url, teacher, 'POST', `/api/classes/${id}/assignments`, { title: 'Lab', instructions: markdown }, 201);
    const html: string = a.instructionsHtml;
    expect(html).toContain('<h1>');
    // Raw HTML shows as text; no live tag, handler, script link or remote image survives.
    expect(html).not.toMatch(/<script|<img[^>]*onerror|href="javascript:|src="https:\/\/tracker/i);
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('href="https://docs.python.org"');
    expect(html).toContain('rel="noopener noreferrer nofollow"');
    expect(html).toContain('&lt;b&gt;hi&lt;/b&gt;');
  });

  test('[CL-4][AS-3][AS-4] publish, pair by hand, first open copies the starter once, re-pairing stops once started', async () => {
    const { teacher, id, joinCode } = await newClass();
    const [ann, ben, cat] = [await signUp(server.url, 'Ann', joinCode), await signUp(server.url, 'Ben', joinCode), await signUp(server.url, 'Cat', joinCode)];
    const a = await call(server.url, teacher, 'POST', `/api/classes/${id}/assignments`, {
      title: 'Loops',
      starterFiles: [{ name: 'main.py', content: 'for i in range(3):\r\n    pass\n' }, { name: 'README.md', content: '# Loops' }],
      mode: 'pairs',
    }, 201);
    // Draft: invisible to students.
    expect((await call(server.url, ann, 'GET', `/api/classes/${id}/assignments`)).assignments).toEqual([]);
    expect((await api(server.url, 'POST', `/api/assignments/${a.id}/open`, undefined, ann.cookie)).status).toBe(404);
    await call(server.url, teacher, 'PATCH', `/api/assignments/${a.id}`, { published: true }, 200);
    expect((await call(server.url, ann, 'GET', `/api/classes/${id}/assignments`)).assignments).toHaveLength(1);
    // Not paired yet.
    const unpaired = await api<{ error: { message: string } }>(server.url, 'POST', `/api/assignments/${a.id}/open`, undefined, ann.cookie);
    expect(unpaired.status).toBe(409);
    expect(unpaired.body.error.message).toMatch(/paired/);
    // Bad pairings are refused with the reason.
    for (const groups of [[[ann.id, ann.id]], [[ann.id], [ann.id]], [[teacher.id]], [['doesNotExist123']], [[ann.id, ben.id, cat.id, ann.id]]]) {
      expect((await api(server.url, 'PUT', `/api/assignments/${a.id}/groups`, { groups }, teacher.cookie)).status).toBe(400);
    }
    await call(server.url, teacher, 'PUT', `/api/assignments/${a.id}/groups`, { groups: [[ann.id, ben.id], [cat.id]] }, 200);
    // Ann and Ben open at the same moment: one workspace, copied from the starter.
    const [o1, o2] = await Promise.all([
      call(server.url, ann, 'POST', `/api/assignments/${a.id}/open`, undefined, 200),
      call(server.url, ben, 'POST', `/api/assignments/${a.id}/open`, undefined, 200),
    ]);
    expect(o1.workspaceId).toBe(o2.workspaceId);
    const ws = await call(server.url, ben, 'GET', `/api/workspaces/${o1.workspaceId}`, undefined, 200);
    expect(ws.files.map((f: { name: string }) => f.name)).toEqual(['main.py', 'README.md']);
    const doc = await subscribeFile(track(newClient(server.url, ann)), o1.workspaceId, ws.files.find((f: { name: string }) => f.name === 'main.py').id);
    expect(doc.data).toBe('for i in range(3):\n    pass\n');
    // Started groups keep their members: moving Ann now is refused; Cat can still be re-paired.
    expect((await api(server.url, 'PUT', `/api/assignments/${a.id}/groups`, { groups: [[ann.id, cat.id]] }, teacher.cookie)).status).toBe(409);
    const random = await call(server.url, teacher, 'POST', `/api/assignments/${a.id}/groups/random`, undefined, 200);
    expect(random.groups.map((g: { members: unknown[] }) => g.members.length)).toEqual([1]);
    const groups = await call(server.url, teacher, 'GET', `/api/assignments/${a.id}/groups`, undefined, 200);
    expect(groups.groups).toHaveLength(2);
    // Editing the starter later does not touch the opened copy.
    await call(server.url, teacher, 'PATCH', `/api/assignments/${a.id}`, { starterFiles: [{ name: 'other.py', content: '' }] }, 200);
    expect((await call(server.url, ann, 'GET', `/api/workspaces/${o1.workspaceId}`)).files).toHaveLength(2);
  });

  test('[AS-5] "students pick": a student pairs with a free classmate; taken or outside partners are refused', async () => {
    const { teacher, id, joinCode } = await newClass();
    const [dee, eve, fay] = [await signUp(server.url, 'Dee', joinCode), await signUp(server.url, 'Eve', joinCode), await signUp(server.url, 'Fay', joinCode)];
    const outsider = await signUp(server.url, 'Out');
    const a = await call(server.url, teacher, 'POST', `/api/classes/${id}/assignments`, { title: 'Pick', pairing: 'choice' }, 201);
    await call(server.url, teacher, 'PATCH', `/api/assignments/${a.id}`, { published: true }, 200);
    const g = await call(server.url, dee, 'POST', `/api/assignments/${a.id}/partner`, { userId: eve.id }, 201);
    expect(g.members.map((m: { displayName: string; role: string }) => `${m.displayName}:${m.role}`)).toEqual(['Dee:driver', 'Eve:navigator']);
    expect((await api(server.url, 'POST', `/api/assignments/${a.id}/partner`, { userId: eve.id }, fay.cookie)).status).toBe(409);
    expect((await api(server.url, 'POST', `/api/assignments/${a.id}/partner`, { userId: outsider.id }, fay.cookie)).status).toBe(400);
    expect((await api(server.url, 'POST', `/api/assignments/${a.id}/partner`, { userId: fay.id }, fay.cookie)).status).toBe(400);
    expect((await api(server.url, 'POST', `/api/assignments/${a.id}/partner`, { userId: 'bad id!' }, fay.cookie)).status).toBe(400);
    expect((await call(server.url, eve, 'POST', `/api/assignments/${a.id}/open`, undefined, 200)).workspaceId).toBeTruthy();
  });

  test('solo assignments give each student their own workspace on first open', async () => {
    const { teacher, id, joinCode } = await newClass();
    const [gus, hal] = [await signUp(server.url, 'Gus', joinCode), await signUp(server.url, 'Hal', joinCode)];
    const a = await call(server.url, teacher, 'POST', `/api/classes/${id}/assignments`, { title: 'Solo', mode: 'solo', starterFiles: [{ name: 's.py', content: 's' }] }, 201);
    await call(server.url, teacher, 'PATCH', `/api/assignments/${a.id}`, { published: true }, 200);
    const [g1, g1again, h1] = await Promise.all([
      call(server.url, gus, 'POST', `/api/assignments/${a.id}/open`, undefined, 200),
      call(server.url, gus, 'POST', `/api/assignments/${a.id}/open`, undefined, 200),
      call(server.url, hal, 'POST', `/api/assignments/${a.id}/open`, undefined, 200),
    ]);
    expect(g1.workspaceId).toBe(g1again.workspaceId);
    expect(g1.workspaceId).not.toBe(h1.workspaceId);
    expect((await api(server.url, 'GET', `/api/workspaces/${g1.workspaceId}`, undefined, hal.cookie)).status).toBe(404);
  });

  test('[PR-2][PR-3] strict pair mode: only the driver types; a swap hands over the keyboard live', async () => {
    const pair = await pairWorkspace(server.url, [{ name: 'main.py', content: '' }], ['Ivy', 'Jay'], { strictRoles: true });
    const [ivy, jay] = pair.students as [TestUser, TestUser];
    const fileId = pair.fileIds['main.py']!;
    const ivyClient = track(newClient(server.url, ivy));
    const jayClient = track(newClient(server.url, jay));
    const ivyDoc = await subscribeFile(ivyClient, pair.workspaceId, fileId);
    const jayDoc = await subscribeFile(jayClient, pair.workspaceId, fileId);
    const ctx = await call(server.url, jay, 'GET', `/api/workspaces/${pair.workspaceId}/context`, undefined, 200);
    expect(ctx).toMatchObject({ access: 'write', strictNavigator: true, classRole: 'student', kind: 'group', owner: null });
    expect(ctx.group.members.map((m: { role: string }) => m.role)).toEqual(['driver', 'navigator']);

    const rolesSeen: unknown[] = [];
    jayClient.socket.on('tandem:roles-changed', (e: unknown) => rolesSeen.push(e));
    expect(await emit(jayClient.socket, 'tandem:enter-workspace', { id: pair.workspaceId })).toEqual({ ok: true });

    ivyDoc.submitOp(['driver ']);
    await whenAcked(ivyDoc);
    const refused = await new Promise<unknown>((resolve) => jayDoc.submitOp([0, 'navigator '], {}, resolve));
    expect(refused).toMatchObject({ code: 'ERR_TANDEM_FORBIDDEN' });
    expect((await api(server.url, 'POST', `/api/workspaces/${pair.workspaceId}/files`, { name: 'x.py' }, jay.cookie)).status).toBe(403);

    // Two tabs' swap timers fire at once with what they last saw: exactly one swap happens.
    const seenAt: number = ctx.group.rolesChangedAt;
    const [s1, s2] = await Promise.all([
      api(server.url, 'POST', `/api/groups/${pair.groupId}/swap`, { ifRolesChangedAt: seenAt }, jay.cookie),
      api(server.url, 'POST', `/api/groups/${pair.groupId}/swap`, { ifRolesChangedAt: seenAt }, ivy.cookie),
    ]);
    expect([s1.status, s2.status].sort()).toEqual([200, 409]);
    await waitFor(() => rolesSeen.length === 1, 'the roles-changed event');
    expect(rolesSeen[0]).toMatchObject({
      groupId: pair.groupId,
      members: [
        { userId: ivy.id, role: 'navigator', displayName: 'Ivy' },
        { userId: jay.id, role: 'driver', displayName: 'Jay' },
      ],
    });
    expect((await api(server.url, 'POST', `/api/groups/${pair.groupId}/swap`, { ifRolesChangedAt: 'soon' }, jay.cookie)).status).toBe(400);
    await waitFor(() => jayDoc.data === 'driver ', 'rollback of the refused op');
    jayDoc.submitOp([7, 'now jay']);
    await whenAcked(jayDoc);
    const ivyRefused = await new Promise<unknown>((resolve) => ivyDoc.submitOp([0, 'x'], {}, resolve));
    expect(ivyRefused).toMatchObject({ code: 'ERR_TANDEM_FORBIDDEN' });
    await waitFor(() => ivyDoc.data === 'driver now jay', 'ivy to see jay typing');
  });

  test('[HQ-1][HQ-2][LV-1] help queue in order with live updates; staff see live activity without student text', async () => {
    const pair = await pairWorkspace(server.url, [{ name: 'main.py', content: '' }], ['Kim', 'Lee']);
    const [kim, lee] = pair.students as [TestUser, TestUser];
    const teacherClient = track(newClient(server.url, pair.teacher));
    const kimClient = track(newClient(server.url, kim));
    await waitFor(() => teacherClient.status === 'connected' && kimClient.status === 'connected', 'connections');
    expect(await emit(teacherClient.socket, 'tandem:watch-class', { id: pair.classId })).toEqual({ ok: true });
    expect(await emit(kimClient.socket, 'tandem:watch-class', { id: pair.classId })).toEqual({ ok: true });
    const helpEvents: unknown[] = [];
    const kimHelpEvents: unknown[] = [];
    const activity: Array<{ groupId: string; activity: { recentChange: number; online: string[]; lastEditBy: string | null } }> = [];
    teacherClient.socket.on('tandem:help-changed', (e: unknown) => helpEvents.push(e));
    kimClient.socket.on('tandem:help-changed', (e: unknown) => kimHelpEvents.push(e));
    teacherClient.socket.on('tandem:activity', (e: (typeof activity)[number]) => activity.push(e));
    const kimActivity: unknown[] = [];
    kimClient.socket.on('tandem:activity', (e: unknown) => kimActivity.push(e));

    // Students raise hands; the queue keeps arrival order; each student sees only their place.
    const h1 = await call(server.url, lee, 'POST', `/api/classes/${pair.classId}/help`, { note: 'IndexError on line 3', workspaceId: pair.workspaceId }, 201);
    await call(server.url, kim, 'POST', `/api/classes/${pair.classId}/help`, { note: '' }, 201);
    await waitFor(() => helpEvents.length >= 2 && kimHelpEvents.length >= 2, 'live help events');
    const queue = await call(server.url, pair.teacher, 'GET', `/api/classes/${pair.classId}/help`, undefined, 200);
    expect(queue.queue.map((q: { displayName: string; position: number }) => `${q.position}:${q.displayName}`)).toEqual(['1:Lee', '2:Kim']);
    const kimView = await call(server.url, kim, 'GET', `/api/classes/${pair.classId}/help`, undefined, 200);
    expect(kimView).toMatchObject({ mine: { position: 2 }, waiting: 2 });
    expect(JSON.stringify(kimView)).not.toContain('IndexError');
    // Raising twice keeps one place; teachers and other people's workspaces cannot be named.
    expect((await call(server.url, lee, 'POST', `/api/classes/${pair.classId}/help`, { note: 'again' }, 201)).id).toBe(h1.id);
    expect((await api(server.url, 'POST', `/api/classes/${pair.classId}/help`, {}, pair.teacher.cookie)).status).toBe(403);
    expect((await api(server.url, 'POST', `/api/classes/${pair.classId}/help`, { note: 'x'.repeat(501) }, kim.cookie)).status).toBe(400);
    // Kim cannot resolve Lee's request; the teacher can.
    expect((await api(server.url, 'POST', `/api/help/${h1.id}/resolve`, undefined, kim.cookie)).status).toBe(404);
    const before = helpEvents.length;
    await call(server.url, pair.teacher, 'POST', `/api/help/${h1.id}/resolve`, undefined, 200);
    await waitFor(() => helpEvents.length > before, 'resolve event');
    expect((await call(server.url, kim, 'GET', `/api/classes/${pair.classId}/help`)).mine.position).toBe(1);

    // Live activity: Kim opens the workspace and types; the teacher hears about it, Kim does not.
    expect(await emit(kimClient.socket, 'tandem:enter-workspace', { id: pair.workspaceId })).toEqual({ ok: true });
    const doc = await subscribeFile(kimClient, pair.workspaceId, pair.fileIds['main.py']!);
    doc.submitOp(['secret solution text']);
    await whenAcked(doc);
    await waitFor(() => activity.some((a) => a.activity.recentChange > 0), 'an activity event', 5000);
    const last = activity[activity.length - 1]!;
    expect(last.groupId).toBe(pair.groupId);
    expect(last.activity.online).toEqual([kim.id]);
    expect(last.activity.lastEditBy).toBe(kim.id);
    expect(JSON.stringify(activity)).not.toContain('secret solution');
    const grid = await call(server.url, pair.teacher, 'GET', `/api/assignments/${pair.assignmentId}/activity`, undefined, 200);
    expect(grid.groups[0].activity).toMatchObject({ recentChange: 20, online: [kim.id] });
    expect(kimActivity).toEqual([]);
  });

  test('[LV-2] app events validate payloads and check access before joining a room', async () => {
    const pair = await pairWorkspace(server.url, [{ name: 'main.py', content: '' }], ['May']);
    const stranger = await signUp(server.url, 'Stranger');
    const c = track(newClient(server.url, stranger));
    await waitFor(() => c.status === 'connected', 'connect');
    for (const payload of [null, 'x', { id: 5 }, { id: '../../etc' }, { id: pair.classId, extra: 1 }]) {
      expect((await emit(c.socket, 'tandem:watch-class', payload)).ok).toBe(false);
    }
    expect(await emit(c.socket, 'tandem:watch-class', { id: pair.classId })).toMatchObject({ ok: false });
    expect(await emit(c.socket, 'tandem:enter-workspace', { id: pair.workspaceId })).toMatchObject({ ok: false });
    // An event without an ack callback is harmless.
    c.socket.emit('tandem:watch-class', { id: pair.classId });
    expect(c.status).toBe('connected');
  });

  test('bad input on every classroom endpoint gets a clear 4xx and changes nothing', async () => {
    const { teacher, id } = await newClass();
    const bad: Array<[string, string, unknown]> = [
      ['POST', '/api/classes', {}],
      ['POST', '/api/classes', { name: '' }],
      ['POST', '/api/classes', { name: 'x'.repeat(121) }],
      ['POST', '/api/classes', { name: 'ok', __proto__: { admin: true }, extra: 1 }],
      ['PATCH', `/api/classes/${id}`, { archived: 'yes' }],
      ['POST', '/api/join', { code: 1 }],
      ['PATCH', `/api/classes/${id}/members/${teacher.id}`, { role: 'owner' }],
      ['PATCH', `/api/classes/${id}/members/${teacher.id}`, { role: 'student' }],
      ['DELETE', `/api/classes/${id}/members/${teacher.id}`, undefined],
      ['POST', `/api/classes/${id}/assignments`, { title: 'x', mode: 'trio' }],
      ['POST', `/api/classes/${id}/assignments`, { title: 'x', starterFiles: [{ name: '../evil.py', content: '' }] }],
      ['POST', `/api/classes/${id}/assignments`, { title: 'x', starterFiles: [{ name: 'a.py', content: '' }, { name: 'a.py', content: '' }] }],
      ['POST', `/api/classes/${id}/assignments`, { title: 'x', swapMinutes: 0 }],
      ['POST', `/api/classes/${id}/assignments`, { title: 'x', deadline: 'tomorrow' }],
      ['POST', `/api/classes/${id}/assignments`, { title: 'x', instructions: 'y'.repeat(100_001) }],
      ['PUT', `/api/classes/${id}/broadcast`, { workspaceId: 'nope' }],
      ['GET', '/api/classes/..%2F..%2Fetc', undefined],
      ['POST', '/api/classes', '{"name": "unterminated'],
    ];
    for (const [method, path, body] of bad) {
      const res = await api<{ error: { code: string; message: string } }>(server.url, method, path, body, teacher.cookie);
      expect({ method, path, status: res.status >= 400 && res.status < 500 }).toEqual({ method, path, status: true });
      expect(res.body.error.message.length).toBeGreaterThan(3);
    }
    // Nothing was created or changed.
    const me = await call(server.url, teacher, 'GET', '/api/auth/me', undefined, 200);
    expect(me.classes).toEqual([{ id, name: 'Intro to CS', role: 'teacher', archived: false }]);
    expect((await call(server.url, teacher, 'GET', `/api/classes/${id}/assignments`)).assignments).toEqual([]);
    expect((await call(server.url, teacher, 'GET', `/api/classes/${id}/members`)).members).toHaveLength(1);
    expect((await api(server.url, 'GET', '/healthz')).status).toBe(200);
  });
});
