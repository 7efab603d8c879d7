import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient, type RedisClientType } from 'redis';
import type { FileHistory } from '../../lib/review/review-api';
import type { TandemClient } from '../../lib/client/tandem-client';
import { ServerProcess } from '../helpers/server-process';
import { newClient, subscribeFile, whenAcked } from '../helpers/clients';
import { call, pairWorkspace } from '../helpers/accounts';
import { RedisProcess, describeWithRedis } from '../helpers/redis-server';

/**
 * RT-2 with several processes (issue 6 §1): every process runs the retention sweep, and an
 * assignment is compacted by whichever claims it first in Redis; the others skip it. Before,
 * every process whose sweep listed the assignment compacted it, and the later ones failed on
 * ops the first had deleted.
 */
describeWithRedis('retention sweep in two processes sharing Redis', () => {
  let redis: RedisProcess;
  let raw: RedisClientType;
  let dataDir: string;
  const servers: ServerProcess[] = [];
  let client: TandemClient | null = null;

  beforeAll(async () => {
    redis = await RedisProcess.start();
    raw = createClient({ url: redis.url }) as RedisClientType;
    await raw.connect();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-retention-scale-'));
    for (let i = 0; i < 2; i++) servers.push(await ServerProcess.start({ dataDir, env: { REDIS_URL: redis.url, RETENTION_SWEEP_SECONDS: '0.2' } }));
  }, 60_000);
  afterAll(async () => {
    client?.close();
    for (const s of servers) await s.dispose();
    await raw?.close();
    await redis?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('[RT-2] a claimed assignment waits for its claim; then exactly one process compacts it', async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const pair = await pairWorkspace(a.url, [{ name: 'main.py', content: 'start\n' }]);
    const fileId = pair.fileIds['main.py']!;
    client = newClient(a.url, pair.students[0]!);
    const doc = await subscribeFile(client, pair.workspaceId, fileId);
    for (const ch of 'abc') {
      doc.submitOp([doc.data.length, ch]);
      await whenAcked(doc);
    }
    const history = (server: ServerProcess) =>
      call<FileHistory>(server.url, pair.teacher, 'GET', `/api/workspaces/${pair.workspaceId}/files/${fileId}/history`, undefined, 200);
    const compactedLines = () =>
      servers.flatMap((s) => s.logs).filter((l) => l.includes('keystroke history compacted') && l.includes(pair.assignmentId));

    // As if a third process were compacting this assignment right now.
    const claim = `tandem:claim:retention:${pair.assignmentId}`;
    expect(await raw.set(claim, 'another process', { NX: true, PX: 60_000 })).toBe('OK');
    await call(a.url, pair.teacher, 'PUT', `/api/classes/${pair.classId}/retention`, { opRetentionDays: 0 }, 200);
    await call(b.url, pair.teacher, 'PUT', `/api/assignments/${pair.assignmentId}/grades-final`, { final: true }, 200);
    await new Promise((r) => setTimeout(r, 1500)); // seven sweeps in each process
    expect((await history(a)).firstVersion).toBe(0);
    expect(compactedLines()).toEqual([]);

    await raw.del(claim);
    const deadline = Date.now() + 15_000;
    while ((await history(b)).firstVersion === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect((await history(b)).firstVersion).toBe(doc.version);
    await new Promise((r) => setTimeout(r, 1000)); // more sweeps: nobody compacts it again
    expect(compactedLines()).toHaveLength(1);
    expect(servers.flatMap((s) => s.logs).filter((l) => l.includes('history compaction failed'))).toEqual([]);
    expect(await raw.exists(claim)).toBe(0); // released, not left to expire
  }, 60_000);
});
