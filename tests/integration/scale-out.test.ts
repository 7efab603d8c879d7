import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Doc } from 'sharedb/lib/client';
import { COLLECTIONS, fileDocId, type CursorPresence } from '../../lib/protocol';
import type { TandemClient } from '../../lib/client/tandem-client';
import { ServerProcess, api } from '../helpers/server-process';
import { newClient, subscribeFile, waitFor, whenAcked } from '../helpers/clients';
import { call, pairWorkspace, type PairFixture } from '../helpers/accounts';
import type { Socket } from 'socket.io-client';
import { RedisProcess, describeWithRedis } from '../helpers/redis-server';
import { TcpBalancer } from '../helpers/tcp-balancer';

/**
 * Issue 6 §1/§2 with a real Redis: three Tandem processes on different ports share the stores and
 * Redis; one room's clients are spread across them (no affinity). Edits converge, presence and
 * access changes cross processes, a SIGKILLed process's clients carry on through the others
 * without losing an acknowledged edit, the teacher's live grid shows a pair split across processes
 * whole, and readiness follows Redis.
 */
describeWithRedis('three processes sharing Redis', () => {
  let redis: RedisProcess;
  let dataDir: string;
  const servers: ServerProcess[] = [];
  let balancer: TcpBalancer;
  let pair: PairFixture;
  const clients: TandemClient[] = [];
  const track = (c: TandemClient) => {
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    redis = await RedisProcess.start();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-scale-'));
    for (let i = 0; i < 3; i++) {
      // A short heartbeat, so a killed process's users leave the live grid within seconds here.
      servers.push(await ServerProcess.start({ dataDir, env: { REDIS_URL: redis.url, SCALE_HEARTBEAT_SECONDS: '0.5' } }));
    }
    balancer = new TcpBalancer(() => servers.filter((s) => s.alive).map((s) => s.port));
    await balancer.listen();
    pair = await pairWorkspace(servers[0]!.url, [{ name: 'main.py', content: 'start\n' }], ['Ann', 'Bob']);
  }, 60_000);
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await balancer?.close();
    for (const s of servers) await s.dispose();
    await redis?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('a room split across processes converges, and presence crosses processes', async () => {
    const fileId = pair.fileIds['main.py']!;
    const [ann, bob] = pair.students;
    const a = track(newClient(servers[0]!.url, ann!));
    const b = track(newClient(servers[1]!.url, bob!));
    const c = track(newClient(servers[2]!.url, ann!));
    const docs = [await subscribeFile(a, pair.workspaceId, fileId), await subscribeFile(b, pair.workspaceId, fileId), await subscribeFile(c, pair.workspaceId, fileId)];
    const errors: unknown[] = [];
    for (let i = 0; i < 60; i++) {
      for (const [k, doc] of docs.entries()) {
        doc.submitOp([0, `${'abc'[k]}${i % 10}`], {}, (err) => {
          if (err) errors.push(err);
        });
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    await Promise.all(docs.map(whenAcked));
    await waitFor(() => docs.every((d) => d.version === docs[0]!.version && d.data === docs[0]!.data), 'convergence across processes');
    expect(errors).toEqual([]);
    expect(docs[0]!.data.length).toBe('start\n'.length + 60 * 3 * 2);

    // Ann's cursor on process 0 shows up for Bob on process 1, with her server-stamped name.
    const channel = fileDocId(pair.workspaceId, fileId);
    const seen = new Map<string, CursorPresence | null>();
    const bobPresence = b.connection.getDocPresence(COLLECTIONS.files, channel);
    bobPresence.on('receive', (id: string, value: CursorPresence | null) => seen.set(id, value));
    await new Promise<void>((resolve, reject) => bobPresence.subscribe((e) => (e ? reject(e) : resolve())));
    const annPresence = a.connection.getDocPresence(COLLECTIONS.files, channel);
    await new Promise<void>((resolve, reject) => annPresence.subscribe((e) => (e ? reject(e) : resolve())));
    const local = annPresence.create('ann-cursor');
    await new Promise<void>((resolve, reject) =>
      local.submit({ clientId: 'x', name: 'x', color: '#123456', selections: [{ anchor: 1, head: 3 }] }, (e) => (e ? reject(e) : resolve())),
    );
    await waitFor(() => seen.get('ann-cursor') != null, 'presence from another process');
    expect(seen.get('ann-cursor')).toMatchObject({ name: 'Ann', selections: [{ anchor: 1, head: 3 }] });
  });

  test('SIGKILL one process mid-typing: its clients carry on through the others; every acked edit exactly once', async () => {
    const fileId = pair.fileIds['main.py']!;
    const [ann, bob] = pair.students;
    // Through the balancer, round robin: three clients land on three different processes.
    const typists = [track(newClient(balancer.url, ann!)), track(newClient(balancer.url, bob!)), track(newClient(balancer.url, ann!))];
    const docs: Array<Doc<string>> = [];
    for (const t of typists) docs.push(await subscribeFile(t, pair.workspaceId, fileId));
    const tokens: string[] = [];
    const errors: unknown[] = [];
    let n = 0;
    const typeOnce = () => {
      for (const [k, doc] of docs.entries()) {
        const token = `<${k}:${n++}>`;
        tokens.push(token);
        doc.submitOp([0, token], {}, (err) => {
          if (err) errors.push(err);
        });
      }
    };
    const typing = setInterval(typeOnce, 5);
    await new Promise((r) => setTimeout(r, 150));
    await servers[1]!.kill();
    await new Promise((r) => setTimeout(r, 300));
    clearInterval(typing);
    await waitFor(() => typists.every((t) => t.status === 'connected'), 'every client to be connected again', 20_000);
    await Promise.all(docs.map(whenAcked));
    await waitFor(() => docs.every((d) => d.version === docs[0]!.version && d.data === docs[0]!.data), 'convergence after the kill', 20_000);
    expect(errors).toEqual([]);
    const text = docs[0]!.data;
    for (const token of tokens) expect({ token, count: text.split(token).length - 1 }).toEqual({ token, count: 1 });
    // What the survivors store is what the clients have.
    const check = track(newClient(servers[2]!.url, ann!));
    expect((await subscribeFile(check, pair.workspaceId, fileId)).data).toBe(text);
    await servers[1]!.restart();
  });

  test('[LV-1] (before CL-6 removes Bob) the live grid merges a pair split across processes, from any process; a killed process\'s student goes offline', async () => {
    type Activity = { online: string[]; recentChange: number; lastEditBy: string | null; rev: number };
    const [ann, bob] = pair.students as [typeof pair.teacher, typeof pair.teacher];
    const emit = (socket: Socket, event: string, payload: unknown) =>
      new Promise<{ ok: boolean }>((resolve) => socket.emit(event, payload, resolve));
    const grid = async (server: ServerProcess): Promise<Activity> =>
      (await call(server.url, pair.teacher, 'GET', `/api/assignments/${pair.assignmentId}/activity`, undefined, 200)).groups[0].activity;
    // The teacher watches through process 0; Ann works through process 1 and Bob through process 2.
    const teacher = track(newClient(servers[0]!.url, pair.teacher));
    const a = track(newClient(servers[1]!.url, ann));
    const b = track(newClient(servers[2]!.url, bob));
    await waitFor(() => [teacher, a, b].every((c) => c.status === 'connected'), 'connections');
    const pushes: Activity[] = [];
    teacher.socket.on('tandem:activity', (e: { groupId: string; activity: Activity }) => {
      if (e.groupId === pair.groupId) pushes.push(e.activity);
    });
    expect(await emit(teacher.socket, 'tandem:watch-class', { id: pair.classId })).toEqual({ ok: true });
    const before = (await grid(servers[0]!)).recentChange;
    expect(await emit(a.socket, 'tandem:enter-workspace', { id: pair.workspaceId })).toEqual({ ok: true });
    expect(await emit(b.socket, 'tandem:enter-workspace', { id: pair.workspaceId })).toEqual({ ok: true });
    const fileId = pair.fileIds['main.py']!;
    const da = await subscribeFile(a, pair.workspaceId, fileId);
    const db = await subscribeFile(b, pair.workspaceId, fileId);
    db.submitOp([0, 'bye']);
    await whenAcked(db);
    da.submitOp([0, 'hello']);
    await whenAcked(da);

    // Process 0 holds neither student, yet its grid shows both, and both processes' edits.
    const both = [ann.id, bob.id].sort();
    const until = Date.now() + 10_000;
    let view = await grid(servers[0]!);
    while ((view.recentChange !== before + 8 || view.online.join() !== both.join()) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
      view = await grid(servers[0]!);
    }
    expect(view).toMatchObject({ online: both, recentChange: before + 8, lastEditBy: ann.id });
    // Each push is the merged view, whichever process sent it.
    await waitFor(() => pushes.some((p) => p.online.join() === both.join() && p.recentChange === before + 8), 'a merged push', 10_000);

    // Bob's process dies without a word: within three heartbeats a survivor takes him off the grid.
    // Pushes from different processes can overtake each other; the grid keeps the highest rev.
    const shown = () => pushes.reduce((best, p) => (p.rev > best.rev ? p : best));
    const killedAt = Date.now();
    await servers[2]!.kill();
    try {
      await waitFor(() => shown().online.join() === ann.id, 'a push without Bob', 10_000);
      expect(Date.now() - killedAt).toBeLessThan(5000);
      expect((await grid(servers[0]!)).online).toEqual([ann.id]);
    } finally {
      b.close();
      await servers[2]!.restart();
    }
  });

  test('[CL-6] a removal made on one process closes the student\'s socket on another and refuses their edits there', async () => {
    const fileId = pair.fileIds['main.py']!;
    const bob = pair.students[1]!;
    const b = track(newClient(servers[2]!.url, bob));
    const doc = await subscribeFile(b, pair.workspaceId, fileId);
    // The decision "Bob may write" is now cached on process 2.
    doc.submitOp([0, 'ok ']);
    await whenAcked(doc);
    const removedAt = Date.now();
    await call(servers[0]!.url, pair.teacher, 'DELETE', `/api/classes/${pair.classId}/members/${bob.id}`, undefined, 204);
    await waitFor(() => b.lastCloseNotice?.reason === 'access-changed', 'the close notice on another process', 5000);
    expect(Date.now() - removedAt).toBeLessThan(5000);
    const refused = await new Promise<unknown>((resolve) => {
      doc.on('error', () => {});
      doc.submitOp([0, 'after removal '], {}, resolve);
    });
    expect(refused).toMatchObject({ code: 'ERR_TANDEM_FORBIDDEN' });
  });

  test('[AU-3] sign-in attempts count across processes: round-robin does not multiply a guesser\'s tries', async () => {
    // LOGIN_ATTEMPTS_PER_15_MIN is 10: ten wrong passwords spread over three processes use it up
    // (each process alone would have allowed ten).
    const email = pair.teacher.email;
    for (let i = 0; i < 10; i++) {
      const res = await api(servers[i % 3]!.url, 'POST', '/api/auth/login', { email, password: `wrong guess ${i}` });
      expect(res.status).toBe(401);
    }
    for (const s of servers) {
      const res = await api<{ error: { code: string } }>(s.url, 'POST', '/api/auth/login', { email, password: 'correct horse battery' });
      expect(res.status).toBe(429);
      expect(res.body.error.code).toBe('ERR_TANDEM_RATE_LIMITED');
    }
  });

  test('readiness is false while Redis is down and recovers with it; edits cross processes again', async () => {
    for (const s of servers) expect((await api(s.url, 'GET', '/readyz')).status).toBe(200);
    await redis.stop();
    for (const s of servers) {
      let res = await api<{ down: string[] }>(s.url, 'GET', '/readyz');
      const until = Date.now() + 5000;
      while (res.status === 200 && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 100));
        res = await api<{ down: string[] }>(s.url, 'GET', '/readyz');
      }
      expect(res.status).toBe(503);
      expect(res.body.down).toEqual(['redis']);
      expect((await api(s.url, 'GET', '/healthz')).status).toBe(200);
    }
    await redis.start();
    for (const s of servers) {
      let status = 0;
      const until = Date.now() + 15_000;
      while (status !== 200 && Date.now() < until) {
        status = (await api(s.url, 'GET', '/readyz')).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 200));
      }
      expect(status).toBe(200);
    }
    const fileId = pair.fileIds['main.py']!;
    const ann = pair.students[0]!;
    const a = track(newClient(servers[0]!.url, ann));
    const c = track(newClient(servers[2]!.url, ann));
    const da = await subscribeFile(a, pair.workspaceId, fileId);
    const dc = await subscribeFile(c, pair.workspaceId, fileId);
    da.submitOp([0, 'after redis restart ']);
    await whenAcked(da);
    await waitFor(() => dc.data.startsWith('after redis restart '), 'an edit to cross processes after Redis came back', 10_000);
  });
});
