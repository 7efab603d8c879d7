import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileDocId } from '../lib/protocol';
import { withConcurrency, type Target } from './bench-client';

/** Repository root, from dist/bench/ when compiled. */
export const ROOT = path.resolve(__dirname, '..', '..');
const ENTRIES: Record<Target, string> = {
  tandem: path.join(ROOT, 'dist', 'server', 'index.js'),
  raw: path.join(__dirname, 'raw-sharedb-server.js'),
};
const LISTENING: Record<Target, string> = { tandem: '"tandem listening"', raw: '"raw sharedb listening"' };
const START_TIMEOUT_MS = 30_000;
/** Every room's file starts as this (ASCII, so it never collides with keystroke characters). */
const SEED_TEXT = 'def greet(name):\n    return f"Hello, {name}!"\n\n\nprint(greet("Tandem"))\n';

export interface BenchServerOptions {
  /** Extra `node` flags for the server process, e.g. `--cpu-prof --cpu-prof-dir=…`. */
  nodeArgs: string[];
  /** Extra environment for the Tandem server (e.g. SOCKET_MESSAGES_PER_SECOND). */
  env: Record<string, string>;
  /** Parent of the fresh data dir (SQLite file); the OS temp dir by default. */
  dataRoot?: string;
  /** Use this data dir instead of a fresh one (several servers sharing one SQLite file); the caller removes it. */
  dataDir?: string;
}

/**
 * A server under test in its own process: Tandem (`dist/server/index.js`, SQLite in a fresh temp
 * dir, no UI) or the raw ShareDB baseline. Its output is drained and the last lines kept for
 * error reports.
 */
export class BenchServer {
  readonly logs: string[] = [];
  port = 0;
  private readonly exited: Promise<void>;

  private constructor(
    readonly target: Target,
    readonly child: ChildProcess,
    readonly dataDir: string,
    private readonly ownsDataDir: boolean,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(target: Target, options: BenchServerOptions): Promise<BenchServer> {
    const entry = ENTRIES[target];
    if (!fs.existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build:server\` first.`);
    const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(options.dataRoot ?? os.tmpdir(), `tandem-bench-${target}-`));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'production',
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      UI_ENABLED: '0',
      // The "listening" line is logged at info; nothing is logged per message at info.
      LOG_LEVEL: 'info',
      ...options.env,
    };
    const child = spawn(process.execPath, [...options.nodeArgs, entry], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const server = new BenchServer(target, child, dataDir, options.dataDir === undefined);
    await server.waitForPort();
    return server;
  }

  /** SIGTERM and wait for the exit (that is when `--cpu-prof` writes its file); remove the data dir if it made it. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
      await this.exited;
      clearTimeout(timer);
    }
    if (this.ownsDataDir) fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Session cookie of the bench account, once `createRooms` signed it up (Tandem only). */
  cookie: string | null = null;

  /** POST JSON to the server's API. */
  async post<T>(pathname: string, body: unknown): Promise<T> {
    const res = await fetch(`${this.url}${pathname}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(this.cookie ? { cookie: this.cookie } : {}) },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`POST ${pathname} → ${res.status}: ${text.slice(0, 300)}`);
    if (!this.cookie) {
      const session = res.headers.getSetCookie().find((c) => c.startsWith('tandem_session='));
      if (session) this.cookie = session.split(';')[0]!;
    }
    return JSON.parse(text) as T;
  }

  /** Tandem needs an account: one teacher owns every room (raw ShareDB has no accounts). */
  private async signUp(): Promise<void> {
    if (this.target !== 'tandem' || this.cookie) return;
    await this.post('/api/auth/signup', { email: `bench-${process.pid}@example.edu`, password: 'bench-password-1', displayName: 'Bench' });
  }

  /** Create `count` rooms (a workspace with one small file each) over REST; returns their file doc ids. */
  async createRooms(count: number): Promise<string[]> {
    await this.signUp();
    return withConcurrency(4, count, async (i) => {
      const workspace = await this.post<{ id: string; files: { id: string }[] }>('/api/workspaces', {
        name: `bench room ${i}`,
        files: [{ name: 'main.py', content: SEED_TEXT }],
      });
      return fileDocId(workspace.id, workspace.files[0]!.id);
    });
  }

  private keep(line: string): void {
    this.logs.push(line);
    if (this.logs.length > 200) this.logs.shift();
  }

  private waitForPort(): Promise<void> {
    const { child } = this;
    return new Promise((resolve, reject) => {
      let buffer = '';
      const fail = (message: string) => {
        clearTimeout(timer);
        reject(new Error(`${this.target} server: ${message}\n--- server output ---\n${this.logs.join('\n')}`));
      };
      const timer = setTimeout(() => fail(`did not start within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (chunk: string) => {
        buffer += chunk;
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          this.keep(line);
          if (this.port === 0 && line.includes(LISTENING[this.target])) {
            this.port = (JSON.parse(line) as { port: number }).port;
            clearTimeout(timer);
            resolve();
          }
        }
      });
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (chunk: string) => this.keep(chunk.trimEnd()));
      child.once('exit', (code, signal) => {
        if (this.port === 0) fail(`exited early (code ${code}, signal ${signal})`);
      });
    });
  }
}
