import type { Doc } from 'sharedb/lib/client';
import { COLLECTIONS, fileDocId, peopleChannel, type CursorPresence, type PeoplePresence } from '../../lib/protocol';
import type { TandemClient } from '../../lib/client/tandem-client';
import { ServerProcess, api } from '../helpers/server-process';
import { newClient, subscribeFile, waitFor, whenAcked } from '../helpers/clients';
import { pairWorkspace, type PairFixture, type TestUser } from '../helpers/accounts';

interface Workspace {
  id: string;
  name: string;
  files: Array<{ id: string; name: string; language: string }>;
}

describe('collaboration through a real server process', () => {
  let server: ServerProcess;
  const clients: TandemClient[] = [];
  let fixture: PairFixture;
  /** A client of the current workspace's student called `name`. */
  const user = (name: string): TestUser => {
    const found = fixture.students.find((s) => s.displayName === name);
    if (!found) throw new Error(`no student ${name} in this workspace`);
    return found;
  };
  const client = (name: string, extra: Record<string, unknown> = {}) => {
    const c = newClient(server.url, user(name), extra);
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

  /** A pair workspace of students `names` (1–3) with one file, main.py. */
  async function newWorkspace(content: string, names: string[]): Promise<{ ws: { id: string }; fileId: string }> {
    fixture = await pairWorkspace(server.url, [{ name: 'main.py', content }], names);
    return { ws: { id: fixture.workspaceId }, fileId: fixture.fileIds['main.py']! };
  }

  test('GET /healthz and /readyz answer while the store is reachable', async () => {
    expect((await api(server.url, 'GET', '/healthz')).status).toBe(200);
    const ready = await api<{ status: string; store: string }>(server.url, 'GET', '/readyz');
    expect(ready).toMatchObject({ status: 200, body: { status: 'ready', store: 'sqlite' } });
  });

  test('[P-DOC-3] two clients typing at once converge, with astral chars, combining marks and CJK intact', async () => {
    const { ws, fileId } = await newWorkspace('print("hi")\n', ['Ada', 'Brian', 'Check']);
    const a = await subscribeFile(client('Ada'), ws.id, fileId);
    const b = await subscribeFile(client('Brian'), ws.id, fileId);
    const pieces = ['😀', 'e\u0301', '漢字', '𝔘', '\n', 'x', '👩‍💻'];
    for (let i = 0; i < 200; i++) {
      const doc = i % 2 ? a : b;
      const len = [...doc.data].length;
      const at = (i * 7919) % (len + 1);
      if (i % 5 === 4 && len > 2) doc.submitOp([Math.min(at, len - 1), { d: 1 }]);
      else doc.submitOp(at === 0 ? [pieces[i % pieces.length]!] : [at, pieces[i % pieces.length]!]);
    }
    await Promise.all([whenAcked(a), whenAcked(b)]);
    await waitFor(() => a.data === b.data && a.version === b.version, 'convergence');
    const fresh = await subscribeFile(client('Check'), ws.id, fileId);
    expect(fresh.data).toBe(a.data);
    expect(a.data).toContain('😀');
    expect(a.data).toContain('漢字');
    // Code-point positions: no lone surrogate ever appears.
    expect(a.data).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
  });

  test('[P-TR-6] a client stuck on HTTP long-polling (a proxy that breaks WebSocket) edits with a WebSocket peer', async () => {
    const { ws, fileId } = await newWorkspace('x', ['Proxy', 'Direct']);
    const polling = client('Proxy', { transports: ['polling'] });
    const a = await subscribeFile(polling, ws.id, fileId);
    const b = await subscribeFile(client('Direct'), ws.id, fileId);
    expect(polling.socket.io.engine.transport.name).toBe('polling');
    for (let i = 0; i < 20; i++) {
      a.submitOp([0, 'p']);
      b.submitOp(['w']);
    }
    await Promise.all([whenAcked(a), whenAcked(b)]);
    await waitFor(() => a.data === b.data && a.data.length === 41, 'polling and websocket clients to converge');
  });

  test('workspace file list: create, rename (language follows), delete, duplicates refused; subscribers see it live', async () => {
    const { ws } = await newWorkspace('', ['Watcher']);
    const watcher = client('Watcher');
    const cookie = user('Watcher').cookie;
    const wsDoc = watcher.connection.get(COLLECTIONS.workspaces, ws.id) as Doc<{ files: Record<string, { name: string; language: string }> }>;
    await new Promise<void>((resolve, reject) => wsDoc.subscribe((e) => (e ? reject(e) : resolve())));
    expect(Object.values(wsDoc.data.files).map((f) => f.name)).toEqual(['main.py']);

    const created = await api<{ id: string; language: string }>(server.url, 'POST', `/api/workspaces/${ws.id}/files`, {
      name: 'util.js',
      content: 'a\r\nb\rc',
    }, cookie);
    expect(created.status).toBe(201);
    expect(created.body.language).toBe('javascript');
    await waitFor(() => Object.keys(wsDoc.data.files).length === 2, 'live file list update');

    // CRLF from a Windows paste is normalised once, at the edge.
    const text = await subscribeFile(watcher, ws.id, created.body.id);
    expect(text.data).toBe('a\nb\nc');

    const dup = await api<{ error: { code: string } }>(server.url, 'POST', `/api/workspaces/${ws.id}/files`, { name: 'main.py' }, cookie);
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('ERR_TANDEM_CONFLICT');

    const renamed = await api<{ name: string; language: string }>(
      server.url,
      'PATCH',
      `/api/workspaces/${ws.id}/files/${created.body.id}`,
      { name: 'util.ts' },
      cookie,
    );
    expect(renamed.body).toMatchObject({ name: 'util.ts', language: 'typescript' });
    await waitFor(() => wsDoc.data.files[created.body.id]?.name === 'util.ts', 'live rename');

    const del = await api(server.url, 'DELETE', `/api/workspaces/${ws.id}/files/${created.body.id}`, undefined, cookie);
    expect(del.status).toBe(204);
    await waitFor(() => !(created.body.id in wsDoc.data.files), 'live delete');
    await waitFor(() => text.type === null, 'file doc deleted for subscribers');

    const got = await api<Workspace>(server.url, 'GET', `/api/workspaces/${ws.id}`, undefined, cookie);
    expect(got.body.files.map((f) => f.name)).toEqual(['main.py']);
    expect((await api(server.url, 'GET', `/api/workspaces/doesNotExist1`, undefined, cookie)).status).toBe(404);
  });

  test('[P-PRES-5] the people channel says who is in which file, with server-stamped names, and forgets who left', async () => {
    const { ws, fileId } = await newWorkspace('', ['Carol', 'Dan']);
    const carol = client('Carol');
    const dan = client('Dan');
    const seen = new Map<string, PeoplePresence | null>();
    const danPeople = dan.connection.getPresence(peopleChannel(ws.id));
    danPeople.on('receive', (id: string, value: PeoplePresence | null) => seen.set(id, value));
    await new Promise<void>((resolve, reject) => danPeople.subscribe((e) => (e ? reject(e) : resolve())));
    const carolPeople = carol.connection.getPresence(peopleChannel(ws.id));
    await new Promise<void>((resolve, reject) => carolPeople.subscribe((e) => (e ? reject(e) : resolve())));
    const local = carolPeople.create('carol-tab');
    const value: PeoplePresence = { clientId: 'whoever', name: 'Not Carol', color: '#00aa00', fileId };
    await new Promise<void>((resolve, reject) => local.submit(value, (e) => (e ? reject(e) : resolve())));
    await waitFor(() => seen.get('carol-tab') != null, 'people presence');
    expect(seen.get('carol-tab')).toMatchObject({ name: 'Carol', fileId });
    carol.socket.io.reconnection(false);
    carol.socket.io.engine.close();
    await waitFor(() => seen.has('carol-tab') && seen.get('carol-tab') === null, 'people presence cleanup');
  });

  test('[P-PRES-1][P-PRES-4] presence carries the sender\'s real identity and disappears when the peer drops', async () => {
    const { ws, fileId } = await newWorkspace('hello world', ['Alice', 'Bob']);
    const alice = client('Alice');
    const bob = client('Bob');
    await subscribeFile(alice, ws.id, fileId);
    await subscribeFile(bob, ws.id, fileId);
    const channelId = fileDocId(ws.id, fileId);
    const seen = new Map<string, CursorPresence | null>();
    const bobPresence = bob.connection.getDocPresence(COLLECTIONS.files, channelId);
    bobPresence.on('receive', (id: string, value: CursorPresence | null) => seen.set(id, value));
    await new Promise<void>((resolve, reject) => bobPresence.subscribe((e) => (e ? reject(e) : resolve())));

    const alicePresence = alice.connection.getDocPresence(COLLECTIONS.files, channelId);
    await new Promise<void>((resolve, reject) => alicePresence.subscribe((e) => (e ? reject(e) : resolve())));
    const local = alicePresence.create('alice-cursor');
    // Alice claims to be someone else; the server must not let her (P-PRES-1).
    const spoof: CursorPresence = { clientId: 'someone-else', name: 'The Teacher', color: '#ff0000', selections: [{ anchor: 2, head: 5 }] };
    await new Promise<void>((resolve, reject) => local.submit(spoof, (e) => (e ? reject(e) : resolve())));
    await waitFor(() => seen.get('alice-cursor') != null, 'presence to arrive');
    expect(seen.get('alice-cursor')).toMatchObject({ name: 'Alice', selections: [{ anchor: 2, head: 5 }] });
    // The server stamps the account id, whatever the client claimed.
    expect(seen.get('alice-cursor')!.clientId).toBe(user('Alice').id);

    // The laptop lid closes: the transport dies without any goodbye from Alice's client.
    alice.socket.io.reconnection(false);
    alice.socket.io.engine.close();
    await waitFor(() => seen.has('alice-cursor') && seen.get('alice-cursor') === null, 'presence cleanup after disconnect');
  });
});
