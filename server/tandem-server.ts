import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Server as IoServer, type Socket } from 'socket.io';
import { z } from 'zod';
import { COLLECTIONS, ErrorCode } from '../lib/protocol';
import { MAX_DISPLAY_NAME_LENGTH, MAX_FILE_BYTES, MAX_MESSAGE_BYTES, MESSAGES_PER_SECOND, SHUTDOWN_BUDGET_MS } from '../lib/limits';
import { openStore, type Store } from '../prisma-free-db';
import type { Config } from './config';
import { createCollabBackend, type CollabBackend } from './collab/collab-backend';
import { apiRoutes } from './http/api-routes';
import { errorHandler } from './http/error-handler';
import type { Logger } from './logger';
import { WorkspaceService } from './services/workspace-service';
import { SocketGate, closeWithNotice } from './transport/socket-gate';
import { LISTEN_BACKLOG, STORM_READY_BACKLOG, effectiveListenBacklog } from './listen-backlog';
import { TandemError } from './errors';
import path from 'node:path';
import { SqliteClassroomStore, CLASSROOM_FILE_NAME, type ClassroomStore } from '../prisma-free-db';
import { AccessPolicy } from './authz/access-policy';
import { installCollabAccess, workspaceOfDoc } from './authz/collab-access';
import { installRoomLimits } from './collab/room-limits';
import { AuthService, normalizeEmail, type AuthContext } from './auth/auth-service';
import { attachSession, sessionTokenOf } from './auth/session-cookie';
import { oidcRoutes } from './auth/oidc';
import { ClassroomService } from './classroom/classroom-service';
import { ActivityTracker, textOpSize } from './classroom/activity-tracker';
import { ActivityFeed } from './classroom/activity-feed';
import { SharedActivity } from './scale/shared-activity';
import { redisClaims } from './scale/claims';
import { rateLimiterFactory } from './http/rate-limits';
import { authRoutes } from './http/auth-routes';
import { classroomRoutes } from './http/classroom-routes';
import { reviewRoutes } from './http/review-routes';
import { privacyRoutes } from './http/privacy-routes';
import { PrivacyService } from './privacy/privacy-service';
import { ReviewService } from './review/review-service';
import { FileHistoryReader } from './review/file-history';
import { HistoryService } from './review/history-service';
import { ReviewContext } from './review/review-context';
import { RetentionService } from './review/retention';
import { AppEvents } from './transport/app-events';
import { Metrics } from './observability/metrics';
import { SelfHealing } from './observability/self-healing';
import { restartNotice } from './observability/socket-drain';
import { opsRoutes } from './http/ops-routes';
import { requestIds } from './http/request-id';
import { RedisBus } from './scale/redis-bus';
import { identityOf, type ClientConnectRequest } from './collab/agent-identity';
import { AiReviewService } from './ai/ai-review-service';
import { CircuitBreaker } from './ai/circuit-breaker';
import { ReviewPool } from './ai/review-pool';
import { TaskRunner } from './ai/task-runner';
import { aiRoutes } from './http/ai-routes';
import { testRoutes } from './http/test-routes';
import { TestService } from './grading/test-service';
import { Grader } from './grading/grader';

