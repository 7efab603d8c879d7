import { createClient, type RedisClientType } from 'redis';
import { createLogger } from '../server/logger';
import { SharedActivity } from '../server/scale/shared-activity';
import { cpuTimeMs } from './proc-stats';
import { machineFacts, waitForQuietMachine } from './machine';
import { RedisServer, redisServerBinary } from './scale-out-cluster';
import { intArg } from './options';

/**
 * What the live grid across processes (server/scale/shared-activity.ts) costs: every typing
 * workspace makes one merge script call per second per process that serves it, and a teacher's
 * grid load reads every workspace of the assignment. Against a real redis-server on loopback:
 * CPU of this process and of redis-server per publish, publish latency, and the time to load a
 * grid of --workspaces workspaces.
 *
 *   npm run build:server && node dist/bench/shared-activity.js                 # 150 workspaces (300 students in pairs), 20 s
 *   node dist/bench/shared-activity.js --workspaces 600 --processes 3 --duration 20
 *
 * Each workspace types every second (the tracker's ceiling), with a one-second edit bucket and
 * two users online, and starts with a full five-minute window of per-second buckets (the steady
 * state of a pair that keeps typing); --processes splits the pair over that many SharedActivity instances (each its
 * own Redis connection, as separate processes would have).
 */
const WORKSPACES = intArg('workspaces', 150, 100_000);
const PROCESSES = intArg('processes', 1, 16);
const DURATION_S = intArg('duration', 20, 3600);
const GRID_LOADS = 20;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;

async function main(): Promise<void> {
  const binary = redisServerBinary();
  if (!binary) throw new Error('redis-server is not installed (apt-get install -y redis-server)');
  await waitForQuietMachine(60);
  const redis = await RedisServer.start(binary);
  try {
    await measure(redis);
  } finally {
    // Also when a run fails: no redis-server is left behind.
    await redis.stop();
  }
}

async function measure(redis: RedisServer): Promise<void> {
  const logger = createLogger('silent');
  const clients: RedisClientType[] = [];
  const shares: SharedActivity[] = [];
  for (let p = 0; p < PROCESSES; p++) {
    const client = createClient({ url: redis.url }) as RedisClientType;
    await client.connect();
    clients.push(client);
    const share = new SharedActivity(client, { heartbeatMs: 10_000, presence: () => [], logger });
    await share.start();
    shares.push(share);
  }
  const ids = Array.from({ length: WORKSPACES }, (_, i) => `bench-ws-${i.toString(36).padStart(6, '0')}`);
  const latencies: number[] = [];
  let publishes = 0;
  const publishAll = async (history = 0, chunk = ids.length) => {
    const now = Date.now();
    const second = now - (now % 1000);
    for (let from = 0; from < ids.length; from += chunk) await publishSome(from, Math.min(ids.length, from + chunk), history, second, now);
  };
  const publishSome = async (from: number, to: number, history: number, second: number, now: number) => {
    await Promise.all(
      ids.slice(from, to).map(async (workspaceId, k) => {
        const i = from + k;
        const share = shares[i % PROCESSES]!;
        const started = performance.now();
        await share.publish({
          workspaceId,
          edits: [...Array.from({ length: history }, (_, k): [number, number] => [second - (history - k) * 1000, 3]), [second, 5 + (i % 7)]],
          lastEditAt: now,
          lastEditBy: `student-${i}-a`,
          online: [`student-${i}-a`, `student-${i}-b`],
        });
        latencies.push(performance.now() - started);
        publishes++;
      }),
    );
  };
  // Warm up as after five minutes of typing: every workspace already holds a bucket for each
  // second of the window, which the merge script walks on every call.
  await publishAll(299, 20);
  latencies.length = 0;
  publishes = 0;
  const cpuBefore = process.cpuUsage();
  const redisBefore = cpuTimeMs(redis.pid);
  const started = Date.now();
  while (Date.now() - started < DURATION_S * 1000) {
    const tick = Date.now();
    await publishAll();
    const wait = 1000 - (Date.now() - tick);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  const seconds = (Date.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const redisMs = cpuTimeMs(redis.pid) - redisBefore;
  const gridMs: number[] = [];
  for (let i = 0; i < GRID_LOADS; i++) {
    const t = performance.now();
    const views = await shares[0]!.read(ids);
    gridMs.push(performance.now() - t);
    if (views.size !== WORKSPACES) throw new Error(`grid load returned ${views.size} of ${WORKSPACES} workspaces`);
  }
  latencies.sort((a, b) => a - b);
  gridMs.sort((a, b) => a - b);
  const serverCpuMs = (cpu.user + cpu.system) / 1000;
  const lines = [
    `machine: ${JSON.stringify(machineFacts())}`,
    `SHARED ACTIVITY ${WORKSPACES} typing workspaces over ${PROCESSES} process(es), ${seconds.toFixed(1)} s, one publish per workspace per second`,
    `publishes/s                               ${(publishes / seconds).toFixed(0)}`,
    `publish latency p50 / p99 (ms)            ${percentile(latencies, 50).toFixed(2)} / ${percentile(latencies, 99).toFixed(2)}`,
    `Node CPU per publish (µs)                 ${((serverCpuMs * 1000) / publishes).toFixed(0)}`,
    `redis-server CPU per publish (µs)         ${((redisMs * 1000) / publishes).toFixed(0)}`,
    `Node CPU, all publishes (% of a core)     ${((serverCpuMs / (seconds * 1000)) * 100).toFixed(2)}`,
    `redis-server CPU (% of a core)            ${((redisMs / (seconds * 1000)) * 100).toFixed(2)}`,
    `grid load of ${WORKSPACES} workspaces p50 / max (ms)  ${percentile(gridMs, 50).toFixed(1)} / ${gridMs[gridMs.length - 1]!.toFixed(1)}`,
  ];
  console.log(lines.join('\n'));
  for (const share of shares) await share.close();
  for (const client of clients) await client.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
