import ShareDB from 'sharedb';
import type { Connection } from 'sharedb/lib/client';
import { COLLECTIONS, ErrorCode } from '../../lib/protocol';
import { textType } from '../../lib/text/text-type';
import type { Store } from '../../prisma-free-db';
import { TandemError, toTandemError } from '../errors';
import type { Logger } from '../logger';
import type { Metrics } from '../observability/metrics';
import { identityOf, isClientConnectRequest, isServerConnectRequest, setIdentity, type AgentIdentity } from './agent-identity';
import {
  checkClientMessage,
  checkClientOp,
  checkFileSnapshot,
  checkPresenceChannel,
  checkPresenceValue,
} from './message-guards';
import { isWorkspaceData } from './workspace-schema';
import { roomWaitEndedAt } from './room-limits';

ShareDB.types.register(textType as unknown as Parameters<typeof ShareDB.types.register>[0]);

export interface CollabBackendOptions {
  store: Store;
  logger: Logger;
  metrics?: Metrics;
  /** Shared pub/sub when several processes serve the same docs (Redis); in-memory otherwise. */
  pubsub?: ShareDB.PubSub;
}

/** The ShareDB backend plus what the process needs to shut it down in order. */
export interface CollabBackend {
  backend: ShareDB;
  /** Commits handed to the store and not yet answered. Shutdown waits for zero. */
  inflightCommits(): number;
  /** A server-side connection for services (file create/rename/delete). */
  connectAsServer(purpose: string): Connection;
}

type Next = (err?: unknown) => void;

/**
 * ShareDB with Tandem's rules wired into its middleware phases (STYLE §3): identity at
 * `connect`, message shape at `receive`, cheap op checks at `submit`, snapshot-based checks at
 * `commit`, presence at `receivePresence`. A rule violation becomes a ShareDB error reply to that
 * client only; nothing is persisted and the doc is unchanged.
 */
