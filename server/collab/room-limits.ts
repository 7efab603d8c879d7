import type ShareDB from 'sharedb';
import type Agent from 'sharedb/lib/agent';
import { ROOM_QUEUED_OPS_PER_SOCKET } from '../../lib/limits';
import { COLLECTIONS, ErrorCode } from '../../lib/protocol';
import { workspaceOfChannel, workspaceOfDoc, workspacesReadBy } from '../authz/collab-access';
import { TandemError } from '../errors';
import type { Logger } from '../logger';
import { identityOf } from './agent-identity';
import { TokenBucket } from './token-bucket';

/**
 * A member admitted to a room counts for this long even before its subscription has landed in
 * ShareDB (a subscribe is asynchronous: access check, snapshot fetch), so a tab that is joining
 * cannot be pruned and replaced by another one in the meantime.
 */
const JOIN_GRACE_MS = 10_000;
/** How often rooms that went idle (no members, nothing queued, bucket full) are forgotten. */
const SWEEP_INTERVAL_MS = 30_000;
/** A room that keeps hitting a limit is reported (logged) at most this often per limit. */
const REPORT_INTERVAL_MS = 60_000;

export interface RoomLimitsOptions<M extends object> {
  /** Distinct members (sockets) a room admits (P-LIM-5). */
  maxEditors: number;
  /** Sustained submits per second a room's docs accept before further ones wait (P-LIM-6). */
  opsPerSecond: number;
  /** Submits a room that has been quiet may make at once (a paste, a reconnect's resends). */
  burst: number;
  /** Submits a room may have waiting; beyond that they are refused (P-LIM-7). */
  maxQueued: number;
  /** Of those, how many one member may have waiting, so one misbehaving socket cannot fill its room's queue. */
  maxQueuedPerMember: number;
  /** Whether `member` still belongs to `roomId` (it has a subscription there). */
  isMemberOf(member: M, roomId: string): boolean;
  /** Whether `member` is gone for good (its socket closed): its place is freed at once, grace or not. */
  isGone(member: M): boolean;
  /** Called when a room starts making submits wait, at most once a minute per room. */
  onThrottled?(roomId: string, queued: number): void;
  /** Called when a room refuses a member, at most once a minute per room. */
  onFull?(roomId: string): void;
  /** Milliseconds, monotonic. */
  now?: () => number;
}

/** What happened to a submit: it may go on now, it will be released later, or it is refused. */
export type SubmitAdmission = 'now' | 'queued' | 'refused';

/** Counters since start, for tests, the bench and operators. */
export interface RoomLimitsStats {
  /** Rooms currently tracked (someone subscribed recently, or submits are waiting). */
  rooms: number;
  /** Submits waiting right now, over all rooms. */
  queued: number;
  /** Submits that had to wait for their room's budget. */
  delayed: number;
  /** Submits refused because their room's (or their socket's) queue was full. */
  refused: number;
  /** Subscriptions refused because the room was full. */
  roomFull: number;
}

interface Waiting<M> {
  member: M;
  release: () => void;
}

interface Room<M> {
  id: string;
  bucket: TokenBucket;
  queue: Array<Waiting<M>>;
  queuedBy: Map<M, number>;
  /** Member → when it was (last) admitted. */
  members: Map<M, number>;
  throttleReportedAt: number;
  fullReportedAt: number;
}

/**
 * Per-room limits (issue 6 §2): a room is one workspace, with all its file docs and presence
 * channels. It admits at most `maxEditors` sockets, and its submits share one token bucket.
 *
 * Over budget, a submit is **delayed, not refused**: ShareDB's client keeps at most one op in
 * flight per doc and composes everything typed meanwhile into its pending op, so holding back the
 * server's acknowledgement slows the room's commits without losing a keystroke. A refused op, in
 * contrast, is rolled back by the client (`Doc._rollback`); text-unicode ops with `{d: n}` deletes
 * cannot be inverted, so that becomes a hard rollback which refetches the doc and discards every
 * pending op too. Refusal is therefore kept for the hard cap only (`maxQueued`,
 * `maxQueuedPerMember`), which a client following ShareDB's one-op-in-flight rule does not reach.
 *
 * Waiting submits are released round-robin across rooms, one per room per turn of the event loop,
 * so a hot room's backlog neither jumps ahead of other rooms nor runs as one long synchronous
 * burst; a room under its budget never waits at all.
 */