const HandshakeSchema = z.object({
  clientId: z.string().regex(/^[A-Za-z0-9_-]{6,64}$/),
  // Older clients still send a display name; the account's name is what peers see.
  displayName: z.string().max(MAX_DISPLAY_NAME_LENGTH * 4).optional(),
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
  let afterStoreGroup = (): void => {};
  const store = await openStore({
    mongodbUrl: config.mongodbUrl,
    dataDir: config.dataDir,
    sqliteSynchronous: config.sqliteSynchronous,
    milestoneInterval: config.milestoneInterval,
    collections: Object.values(COLLECTIONS),
    // With Redis, several processes serve the same docs (on one host, from one SQLite file).
    sharedWithOtherProcesses: config.redisUrl !== null,
    // Group commit releases acks and ops from an immediate; the socket gate (made below) sends them
    // in the same turn.
    onGroupQueued: () => afterStoreGroup(),
  });
  logger.info({ store: store.kind }, 'store open');
  // ShareDB never listens here; a failed milestone save costs history speed, not data.
  (store.milestoneDb as unknown as NodeJS.EventEmitter).on('error', (err: unknown) =>
    logger.warn({ err }, 'milestone snapshot save failed'),
  );
  const classroomStore = SqliteClassroomStore.open(path.join(config.dataDir, CLASSROOM_FILE_NAME));
  const policy = new AccessPolicy(classroomStore);
  // The sources are wired once io and the activity tracker exist (below).
  const metricsSources = { sockets: () => 0, docSubscriptions: () => 0, workspacesOpen: () => 0 };
  const aiStore = classroomStore.aiStore();
  const metrics = new Metrics({
    sockets: () => metricsSources.sockets(),
    docSubscriptions: () => metricsSources.docSubscriptions(),
    workspacesOpen: () => metricsSources.workspacesOpen(),
    aiTasks: () => aiStore.countTasks(),
  });
  // P-OPS-1..5: event-loop watchdog and anomaly detection drive load shedding and readiness.
  const selfHealing = new SelfHealing({ config: config.selfHealing, metrics, logger });
  selfHealing.start();
  const bus = config.redisUrl ? await RedisBus.connect(config.redisUrl, logger) : null;
  if (bus) {
    logger.info('scale-out: ShareDB pub/sub, Socket.io rooms and access invalidation go through Redis');
    policy.onInvalidate((origin) => {
      if (origin === 'local') bus.publishInvalidate();
    });
    bus.onRemoteInvalidate(() => policy.invalidate('remote'));
  }
  const collab = createCollabBackend({ store, logger, metrics, ...(bus ? { pubsub: bus.pubsub } : {}) });
  installCollabAccess(collab.backend, policy, logger);
  // After the access checks, so only allowed sockets and ops count toward a room (P-LIM-5..8).
  const roomLimits = installRoomLimits(
    collab.backend,
    { maxEditors: config.roomMaxEditors, opsPerSecond: config.roomOpsPerSecond, maxQueued: config.roomQueuedOps },
    logger,
  );
  const service = new WorkspaceService(collab.connectAsServer('workspace-service'));
  const auth = new AuthService({
    store: classroomStore,
    logger,
    sessionTtlMs: config.sessionTtlMs,
    resetTtlMs: 24 * 3600_000,
    publicUrl: config.publicUrl,
  });
  await ensureFirstAdmin(config, classroomStore, auth, logger);
  const classrooms = new ClassroomService(classroomStore, policy, service);
  const reviewStore = classroomStore.reviewStore();
  const reviewContext = new ReviewContext(classroomStore, reviewStore, policy);
  const fileHistory = new FileHistoryReader(store);
  const reviews = new ReviewService({ classroom: classroomStore, reviews: reviewStore, context: reviewContext, history: fileHistory, workspaces: service });
  const histories = new HistoryService(reviewContext, fileHistory, service, config.pasteSignalMinChars);
  const retention = new RetentionService({
    classroom: classroomStore,
    reviews: reviewStore,
    store,
    history: fileHistory,
    workspaces: service,
    classrooms,
    logger,
    sweepEveryMs: config.retentionSweepMs,
    ...(bus ? { claim: redisClaims(bus.commandClient) } : {}),
  });
  retention.start();
  // AI review (issue 5): tasks in the store, run by worker threads, behind a circuit breaker.
  const breaker = new CircuitBreaker({
    failureThreshold: config.ai.circuitFailures,
    cooldownMs: config.ai.circuitCooldownMs,
    onTransition: (t) => logger.warn({ from: t.from, to: t.to, reason: t.reason }, 'ai circuit breaker'),
  });
  // P-OPS-4: an anomalous process stops spending on AI until it has recovered.
  selfHealing.onAnomaly(() => breaker.forceOpen('the server is under unusual load', config.ai.circuitCooldownMs));
  const reviewPool = new ReviewPool({
    concurrency: config.ai.concurrency,
    jobTimeoutMs: 300_000,
    starvationMs: config.ai.starvationMs,
    onStarved: ({ jobs, silentMs }) => {
      metrics.aiReviewsStarved.inc(jobs);
      logger.warn({ jobs, silentMs }, 'the machine is saturated: AI reviews move from idle to normal CPU priority so they finish');
    },
  });
  let taskRunner: TaskRunner | null = null;
  const aiReviews = new AiReviewService({
    classroom: classroomStore,
    reviews: reviewStore,
    ai: aiStore,
    context: reviewContext,
    history: fileHistory,
    workspaces: service,
    config: config.ai,
    pool: reviewPool,
    breaker,
    logger,
    metrics,
    wake: () => taskRunner?.wake(),
  });
  // Teacher tests (issue 7): submissions are graded in an isolated worker, through the same queue.
  const grader = new Grader({ timeLimitMs: config.grading.timeLimitMs, memoryMb: config.grading.memoryMb, concurrency: 1 });
  const tests = new TestService({
    classroom: classroomStore,
    runs: classroomStore.runStore(),
    reviews: reviewStore,
    tasks: aiStore,
    context: reviewContext,
    history: fileHistory,
    grader,
    logger,
    wake: () => taskRunner?.wake(),
  });
  taskRunner = new TaskRunner({
    store: aiStore,
    handlers: { ReviewSubmission: aiReviews, ReviewWorkspace: aiReviews, GradeSubmission: tests },
    concurrency: config.ai.concurrency,
    attempts: config.ai.taskAttempts,
    leaseMs: config.ai.taskLeaseMs,
    logger,
  });
  reviews.on('submissionSaved', (submission, classId) => {
    aiReviews.onSubmission(submission, classId).catch((err: unknown) => logger.error({ err, submissionId: submission.id }, 'ai review could not be queued'));
    tests.onSubmission(submission, classId).catch((err: unknown) => logger.error({ err, submissionId: submission.id }, 'grading could not be queued'));
  });
  taskRunner.start();
  const privacy = new PrivacyService({ classroom: classroomStore, reviews: reviewStore, ai: aiStore, runs: classroomStore.runStore(), store, history: fileHistory, workspaces: service, classrooms });
  const activity = new ActivityTracker();
  trackActivity(collab, activity);
  // With Redis, every process's part of the live grid is merged there (issue 6 §1, live views).
  const sharedActivity = bus
    ? new SharedActivity(bus.commandClient, { heartbeatMs: config.scaleHeartbeatMs, presence: () => activity.presence(), logger })
    : null;
  await sharedActivity?.start();
  const activityFeed = new ActivityFeed(activity, sharedActivity, logger);
  const rateLimiter = rateLimiterFactory(bus?.commandClient ?? null);
  let activityWithdrawn: Promise<void> = Promise.resolve();
  const cookies = { secure: config.cookieSecure };
  const sessionSweep = setInterval(() => {
    classroomStore.deleteExpiredSessions(Date.now()).catch((err: unknown) => logger.warn({ err }, 'session sweep failed'));
  }, 3600_000);
  sessionSweep.unref();
  let shuttingDown = false;

  const app = express();
  app.disable('x-powered-by');
  if (config.trustProxy !== null) app.set('trust proxy', config.trustProxy);
  app.use(requestIds());
  // Cross-origin isolation (issue 7): a run's worker blocks on input() with SharedArrayBuffer,
  // which browsers allow only in isolated pages. `credentialless` still lets a teacher's
  // instructions show images from elsewhere (fetched without cookies).
  app.use((_req, res, next) => {
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'credentialless');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    next();
  });
  // Pyodide (Python in the browser) from our own origin: a campus may have no egress.
  app.use('/pyodide', express.static(path.join(config.rootDir, 'node_modules', 'pyodide'), { maxAge: '7d', immutable: true, index: false, fallthrough: false }));
  // Prometheus scrape (issue 6 §3): counts and latencies only, no ids or student content.
  app.get('/metrics', (_req, res) => {
    metrics.registry.metrics().then(
      (text) => res.type(metrics.registry.contentType).send(text),
      (err: unknown) => {
        logger.warn({ err }, 'metrics collection failed');
        res.status(500).end();
      },
    );
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    if (shuttingDown) {
      res.status(503).json({ status: 'shutting-down' });
      return;
    }
    if (selfHealing.draining) {
      res.status(503).json({ status: 'draining' });
      return;
    }
    // Each dependency is named, so an operator sees which one is down.
    const checks: Array<[string, Promise<void> | undefined]> = [
      ['store', store.ping()],
      ['classroom', classroomStore.ping()],
      ['redis', bus?.ping()],
      ...selfHealing.readinessChecks(),
    ];
    void Promise.allSettled(checks.map(([, p]) => p)).then((results) => {
      const down = checks.filter((_, i) => results[i]!.status === 'rejected').map(([name]) => name);
      if (down.length === 0) {
        res.json({ status: 'ready', store: store.kind, redis: bus ? 'ok' : 'off' });
        return;
      }
      logger.warn({ down }, 'readiness check failed');
      res.status(503).json({ status: 'unavailable', down, store: store.kind });
    });
  });
  // Files arrive as JSON strings; escaping can double their size on the wire.
  app.use(
    '/api',
    rejectForeignOrigin(config.allowedOrigins),
    express.json({ limit: MAX_FILE_BYTES * 2 + 64 * 1024 }),
    attachSession(auth),
    authRoutes({
      auth,
      store: classroomStore,
      classrooms,
      cookies,
      teacherSignup: config.teacherSignup,
      loginAttemptsPer15Min: config.loginAttemptsPer15Min,
      oidc: config.oidc,
      rateLimiter,
    }),
    classroomRoutes({ classrooms, store: classroomStore, activity: activityFeed, rateLimiter }),
    reviewRoutes({ reviews, histories, retention }),
    privacyRoutes({ privacy }),
    aiRoutes({ ai: aiReviews }),
    testRoutes({ tests }),
    opsRoutes({ selfHealing, drainToken: config.selfHealing.drainToken, logger }),
    apiRoutes({ service, store: classroomStore, policy }),
  );
  if (config.oidc) {
    app.use('/api/auth/oidc', await oidcRoutes({ oidc: config.oidc, publicUrl: config.publicUrl, auth, store: classroomStore, cookies, logger, redis: bus?.commandClient ?? null }));
  }
  app.use('/api', (_req, _res, next) => next(new TandemError(ErrorCode.NotFound, 'No such API route.')));
  app.use('/api', errorHandler(logger, (code) => metrics.errors.inc({ code, via: 'http' })));

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
    onError: (code) => metrics.errors.inc({ code, via: 'sharedb' }),
  });
  const writes = gate.writes;
  if (writes) afterStoreGroup = () => writes.flushAfterQueuedWork();
  metricsSources.sockets = () => io.engine.clientsCount;
  metricsSources.docSubscriptions = () => (collab.backend.pubsub as unknown as { streamsCount: number }).streamsCount;
  metricsSources.workspacesOpen = () => activity.openWorkspaces();
  bus?.attach(io);
  selfHealing.attach(io);
  const appEvents = new AppEvents({ io, store: classroomStore, auth, policy, classrooms, reviews, aiReviews, tests, activity, activityFeed, logger });
  io.use((socket, next) => {
    if (shuttingDown) return next(new Error('server is shutting down; retry shortly'));
    // P-OPS-4: shed new sockets (never existing ones) before spending a session lookup on them.
    const refusal = selfHealing.admitHandshake();
    if (refusal) return next(refusal);
    const handshake = HandshakeSchema.safeParse(socket.handshake.auth);
    if (!handshake.success) {
      return next(new Error(`invalid handshake: ${handshake.error.issues[0]?.path.join('.') ?? ''} ${handshake.error.issues[0]?.message ?? ''}`.trim()));
    }
    // AU-2: the socket carries the same session cookie as the page.
    auth.resolveSession(sessionTokenOf(socket.request)).then(
      (ctx) => {
        if (!ctx) return next(new Error('unauthenticated: sign in first'));
        socket.data.clientId = handshake.data.clientId;
        socket.data.auth = ctx;
        next();
      },
      (err: unknown) => {
        logger.warn({ err }, 'handshake session lookup failed');
        next(new Error('server unavailable; retry shortly'));
      },
    );
  });
  io.on('connection', (socket: Socket) => {
    const ctx = socket.data.auth as AuthContext;
    const stream = gate.open(socket);
    appEvents.attach(socket);
    const request: ClientConnectRequest = { clientId: socket.data.clientId as string, socketId: socket.id, user: ctx.user };
    collab.backend.listen(stream, request);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A restart brings every client back at once (see listen-backlog.ts).
    server.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const listenBacklog = effectiveListenBacklog(LISTEN_BACKLOG);
  logger.info({ port, host: config.host, ui: config.uiEnabled, listenBacklog }, 'tandem listening');
  if (listenBacklog !== null && listenBacklog < STORM_READY_BACKLOG) {
    logger.info(
      { listenBacklog, recommended: STORM_READY_BACKLOG },
      'listen queue capped by net.core.somaxconn: after a restart, thousands of clients reconnecting at once will overflow it and come back more slowly (docs/operations.md, "Restart storms")',
    );
  }

  let stopping: Promise<void> | null = null;
  let runnerStopped: Promise<void> = Promise.resolve();
  return {
    port,
    stop() {
      stopping ??= shutdown({
        server,
        io,
        collab,
        store,
        logger,
        markShuttingDown: () => {
          shuttingDown = true;
          clearInterval(sessionSweep);
          retention.stop();
          runnerStopped = taskRunner?.stop() ?? Promise.resolve();
          activity.close();
          // While io still runs: the corrected views reach the teachers through the other processes.
          activityWithdrawn = sharedActivity?.close() ?? Promise.resolve();
          activityFeed.close();
          appEvents.close();
          roomLimits.close();
          metrics.close();
          selfHealing.stop();
        },
      })
        .then(() => runnerStopped)
        .then(() => reviewPool.close())
        .then(() => grader.close())
        .then(() => classroomStore.close())
        .then(() => activityWithdrawn)
        .then(() => bus?.close());
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
  // Only this process's sockets: with the Redis adapter, io.fetchSockets() spans every process.
  const sockets = await io.local.fetchSockets();
  for (const socket of sockets) {
    // Spread reconnects over 0.5–3 s so a room does not stampede the next process.
    closeWithNotice(socket as unknown as Socket, restartNotice(500 + Math.floor(Math.random() * 2500)));
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

/** Create the first admin from ADMIN_EMAIL/ADMIN_PASSWORD when that account does not exist yet. */
async function ensureFirstAdmin(config: Config, store: ClassroomStore, auth: AuthService, logger: Logger): Promise<void> {
  if (!config.firstAdmin) return;
  const email = normalizeEmail(config.firstAdmin.email);
  if (await store.getUserByEmail(email)) return;
  try {
    const user = await auth.createAccount({ ...config.firstAdmin, displayName: 'Administrator', role: 'admin' });
    logger.info({ userId: user.id }, 'first admin created from ADMIN_EMAIL');
  } catch (err) {
    // Several processes starting at once on a new DATA_DIR all find no admin; one creates it.
    if (!(await store.getUserByEmail(email))) throw err;
    logger.info('first admin from ADMIN_EMAIL created by another process');
  }
}

/** LV-1: every committed client edit of a file feeds the teacher's live grid. */
function trackActivity(collab: CollabBackend, activity: ActivityTracker): void {
  collab.backend.use('afterWrite', (ctx: any, next: (err?: unknown) => void) => {
    const identity = identityOf(ctx.agent);
    if (identity.kind === 'client' && ctx.collection === COLLECTIONS.files && ctx.op?.op) {
      const ws = workspaceOfDoc(ctx.collection, ctx.id);
      if (ws) activity.recordEdit(ws, identity.user.id, textOpSize(ctx.op.op));
    }
    next();
  });
}

/**
 * AU-7: state-changing API calls from a browser must come from our own origin. SameSite=Lax
 * cookies already stop most cross-site requests; this closes the rest (e.g. a sibling subdomain).
 */
function rejectForeignOrigin(allowed: string[]) {
  return (req: express.Request, _res: express.Response, next: express.NextFunction) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
    if (originAllowed(req, allowed)) return next();
    next(new TandemError(ErrorCode.Forbidden, 'Requests must come from this site.'));
  };
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
