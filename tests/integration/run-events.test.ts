import type { Socket } from 'socket.io-client';
import type { TandemClient } from '../../lib/client/tandem-client';
import type { RunBroadcastPush } from '../../lib/run/run-types';
import { ServerProcess, api } from '../helpers/server-process';
import { newClient } from '../helpers/clients';
import { pairWorkspace, signUp, type PairFixture, type TestUser } from '../helpers/accounts';

/**
 * The shared console's relay (issue 7 §3, P-RUN-1): a run's events reach the rest of the
 * workspace's room with who ran it and when; only from a socket that entered the workspace;
 * validated and rate-limited; bad events are refused with a clear error and the server keeps going.
 */
describe('shared run console relay', () => {
  let server: ServerProcess;
  let pair: PairFixture;
  const clients: TandemClient[] = [];

  beforeAll(async () => {
    server = await ServerProcess.start();
    pair = await pairWorkspace(server.url, [{ name: 'main.py', content: 'print(1)\n' }], ['Ada', 'Brian']);
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await server.dispose();
  });

  function emit(socket: Socket, event: string, payload: unknown): Promise<{ ok: boolean; error?: string }> {
    return new Promise((resolve) => socket.emit(event, payload, resolve));
  }

  async function connect(user: TestUser, enter = true): Promise<TandemClient> {
    const client = newClient(server.url, user);
    clients.push(client);
    if (!client.socket.connected) await new Promise<void>((resolve) => client.socket.once('connect', () => resolve()));
    if (enter) expect(await emit(client.socket, 'tandem:enter-workspace', { id: pair.workspaceId })).toEqual({ ok: true });
    return client;
  }

  test('[P-RUN-1] start, output and end reach the partner and a following teacher, with who ran it; not the sender', async () => {
    const [ada, brian] = pair.students as [TestUser, TestUser];
    const a = await connect(ada);
    const b = await connect(brian);
    const t = await connect(pair.teacher);
    const seenBy = (c: TandemClient) => {
      const got: RunBroadcastPush[] = [];
      c.socket.on('tandem:run-event', (e: RunBroadcastPush) => got.push(e));
      return got;
    };
    const [atA, atB, atT] = [seenBy(a), seenBy(b), seenBy(t)];
    const events = [
      { kind: 'start', runId: 'run-000001', file: 'main.py', language: 'python' },
      { kind: 'output', runId: 'run-000001', stream: 'stdout', text: 'What is your name? ' },
      { kind: 'output', runId: 'run-000001', stream: 'stdin', text: 'Ada\n' },
      { kind: 'output', runId: 'run-000001', stream: 'stdout', text: 'Hello, Ada\n' },
      { kind: 'end', runId: 'run-000001', outcome: 'ok', message: null },
    ];
    for (const event of events) expect(await emit(a.socket, 'tandem:run-event', { workspaceId: pair.workspaceId, event })).toEqual({ ok: true });
    const deadline = Date.now() + 5000;
    while ((atB.length < events.length || atT.length < events.length) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const got of [atB, atT]) {
      expect(got.map(({ kind, runId }) => ({ kind, runId }))).toEqual(events.map(({ kind, runId }) => ({ kind, runId })));
      expect(got.map((e) => (e.kind === 'output' ? e.text : '')).join('')).toBe('What is your name? Ada\nHello, Ada\n');
      for (const e of got) {
        expect(e).toMatchObject({ workspaceId: pair.workspaceId, by: { id: ada.id, displayName: 'Ada' } });
        expect(typeof e.at).toBe('number');
      }
    }
    expect(atA).toEqual([]);
  });

  test('[P-RUN-1] refused: not entered, no access, malformed, oversized, forged identity; the server keeps serving', async () => {
    const [ada] = pair.students as [TestUser];
    const outsider = await signUp(server.url, 'Outsider');
    const o = await connect(outsider, false);
    const ok = { kind: 'output', runId: 'run-000002', stream: 'stdout', text: 'x' };
    expect(await emit(o.socket, 'tandem:run-event', { workspaceId: pair.workspaceId, event: ok })).toMatchObject({ ok: false, error: /Enter the workspace/ });
    expect(await emit(o.socket, 'tandem:enter-workspace', { id: pair.workspaceId })).toMatchObject({ ok: false });
    const a = await connect(ada);
    const bad: unknown[] = [
      null,
      'text',
      { workspaceId: pair.workspaceId },
      { workspaceId: pair.workspaceId, event: { kind: 'explode', runId: 'run-000002' } },
      { workspaceId: pair.workspaceId, event: { ...ok, text: 'y'.repeat(8193) } },
      { workspaceId: pair.workspaceId, event: { ...ok, stream: 'stdxxx' } },
      { workspaceId: pair.workspaceId, event: { ...ok, runId: '../../x' } },
      { workspaceId: pair.workspaceId, event: { ...ok, by: { id: 'someone-else', displayName: 'Teacher' } } },
      { workspaceId: pair.workspaceId, event: { kind: 'start', runId: 'run-000002', file: 'main.py', language: 'cobol' } },
    ];
    for (const payload of bad) {
      const reply = await emit(a.socket, 'tandem:run-event', payload);
      expect({ payload, ok: reply.ok }).toEqual({ payload, ok: false });
      expect(reply.error).toMatch(/Invalid run event/);
    }
    expect((await api(server.url, 'GET', '/healthz')).status).toBe(200);
  });

  test('[P-RUN-1] a flood of run events is cut off by the per-socket rate limit', async () => {
    const a = await connect(pair.students[0]!);
    const replies = await Promise.all(
      Array.from({ length: 400 }, (_, i) =>
        emit(a.socket, 'tandem:run-event', { workspaceId: pair.workspaceId, event: { kind: 'output', runId: 'run-000003', stream: 'stdout', text: `${i}\n` } }),
      ),
    );
    const refused = replies.filter((r) => !r.ok);
    expect(refused.length).toBeGreaterThan(100);
    expect(refused[0]!.error).toMatch(/Too many run events/);
    // The socket is still usable.
    expect(await emit(a.socket, 'tandem:enter-workspace', { id: pair.workspaceId })).toEqual({ ok: true });
  });
});