export class RoomLimits<M extends object> {
  private readonly rooms = new Map<string, Room<M>>();
  /** Rooms with waiting submits, in the order they are served next (round-robin). */
  private readonly backlog = new Set<Room<M>>();
  private readonly now: () => number;
  private pumpTimer: NodeJS.Timeout | null = null;
  private pumpDueAt = Infinity;
  private pumpImmediate: NodeJS.Immediate | null = null;
  private readonly sweepTimer: NodeJS.Timeout;
  private closed = false;
  private readonly counters = { delayed: 0, refused: 0, roomFull: 0 };

  constructor(private readonly options: RoomLimitsOptions<M>) {
    if (!(options.maxEditors >= 1 && options.opsPerSecond > 0 && options.burst >= 1 && options.maxQueued >= 0 && options.maxQueuedPerMember >= 0)) {
      throw new RangeError('room limits must be positive');
    }
    this.now = options.now ?? (() => performance.now());
    this.sweepTimer = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
  }

  get maxEditors(): number {
    return this.options.maxEditors;
  }

  /**
   * Admit `member` to `roomId` (P-LIM-5). True if it is, or already was, a member; false when
   * the room already has `maxEditors` members that are still there.
   */
  join(roomId: string, member: M): boolean {
    if (this.closed) return true;
    const room = this.room(roomId);
    const now = this.now();
    if (!room.members.has(member) && room.members.size >= this.options.maxEditors) {
      this.prune(room, now);
      if (room.members.size >= this.options.maxEditors) {
        this.counters.roomFull++;
        if (this.options.onFull && now - room.fullReportedAt >= REPORT_INTERVAL_MS) {
          room.fullReportedAt = now;
          this.options.onFull(room.id);
        }
        return false;
      }
    }
    room.members.set(member, now);
    return true;
  }

  /** Members of `roomId` right now (members that left are dropped first). */
  members(roomId: string): number {
    const room = this.rooms.get(roomId);
    if (!room) return 0;
    this.prune(room, this.now());
    return room.members.size;
  }

  /**
   * Account one submit to `roomId` (P-LIM-6, P-LIM-7). `now`: go on; `queued`: `release` will be
   * called once the room's budget allows (or at `close()`); `refused`: the queue is full.
   */
  admitSubmit(roomId: string, member: M, release: () => void): SubmitAdmission {
    if (this.closed) return 'now';
    const room = this.room(roomId);
    const now = this.now();
    // Waiting submits go first: a new one never overtakes the room's queue.
    if (room.queue.length === 0 && room.bucket.tryTake(now)) return 'now';
    const mine = room.queuedBy.get(member) ?? 0;
    if (room.queue.length >= this.options.maxQueued || mine >= this.options.maxQueuedPerMember) {
      this.counters.refused++;
      return 'refused';
    }
    room.queue.push({ member, release });
    room.queuedBy.set(member, mine + 1);
    this.counters.delayed++;
    if (room.queue.length === 1) {
      this.backlog.add(room);
      if (this.options.onThrottled && now - room.throttleReportedAt >= REPORT_INTERVAL_MS) {
        room.throttleReportedAt = now;
        this.options.onThrottled(room.id, room.queue.length);
      }
    }
    this.schedulePump(room.bucket.msUntilToken(now));
    return 'queued';
  }

  stats(): RoomLimitsStats {
    let queued = 0;
    for (const room of this.backlog) queued += room.queue.length;
    return { rooms: this.rooms.size, queued, ...this.counters };
  }

