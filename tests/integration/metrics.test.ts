import { ServerProcess, api } from '../helpers/server-process';
import { RawClient, newClient, subscribeFile, waitFor, whenAcked } from '../helpers/clients';
import { pairWorkspace, signUp } from '../helpers/accounts';

/** Issue 6 §3: `GET /metrics` exposes the named series, moving with real traffic, with no content. */
describe('metrics', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await ServerProcess.start();
  });
  afterAll(async () => {
    await server.dispose();
  });

  /** The value of one series line, e.g. `tandem_sockets_active` or `name{label="x"}`. */
  function value(text: string, series: string): number {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line ? Number(line.slice(series.length + 1)) : NaN;
  }

  test('sockets, rooms, ops, latencies, event-loop delay and errors by code', async () => {
    const pair = await pairWorkspace(server.url, [{ name: 'main.py', content: '' }], ['Una', 'Vic']);
    const a = newClient(server.url, pair.students[0]!);
    const b = newClient(server.url, pair.students[1]!);
    const outsider = await signUp(server.url, 'Outsider');
    const raw = new RawClient(server.url, outsider.cookie);
    try {
      const docA = await subscribeFile(a, pair.workspaceId, pair.fileIds['main.py']!);
      const docB = await subscribeFile(b, pair.workspaceId, pair.fileIds['main.py']!);
      await new Promise<void>((resolve) => a.socket.emit('tandem:enter-workspace', { id: pair.workspaceId }, () => resolve()));
      // One op per round trip: ShareDB's client composes ops submitted in the same tick.
      for (let i = 0; i < 20; i++) {
        docA.submitOp([i, 'TOP-SECRET'[i % 10]!]);
        await whenAcked(docA);
      }
      await waitFor(() => docB.data.length === 20, 'delivery');
      await raw.connected();
      const denied = await raw.request({ a: 'f', c: 'files', d: `${pair.workspaceId}:${pair.fileIds['main.py']}` });
      expect(denied.error).toBeTruthy();

      let text = '';
      const res = await fetch(`${server.url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      text = await res.text();
      expect(value(text, 'tandem_sockets_active')).toBe(3);
      expect(value(text, 'tandem_doc_subscriptions')).toBeGreaterThanOrEqual(1);
      expect(value(text, 'tandem_rooms_open')).toBe(1);
      expect(value(text, 'tandem_ops_committed_total{collection="files"}')).toBeGreaterThanOrEqual(20);
      expect(value(text, 'tandem_submit_to_commit_seconds_count{collection="files"}')).toBeGreaterThanOrEqual(20);
      expect(value(text, 'tandem_fanout_seconds_count')).toBeGreaterThanOrEqual(20);
      expect(value(text, 'tandem_store_commit_seconds_count')).toBeGreaterThanOrEqual(20);
      expect(value(text, 'tandem_event_loop_delay_p99_seconds')).toBeGreaterThan(0);
      expect(value(text, 'tandem_errors_total{code="ERR_TANDEM_FORBIDDEN",via="sharedb"}')).toBeGreaterThanOrEqual(1);
      expect(text).toContain('tandem_nodejs_eventloop_lag_seconds');
      // Labels are bounded sets: no ids, no names, no student text.
      expect(docB.data).toContain('SECRET');
      expect(text).not.toContain('SECRET');
      expect(text).not.toContain(pair.workspaceId);
      expect(text).not.toContain('Una');
      // HTTP errors count too.
      await api(server.url, 'GET', '/api/auth/me');
      const after = await (await fetch(`${server.url}/metrics`)).text();
      expect(value(after, 'tandem_errors_total{code="ERR_TANDEM_UNAUTHENTICATED",via="http"}')).toBeGreaterThanOrEqual(1);
    } finally {
      a.close();
      b.close();
      raw.close();
    }
  });
});
