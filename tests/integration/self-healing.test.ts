import type { TandemClient } from '../../lib/client/tandem-client';
import { ServerProcess, api } from '../helpers/server-process';
import { newClient, subscribeFile, waitFor, whenAcked } from '../helpers/clients';
import { metric, tryHandshake } from '../helpers/ops';
import { logIn, pairWorkspace, signUp, type TestUser } from '../helpers/accounts';

const ADMIN_EMAIL = `ops-admin.${process.pid}@example.edu`;
const ADMIN_PASSWORD = 'correct horse battery';

/** Poll `/readyz` until `accept(status, body)` holds. */
async function readyzUntil(url: string, accept: (status: number, body: any) => boolean, what: string, timeoutMs = 20_000): Promise<any> {
  const started = Date.now();
  for (;;) {
    const res = await api<any>(url, 'GET', '/readyz');
    if (accept(res.status, res.body)) return res.body;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}; last /readyz: ${res.status} ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Issue 6 §3–4 against a real process: an injected event-loop stall (P-OPS-7) flips readiness and
 * sheds new sockets while an existing client keeps editing; both recover when the stall ends.
 */
describe('self-healing: event-loop watchdog and load shedding', () => {
  let server: ServerProcess;
  let admin: TestUser;
  const clients: TandemClient[] = [];

  beforeAll(async () => {
    server = await ServerProcess.start({
      env: {
        TANDEM_FAULT_INJECTION: '1',
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
        SELF_HEALING_SAMPLE_SECONDS: '0.1',
        // High enough that a busy CI machine alone does not trip it; the injected stall is 400 ms.
        EVENT_LOOP_DELAY_LIMIT_MS: '150',
        EVENT_LOOP_OVERLOAD_SECONDS: '0.5',
        SHED_RETRY_AFTER_SECONDS: '1',
        ANOMALY_WARMUP_SAMPLES: '20',
      },
    });
    admin = await logIn(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await server.dispose();
  });

  test('[P-OPS-1][P-OPS-2][P-OPS-4] a stalled loop fails readiness and sheds new sockets; an existing client stays and edits; both recover', async () => {
    const pair = await pairWorkspace(server.url, [{ name: 'main.py', content: '' }], ['Ida', 'Jon']);
    const fileId = pair.fileIds['main.py']!;
    const a = newClient(server.url, pair.students[0]!);
    clients.push(a);
    const doc = await subscribeFile(a, pair.workspaceId, fileId);
    let disconnects = 0;
    a.socket.on('disconnect', () => disconnects++);
    await readyzUntil(server.url, (status) => status === 200, 'readiness before the fault');
    expect(await tryHandshake(server.url, pair.students[1]!.cookie)).toBeNull();

    const started = await api(server.url, 'POST', '/api/admin/faults/event-loop', { blockMs: 400, gapMs: 20, forMs: 60_000 }, admin.cookie);
    expect(started.status).toBe(202);
    try {
      const down = await readyzUntil(server.url, (status, body) => status === 503 && body?.down?.includes('event-loop'), 'readiness to fail');
      expect(down).toMatchObject({ status: 'unavailable', store: 'sqlite' });

      const refused = await tryHandshake(server.url, pair.students[1]!.cookie);
      expect(refused).not.toBeNull();
      expect(refused!.message).toMatch(/^unavailable/);
      expect(refused!.data).toMatchObject({ code: 'ERR_TANDEM_UNAVAILABLE', reason: 'overloaded' });
      expect(refused!.data.retryAfterMs).toBeGreaterThanOrEqual(1000);
      expect(refused!.data.retryAfterMs).toBeLessThan(2000);
      // A TandemClient refused now reports "reconnecting" (the server is up, not gone) and keeps
      // retrying after the server's retryAfterMs until it is let in (below).
      const late = newClient(server.url, pair.students[1]!);
      clients.push(late);
      await waitFor(() => late.status === 'reconnecting', 'the refused client to say reconnecting');
      await new Promise((r) => setTimeout(r, 2500));
      expect(late.status).toBe('reconnecting');

      // The existing client was never disconnected and its edits still commit, only slower.
      doc.submitOp(['during the stall']);
      await whenAcked(doc);
      expect(a.socket.connected).toBe(true);
      expect(disconnects).toBe(0);

      const text = await (await fetch(`${server.url}/metrics`)).text();
      expect(metric(text, 'tandem_event_loop_overloaded')).toBe(1);
      expect(metric(text, 'tandem_load_shedding')).toBe(1);
      expect(metric(text, 'tandem_handshakes_shed_total{reason="overloaded"}')).toBeGreaterThanOrEqual(1);
      expect(metric(text, 'tandem_anomalies_total{signal="event-loop"}')).toBeGreaterThanOrEqual(1);
    } finally {
      expect((await api(server.url, 'DELETE', '/api/admin/faults/event-loop', undefined, admin.cookie)).status).toBe(204);
    }

    const ready = await readyzUntil(server.url, (status) => status === 200, 'readiness to recover');
    expect(ready).toMatchObject({ status: 'ready' });
    expect(await tryHandshake(server.url, pair.students[1]!.cookie)).toBeNull();
    await waitFor(() => clients[1]!.socket.connected, 'the refused client to be let in', 20_000);
    const b = newClient(server.url, pair.students[1]!);
    clients.push(b);
    const docB = await subscribeFile(b, pair.workspaceId, fileId);
    expect(docB.data).toBe('during the stall');
    expect(disconnects).toBe(0);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(metric(text, 'tandem_event_loop_overloaded')).toBe(0);
    expect(metric(text, 'tandem_load_shedding')).toBe(0);
  });

  test('[P-OPS-7] fault injection is for admins only', async () => {
    const teacher = await signUp(server.url, 'NotAdmin');
    expect((await api(server.url, 'POST', '/api/admin/faults/event-loop', { blockMs: 10 }, teacher.cookie)).status).toBe(403);
    expect((await api(server.url, 'POST', '/api/admin/faults/event-loop', { blockMs: 10 })).status).toBe(401);
  });
});

describe('request ids', () => {
  let server: ServerProcess;
  let admin: TestUser;
  beforeAll(async () => {
    server = await ServerProcess.start({ env: { TANDEM_FAULT_INJECTION: '1', ADMIN_EMAIL, ADMIN_PASSWORD } });
    admin = await logIn(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
  });
  afterAll(async () => {
    await server.dispose();
  });

  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

  test('[P-OPS-6] every response carries X-Request-Id: the caller’s when sane, a fresh UUID otherwise', async () => {
    const kept = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'lb-7f3a.42:abc' } });
    expect(kept.headers.get('x-request-id')).toBe('lb-7f3a.42:abc');
    const fresh = await fetch(`${server.url}/api/auth/me`);
    expect(fresh.status).toBe(401);
    expect(fresh.headers.get('x-request-id')).toMatch(UUID);
    const other = await fetch(`${server.url}/api/auth/me`);
    expect(other.headers.get('x-request-id')).not.toBe(fresh.headers.get('x-request-id'));
    for (const insane of ['has space', 'a"b', 'x'.repeat(129), '{"level":60}']) {
      const res = await fetch(`${server.url}/readyz`, { headers: { 'x-request-id': insane } });
      expect(res.headers.get('x-request-id')).toMatch(UUID);
    }
  });

  test('[P-OPS-6] the error handler logs the request id, and no request content', async () => {
    const res = await fetch(`${server.url}/api/admin/faults/internal-error`, {
      method: 'POST',
      headers: { 'x-request-id': 'trace-0042', cookie: admin.cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ code: 'print("TOP-SECRET-ANSWER")' }),
    });
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ERR_TANDEM_INTERNAL');
    expect(res.headers.get('x-request-id')).toBe('trace-0042');
    await waitFor(() => server.logs.some((l) => l.includes('unhandled API error')), 'the error log line');
    const line = JSON.parse(server.logs.find((l) => l.includes('unhandled API error'))!) as { requestId?: string };
    expect(line.requestId).toBe('trace-0042');
    expect(server.logs.join('\n')).not.toContain('TOP-SECRET-ANSWER');
  });
});