  /** Release every waiting submit (shutdown: let them reach the store) and stop limiting. */
  close(): void {
    this.closed = true;
    clearInterval(this.sweepTimer);
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    if (this.pumpImmediate) clearImmediate(this.pumpImmediate);
    this.pumpTimer = null;
    this.pumpImmediate = null;
    const rooms = [...this.backlog];
    this.backlog.clear();
    for (const room of rooms) {
      for (const waiting of room.queue.splice(0)) this.release(waiting);
      room.queuedBy.clear();
    }
    this.rooms.clear();
  }

  /**
   * One turn: release at most one waiting submit per room that has a token, in round-robin order,
   * then yield to the event loop (I/O of every other room runs in between) and come back when the
   * next token is due.
   */
  private pump(): void {
    this.pumpTimer = null;
    this.pumpImmediate = null;
    this.pumpDueAt = Infinity;
    if (this.closed) return;
    const now = this.now();
    let nextInMs = Infinity;
    for (const room of [...this.backlog]) {
      if (room.bucket.tryTake(now)) {
        const waiting = room.queue.shift()!;
        const left = (room.queuedBy.get(waiting.member) ?? 1) - 1;
        if (left > 0) room.queuedBy.set(waiting.member, left);
        else room.queuedBy.delete(waiting.member);
        // Served: to the back of the line.
        this.backlog.delete(room);
        if (room.queue.length > 0) this.backlog.add(room);
        this.release(waiting);
      }
      if (room.queue.length > 0) nextInMs = Math.min(nextInMs, room.bucket.msUntilToken(now));
    }
    if (nextInMs !== Infinity) this.schedulePump(nextInMs);
  }

  private schedulePump(inMs: number): void {
    if (this.closed || this.pumpImmediate) return;
    const dueAt = this.now() + inMs;
    if (this.pumpTimer) {
      if (dueAt >= this.pumpDueAt) return;
      clearTimeout(this.pumpTimer);
      this.pumpTimer = null;
    }
    this.pumpDueAt = dueAt;
    if (inMs <= 0) this.pumpImmediate = setImmediate(() => this.pump());
    else this.pumpTimer = setTimeout(() => this.pump(), Math.ceil(inMs));
  }

  private release(waiting: Waiting<M>): void {
    try {
      waiting.release();
    } catch {
      // A release is ShareDB's `next()`; its errors belong to that submit, not to the pump.
    }
  }

  private room(roomId: string): Room<M> {
    let room = this.rooms.get(roomId);
    if (!room) {
      room = {
        id: roomId,
        bucket: new TokenBucket(this.options.opsPerSecond, this.options.burst, this.now()),
        queue: [],
        queuedBy: new Map(),
        members: new Map(),
        throttleReportedAt: -Infinity,
        fullReportedAt: -Infinity,
      };
      this.rooms.set(roomId, room);
    }
    return room;
  }

  private prune(room: Room<M>, now: number): void {
    for (const [member, joinedAt] of room.members) {
      const left = this.options.isGone(member) || (now - joinedAt >= JOIN_GRACE_MS && !this.options.isMemberOf(member, room.id));
      if (left) room.members.delete(member);
    }
  }

  /** Forget rooms nobody is in and whose budget has recovered; they are recreated on demand. */
  private sweep(): void {
    const now = this.now();
    for (const room of this.rooms.values()) {
      this.prune(room, now);
      if (room.members.size === 0 && room.queue.length === 0 && room.bucket.isFull(now)) this.rooms.delete(room.id);
    }
  }
}

/** Actions by which a socket enters a room: doc subscribe, bulk subscribe, presence subscribe. */
const JOIN_ACTIONS = new Set(['s', 'bs', 'ps']);

type Next = (err?: unknown) => void;

/** The configurable part of the room limits (server/config.ts). */
export interface RoomLimitsConfig {
  maxEditors: number;
  opsPerSecond: number;
  maxQueued: number;
}

