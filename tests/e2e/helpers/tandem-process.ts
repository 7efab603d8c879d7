import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const ENTRY = path.join(ROOT, 'dist', 'server', 'index.js');
const NEXT_BUILD_ID = path.join(ROOT, '.next', 'BUILD_ID');

/** How long Next's `prepare()` plus store open may take on a busy 2-core machine. */
const START_TIMEOUT_MS = 60_000;

export interface TandemProcess {
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  port: number;
  dataDir: string;
  /** Every log line so far (JSON objects from pino, or raw text). */
  logs: Array<Record<string, unknown> | string>;
  /** SIGTERM, wait for exit (graceful shutdown), then remove the data dir. */
  stop(): Promise<void>;
}

/**
 * Starts the REAL server (`node dist/server/index.js`) on a random port with a fresh SQLite data
 * dir, as production would run it, and resolves once it logs "tandem listening".
 * `npm test` builds first; running jest alone needs `npm run build` to have been run.
 */
export async function startTandemProcess(env: Record<string, string> = {}): Promise<TandemProcess> {
  if (!fs.existsSync(ENTRY)) {
    throw new Error(`${ENTRY} is missing. Run \`npm run build\` (or \`npm test\`, which builds first) before the e2e tests.`);
  }
  if (!fs.existsSync(NEXT_BUILD_ID)) {
    throw new Error(`.next/BUILD_ID is missing: the UI is not built. Run \`npm run build:ui\` before the e2e tests.`);
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-e2e-'));
  const child = spawn(process.execPath, [ENTRY], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      NEXT_TELEMETRY_DISABLED: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: TandemProcess['logs'] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tandem did not log "tandem listening" within ${START_TIMEOUT_MS} ms.\nstderr:\n${stderr}`));
    }, START_TIMEOUT_MS);
    const lines = readline.createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      let entry: Record<string, unknown> | string = line;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        // Not JSON (Next prints a few plain lines): keep it as text.
      }
      logs.push(entry);
      if (typeof entry === 'object' && entry.msg === 'tandem listening' && typeof entry.port === 'number') {
        clearTimeout(timer);
        resolve(entry.port);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`tandem exited before listening (code ${code}, signal ${signal}).\nstderr:\n${stderr}`));
    });
  });

  let stopped: Promise<void> | null = null;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    logs,
    stop() {
      stopped ??= stopChild(child).finally(() => fs.rmSync(dataDir, { recursive: true, force: true }));
      return stopped;
    },
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 12_000);
  await exited;
  clearTimeout(timer);
}

/** POST /api/workspaces through the real HTTP API. */
export async function createWorkspace(
  baseUrl: string,
  body: { name?: string; files?: Array<{ name: string; content?: string }> } = {},
): Promise<{ id: string; name: string; files: Array<{ id: string; name: string; language: string }> }> {
  const response = await fetch(`${baseUrl}/api/workspaces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 201) throw new Error(`POST /api/workspaces → ${response.status}: ${await response.text()}`);
  return (await response.json()) as never;
}
