import type { Doc } from 'sharedb/lib/client';
import type { TandemClient } from '../../lib/client/tandem-client';
import { ServerProcess, api } from '../helpers/server-process';
import { newClient, subscribeFile, waitFor, whenAcked } from '../helpers/clients';
import { pairWorkspace, signUp } from '../helpers/accounts';

/**
 * Issue #2: "SIGKILL the server mid-edit, restart it, let clients reconnect: every acknowledged
 * op is present exactly once and unacknowledged ones are resent" — at several kill points.
 */
describe('[P-OP-6] crash and restart never lose or duplicate a keystroke', () => {
  let server: ServerProcess;
  const clients: TandemClient[] = [];

  beforeAll(async () => {
    server = await ServerProcess.start();
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await server.dispose();
  });

  /** A typist inserting unique tokens only at token boundaries, so each stays contiguous. */
  function typist(label: string, doc: Doc<string>) {
    let n = 0;
    const submitted: string[] = [];
    const acked = new Set<string>();
    const errors: unknown[] = [];
    return {
      submitted,
      acked,
      errors,
      type() {
        const token = `<${label}${n++}>`;
        const text = doc.data;
        const boundaries = [0];
        let cp = 0;
        for (const ch of text) {
          cp++;
          if (ch === '>' || ch === '\n') boundaries.push(cp);
        }
        const at = boundaries[(n * 31 + label.charCodeAt(0)) % boundaries.length]!;
        submitted.push(token);
        doc.submitOp(at === 0 ? [token] : [at, token], {}, (err) => {
          if (err) errors.push(err);
          else acked.add(token);
        });
      },
    };
  }

  function countOf(text: string, token: string): number {
    return text.split(token).length - 1;
  }

  test('SIGKILL at several points while two clients type', async () => {
    // A real pair: two student accounts whose sessions must also survive every kill.
    const pair = await pairWorkspace(server.url, [{ name: 'race.txt', content: 'start\n' }], ['A', 'B']);
    const wsId = pair.workspaceId;
    const fileId = pair.fileIds['race.txt']!;
    const a = newClient(server.url, pair.students[0]!);
    const b = newClient(server.url, pair.students[1]!);
    clients.push(a, b);
    const docA = await subscribeFile(a, wsId, fileId);
    const docB = await subscribeFile(b, wsId, fileId);
    const ta = typist('a', docA);
    const tb = typist('b', docB);

    // Kill after different amounts of typing: almost immediately, mid-burst, after a pause.
    const killAfterMs = [3, 40, 120, 0];
    for (const [round, delay] of killAfterMs.entries()) {
      const ackedBefore = new Set([...ta.acked, ...tb.acked]);
      const typing = setInterval(() => {
        ta.type();
        tb.type();
      }, 2);
      await new Promise((r) => setTimeout(r, delay));
      await server.kill();
      const ackedAtKill = new Set([...ta.acked, ...tb.acked]);
      // Keep typing while the server is down: these edits must wait and then be sent.
      await new Promise((r) => setTimeout(r, 60));
      clearInterval(typing);
      await waitFor(() => a.status !== 'connected' && b.status !== 'connected', 'clients to notice the crash');
      expect(a.unsentEdits() + b.unsentEdits()).toBeGreaterThan(0);

      await server.restart();
      await Promise.all([whenAcked(docA), whenAcked(docB)]);
      await waitFor(() => docA.version === docB.version && docA.data === docB.data, `convergence after round ${round}`);
      expect(ta.errors.concat(tb.errors)).toEqual([]);
      expect(a.unsentEdits() + b.unsentEdits()).toBe(0);

      const all = [...ta.submitted, ...tb.submitted];
      for (const token of all) {
        if (countOf(docA.data, token) !== 1) {
          throw new Error(
            `round ${round}: token ${token} appears ${countOf(docA.data, token)} times ` +
              `(acked before kill: ${ackedAtKill.has(token)})`,
          );
        }
      }
      expect(ackedAtKill.size).toBeGreaterThanOrEqual(ackedBefore.size);
    }

    // What the clients converged on is what a fresh client loads from disk.
    const check = newClient(server.url, pair.students[0]!);
    clients.push(check);
    const fresh = await subscribeFile(check, wsId, fileId);
    expect(fresh.data).toBe(docA.data);
    expect(ta.submitted.length + tb.submitted.length).toBeGreaterThan(100);
  }, 120_000); // four kills and restarts: seconds each on a loaded 2-core machine

  test('[P-SHUT-1] SIGTERM: clients are told, the process exits 0 within 10 s, data survives, offline edits are sent after restart', async () => {
    const owner = await signUp(server.url, 'Owner');
    const res = await api<{ id: string; files: Array<{ id: string }> }>(server.url, 'POST', '/api/workspaces', {
      files: [{ name: 'keep.py', content: '' }],
    }, owner.cookie);
    const wsId = res.body.id;
    const fileId = res.body.files[0]!.id;
    const a = newClient(server.url, owner);
    clients.push(a);
    const doc = await subscribeFile(a, wsId, fileId);
    doc.submitOp(['before restart\n']);
    await whenAcked(doc);

    const started = Date.now();
    const code = await server.stop();
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(a.lastCloseNotice?.reason).toBe('shutting-down');

    doc.submitOp([[...doc.data].length, 'while down\n']);
    await waitFor(() => a.status !== 'connected', 'client to notice');
    expect(a.unsentEdits()).toBe(1);

    await server.restart();
    await whenAcked(doc);
    const check = newClient(server.url, owner);
    clients.push(check);
    const fresh = await subscribeFile(check, wsId, fileId);
    expect(fresh.data).toBe('before restart\nwhile down\n');
  }, 60_000);
});