export function createCollabBackend(options: CollabBackendOptions): CollabBackend {
  const { store, logger, metrics, pubsub } = options;
  let inflight = 0;
  const db = store.db as ShareDB.DB & { commit: (...args: unknown[]) => void };
  const commit = db.commit.bind(db);
  db.commit = (...args: unknown[]) => {
    const callback = args[args.length - 1] as (err: unknown, ok?: boolean) => void;
    inflight++;
    const started = performance.now();
    commit(...args.slice(0, -1), (err: unknown, ok?: boolean) => {
      inflight--;
      metrics?.storeCommit.observe((performance.now() - started) / 1000);
      callback(err, ok);
    });
  };

  const backend = new ShareDB({
    db: store.db,
    milestoneDb: store.milestoneDb,
    ...(pubsub ? { pubsub } : {}),
    presence: true,
    doNotForwardSendPresenceErrorsToClient: true,
    errorHandler: (err: unknown, context: unknown) => {
      logger.warn({ err: toLogError(err), context: describeContext(context) }, 'sharedb error');
    },
  } as ShareDB.ShareDBOptions & { errorHandler: unknown });

  const guard = (fn: (ctx: any) => void) => (ctx: any, next: Next) => {
    try {
      fn(ctx);
      next();
    } catch (err) {
      next(toShareDbError(err));
    }
  };

  backend.use('connect', (ctx: any, next: Next) => {
    const req: unknown = ctx.req;
    let identity: AgentIdentity;
    if (isServerConnectRequest(req)) {
      identity = { kind: 'server', purpose: req.tandemServer };
    } else if (isClientConnectRequest(req)) {
      // Presence carries the account id, not the client-chosen handshake id, so a peer cannot
      // claim a classmate's pair role or online dot (P-PRES-1).
      identity = { kind: 'client', clientId: req.user.id, displayName: req.user.displayName, socketId: req.socketId, user: req.user };
    } else {
      // Not from our Socket.io layer: leave the agent without identity, which can do nothing (WS-0).
      return next();
    }
    setIdentity(ctx.agent, identity);
    next();
  });

  backend.use(
    'receive',
    guard((ctx) => {
      if (identityOf(ctx.agent).kind === 'server') return;
      checkClientMessage(ctx.data);
    }),
  );

  backend.use(
    'submit',
    guard((ctx) => {
      if (identityOf(ctx.agent).kind === 'server') return;
      checkClientOp(ctx.collection, ctx.op);
    }),
  );

  backend.use(
    'commit',
    guard((ctx) => {
      const snapshot = ctx.snapshot as { type: string | null; data: unknown };
      if (snapshot.type !== null) {
        if (ctx.collection === COLLECTIONS.files) checkFileSnapshot(snapshot.type, snapshot.data);
        else if (ctx.collection === COLLECTIONS.workspaces && !isWorkspaceData(snapshot.data)) {
          throw new TandemError(ErrorCode.InvalidOp, 'That change would leave the workspace file list invalid.');
        }
      }
      // Who made each op: the start of authorship (blame, playback) in later features.
      const identity = identityOf(ctx.agent);
      if (ctx.op.m) {
        ctx.op.m.author = identity.kind === 'client' ? identity.user.id : `server:${identity.purpose}`;
        // How the op was made (P-OP-PROV), from the op's `x` (SubmitRequest keeps it as `extra`):
        // a client may only claim typed or pasted, which the receive guard enforces.
        ctx.op.m.source = identity.kind === 'client' ? clientOpSource(ctx.extra) : serverOpSource(ctx.extra);
      }
    }),
  );

  backend.use(
    'receivePresence',
    guard((ctx) => {
      const identity = identityOf(ctx.agent);
      if (identity.kind === 'server') return;
      const kind = checkPresenceChannel(ctx.presence.ch);
      // ShareDB broadcasts "gone" for a client's presences only on channels it subscribed to,
      // so publishing is allowed only there: no ghost cursor survives a dropped laptop (P-PRES-4).
      // (A null value is "gone", which ShareDB itself sends while cleaning up a closed agent.)
      if (ctx.presence.p !== null && !ctx.agent.subscribedPresences[ctx.presence.ch]) {
        throw new TandemError(ErrorCode.InvalidPresence, 'Subscribe to a presence channel before publishing on it.');
      }
      ctx.presence.p = checkPresenceValue(kind, ctx.presence.p, identity);
    }),
  );

  if (metrics) {
    backend.use('afterWrite', (ctx: any, next: Next) => {
      // Time the server, not a room's budget wait (P-LIM-6): see roomWaitEndedAt.
      metrics.committed(ctx.collection, ctx.id, ctx.op.v, roomWaitEndedAt(ctx) ?? ctx.start);
      next();
    });
    backend.use('op', (ctx: any, next: Next) => {
      if (typeof ctx.op?.v === 'number') metrics.delivered(ctx.collection, ctx.id, ctx.op.v);
      next();
    });
  }

  return {
    backend,
    inflightCommits: () => inflight,
    connectAsServer(purpose: string) {
      const connection = backend.connect(undefined, { tandemServer: purpose }) as unknown as Connection;
      // An unhandled 'error' on a Connection would crash the process (stack-facts §2).
      connection.on('error', (err: unknown) => logger.error({ err: toLogError(err), purpose }, 'server connection error'));
      return connection;
    },
  };
}

function clientOpSource(x: unknown): 'typed' | 'pasted' {
  const kind = (x as { source?: { kind?: unknown } } | undefined)?.source?.kind;
  return kind === 'pasted' ? 'pasted' : 'typed';
}

/** The server's own ops say `starter` when they create a workspace's starter files, else `server`. */
function serverOpSource(x: unknown): 'starter' | 'server' {
  return (x as { source?: { kind?: unknown } } | undefined)?.source?.kind === 'starter' ? 'starter' : 'server';
}

/** ShareDB sends `{code, message}` of the error to the client; keep only client-safe text. */
function toShareDbError(err: unknown): { code: string; message: string } {
  return toTandemError(err).toShareDB();
}

function toLogError(err: unknown): unknown {
  if (err instanceof Error) return { message: err.message, code: (err as { code?: unknown }).code, stack: err.stack };
  return err;
}

function describeContext(context: unknown): unknown {
  if (!context || typeof context !== 'object') return undefined;
  const c = context as { collection?: unknown; id?: unknown; agent?: { clientId?: unknown } };
  return { collection: c.collection, id: c.id, agent: c.agent?.clientId };
}
