import { performance } from 'node:perf_hooks';
import type { Doc } from 'sharedb/lib/client';
import { COLLECTIONS } from '../lib/protocol';
import { openClient, subscribeText, whenConnected, withConcurrency, type BenchClient } from './bench-client';
import type { DriverToIdleWorker, IdleSetup, IdleWorkerToDriver } from './messages';

/**
 * Holds a share of the idle-connection run's connections, forked by load.ts. Each connection is a
 * realistic idle editor: it has done the Socket.io (or WebSocket) and ShareDB handshakes and
 * subscribed to one small file doc, and then sends nothing. Protocol: `setup` → open them all →
 * `ready`; `status` → how many are still connected; `close` → close them and exit.
 */

const CONNECT_TIMEOUT_MS = 60_000;

const clients: BenchClient[] = [];
const docs: Doc<string>[] = [];

function send(message: IdleWorkerToDriver): Promise<void> {
  return new Promise((resolve) => process.send!(message, () => resolve()));
}

async function openAll(config: IdleSetup): Promise<void> {
  const started = performance.now();
  let failed = 0;
  let firstError: string | null = null;
  await withConcurrency(config.concurrency, config.count, async (i) => {
    const n = config.first + i;
    const client = openClient(config.target, config.url, `bench-idle-${n}`, config.cookie);
    clients.push(client);
    try {
      await whenConnected(client.connection, CONNECT_TIMEOUT_MS);
      docs.push(await subscribeText(client.connection, COLLECTIONS.files, config.docIds[n % config.docIds.length]!));
    } catch (err) {
      failed++;
      firstError ??= (err as Error).message;
    }
  });
  await send({ type: 'ready', connected: config.count - failed, failed, firstError, connectMs: performance.now() - started });
}

function status(): IdleWorkerToDriver {
  const connected = clients.filter((c) => c.connection.state === 'connected').length;
  return { type: 'status', connected, disconnects: clients.reduce((n, c) => n + c.disconnects, 0) };
}

process.on('message', (message: DriverToIdleWorker) => {
  if (message.type === 'setup') {
    openAll(message).catch((err: unknown) => {
      void send({ type: 'error', message: String((err as Error).stack ?? err) }).finally(() => process.exit(1));
    });
  } else if (message.type === 'status') {
    void send(status());
  } else if (message.type === 'close') {
    for (const client of clients) client.close();
    // Let the close frames go out before exiting.
    setTimeout(() => process.exit(0), 200);
  }
});
process.on('disconnect', () => process.exit(0));
