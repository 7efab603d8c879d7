import type { CloseNotice } from '../../lib/protocol';
import { ServerProcess, api } from '../helpers/server-process';
import { RawClient, waitFor } from '../helpers/clients';
import { metric, tryHandshake } from '../helpers/ops';
import { logIn, signUp, type TestUser } from '../helpers/accounts';

const ADMIN_EMAIL = `drain-admin.${process.pid}@example.edu`;
const ADMIN_PASSWORD = 'correct horse battery';
const DRAIN_TOKEN = 'test-drain-token-0123456789abcdefghijklmnop';

/**
 * P-OPS-5 against a real process: a drain fails readiness, refuses new sockets and moves connected
 * clients away in batches over the window, with spread reconnect hints, without exiting.
 */
describe('drain for rolling deploys', () => {
  let server: ServerProcess;
  let admin: TestUser;
  let people: TestUser[];

  beforeAll(async () => {
    server = await ServerProcess.start({
      env: {
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
        DRAIN_TOKEN,
        // Three sockets → reconnect slices [0,1), [1,2), [2,3) s; batches at 0 s and 2 s.
        DRAIN_WINDOW_SECONDS: '3',
        DRAIN_BATCH_SECONDS: '2',
      },
    });
    admin = await logIn(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    people = [await signUp(server.url, 'Kim'), await signUp(server.url, 'Lou'), await signUp(server.url, 'Max')];
  });
  afterAll(async () => {
    await server.dispose();
  });

  test('[P-OPS-5] only an admin session or the drain token may drain', async () => {
    expect((await api(server.url, 'POST', '/api/admin/drain')).status).toBe(401);
    expect((await api(server.url, 'POST', '/api/admin/drain', undefined, people[0]!.cookie)).status).toBe(403);
    const wrong = await fetch(`${server.url}/api/admin/drain`, { method: 'POST', headers: { authorization: 'Bearer not-the-token' } });
    expect(wrong.status).toBe(403);
    const status = await api(server.url, 'GET', '/api/admin/drain', undefined, admin.cookie);
    expect(status).toMatchObject({ status: 200, body: { draining: false } });
    expect((await api(server.url, 'GET', '/readyz')).status).toBe(200);
  });

  test('[P-OPS-7] fault injection routes do not exist unless TANDEM_FAULT_INJECTION=1', async () => {
    const res = await api(server.url, 'POST', '/api/admin/faults/event-loop', { blockMs: 10 }, admin.cookie);
    expect(res.status).toBe(404);
  });

  test('[P-OPS-5][P-OPS-1][P-OPS-4] connected clients get spread notices in batches; new sockets refused; not ready; process alive', async () => {
    const clients = people.map((p) => new RawClient(server.url, p.cookie));
    const received: Array<{ notice: CloseNotice; at: number; disconnectedAt?: number }> = [];
    for (const c of clients) {
      await c.connected();
      c.socket.on('tandem:close', (notice: CloseNotice) => received.push({ notice, at: Date.now() }));
    }
    try {
      const drainAt = Date.now();
      const res = await fetch(`${server.url}/api/admin/drain`, { method: 'POST', headers: { authorization: `Bearer ${DRAIN_TOKEN}` } });
      expect(res.status).toBe(202);
      const status = (await res.json()) as { draining: boolean; sockets: number; windowMs: number; startedAt: number };
      expect(status).toMatchObject({ draining: true, sockets: 3, windowMs: 3000 });

      expect(await api(server.url, 'GET', '/readyz')).toMatchObject({ status: 503, body: { status: 'draining' } });
      const refused = await tryHandshake(server.url, admin.cookie);
      expect(refused?.message).toMatch(/^unavailable/);
      expect(refused?.data).toMatchObject({ code: 'ERR_TANDEM_UNAVAILABLE', reason: 'draining' });

      await waitFor(() => received.length === 3 && clients.every((c) => !c.socket.connected), 'every client drained', 10_000);
      expect(clients.every((c) => c.disconnectReason === 'io server disconnect')).toBe(true);
      received.sort((x, y) => x.at - y.at);
      for (const { notice } of received) expect(notice.reason).toBe('shutting-down');
      // First batch (at once): two clients, told different waits from different slices of the window.
      const [first, second, third] = received as [(typeof received)[0], (typeof received)[0], (typeof received)[0]];
      expect(second.at - drainAt).toBeLessThan(1500);
      expect(first.notice.retryAfterMs).not.toBe(second.notice.retryAfterMs);
      const waits = [first.notice.retryAfterMs!, second.notice.retryAfterMs!].sort((x, y) => x - y);
      expect(waits[0]).toBeLessThan(1000);
      expect(waits[1]).toBeGreaterThanOrEqual(1000);
      expect(waits[1]).toBeLessThan(2000);
      // Second batch, two seconds later: the last slice.
      expect(third.at - first.at).toBeGreaterThanOrEqual(1500);
      expect(third.notice.retryAfterMs).toBeLessThan(1000);

      // Still running, still refusing, and a repeated request only reports progress.
      expect(server.alive).toBe(true);
      expect((await api(server.url, 'GET', '/healthz')).status).toBe(200);
      expect((await tryHandshake(server.url, people[0]!.cookie))?.data.reason).toBe('draining');
      const again = await api<{ startedAt: number; closed: number }>(server.url, 'POST', '/api/admin/drain', undefined, admin.cookie);
      expect(again).toMatchObject({ status: 202, body: { startedAt: status.startedAt, closed: 3 } });
      const text = await (await fetch(`${server.url}/metrics`)).text();
      expect(metric(text, 'tandem_draining')).toBe(1);
      expect(metric(text, 'tandem_load_shedding')).toBe(1);
      expect(metric(text, 'tandem_sockets_drained_total')).toBe(3);
      expect(metric(text, 'tandem_handshakes_shed_total{reason="draining"}')).toBeGreaterThanOrEqual(2);
    } finally {
      for (const c of clients) c.close();
    }
  });
});
