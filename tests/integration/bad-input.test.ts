import { io } from 'socket.io-client';
import type { Doc } from 'sharedb/lib/client';
import { MAX_FILE_BYTES, MAX_MESSAGE_BYTES, MAX_OP_BYTES } from '../../lib/limits';
import type { TandemClient } from '../../lib/client/tandem-client';
import { ServerProcess, api } from '../helpers/server-process';
import { RawClient, newClient, subscribeFile, waitFor, whenAcked } from '../helpers/clients';
import { signUp, type TestUser } from '../helpers/accounts';

/**
 * Issue #2 §8: every kind of bad input gets a clear error (or a documented close), the document
 * is unchanged, nothing is persisted, the process stays up and other clients are unaffected.
 */
describe('bad input', () => {
  let server: ServerProcess;
  let wsId: string;
  let fileId: string;
  let docId: string;
  let bystander: TandemClient;
  let bystanderDoc: Doc<string>;
  let owner: TestUser;
  const raws: RawClient[] = [];
  const raw = async (auth?: unknown) => {
    const r = new RawClient(server.url, owner.cookie, auth);
    raws.push(r);
    await r.connected();
    return r;
  };
  const ORIGINAL = 'def main():\n    pass\n';

  beforeAll(async () => {
    server = await ServerProcess.start({ env: { SOCKET_MESSAGES_PER_SECOND: '100' } });
    owner = await signUp(server.url, 'Owner');
    const res = await api<{ id: string; files: Array<{ id: string }> }>(server.url, 'POST', '/api/workspaces', {
      files: [{ name: 'main.py', content: ORIGINAL }],
    }, owner.cookie);
    wsId = res.body.id;
    fileId = res.body.files[0]!.id;
    docId = `${wsId}:${fileId}`;
    bystander = newClient(server.url, owner);
    bystanderDoc = await subscribeFile(bystander, wsId, fileId);
  });

  afterEach(async () => {
    for (const r of raws.splice(0)) r.close();
    // After every case: the process is up, the bystander is still connected and can still edit,
    // and the file is exactly what the bystander has.
    expect(server.alive).toBe(true);
    expect(bystander.status).toBe('connected');
    const before = bystanderDoc.data;
    bystanderDoc.submitOp([[...before].length, '#']);
    await whenAcked(bystanderDoc);
    bystanderDoc.submitOp([[...before].length, { d: 1 }]);
    await whenAcked(bystanderDoc);
    expect(bystanderDoc.data).toBe(ORIGINAL);
    const stored = await currentText();
    expect(stored).toBe(ORIGINAL);
  });

  afterAll(async () => {
    bystander.close();
    await server.dispose();
  });

  /** The file as a brand-new client loads it from the server. */
  async function currentText(): Promise<string> {
    const c = newClient(server.url, owner);
    try {
      const doc = await subscribeFile(c, wsId, fileId);
      return doc.data;
    } finally {
      c.close();
    }
  }

  async function opReply(op: Record<string, unknown>, seq = 1) {
    const r = await raw();
    await r.request({ a: 'hs', id: null, protocol: 1, protocolMinor: 2 });
    const sub = await r.request({ a: 's', c: op.c ?? 'files', d: op.d ?? docId });
    const v = (sub.data as { v?: number } | undefined)?.v ?? 0;
    return r.request({ a: 'op', c: 'files', d: docId, v, seq, ...op });
  }

  test('[P-TR-3] a frame that is not JSON closes that socket with malformed-message', async () => {
    const r = await raw();
    r.sendFrame('{not json');
    await waitFor(() => r.disconnectReason !== null, 'disconnect');
    expect(r.closeNotice?.reason).toBe('malformed-message');
  });

  test('[P-TR-3] a frame that is an object, not a string, closes that socket', async () => {
    const r = await raw();
    r.sendFrame({ a: 'hs' });
    await waitFor(() => r.disconnectReason !== null, 'disconnect');
    expect(r.closeNotice?.reason).toBe('malformed-message');
  });

  test('[P-TR-3] a JSON array or number frame closes that socket', async () => {
    const r = await raw();
    r.sendFrame('[1,2,3]');
    await waitFor(() => r.disconnectReason !== null, 'disconnect');
    expect(r.closeNotice?.reason).toBe('malformed-message');
  });

  test('[P-TR-2] a handshake without a valid identity is refused with a clear message', async () => {
    const socket = io(server.url, {
      transports: ['websocket'],
      reconnection: false,
      auth: { displayName: '' },
      extraHeaders: { cookie: owner.cookie },
    });
    const err = await new Promise<Error>((resolve) => socket.once('connect_error', resolve));
    socket.close();
    expect(err.message).toMatch(/^invalid handshake/);
  });

  test('[AU-2] a handshake without a session cookie, or with a forged one, is refused', async () => {
    for (const cookie of [null, 'tandem_session=forged-token-that-was-never-issued']) {
      const socket = io(server.url, {
        transports: ['websocket'],
        reconnection: false,
        auth: { clientId: 'no-session-1' },
        extraHeaders: cookie ? { cookie } : {},
      });
      const err = await new Promise<Error>((resolve) => socket.once('connect_error', resolve));
      socket.close();
      expect(err.message).toMatch(/^unauthenticated/);
    }
  });

  test('[P-TR-5] a browser origin that is not allowed gets no socket', async () => {
    const socket = io(server.url, {
      transports: ['polling'],
      reconnection: false,
      extraHeaders: { origin: 'https://evil.example', cookie: owner.cookie },
      auth: { clientId: 'origin-test', displayName: 'Eve' },
    });
    const err = await new Promise<Error>((resolve) => socket.once('connect_error', resolve));
    socket.close();
    expect(err).toBeTruthy();
  });

  test('[P-MSG-1] an unknown action is answered with an error and the socket stays open', async () => {
    const r = await raw();
    const reply = await r.request({ a: 'zz', c: 'files', d: docId });
    expect(reply.error).toMatchObject({ code: 'ERR_TANDEM_INVALID_MESSAGE' });
    expect(r.socket.connected).toBe(true);
  });

  test('[P-MSG-2] queries are refused', async () => {
    const r = await raw();
    const reply = await r.request({ a: 'qf', id: 1, c: 'files', q: {} });
    expect(reply.error).toMatchObject({ code: 'ERR_TANDEM_INVALID_MESSAGE' });
  });

  test('[P-DOC-1] an op on an unknown collection is refused', async () => {
    const r = await raw();
    const reply = await r.request({ a: 'op', c: 'users', d: 'abcdefgh', v: 0, seq: 1, create: { type: 'json0', data: {} } });
    expect(reply.error).toMatchObject({ code: 'ERR_TANDEM_UNKNOWN_COLLECTION' });
  });

  test('[P-DOC-2] a malformed doc id is refused', async () => {
    const r = await raw();
    const reply = await r.request({ a: 'f', c: 'files', d: '../../etc/passwd' });
    expect(reply.error).toMatchObject({ code: 'ERR_TANDEM_INVALID_DOC_ID' });
  });

  test('[P-OP-1] an op for a file that does not exist is refused and creates nothing', async () => {
    const r = await raw();
    const ghost = `${wsId}:ghostfile1`;
    const reply = await r.request({ a: 'op', c: 'files', d: ghost, v: 0, seq: 1, op: ['boo'] });
    expect(reply.error).toBeTruthy();
    const fetched = await r.request({ a: 'f', c: 'files', d: ghost });
    expect((fetched.data as { type: unknown }).type ?? null).toBeNull();
  });

  test('[P-OP-1] clients cannot create or delete files, or write the workspace doc', async () => {
    const r = await raw();
    const create = await r.request({ a: 'op', c: 'files', d: `${wsId}:newfile01`, v: 0, seq: 1, create: { type: 'text-unicode', data: 'x' } });
    expect(create.error).toMatchObject({ code: 'ERR_TANDEM_FORBIDDEN_WRITE' });
    const del = await opReply({ del: true }, 2);
    expect(del.error).toMatchObject({ code: 'ERR_TANDEM_FORBIDDEN_WRITE' });
  });

  test('[P-OP-1][P-DOC-4] a prototype-polluting json0 op on the workspace doc is refused; the list is unchanged', async () => {
    const r = await raw();
    const sub = await r.request({ a: 's', c: 'workspaces', d: wsId });
    const v = (sub.data as { v: number }).v;
    for (const [i, p] of [['__proto__', 'polluted'], ['constructor', 'prototype', 'x'], ['files', '__proto__']].entries()) {
      const reply = await r.request({ a: 'op', c: 'workspaces', d: wsId, v, seq: i + 1, op: [{ p, oi: 'yes' }] });
      expect(reply.error).toMatchObject({ code: 'ERR_TANDEM_FORBIDDEN_WRITE' });
    }
    const ws = await api<{ files: unknown[] }>(server.url, 'GET', `/api/workspaces/${wsId}`, undefined, owner.cookie);
    expect(ws.body.files).toHaveLength(1);
  });

  test('[P-OP-2] an op of the wrong shape (json0 on a text file) is refused', async () => {
    const reply = await opReply({ op: [{ p: ['x'], oi: 1 }] });
    expect(reply.error).toMatchObject({ code: 'ERR_TANDEM_INVALID_OP' });
  });

  test('[P-OP-2] negative skips, empty inserts and non-array ops are refused', async () => {
    expect((await opReply({ op: [-1, 'x'] })).error).toMatchObject({ code: 'ERR_TANDEM_INVALID_OP' });
    expect((await opReply({ op: [''] })).error).toMatchObject({ code: 'ERR_TANDEM_INVALID_OP' });
    expect((await opReply({ op: 'hello' })).error).toMatchObject({ code: 'ERR_TANDEM_INVALID_OP' });
  });

  test('[P-OP-2] a skip past the end of the text is refused by the OT type', async () => {
    const reply = await opReply({ op: [100000, 'x'] });
    expect(reply.error).toBeTruthy();
  });

  test('[P-OP-4] an insert containing CR is refused', async () => {
    const reply = await opReply({ op: ['a\r\nb'] });
    expect(reply.error).toMatchObject({ code: 'ERR_TANDEM_INVALID_OP' });
  });

  test('[P-OP-3] an op over MAX_OP_BYTES is refused', async () => {
    const reply = await opReply({ op: ['x'.repeat(MAX_OP_BYTES + 10)] });
    expect(reply.error).toMatchObject({ code: 'ERR_TANDEM_OP_TOO_LARGE' });
  });

  test('[P-OP-PROV] an op claiming a server-only provenance (x.source.kind "starter") is refused; the file is unchanged', async () => {
    const forged = await opReply({ op: ['FORGED'], x: { source: { binding: 'tandem-binding:1:abc', kind: 'starter' } } });
    expect(forged.error).toMatchObject({ code: 'ERR_TANDEM_INVALID_OP' });
    for (const x of [
      { source: { binding: 'b', kind: 'ai' } },
      { source: { binding: 'b', kind: 'typed', extra: 1 } },
      { source: { binding: 'b'.repeat(101), kind: 'pasted' } },
      { source: 'tandem-binding:1:abc' },
      { author: 'someone-else' },
      null,
    ]) {
      expect((await opReply({ op: ['FORGED'], x })).error).toMatchObject({ code: 'ERR_TANDEM_INVALID_OP' });
    }
    expect(await currentText()).toBe(ORIGINAL);
  });

  test('[P-OP-PROV] an op with x.source {binding, kind: "pasted"} is accepted', async () => {
    const r = await raw();
    await r.request({ a: 'hs', id: null, protocol: 1, protocolMinor: 2 });
    const sub = await r.request({ a: 's', c: 'files', d: docId });
    const v = (sub.data as { v: number }).v;
    const source = { binding: 'tandem-binding:1:abc', kind: 'pasted' };
    const pasted = await r.request({ a: 'op', c: 'files', d: docId, v, seq: 1, op: ['P'], x: { source } });
    expect(pasted.error).toBeUndefined();
    // Put the file back for the afterEach invariant.
    const undo = await r.request({ a: 'op', c: 'files', d: docId, v: v + 1, seq: 2, op: [{ d: 1 }], x: { source: { ...source, kind: 'typed' } } });
    expect(undo.error).toBeUndefined();
    await waitFor(() => bystanderDoc.data === ORIGINAL, 'bystander to see the paste undone');
  });

  test('[P-LIM-2] ops that would grow a file past MAX_FILE_BYTES are refused at commit', async () => {
    const r = await raw();
    const sub = await r.request({ a: 's', c: 'files', d: docId });
    let v = (sub.data as { v: number }).v;
    const chunk = 'y'.repeat(MAX_OP_BYTES - 1024);
    let refused: Record<string, unknown> | undefined;
    const accepted: number[] = [];
    for (let seq = 1; seq <= Math.ceil(MAX_FILE_BYTES / chunk.length) + 1; seq++) {
      const reply = await r.request({ a: 'op', c: 'files', d: docId, v, seq, op: [chunk] });
      if (reply.error) {
        refused = reply;
        break;
      }
      accepted.push(v);
      v++;
    }
    expect(refused?.error).toMatchObject({ code: 'ERR_TANDEM_FILE_TOO_LARGE' });
    // Undo what was accepted so the afterEach invariant holds: delete the inserted prefix.
    const stored = await currentText();
    const extra = [...stored].length - [...ORIGINAL].length;
    const reply = await r.request({ a: 'op', c: 'files', d: docId, v, seq: 1000, op: [{ d: extra }] });
    expect(reply.error).toBeUndefined();
    expect(accepted.length).toBeGreaterThan(0);
    await waitFor(() => bystanderDoc.data === ORIGINAL, 'bystander to see the cleanup');
  });

  test('[P-LIM-3] a frame over MAX_MESSAGE_BYTES is cut off by the transport; the server stays up', async () => {
    const r = await raw();
    r.sendFrame(JSON.stringify({ a: 'op', c: 'files', d: docId, v: 1, seq: 1, op: ['z'.repeat(MAX_MESSAGE_BYTES + 100)] }));
    await waitFor(() => r.disconnectReason !== null, 'disconnect');
  });

  test('[P-PRES-2] malformed presence is refused', async () => {
    const r = await raw();
    await r.request({ a: 'hs', id: null, protocol: 1, protocolMinor: 2 });
    const ch = `files.${docId}`;
    await r.request({ a: 'ps', ch, seq: 1 });
    const bad = await r.request({ a: 'p', ch, id: 'p1', c: 'files', d: docId, v: 1, pv: 1, p: { hacked: true } });
    expect(bad.error).toMatchObject({ code: 'ERR_TANDEM_INVALID_PRESENCE' });
    const many = await r.request({
      a: 'p',
      ch,
      id: 'p1',
      c: 'files',
      d: docId,
      v: 1,
      pv: 2,
      p: { clientId: 'x', name: 'x', color: '#112233', selections: Array.from({ length: 500 }, () => ({ anchor: 0, head: 0 })) },
    });
    expect(many.error).toMatchObject({ code: 'ERR_TANDEM_INVALID_PRESENCE' });
  });

  test('[P-PRES-4] presence published without subscribing to the channel is refused', async () => {
    const r = await raw();
    await r.request({ a: 'hs', id: null, protocol: 1, protocolMinor: 2 });
    const reply = await r.request({
      a: 'p',
      ch: `files.${docId}`,
      id: 'p9',
      c: 'files',
      d: docId,
      v: 1,
      pv: 1,
      p: { clientId: 'x', name: 'x', color: '#112233', selections: [{ anchor: 0, head: 0 }] },
    });
    expect(reply.error).toMatchObject({ code: 'ERR_TANDEM_INVALID_PRESENCE' });
  });

  test('[P-PRES-5] people presence must be {clientId, name, color, fileId} with no doc attached', async () => {
    const r = await raw();
    await r.request({ a: 'hs', id: null, protocol: 1, protocolMinor: 2 });
    const ch = `people.${wsId}`;
    await r.request({ a: 'ps', ch, seq: 1 });
    const good = { clientId: 'x', name: 'x', color: '#112233', fileId: fileId };
    const wrongShape = await r.request({ a: 'p', ch, id: 'q1', pv: 1, p: { ...good, selections: [] } });
    expect(wrongShape.error).toMatchObject({ code: 'ERR_TANDEM_INVALID_PRESENCE' });
    const withDoc = await r.request({ a: 'p', ch, id: 'q1', c: 'files', d: docId, v: 1, pv: 2, p: good });
    expect(withDoc.error).toMatchObject({ code: 'ERR_TANDEM_INVALID_PRESENCE' });
    const ok = await r.request({ a: 'p', ch, id: 'q1', pv: 3, p: good });
    expect(ok.error).toBeUndefined();
  });

  test('[P-PRES-3] cursor presence naming another file than its channel is refused', async () => {
    const r = await raw();
    await r.request({ a: 'hs', id: null, protocol: 1, protocolMinor: 2 });
    const ch = `files.${docId}`;
    await r.request({ a: 'ps', ch, seq: 1 });
    const reply = await r.request({
      a: 'p',
      ch,
      id: 'p2',
      c: 'files',
      d: `${wsId}:otherfile1`,
      v: 0,
      pv: 1,
      p: { clientId: 'x', name: 'x', color: '#112233', selections: [{ anchor: 0, head: 0 }] },
    });
    expect(reply.error).toMatchObject({ code: 'ERR_TANDEM_INVALID_PRESENCE' });
  });

  test('[P-PRES-3] presence on a workspace channel is refused', async () => {
    const r = await raw();
    const reply = await r.request({ a: 'ps', ch: `workspaces.${wsId}`, seq: 1 });
    expect(reply.error).toMatchObject({ code: 'ERR_TANDEM_INVALID_PRESENCE' });
  });

  test('[P-LIM-4] a flooding socket is closed with rate-limited; others are unaffected', async () => {
    const r = await raw();
    for (let i = 0; i < 600 && r.socket.connected; i++) r.send({ a: 'pp' });
    await waitFor(() => r.disconnectReason !== null, 'disconnect');
    expect(r.closeNotice?.reason).toBe('rate-limited');
    expect(r.closeNotice?.retryAfterMs).toBeGreaterThanOrEqual(1000);
  });

  describe('HTTP API', () => {
    test('invalid JSON body → 400 with a code', async () => {
      const res = await api<{ error: { code: string } }>(server.url, 'POST', '/api/workspaces', '{"name": ', owner.cookie);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('ERR_TANDEM_INVALID_REQUEST');
    });

    test('unknown fields (including __proto__) are refused', async () => {
      const res = await api<{ error: { code: string } }>(server.url, 'POST', '/api/workspaces', '{"__proto__": {"polluted": true}}', owner.cookie);
      expect(res.status).toBe(400);
      const res2 = await api<{ error: { code: string } }>(server.url, 'POST', '/api/workspaces', { name: 'x', admin: true }, owner.cookie);
      expect(res2.status).toBe(400);
    });

    test('bad file names are refused with the reason', async () => {
      for (const name of ['', '../etc/passwd', 'a/b.py', ' spaced.py', '..', 'x'.repeat(500)]) {
        const res = await api<{ error: { code: string; message: string } }>(server.url, 'POST', `/api/workspaces/${wsId}/files`, { name }, owner.cookie);
        expect(res.status).toBe(400);
        expect(res.body.error.message.length).toBeGreaterThan(5);
      }
    });

    test('a body over the size limit → 413', async () => {
      const res = await api<{ error: { code: string } }>(server.url, 'POST', `/api/workspaces/${wsId}/files`, {
        name: 'big.txt',
        content: 'q'.repeat(MAX_FILE_BYTES * 2 + 100 * 1024),
      }, owner.cookie);
      expect(res.status).toBe(413);
    });

    test('file content over MAX_FILE_BYTES → 413 (or 400 from the schema), nothing created', async () => {
      const res = await api<{ error: { code: string } }>(server.url, 'POST', `/api/workspaces/${wsId}/files`, {
        name: 'big.txt',
        content: 'é'.repeat(MAX_FILE_BYTES / 2 + 10),
      }, owner.cookie);
      expect([400, 413]).toContain(res.status);
      const ws = await api<{ files: unknown[] }>(server.url, 'GET', `/api/workspaces/${wsId}`, undefined, owner.cookie);
      expect(ws.body.files).toHaveLength(1);
    });

    test('unknown API route → 404 JSON', async () => {
      const res = await api<{ error: { code: string } }>(server.url, 'GET', '/api/nope', undefined, owner.cookie);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('ERR_TANDEM_NOT_FOUND');
    });
  });
});