/**
 * Wire room limits into ShareDB and return them (call `close()` at shutdown). Install after the
 * access checks (server/authz/collab-access.ts), so that only sockets allowed into a room count
 * toward it and only authorised ops spend its budget: an outsider cannot fill a room or use up
 * its ops. The server's own connections are not limited.
 */
export function installRoomLimits(backend: ShareDB, config: RoomLimitsConfig, logger: Logger): RoomLimits<Agent> {
  const limits = new RoomLimits<Agent>({
    ...config,
    // One second's worth: a room that was quiet absorbs a paste storm or a reconnect's resends.
    burst: config.opsPerSecond,
    maxQueuedPerMember: ROOM_QUEUED_OPS_PER_SOCKET,
    isMemberOf: agentIsInRoom,
    isGone: (agent) => (agent as unknown as { closed: boolean }).closed,
    onThrottled: (workspace, queued) =>
      logger.info({ workspace, queued, opsPerSecond: config.opsPerSecond }, 'room over its op budget: its ops wait their turn'),
    onFull: (workspace) => logger.info({ workspace, maxEditors: config.maxEditors }, 'room full: subscriptions refused'),
  });
  backend.use('receive', (ctx: any, next: Next) => {
    const data = ctx.data as Record<string, unknown>;
    if (!JOIN_ACTIONS.has(data.a as string) || identityOf(ctx.agent).kind === 'server') return next();
    for (const roomId of workspacesReadBy(data)) {
      if (!limits.join(roomId, ctx.agent as Agent)) return next(roomFull(limits.maxEditors));
    }
    next();
  });

  backend.use('submit', (ctx: any, next: Next) => {
    if (identityOf(ctx.agent).kind === 'server') return next();
    const roomId = workspaceOfDoc(ctx.collection, ctx.id);
    // No room: the access check has refused it already.
    if (roomId === null) return next();
    const admission = limits.admitSubmit(roomId, ctx.agent as Agent, () => {
      releasedAt.set(ctx as object, Date.now());
      next();
    });
    if (admission === 'now') next();
    else if (admission === 'refused') next(roomBusy());
  });
  return limits;
}

const releasedAt = new WeakMap<object, number>();

/**
 * When a submit that waited for its room's budget (P-LIM-6) was let through, in `Date.now()`
 * milliseconds; undefined if it never waited. That wait is on purpose, so health signals that
 * time the server (submit → commit) start from here, not from the submit's arrival: one
 * throttled room must not look like an overloaded process.
 */
export function roomWaitEndedAt(submitRequest: object): number | undefined {
  return releasedAt.get(submitRequest);
}

/** Whether a ShareDB agent still has a doc or presence subscription in `roomId`. */
export function agentIsInRoom(agent: Agent, roomId: string): boolean {
  const a = agent as unknown as {
    closed: boolean;
    subscribedDocs: Record<string, Record<string, unknown> | undefined>;
    subscribedPresences: Record<string, unknown>;
  };
  if (a.closed) return false;
  if (a.subscribedDocs[COLLECTIONS.workspaces]?.[roomId]) return true;
  const files = a.subscribedDocs[COLLECTIONS.files];
  const prefix = `${roomId}:`;
  if (files) for (const id in files) if (id.startsWith(prefix)) return true;
  for (const channel in a.subscribedPresences) if (workspaceOfChannel(channel) === roomId) return true;
  return false;
}

function roomFull(maxEditors: number): { code: string; message: string } {
  return new TandemError(
    ErrorCode.RoomFull,
    `This workspace is open in the most tabs it allows (${maxEditors}). Close it somewhere else, or try again later.`,
  ).toShareDB();
}

function roomBusy(): { code: string; message: string } {
  return new TandemError(
    ErrorCode.RateLimited,
    'This workspace is receiving more edits than the server accepts; this one was not saved. Slow down and try again.',
  ).toShareDB();
}
