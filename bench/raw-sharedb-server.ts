import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import ShareDB from 'sharedb';
import { WebSocketServer, type WebSocket } from 'ws';
import { COLLECTIONS, TEXT_TYPE_URI, fileDocId } from '../lib/protocol';
import { textType } from '../lib/text/text-type';

/**
 * The baseline the benchmark compares Tandem with: plain ShareDB, in-memory `MemoryDB`, over
 * plain WebSockets (`ws` + @teamwork/websocket-json-stream), with the same OT type and no
 * middleware, rate limiting, Socket.io or persistence. It runs in its own process, like Tandem.
 *
 * Env: PORT (default 0 = random), HOST (default 127.0.0.1). Prints one JSON line
 * `{"msg":"raw sharedb listening","port":N}` when ready. `POST /api/workspaces {files:[{name,
 * content}]}` answers like Tandem's (`{id, files:[{id}]}`) so the driver creates rooms the same
 * way on both; file docs are `files/<workspaceId>:<fileId>`, WebSocket clients connect to `/`.
 * `GET /bench/stats` returns counters Tandem has no endpoint for (submit retries).
 */

// No @types package exists; its whole API is `new WebSocketJSONStream(ws)`.
const WebSocketJSONStream: new (ws: WebSocket) => Duplex = require('@teamwork/websocket-json-stream');

ShareDB.types.register(textType as unknown as Parameters<typeof ShareDB.types.register>[0]);

const backend = new ShareDB({ db: new ShareDB.MemoryDB() });

/** Submit attempts that lost a commit race and were transformed and retried (ShareDB's own count). */
const stats = { submitRetries: 0 };
backend.on('timing', (kind: unknown) => {
  if (kind === 'submit.retry') stats.submitRetries++;
});
const serverConnection = backend.connect();
serverConnection.on('error', (err: unknown) => console.error('server connection error', err));

function newId(): string {
  return randomBytes(16).toString('base64url');
}

function createTextDoc(id: string, content: string): Promise<void> {
  const doc = serverConnection.get(COLLECTIONS.files, id);
  return new Promise((resolve, reject) =>
    doc.create(content, TEXT_TYPE_URI, (err) => {
      doc.destroy();
      if (err) reject(err);
      else resolve();
    }),
  );
}

async function createWorkspace(body: unknown): Promise<{ id: string; files: { id: string; name: string }[] }> {
  const files = (body as { files?: { name?: unknown; content?: unknown }[] }).files ?? [];
  const id = newId();
  const created: { id: string; name: string }[] = [];
  for (const file of files) {
    const fileId = newId();
    await createTextDoc(fileDocId(id, fileId), typeof file.content === 'string' ? file.content : '');
    created.push({ id: fileId, name: String(file.name ?? 'main.py') });
  }
  return { id, files: created };
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/bench/stats') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
    return;
  }
  if (req.method !== 'POST' || req.url !== '/api/workspaces') {
    res.writeHead(404).end();
    return;
  }
  let raw = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (raw += chunk));
  req.on('end', () => {
    Promise.resolve()
      .then(() => createWorkspace(JSON.parse(raw || '{}')))
      .then(
        (workspace) => res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(workspace)),
        (err: unknown) => res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(err) })),
      );
  });
});

const wss = new WebSocketServer({ server });
wss.on('connection', (ws) => {
  backend.listen(new WebSocketJSONStream(ws));
});

server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ msg: 'raw sharedb listening', port })}\n`);
});

function stop(): void {
  for (const client of wss.clients) client.terminate();
  wss.close();
  server.close();
  backend.close(() => process.exit(0));
  // --cpu-prof writes its profile on exit; never hang here.
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
