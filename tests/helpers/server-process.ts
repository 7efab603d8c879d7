import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const ENTRY = path.join(ROOT, 'dist', 'server', 'index.js');
const NEXT_BUILD_ID = path.join(ROOT, '.next', 'BUILD_ID');

export interface ServerOptions {
  /** Reuse a data dir (restart tests); a fresh temp dir otherwise. */
  dataDir?: string;
  /** Bind this port; 0 (random) by default. Restarts reuse the first port so clients reconnect. */
  port?: number;
  env?: Record<string, string>;
  /** Serve the Next.js UI too (e2e tests); needs `npm run build:ui` to have run. */
  ui?: boolean;
}

/**
 * A real Tandem server process (compiled `dist/server/index.js`) on a random port with a real
 * SQLite file. Logs are kept in memory and printed if a test fails to start it.
 */
export class ServerProcess {
  child!: ChildProcess;
  port = 0;
  readonly dataDir: string;
  logs: string[] = [];
  private exited: Promise<number | null> = Promise.resolve(null);

  private constructor(private readonly options: ServerOptions) {
    this.dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-test-'));
  }

  static async start(options: ServerOptions = {}): Promise<ServerProcess> {
    if (!fs.existsSync(ENTRY)) {
      throw new Error(`${ENTRY} is missing: run \`npm run build:server\` (npm test does it for you).`);
    }
    if (options.ui && !fs.existsSync(NEXT_BUILD_ID)) {
      throw new Error('.next/BUILD_ID is missing: the UI is not built. Run `npm run build:ui` (npm test does it for you).');
    }
    const server = new ServerProcess(options);
    await server.spawn(options.port ?? 0);
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Start again on the same port and data dir, after stop() or kill(). */
  async restart(): Promise<void> {
    await this.spawn(this.port);
  }

  /** SIGKILL: no shutdown code runs, like a power cut of the process (not of the disk). */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM and wait; resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill('SIGTERM');
    return this.exited;
  }

  /** Kill the process and remove the data dir if this helper created it. */
  async dispose(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) await this.kill();
    if (!this.options.dataDir) fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  private spawn(port: number): Promise<void> {
    const env: Record<string, string | undefined> = {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: this.dataDir,
      UI_ENABLED: this.options.ui ? '1' : '0',
      NEXT_TELEMETRY_DISABLED: '1',
      LOG_LEVEL: 'info',
      ...this.options.env,
    };
    const child = spawn(process.execPath, [ENTRY], { cwd: ROOT, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    return new Promise((resolve, reject) => {
      let buffer = '';
      // Next's prepare() on a busy 2-core machine can take a while.
      const startTimeoutMs = this.options.ui ? 60_000 : 20_000;
      const timer = setTimeout(() => fail(new Error(`server did not start within ${startTimeoutMs} ms`)), startTimeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        reject(new Error(`${err.message}\n--- server output ---\n${this.logs.join('\n')}`));
      };
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (chunk: string) => {
        buffer += chunk;
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          this.logs.push(line);
          if (this.logs.length > 2000) this.logs.shift();
          if (line.includes('"tandem listening"')) {
            this.port = (JSON.parse(line) as { port: number }).port;
            clearTimeout(timer);
            resolve();
          }
        }
      });
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (chunk: string) => this.logs.push(chunk));
      child.once('exit', (code, signal) => fail(new Error(`server exited early (code ${code}, signal ${signal})`)));
    });
  }

  /** The process is still running. */
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
}

/** JSON HTTP helper for the REST API; `cookie` signs the request in (tests/helpers/accounts.ts). */
export async function api<T = unknown>(
  base: string,
  method: string,
  pathname: string,
  body?: unknown,
  cookie?: string,
): Promise<{ status: number; body: T; setCookie: string[] }> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (cookie) headers.cookie = cookie;
  const res = await fetch(`${base}${pathname}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed as T, setCookie: res.headers.getSetCookie() };
}
