import type ShareDB from 'sharedb';
import { COLLECTIONS, ErrorCode, FILE_DOC_ID_PATTERN, PEOPLE_CHANNEL_PREFIX } from '../../lib/protocol';
import { TandemError } from '../errors';
import type { Logger } from '../logger';
import { identityOf, type ClientIdentity } from '../collab/agent-identity';
import type { Access, AccessPolicy, WorkspaceDecision } from './access-policy';

type Next = (err?: unknown) => void;

const READ_DOC_ACTIONS = new Set(['f', 's', 'nf', 'nt']);
const READ_BULK_ACTIONS = new Set(['bf', 'bs']);
const READ_CHANNEL_ACTIONS = new Set(['ps', 'pr', 'p']);

/** The workspace a doc belongs to: the workspace doc itself, or the prefix of a file doc id. */
export function workspaceOfDoc(collection: unknown, id: unknown): string | null {
  if (typeof id !== 'string') return null;
  if (collection === COLLECTIONS.workspaces) return id;
  if (collection === COLLECTIONS.files) return FILE_DOC_ID_PATTERN.exec(id)?.[1] ?? null;
  return null;
}

/** The workspace of a presence channel: `people.<ws>` or `files.<ws>:<file>`. */
export function workspaceOfChannel(channel: unknown): string | null {
  if (typeof channel !== 'string') return null;
  if (channel.startsWith(PEOPLE_CHANNEL_PREFIX)) return channel.slice(PEOPLE_CHANNEL_PREFIX.length);
  if (channel.startsWith(`${COLLECTIONS.files}.`)) return workspaceOfDoc(COLLECTIONS.files, channel.slice(COLLECTIONS.files.length + 1));
  return null;
}

/** Workspaces a client message reads from (receive phase). Writes are checked at submit. */
export function workspacesReadBy(message: Record<string, unknown>): string[] {
  const a = message.a;
  if (typeof a !== 'string') return [];
  if (READ_DOC_ACTIONS.has(a)) return single(workspaceOfDoc(message.c, message.d));
  if (READ_BULK_ACTIONS.has(a)) {
    const b = message.b;
    const ids = Array.isArray(b) ? b : b && typeof b === 'object' ? Object.keys(b) : [];
    return [...new Set(ids.map((id) => workspaceOfDoc(message.c, id)).filter((w): w is string => w !== null))];
  }
  if (READ_CHANNEL_ACTIONS.has(a)) return single(workspaceOfChannel(message.ch));
  return [];
}

function single(ws: string | null): string[] {
  return ws === null ? [] : [ws];
}

const FORBIDDEN = () =>
  new TandemError(ErrorCode.Forbidden, 'You do not have access to this workspace (or it does not exist).').toShareDB();
const READ_ONLY = () => new TandemError(ErrorCode.Forbidden, 'This workspace is read-only for you.').toShareDB();
const NOT_DRIVER = () =>
  new TandemError(ErrorCode.Forbidden, 'Strict pair mode: only the driver types. Swap roles to take the keyboard.').toShareDB();

function allows(decision: WorkspaceDecision, need: Access): boolean {
  return need === 'read' ? decision.access !== 'none' : decision.access === 'write';
}

/**
 * Access control on every ShareDB path (docs/permissions.md, WS-*): fetch, subscribe and
 * snapshot-at-version (`receive` + `readSnapshots`), ops in (`submit`), ops out to subscribers and
 * history (`op`), presence in and out. The server's own connections are trusted.
 */
export function installCollabAccess(backend: ShareDB, policy: AccessPolicy, logger: Logger): void {
  const clientOf = (agent: unknown): ClientIdentity | null => {
    const identity = identityOf(agent as never);
    return identity.kind === 'client' ? identity : null;
  };

  const decide = (client: ClientIdentity, workspaceId: string) => policy.workspace(client.user, workspaceId);

  backend.use('receive', (ctx: any, next: Next) => {
    const client = clientOf(ctx.agent);
    if (!client) return next();
    const workspaces = workspacesReadBy(ctx.data as Record<string, unknown>);
    if (workspaces.length === 0) return next();
    Promise.all(workspaces.map((w) => decide(client, w))).then(
      (decisions) => next(decisions.every((d) => allows(d, 'read')) ? undefined : FORBIDDEN()),
      (err: unknown) => next(err),
    );
  });

  backend.use('readSnapshots', (ctx: any, next: Next) => {
    const client = clientOf(ctx.agent);
    if (!client) return next();
    const snapshots = ctx.snapshots as Array<{ id: string }>;
    Promise.all(
      snapshots.map(async (snapshot) => {
        const ws = workspaceOfDoc(ctx.collection, snapshot.id);
        const ok = ws !== null && allows(await decide(client, ws), 'read');
        if (!ok) ctx.rejectSnapshotRead(snapshot, FORBIDDEN());
      }),
    ).then(
      () => next(),
      (err: unknown) => next(err),
    );
  });

  backend.use('submit', (ctx: any, next: Next) => {
    const client = clientOf(ctx.agent);
    if (!client) return next();
    const ws = workspaceOfDoc(ctx.collection, ctx.id);
    if (ws === null) return next(FORBIDDEN());
    decide(client, ws).then(
      (d) => {
        if (d.access === 'none') return next(FORBIDDEN());
        if (d.access === 'read') return next(READ_ONLY());
        if (d.strictNavigator) return next(NOT_DRIVER());
        next();
      },
      (err: unknown) => next(err),
    );
  });

  /** Read check for the fan-out paths: a cached decision answers synchronously. */
  const checkRead = (ctx: any, ws: string | null, next: Next) => {
    const client = clientOf(ctx.agent);
    if (!client) return next();
    if (ws === null) return next(FORBIDDEN());
    const hit = policy.cached(client.user.id, ws);
    if (hit) return next(allows(hit, 'read') ? undefined : FORBIDDEN());
    decide(client, ws).then(
      (d) => next(allows(d, 'read') ? undefined : FORBIDDEN()),
      (err: unknown) => {
        logger.warn({ err }, 'access check failed');
        next(err);
      },
    );
  };

  // Ops fanned out to subscribers and ops read as history. The cache makes this a map lookup.
  backend.use('op', (ctx: any, next: Next) => checkRead(ctx, workspaceOfDoc(ctx.collection, ctx.id), next));

  backend.use('receivePresence', (ctx: any, next: Next) => {
    const client = clientOf(ctx.agent);
    if (!client) return next();
    const ws = workspaceOfChannel(ctx.presence?.ch);
    if (ws === null) return next(FORBIDDEN());
    decide(client, ws).then(
      (d) => next(allows(d, 'read') ? undefined : FORBIDDEN()),
      (err: unknown) => next(err),
    );
  });

  backend.use('sendPresence', (ctx: any, next: Next) => checkRead(ctx, workspaceOfChannel(ctx.presence?.ch), next));
}
