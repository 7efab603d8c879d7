import type { Doc } from 'sharedb/lib/client';
import type { TandemClient } from '../../lib/client/tandem-client';
import { COLLECTIONS, ErrorCode, fileDocId, peopleChannel } from '../../lib/protocol';
import { ROOM_QUEUED_OPS_PER_SOCKET } from '../../lib/limits';
import { ackRate, quantile, startFlood, typeQuietly } from '../../bench/room-flood-scenario';
import { ServerProcess, api } from '../helpers/server-process';
import { RawClient, newClient, subscribeFile, waitFor, whenAcked } from '../helpers/clients';
import { pairWorkspace, type PairFixture, type TestUser } from '../helpers/accounts';

/**
 * Issue 6 §2: per-room limits, so one hot room (workspace) cannot starve the others
 * (docs/protocol.md P-LIM-5..8), against a real server process.
 */

const codePoints = (s: string) => [...s].length;

/** Fetch a file doc on a fresh connection: what the server has stored. */
async function storedText(url: string, user: TestUser, workspaceId: string, fileId: string): Promise<string> {
  const client = newClient(url, user);
  try {
    const doc = client.connection.get(COLLECTIONS.files, fileDocId(workspaceId, fileId)) as Doc<string>;
    await new Promise<void>((resolve, reject) => doc.fetch((err) => (err ? reject(err) : resolve())));
    return doc.data;
  } finally {
    client.close();
  }
}

