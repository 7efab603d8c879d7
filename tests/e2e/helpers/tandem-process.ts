import { ServerProcess } from '../../helpers/server-process';

export interface TandemProcess {
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  port: number;
  dataDir: string;
  /** SIGTERM, wait for the graceful shutdown, then remove the data dir. */
  stop(): Promise<void>;
}

/**
 * The REAL server (`node dist/server/index.js`) with the UI, on a random port with a fresh SQLite
 * data dir, as production runs it. `npm test` builds first.
 */
export async function startTandemProcess(env: Record<string, string> = {}): Promise<TandemProcess> {
  const server = await ServerProcess.start({ ui: true, env });
  let stopped: Promise<void> | null = null;
  return {
    baseUrl: server.url,
    port: server.port,
    dataDir: server.dataDir,
    stop() {
      stopped ??= server.stop().then(() => server.dispose());
      return stopped;
    },
  };
}
