import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Server as IoServer, type Socket } from 'socket.io';
import { z } from 'zod';
import { COLLECTIONS, CloseReason, ErrorCode } from '../lib/protocol';
import { MAX_DISPLAY_NAME_LENGTH, MAX_FILE_BYTES, MAX_MESSAGE_BYTES, MESSAGES_PER_SECOND, SHUTDOWN_BUDGET_MS } from '../lib/limits';
import { openStore, type Store } from '../prisma-free-db';
import type { Config } from './config';
import { createCollabBackend, type CollabBackend } from './collab/collab-backend';
import { apiRoutes } from './http/api-routes';
import { errorHandler } from './http/error-handler';
import type { Logger } from './logger';
import { WorkspaceService } from './services/workspace-service';
import { SocketGate, closeWithNotice } from './transport/socket-gate';
import { TandemError } from './errors';

const HandshakeSchema = z.object({
  clientId: z.string().regex(/^[A-Za-z0-9_-]{6,64}$/),
  displayName: z
    .string()
    .trim()
    .min(1)
    .refine((s) => [...s].length <= MAX_DISPLAY_NAME_LENGTH, `at most ${MAX_DISPLAY_NAME_LENGTH} characters`),
});

export interface TandemServer {
  /** The port actually bound (useful with PORT=0). */
  port: number;
  /** Ordered graceful shutdown; resolves when the store is closed. */
  stop(): Promise<void>;
}

/**
 * One process, one port: Next.js pages, the REST API, Socket.io and ShareDB share one
 * http.Server (issue #2 §2). Start-up order is store → ShareDB → HTTP → listen; shutdown is the
 * reverse, bounded by SHUTDOWN_BUDGET_MS.
 */
export async function startTandemServer(config: Config, logger: Logger): Promise<TandemServer> {
  const store = await openStore({
    mongodbUrl: config.mongodbUrl,
    dataDir: config.dataDir,
    sqliteSynchronous: config.sqliteSynchronous,
    milestoneInterval: config.milestoneInterval,
    collections: Object.values(COLLECTIONS),
  });
  logger.info({ store: store.kind }, 'store open');
  // ShareDB never listens here; a failed milestone save costs history speed, not data.
  (store.milestoneDb as unknown as NodeJS.EventEmitter).on('error', (err: unknown) =>
    logger.warn({ err }, 'milestone snapshot save failed'),
  );
  const collab = createCollabBackend({ store, logger });
  const service = new WorkspaceService(collab.connectAsServer('workspace-service'));
  let shuttingDown = false;

  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    if (shuttingDown) {
      res.status(503).json({ status: 'shutting-down' });
      return;
    }
    store.ping().then(
      () => res.json({ status: 'ready', store: store.kind }),
      (err: unknown) => {
        logger.warn({ err }, 'readiness check failed');
        res.status(503).json({ status: 'store-unreachable', store: store.kind });
      },
    );
  });
  // Files arrive as JSON strings; escaping can double their size on the wire.
  app.use('/api', express.json({ limit: MAX_FILE_BYTES * 2 + 64 * 1024 }), apiRoutes(service));
  app.use('/api', (_req, _res, next) => next(new TandemError(ErrorCode.NotFound, 'No such API route.')));
  app.use('/api', errorHandler(logger));

  const server = http.createServer(app);
  let nextUpgrade: ((req: http.IncomingMessage, socket: any, head: Buffer) => Promise<void>) | null = null;
  if (config.uiEnabled) {
    // Loaded lazily so API-only runs (tests, benchmarks) never pay for Next.
    const { default: next } = await import('next');
    const nextApp = next({ dev: config.env === 'development', dir: config.rootDir, hostname: 'localhost', port: config.port, httpServer: server });
    await nextApp.prepare();
    const handle = nextApp.getRequestHandler();
    app.all('/{*splat}', (req, res) => {
      void handle(req, res);
    });
    nextUpgrade = nextApp.getUpgradeHandler();
  } else {
    app.all('/{*splat}', (_req, res) => {
      res.status(404).json({ error: { code: ErrorCode.NotFound, message: 'The UI is disabled (UI_ENABLED=0).' } });
    });
  }

  const io = new IoServer(server, {
    // Next dev's HMR websocket shares the server; engine.io must not destroy foreign upgrades.
    destroyUpgrade: false,
    maxHttpBufferSize: MAX_MESSAGE_BYTES,
    transports: ['websocket', 'polling'],
    allowRequest: (req, callback) => {
      const ok = originAllowed(req, config.allowedOrigins);
      if (!ok) logger.warn({ origin: req.headers.origin }, 'socket refused: origin not allowed');
      callback(ok ? null : 'origin not allowed', ok);
    },
  });
  if (nextUpgrade) {
    const upgrade = nextUpgrade;
    server.on('upgrade', (req, socket, head) => {
      if (!req.url?.startsWith('/socket.io/')) void upgrade(req, socket, head);
    });
  }

  const gate = new SocketGate({
    messagesPerSecond: config.socketMessagesPerSecond ?? MESSAGES_PER_SECOND,
    logger,
  });
  io.use((socket, next) => {
    if (shuttingDown) return next(new Error('server is shutting down; retry shortly'));
    const auth = HandshakeSchema.safeParse(socket.handshake.auth);
    if (!auth.success) {
      return next(new Error(`invalid handshake: ${auth.error.issues[0]?.path.join('.') ?? ''} ${auth.error.issues[0]?.message ?? ''}`.trim()));
    }
    socket.data.identity = auth.data;
    next();
  });
  io.on('connection', (socket: Socket) => {
    const identity = socket.data.identity as z.infer<typeof HandshakeSchema>;
    const stream = gate.open(socket);
    collab.backend.listen(stream, { ...identity, socketId: socket.id });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, host: config.host, ui: config.uiEnabled }, 'tandem listening');

  let stopping: Promise<void> | null = null;
  return {
    port,
    stop() {
      stopping ??= shutdown({ server, io, collab, store, logger, markShuttingDown: () => (shuttingDown = true) });
      return stopping;
    },
  };
}