describe('room limits: a flooding room next to a quiet one', () => {
  /** The flooding room's budget; the quiet room (2 typists × 5 chars/s) needs a fifth of it. */
  const OPS_PER_SECOND = 50;
  let server: ServerProcess;
  const clients: TandemClient[] = [];
  const open = (user: TestUser) => {
    const c = newClient(server.url, user);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    server = await ServerProcess.start({ env: { ROOM_OPS_PER_SECOND: String(OPS_PER_SECOND) } });
  });
  afterAll(async () => {
    for (const c of clients.splice(0)) c.close();
    await server.dispose();
  });

  test('[P-LIM-6][P-LIM-8] the quiet room keeps its latency while the flooding room is held to its budget; no acknowledged op is lost', async () => {
    const quiet = await pairWorkspace(server.url, [{ name: 'main.py', content: 'print("quiet")\n' }]);
    const hot = await pairWorkspace(server.url, [
      { name: 'a.py', content: '# a\n' },
      { name: 'b.py', content: '# b\n' },
    ]);
    const quietFile = quiet.fileIds['main.py']!;
    const quietDocs = [
      await subscribeFile(open(quiet.students[0]!), quiet.workspaceId, quietFile),
      await subscribeFile(open(quiet.students[1]!), quiet.workspaceId, quietFile),
    ];
    // Four tabs (two per student), each editing both files: eight ops in flight at all times.
    const floodDocs: Array<Doc<string>> = [];
    const floodFiles = [hot.fileIds['a.py']!, hot.fileIds['b.py']!];
    for (const student of [...hot.students, ...hot.students]) {
      const c = open(student);
      for (const fileId of floodFiles) floodDocs.push(await subscribeFile(c, hot.workspaceId, fileId));
    }

    // Phase 1: the quiet room alone.
    const alone = await typeQuietly(quietDocs, { cps: 5, durationMs: 6000, firstKeystroke: 0, seed: 61 });

    // Phase 2: the same typing while the other room floods. The flood spends its saved-up burst
    // (one second's worth) first; its rate is measured over the quiet room's typing window.
    const flood = startFlood(floodDocs, { seed: 62 });
    await new Promise((r) => setTimeout(r, 1500));
    const windowStart = performance.now();
    const flooded = await typeQuietly(quietDocs, { cps: 5, durationMs: 6000, firstKeystroke: 10_000, seed: 63 });
    const windowEnd = performance.now();
    const floodResult = await flood.stop();
    const floodRate = ackRate(floodResult.ackTimes, windowStart, windowEnd);

    const p99Alone = quantile(alone.latenciesMs, 0.99);
    const p99Flooded = quantile(flooded.latenciesMs, 0.99);
    // Generous on purpose: this runs next to other test files on a 2-core CI machine, where one
    // stall of the whole process is the p99 of ~50 samples. The numbers that matter are measured
    // by bench/room-flood.ts (docs/benchmarks.md); here the quiet room must not be starved, and
    // its typical keystroke (p50) must stay fast.
    const bound = Math.max(1000, 5 * p99Alone);
    const p50Bound = Math.max(100, 5 * quantile(alone.latenciesMs, 0.5));
    console.log(
      `[P-LIM-6] quiet room keystroke→peer: alone p50 ${quantile(alone.latenciesMs, 0.5).toFixed(1)} / p99 ${p99Alone.toFixed(1)} ms ` +
        `(n=${alone.latenciesMs.length}); next to the flood p50 ${quantile(flooded.latenciesMs, 0.5).toFixed(1)} / p99 ` +
        `${p99Flooded.toFixed(1)} ms (n=${flooded.latenciesMs.length}, bound ${bound.toFixed(0)}); flood acked ${floodRate.toFixed(1)} ops/s ` +
        `(budget ${OPS_PER_SECOND}), ${floodResult.ackTimes.length} in all`,
    );

    // Every keystroke reached the peer, without an error.
    for (const phase of [alone, flooded]) {
      expect(phase.keystrokes).toBeGreaterThan(30);
      expect(phase).toMatchObject({ errors: 0, missing: 0 });
      expect(phase.acked).toBe(phase.keystrokes);
    }
    expect(p99Flooded).toBeLessThan(bound);
    expect(quantile(flooded.latenciesMs, 0.5)).toBeLessThan(p50Bound);

    // The flooding room was slowed down, not refused: its rate is its budget, and nothing failed.
    expect(floodResult.errors).toBe(0);
    expect(floodRate).toBeLessThanOrEqual(OPS_PER_SECOND * 1.2 + 2);
    expect(floodRate).toBeGreaterThanOrEqual(OPS_PER_SECOND * 0.5);
    expect(server.logs.some((line) => line.includes('room over its op budget'))).toBe(true);

    // No acknowledged op is lost: every view equals the stored text, which holds every op.
    await Promise.all([...quietDocs, ...floodDocs].map((d) => whenAcked(d)));
    const quietStored = await storedText(server.url, quiet.students[0]!, quiet.workspaceId, quietFile);
    await waitFor(() => quietDocs.every((d) => d.data === quietStored), 'the quiet room to converge');
    expect(codePoints(quietStored)).toBe(codePoints('print("quiet")\n') + alone.keystrokes + flooded.keystrokes);
    for (const ch of [...alone.typed, ...flooded.typed]) expect(quietStored.split(ch)).toHaveLength(2);
    const floodStored: string[] = [];
    for (const [f, fileId] of floodFiles.entries()) {
      const stored = await storedText(server.url, hot.students[0]!, hot.workspaceId, fileId);
      const views = floodDocs.filter((_, i) => i % 2 === f);
      await waitFor(() => views.every((d) => d.data === stored), 'the flooding room to converge');
      const acked = floodResult.ackedPerDoc.filter((_, i) => i % 2 === f).reduce((a, b) => a + b, 0);
      expect(codePoints(stored)).toBe(4 + acked);
      floodStored.push(stored);
    }

    // And it is in the store, not only in the process: the same texts after a restart.
    for (const c of clients.splice(0)) c.close();
    expect(await server.stop()).toBe(0);
    await server.restart();
    expect(await storedText(server.url, quiet.students[0]!, quiet.workspaceId, quietFile)).toBe(quietStored);
    for (const [f, fileId] of floodFiles.entries()) {
      expect(await storedText(server.url, hot.students[0]!, hot.workspaceId, fileId)).toBe(floodStored[f]);
    }
  }, 120_000);
});

