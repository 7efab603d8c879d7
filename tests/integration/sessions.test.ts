import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { io } from 'socket.io-client';
import type { Doc } from 'sharedb/lib/client';
import type { TandemClient } from '../../lib/client/tandem-client';
import { ServerProcess, api } from '../helpers/server-process';
import { newClient, subscribeFile, waitFor, whenAcked } from '../helpers/clients';
import { call, logIn, pairWorkspace, signUp } from '../helpers/accounts';

/**
 * Issue #3 "Handshake" tests: sessions, logout, expiry, removal from a class, password reset,
 * login rate limit and the first admin, against a real server process.
 */
describe('sessions and live access changes', () => {
  let server: ServerProcess;
  const clients: TandemClient[] = [];
  const track = (c: TandemClient) => {
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    server = await ServerProcess.start({
      env: { ADMIN_EMAIL: 'root@example.edu', ADMIN_PASSWORD: 'first-admin-password', LOGIN_ATTEMPTS_PER_15_MIN: '5' },
    });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await server.dispose();
  });

  test('[AU-1] the first admin comes from ADMIN_EMAIL/ADMIN_PASSWORD; sign-up makes teachers; bad sign-ups are refused clearly', async () => {
    const admin = await logIn(server.url, 'root@example.edu', 'first-admin-password');
    expect(admin.role).toBe('admin');
    const teacher = await signUp(server.url, 'Tess');
    expect(teacher.role).toBe('teacher');
    const me = await call(server.url, teacher, 'GET', '/api/auth/me', undefined, 200);
    expect(me.user).toMatchObject({ id: teacher.id, role: 'teacher' });
    expect(JSON.stringify(me)).not.toContain('passwordHash');

    const cases: Array<[unknown, number]> = [
      [{ email: 'not-an-email', password: 'long enough pw', displayName: 'X' }, 400],
      [{ email: 'short@example.edu', password: 'short', displayName: 'X' }, 400],
      [{ email: 'x@example.edu', password: 'long enough pw', displayName: '' }, 400],
      [{ email: 'x@example.edu', password: 'long enough pw', displayName: 'X', role: 'admin' }, 400],
      [{ email: 'x@example.edu', password: 'long enough pw', displayName: 'X', joinCode: 'NOSUCHCODE' }, 404],
      [{ email: teacher.email.toUpperCase(), password: 'long enough pw', displayName: 'Dup' }, 409],
    ];
    for (const [body, status] of cases) {
      const res = await api<{ error: { code: string; message: string } }>(server.url, 'POST', '/api/auth/signup', body);
      expect({ body, status: res.status }).toEqual({ body, status });
      expect(res.body.error.message.length).toBeGreaterThan(5);
    }
    expect((await api(server.url, 'GET', '/api/auth/me')).status).toBe(401);
  });

  test('[AU-3] wrong passwords get one vague answer, and are rate-limited per email', async () => {
    const user = await signUp(server.url, 'Lockme');
    const unknown = await api<{ error: { message: string } }>(server.url, 'POST', '/api/auth/login', { email: 'nobody@example.edu', password: 'whatever123' });
    const wrong = await api<{ error: { message: string } }>(server.url, 'POST', '/api/auth/login', { email: user.email, password: 'wrong password' });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.body.error.message).toBe(wrong.body.error.message);
    let status = 0;
    for (let i = 0; i < 6 && status !== 429; i++) {
      status = (await api(server.url, 'POST', '/api/auth/login', { email: user.email, password: 'wrong again' })).status;
    }
    expect(status).toBe(429);
    // Locked out now even with the right password, until the window passes.
    expect((await api(server.url, 'POST', '/api/auth/login', { email: user.email, password: 'correct horse battery' })).status).toBe(429);
    // Another account is unaffected.
    const other = await signUp(server.url, 'Free');
    expect((await logIn(server.url, other.email)).id).toBe(other.id);
  });

  test('[AU-4] logout closes every socket of that session at once; the cookie no longer opens one', async () => {
    const user = await signUp(server.url, 'Leaver');
    const ws = await call(server.url, user, 'POST', '/api/workspaces', { files: [{ name: 'a.py', content: '' }] }, 201);
    const c = track(newClient(server.url, user));
    await subscribeFile(c, ws.id, ws.files[0].id);
    await call(server.url, user, 'POST', '/api/auth/logout', undefined, 204);
    await waitFor(() => c.lastCloseNotice?.reason === 'signed-out', 'the signed-out notice', 3000);
    expect((await api(server.url, 'GET', '/api/auth/me', undefined, user.cookie)).status).toBe(401);
    const socket = io(server.url, { transports: ['websocket'], reconnection: false, auth: { clientId: 'after-logout' }, extraHeaders: { cookie: user.cookie } });
    const err = await new Promise<Error>((resolve) => socket.once('connect_error', resolve));
    socket.close();
    expect(err.message).toMatch(/^unauthenticated/);
  });

  test('[CL-6] removal from a class closes the member\'s live sockets within 5 s and refuses the edits they queued offline', async () => {
    const pair = await pairWorkspace(server.url, [{ name: 'main.py', content: 'shared\n' }], ['Stay', 'Gone']);
    const fileId = pair.fileIds['main.py']!;
    const stay = track(newClient(server.url, pair.students[0]!));
    const online = track(newClient(server.url, pair.students[1]!));
    const offline = track(newClient(server.url, pair.students[1]!));
    const stayDoc = await subscribeFile(stay, pair.workspaceId, fileId);
    await subscribeFile(online, pair.workspaceId, fileId);
    const offlineDoc: Doc<string> = await subscribeFile(offline, pair.workspaceId, fileId);

    // One of the removed student's laptops goes offline and keeps typing.
    offline.socket.io.reconnection(false);
    offline.socket.io.engine.close();
    await waitFor(() => offline.status !== 'connected', 'offline');
    const rejected: unknown[] = [];
    offlineDoc.on('error', () => {});
    offlineDoc.submitOp([0, 'queued offline '], {}, (err) => rejected.push(err));
    expect(offline.unsentEdits()).toBe(1);

    const removedAt = Date.now();
    await call(server.url, pair.teacher, 'DELETE', `/api/classes/${pair.classId}/members/${pair.students[1]!.id}`, undefined, 204);
    await waitFor(() => online.lastCloseNotice?.reason === 'access-changed', 'the live socket to be closed', 5000);
    expect(Date.now() - removedAt).toBeLessThan(5000);

    // The laptop comes back: the queued edit is refused, not applied.
    offline.socket.io.reconnection(true);
    offline.socket.connect();
    await waitFor(() => rejected.length === 1, 'the queued edit to be refused', 10_000);
    expect(rejected[0]).toMatchObject({ code: 'ERR_TANDEM_FORBIDDEN' });

    // The remaining member still edits; the removed one's text never landed.
    stayDoc.submitOp([0, 'still here ']);
    await whenAcked(stayDoc);
    const check = track(newClient(server.url, pair.students[0]!));
    const fresh = await subscribeFile(check, pair.workspaceId, fileId);
    expect(fresh.data).toBe('still here shared\n');
    expect((await api(server.url, 'GET', `/api/classes/${pair.classId}`, undefined, pair.students[1]!.cookie)).status).toBe(404);
  });

  test('[AU-5] password reset: link printed in the log, one use, old sessions closed; unknown emails get the same answer', async () => {
    const user = await signUp(server.url, 'Forgetful');
    const ws = await call(server.url, user, 'POST', '/api/workspaces', {}, 201);
    const c = track(newClient(server.url, user));
    await subscribeFile(c, ws.id, ws.files[0].id);
    const known = await api<{ message: string }>(server.url, 'POST', '/api/auth/password-reset/request', { email: user.email });
    const unknown = await api<{ message: string }>(server.url, 'POST', '/api/auth/password-reset/request', { email: 'ghost@example.edu' });
    expect(known).toMatchObject({ status: 202 });
    expect(unknown.body).toEqual(known.body);
    let link: string | undefined;
    await waitFor(() => {
      link = server.logs.map((l) => /"link":"[^"]*token=([A-Za-z0-9_-]+)"/.exec(l)?.[1]).filter(Boolean).pop();
      return link !== undefined;
    }, 'the reset link in the log');
    const reset = await api(server.url, 'POST', '/api/auth/password-reset', { token: link, password: 'a brand new password' });
    expect(reset.status).toBe(200);
    await waitFor(() => c.lastCloseNotice?.reason === 'access-changed', 'old sessions to be closed', 3000);
    expect((await api(server.url, 'GET', '/api/auth/me', undefined, user.cookie)).status).toBe(401);
    expect((await api(server.url, 'POST', '/api/auth/password-reset', { token: link, password: 'another new password' })).status).toBe(400);
    expect((await logIn(server.url, user.email, 'a brand new password')).id).toBe(user.id);
  });

  test('[AU-6] an admin disables an account: its sockets close and it cannot sign in', async () => {
    const admin = await logIn(server.url, 'root@example.edu', 'first-admin-password');
    const user = await signUp(server.url, 'Banned');
    const ws = await call(server.url, user, 'POST', '/api/workspaces', {}, 201);
    const c = track(newClient(server.url, user));
    await subscribeFile(c, ws.id, ws.files[0].id);
    await call(server.url, admin, 'PATCH', `/api/admin/users/${user.id}`, { disabled: true }, 200);
    await waitFor(() => c.lastCloseNotice !== null, 'sockets closed', 3000);
    const res = await api<{ error: { code: string } }>(server.url, 'POST', '/api/auth/login', { email: user.email, password: 'correct horse battery' });
    expect(res.status).toBe(403);
    const bad = await api(server.url, 'PATCH', `/api/admin/users/${user.id}`, { disabled: 'yes' }, admin.cookie);
    expect(bad.status).toBe(400);
  });

  test('[AU-1] first run: the admin CLI creates an admin with a one-time link to set the password', async () => {
    const out = execFileSync(process.execPath, [path.join(__dirname, '..', '..', 'dist', 'server', 'cli', 'admin.js'), 'create-admin', '--email', 'it@campus.edu'], {
      env: { ...process.env, DATA_DIR: server.dataDir, PUBLIC_URL: server.url },
      encoding: 'utf8',
    });
    const token = /token=([A-Za-z0-9_-]+)/.exec(out)?.[1];
    expect(token).toBeDefined();
    const set = await api<{ user: { role: string } }>(server.url, 'POST', '/api/auth/password-reset', { token, password: 'chosen by it staff' });
    expect(set.status).toBe(200);
    expect(set.body.user.role).toBe('admin');
    expect((await logIn(server.url, 'it@campus.edu', 'chosen by it staff')).role).toBe('admin');
    // Wrong usage exits 64 with the usage text; a bad env exits 78.
    const usage = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'dist', 'server', 'cli', 'admin.js')], { encoding: 'utf8' });
    expect(usage.status).toBe(64);
    expect(usage.stdout).toContain('create-admin');
    const badEnv = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'dist', 'server', 'cli', 'admin.js'), 'reset-link', '--email', 'a@b.c'], {
      env: { ...process.env, DATA_DIR: server.dataDir, PORT: 'many' },
      encoding: 'utf8',
    });
    expect(badEnv.status).toBe(78);
  });

  test('[AU-7] a state-changing API call from a foreign Origin is refused', async () => {
    const user = await signUp(server.url, 'Csrf');
    const res = await fetch(`${server.url}/api/workspaces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: user.cookie, origin: 'https://evil.example' },
      body: '{}',
    });
    expect(res.status).toBe(403);
    const list = await call(server.url, user, 'GET', '/api/workspaces', undefined, 200);
    expect(list.workspaces).toEqual([]);
  });
});

describe('session expiry', () => {
  test('[AU-4] a socket is closed when its session expires, and the cookie stops working', async () => {
    // 0.0015 h = 5.4 s
    const server = await ServerProcess.start({ env: { SESSION_TTL_HOURS: '0.0015' } });
    try {
      const user = await signUp(server.url, 'Brief');
      const ws = await call(server.url, user, 'POST', '/api/workspaces', {}, 201);
      const c = newClient(server.url, user);
      try {
        await subscribeFile(c, ws.id, ws.files[0].id);
        await waitFor(() => c.lastCloseNotice?.reason === 'session-expired', 'the expiry notice', 10_000);
        expect((await api(server.url, 'GET', '/api/auth/me', undefined, user.cookie)).status).toBe(401);
      } finally {
        c.close();
      }
    } finally {
      await server.dispose();
    }
  });
});
