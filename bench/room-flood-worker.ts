import { parentPort, workerData } from 'node:worker_threads';
import type { Doc } from 'sharedb/lib/client';
import { COLLECTIONS } from '../lib/protocol';
import { openClient, subscribeText, whenConnected, type BenchClient } from './bench-client';
import { startFlood, type Flood } from './room-flood-scenario';

/**
 * The flooding room of bench/room-flood.ts, on its own thread, so its event loop does not delay
 * the quiet room's clocks in the driver thread. Messages: the driver sends `start` and `stop`; the
 * worker answers `ready`, then `result` with ack times as epoch milliseconds (`timeOrigin + now`),
 * because each thread's `performance.now()` counts from its own origin.
 */

export interface FloodWorkerData {
  url: string;
  cookie: string;
  docId: string;
  editors: number;
  maxOpsPerSecondPerEditor: number;
  seed: number;
}

export type FloodWorkerMessage =
  | { type: 'ready' }
  | { type: 'result'; ackEpochMs: number[]; errors: number; disconnects: number; ackedPerEditor: number[] }
  | { type: 'error'; message: string };

const data = workerData as FloodWorkerData;
const port = parentPort!;

async function main(): Promise<void> {
  const clients: BenchClient[] = [];
  const docs: Array<Doc<string>> = [];
  for (let i = 0; i < data.editors; i++) {
    const client = openClient('tandem', data.url, `flood-${process.pid}-${i}`, data.cookie);
    clients.push(client);
    await whenConnected(client.connection, 20_000);
    docs.push(await subscribeText(client.connection, COLLECTIONS.files, data.docId));
  }
  let flood: Flood | null = null;
  port.on('message', (message: { type: string }) => {
    if (message.type === 'start') {
      flood = startFlood(docs, { seed: data.seed, maxOpsPerSecondPerDoc: data.maxOpsPerSecondPerEditor || undefined });
    } else if (message.type === 'stop' && flood) {
      void flood.stop().then((result) => {
        const reply: FloodWorkerMessage = {
          type: 'result',
          ackEpochMs: result.ackTimes.map((t) => performance.timeOrigin + t),
          errors: result.errors,
          disconnects: clients.reduce((n, c) => n + c.disconnects, 0),
          ackedPerEditor: result.ackedPerDoc,
        };
        port.postMessage(reply);
        for (const client of clients) client.close();
        port.close();
      });
    }
  });
  port.postMessage({ type: 'ready' } satisfies FloodWorkerMessage);
}

main().catch((err: unknown) => {
  port.postMessage({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies FloodWorkerMessage);
});
