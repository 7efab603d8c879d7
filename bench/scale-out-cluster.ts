import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BenchServer } from './bench-server';

/**
 * What the scale-out bench runs against: a real redis-server on a free port (no persistence) and
 * N Tandem processes sharing one fresh DATA_DIR (one SQLite file) and that Redis; or, as the
 * baseline, one Tandem process with or without Redis. Also reads each process's own counters
 * (`GET /metrics`) and Redis's (`INFO`), which the /proc figures cannot give.
 */

const REDIS_START_TIMEOUT_MS = 10_000;

/** Path of redis-server, or null when it is not installed. */
export function redisServerBinary(): string | null {
  for (const candidate of ['/usr/bin/redis-server', '/usr/local/bin/redis-server']) {
    if (fs.existsSync(candidate)) return candidate;
  }
  const which = spawnSync('which', ['redis-server'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A redis-server child on 127.0.0.1 with no RDB or AOF, like tests/helpers/redis-server.ts. */
export class RedisServer {
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(binary: string): Promise<RedisServer> {
    const port = await freePort();
    const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const redis = new RedisServer(child, port);
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start in ${REDIS_START_TIMEOUT_MS} ms:\n${output}`)), REDIS_START_TIMEOUT_MS);
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (chunk: string) => {
        if (output.length < 10_000) output += chunk;
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr!.resume();
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${output}`));
      });
    });
    return redis;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Counters from `INFO all` (redis-cli); null if redis-cli is missing or fails. */
  info(): RedisCounters | null {
    let text: string;
    try {
      text = execFileSync('redis-cli', ['-p', String(this.port), 'INFO', 'all'], { encoding: 'utf8', timeout: 5000 });
    } catch {
      return null;
    }
    const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
    const calls: Record<string, number> = {};
    for (const match of text.matchAll(/^cmdstat_([a-z|_-]+):calls=(\d+)/gm)) calls[match[1]!] = Number(match[2]);
    return {
      commands: field('total_commands_processed'),
      netInputBytes: field('total_net_input_bytes'),
      netOutputBytes: field('total_net_output_bytes'),
      connectedClients: field('connected_clients'),
      pubsubChannels: field('pubsub_channels'),
      calls,
    };
  }
}

export interface RedisCounters {
  commands: number;
  netInputBytes: number;
  netOutputBytes: number;
  connectedClients: number;
  pubsubChannels: number;
  /** Calls per command name (`cmdstat_<name>`). */
  calls: Record<string, number>;
}

export interface ClusterOptions {
  processes: number;
  /** Give the processes REDIS_URL (always when processes > 1). */
  redis: boolean;
  /** `node` flags of server `index` (e.g. its own `--cpu-prof-dir`). */
  nodeArgs: (index: number) => string[];
  env: Record<string, string>;
  dataRoot: string;
}

/** Tandem processes sharing one data dir, and the Redis they share (if any). */
export class TandemCluster {
  private constructor(
    readonly servers: BenchServer[],
    readonly redis: RedisServer | null,
    readonly dataDir: string,
  ) {}

  static async start(options: ClusterOptions): Promise<TandemCluster> {
    if (options.processes > 1 && !options.redis) throw new Error('several processes need Redis');
    let redis: RedisServer | null = null;
    if (options.redis) {
      const binary = redisServerBinary();
      if (!binary) throw new Error('redis-server is not installed (apt-get install -y redis-server)');
      redis = await RedisServer.start(binary);
    }
    const dataDir = fs.mkdtempSync(path.join(options.dataRoot || os.tmpdir(), 'tandem-bench-scale-'));
    const cluster = new TandemCluster([], redis, dataDir);
    try {
      // One at a time: the first creates the SQLite files and runs the migrations.
      for (let i = 0; i < options.processes; i++) {
        const env = { ...options.env, ...(redis ? { REDIS_URL: redis.url } : {}) };
        cluster.servers.push(await BenchServer.start('tandem', { nodeArgs: options.nodeArgs(i), env, dataDir }));
      }
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** SIGTERM every server (in parallel), then Redis; remove the shared data dir. */
  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop()));
    await this.redis?.stop();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** The counters of one process's `GET /metrics` that the bench reads. */
export interface ProcessCounters {
  sockets: number;
  /** Ops on file docs committed by this process (tandem_ops_committed_total{collection="files"}). */
  fileCommits: number;
  submitToCommitSumS: number;
  submitToCommitCount: number;
  storeCommitSumS: number;
  storeCommitCount: number;
  fanOutSumS: number;
  fanOutCount: number;
  /** p99 event-loop delay since the previous scrape (the gauge resets on each scrape). */
  eventLoopP99S: number;
}

/** Scrape `GET /metrics`; a series the process has not created yet reads 0. */
export async function scrapeCounters(baseUrl: string): Promise<ProcessCounters> {
  const res = await fetch(`${baseUrl}/metrics`);
  if (!res.ok) throw new Error(`GET ${baseUrl}/metrics → ${res.status}`);
  const text = await res.text();
  const value = (series: string): number => {
    const escaped = series.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const match = new RegExp(`^${escaped} ([0-9.eE+-]+)$`, 'm').exec(text);
    return match ? Number(match[1]) : 0;
  };
  return {
    sockets: value('tandem_sockets_active'),
    fileCommits: value('tandem_ops_committed_total{collection="files"}'),
    submitToCommitSumS: value('tandem_submit_to_commit_seconds_sum{collection="files"}'),
    submitToCommitCount: value('tandem_submit_to_commit_seconds_count{collection="files"}'),
    storeCommitSumS: value('tandem_store_commit_seconds_sum'),
    storeCommitCount: value('tandem_store_commit_seconds_count'),
    fanOutSumS: value('tandem_fanout_seconds_sum'),
    fanOutCount: value('tandem_fanout_seconds_count'),
    eventLoopP99S: value('tandem_event_loop_delay_p99_seconds'),
  };
}