describe('room limits: editors per room and the hard cap', () => {
  const MAX_EDITORS = 3;
  /** Low, so a raw client's burst of ops overflows its share of the queue at once. */
  const OPS_PER_SECOND = 5;
  let server: ServerProcess;
  let fixture: PairFixture;
  const clients: TandemClient[] = [];
  const raws: RawClient[] = [];
  const open = (user: TestUser) => {
    const c = newClient(server.url, user);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    server = await ServerProcess.start({
      env: { ROOM_MAX_EDITORS: String(MAX_EDITORS), ROOM_OPS_PER_SECOND: String(OPS_PER_SECOND) },
    });
    fixture = await pairWorkspace(server.url, [{ name: 'main.py', content: 'x = 1\n' }]);
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
    for (const r of raws.splice(0)) r.close();
  });
  afterAll(async () => {
    await server.dispose();
  });

  test('[P-LIM-5] one socket more than the room allows is refused with ERR_TANDEM_ROOM_FULL; a closed one frees its place', async () => {
    const [ada, brian] = fixture.students as [TestUser, TestUser];
    const fileId = fixture.fileIds['main.py']!;
    const members = [open(ada), open(brian), open(ada)];
    for (const c of members) await subscribeFile(c, fixture.workspaceId, fileId);
    // The same socket opening more of the room (its people channel) is not a new editor.
    await new Promise<void>((resolve, reject) =>
      members[0]!.connection.getPresence(peopleChannel(fixture.workspaceId)).subscribe((err) => (err ? reject(err) : resolve())),
    );

    const fourth = open(brian);
    await expect(subscribeFile(fourth, fixture.workspaceId, fileId)).rejects.toMatchObject({ code: ErrorCode.RoomFull });
    // Its presence subscription to the room is refused the same way.
    await expect(
      new Promise<void>((resolve, reject) =>
        fourth.connection.getPresence(peopleChannel(fixture.workspaceId)).subscribe((err) => (err ? reject(err) : resolve())),
      ),
    ).rejects.toMatchObject({ code: ErrorCode.RoomFull });
    // Another room is unaffected.
    const own = await api<{ id: string; files: Array<{ id: string }> }>(server.url, 'POST', '/api/workspaces', {}, brian.cookie);
    await subscribeFile(fourth, own.body.id, own.body.files[0]!.id);

    members[0]!.close();
    let joined: Doc<string> | null = null;
    await waitFor(() => {
      if (joined === null) void subscribeFile(fourth, fixture.workspaceId, fileId).then((doc) => (joined = doc), () => {});
      return joined !== null;
    }, 'the fourth tab to get the freed place');
    expect(joined!.data).toBe('x = 1\n');
  });

  test('[P-LIM-7] a socket that does not wait for acks gets ERR_TANDEM_RATE_LIMITED past its share of the queue; what was queued commits', async () => {
    const [ada] = fixture.students as [TestUser, TestUser];
    const own = await api<{ id: string; files: Array<{ id: string }> }>(server.url, 'POST', '/api/workspaces', {
      files: [{ name: 'main.py', content: '' }],
    }, ada.cookie);
    const docId = fileDocId(own.body.id, own.body.files[0]!.id);
    const raw = new RawClient(server.url, ada.cookie);
    raws.push(raw);
    await raw.connected();
    await raw.request({ a: 'hs', id: null, protocol: 1, protocolMinor: 2 });
    const sub = await raw.request({ a: 's', c: 'files', d: docId });
    const v = (sub.data as { v: number }).v;
    // 40 ops at once, all against the same version (the server transforms them), as a client
    // ignoring ShareDB's one-op-in-flight rule would send them.
    const count = 40;
    const from = raw.received.length;
    for (let seq = 1; seq <= count; seq++) raw.send({ a: 'op', c: 'files', d: docId, v, seq, op: ['z'] });
    // A reply is an ack (no `op`) or an error; the ops it missed, sent before each ack, are not.
    const replies = () => raw.received.slice(from).filter((m) => m.a === 'op' && m.d === docId && (m.error || m.op === undefined));
    // The queued ones are released at 5/s: 16 of them take a little over three seconds.
    await waitFor(() => replies().length === count, 'a reply to every op', 20_000);
    const refused = replies().filter((m) => m.error);
    const acked = replies().filter((m) => !m.error);
    for (const m of refused) expect(m.error).toMatchObject({ code: ErrorCode.RateLimited });
    // The burst (one second's worth) goes at once, then this socket's share of the queue waits.
    expect(acked).toHaveLength(OPS_PER_SECOND + ROOM_QUEUED_OPS_PER_SOCKET);
    expect(refused).toHaveLength(count - OPS_PER_SECOND - ROOM_QUEUED_OPS_PER_SOCKET);
    const stored = await storedText(server.url, ada, own.body.id, own.body.files[0]!.id);
    expect(stored).toBe('z'.repeat(acked.length));
    // The socket stays open: refusals are error replies, not a close.
    expect(raw.socket.connected).toBe(true);
  });
});