interface ShutdownParts {
  server: http.Server;
  io: IoServer;
  collab: CollabBackend;
  store: Store;
  logger: Logger;
  markShuttingDown(): void;
}

/** Stop accepting → tell clients → wait for in-flight commits → close the store (issue #2 §2). */
async function shutdown(parts: ShutdownParts): Promise<void> {
  const { server, io, collab, store, logger } = parts;
  const started = Date.now();
  parts.markShuttingDown();
  server.close();
  server.closeIdleConnections();
  const sockets = await io.fetchSockets();
  for (const socket of sockets) {
    // Spread reconnects over 0.5–3 s so a room does not stampede the next process.
    closeWithNotice(socket as unknown as Socket, {
      reason: CloseReason.ShuttingDown,
      message: 'The server is restarting. Your edits are kept and will be sent when it is back.',
      retryAfterMs: 500 + Math.floor(Math.random() * 2500),
    });
  }
  logger.info({ sockets: sockets.length }, 'shutdown: clients told');
  await new Promise((r) => setTimeout(r, 50));
  const deadline = started + SHUTDOWN_BUDGET_MS - 2000;
  while (collab.inflightCommits() > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise<void>((resolve) => io.close(() => resolve()));
  server.closeAllConnections();
  await store.close();
  logger.info({ ms: Date.now() - started, unfinishedCommits: collab.inflightCommits() }, 'shutdown: store closed');
}

/**
 * [P-TR-5] Browsers must come from the server's own origin or ALLOWED_ORIGINS. Requests without
 * an Origin header (non-browser clients) are allowed: an origin check protects browsers from
 * cross-site use of ambient credentials, which a non-browser client does not have.
 */
function originAllowed(req: http.IncomingMessage, allowed: string[]): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  if (allowed.includes(origin)) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
