import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

/** Path of Debian's redis-server, or null when it is not installed (tests then skip, saying why). */
export function redisServerBinary(): string | null {
  for (const candidate of ['/usr/bin/redis-server', '/usr/local/bin/redis-server']) {
    if (fs.existsSync(candidate)) return candidate;
  }
  const which = spawnSync('which', ['redis-server'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : null;
}

/**
 * `describe` when redis-server is installed; otherwise `describe.skip`, printing why (CI's .ci/run
 * installs it, so there these tests always run).
 */
export function describeWithRedis(name: string, fn: () => void): void {
  if (redisServerBinary()) {
    describe(name, fn);
    return;
  }
  console.log(`"${name}" skipped: redis-server is not installed (apt-get install -y redis-server; .ci/run does it)`);
  describe.skip(name, fn);
}

/** A real redis-server on a free port, without persistence; stop() and start() again on the same port. */
export class RedisProcess {
  private child: ChildProcess | null = null;

  private constructor(
    private readonly binary: string,
    readonly port: number,
  ) {}

  static async start(binary = redisServerBinary()): Promise<RedisProcess> {
    if (!binary) throw new Error('redis-server is not installed (apt-get install -y redis-server)');
    const port = await freePort();
    const redis = new RedisProcess(binary, port);
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(this.binary, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('redis-server did not start in 10 s')), 10_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}`));
      });
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
    this.child = null;
  }
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
