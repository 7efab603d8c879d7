import type { Server as IoServer, Socket } from 'socket.io';
import { z } from 'zod';
import { APP_EVENTS, APP_PUSH, CloseReason, ID_PATTERN } from '../../lib/protocol';

export { APP_EVENTS, APP_PUSH };
import type { ClassroomStore } from '../../prisma-free-db';
import type { AuthContext, AuthService } from '../auth/auth-service';
import type { AccessPolicy } from '../authz/access-policy';
import type { ActivityTracker } from '../classroom/activity-tracker';
import type { ActivityFeed } from '../classroom/activity-feed';
import type { ClassroomService } from '../classroom/classroom-service';
import type { ReviewService } from '../review/review-service';
import type { AiReviewService } from '../ai/ai-review-service';
import type { TestService } from '../grading/test-service';
import type { Logger } from '../logger';
import { closeWithNotice } from './socket-gate';
import { SessionExpiry } from './session-expiry';
import { TokenBucket } from '../collab/token-bucket';
import { RUN_LANGUAGES, type RunBroadcastPush } from '../../lib/run/run-types';

const IdPayload = z.strictObject({ id: z.string().regex(ID_PATTERN) });

/** P-RUN-1: one event of a shared run. Output arrives in chunks the runner batches (≤ 8 KB). */
const RUN_CHUNK_CHARS = 8192;
const RunId = z.string().regex(/^[A-Za-z0-9_-]{6,64}$/);
const RunEventPayload = z.strictObject({
  workspaceId: z.string().regex(ID_PATTERN),
  event: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('start'), runId: RunId, file: z.string().min(1).max(300), language: z.enum(RUN_LANGUAGES) }),
    z.strictObject({ kind: z.literal('output'), runId: RunId, stream: z.enum(['stdout', 'stderr', 'stdin']), text: z.string().max(RUN_CHUNK_CHARS) }),
    z.strictObject({
      kind: z.literal('end'),
      runId: RunId,
      outcome: z.enum(['ok', 'error', 'stopped', 'timeout', 'truncated']),
      message: z.string().max(2000).nullable(),
    }),
  ]),
});
/** Run events per socket: a chatty program batched every 50 ms stays well inside this. */
const RUN_EVENTS_PER_SECOND = 40;
const RUN_EVENTS_BURST = 200;

type Ack = (reply: { ok: true } | { ok: false; error: string }) => void;

export interface AppEventsOptions {
  io: IoServer;
  store: ClassroomStore;
  auth: AuthService;
  policy: AccessPolicy;
  classrooms: ClassroomService;
  reviews: ReviewService;
  aiReviews: AiReviewService;
  tests: TestService;
  /** Who has a workspace open through this process: told here. */
  activity: ActivityTracker;
  /** What the teacher's grid is pushed (merged over processes when there are several). */
  activityFeed: ActivityFeed;
  logger: Logger;
}

const rooms = {
  user: (id: string) => `user:${id}`,
  session: (hash: string) => `session:${hash}`,
  klass: (id: string) => `class:${id}`,
  staff: (id: string) => `staff:${id}`,
  workspace: (id: string) => `ws:${id}`,
};

/** What a socket that entered a workspace carries (an idle socket has none). */
interface SocketState {
  /** Workspaces entered and not left: the activity tracker is told when the socket goes. */
  entered: Set<string>;
  /** P-RUN-1 rate limit, made on the first run event. */
  runBucket: TokenBucket | null;
}

function authOf(socket: Socket): AuthContext {
  return socket.data.auth as AuthContext;
}

/** One listener for every socket: Socket.io calls it with the socket as `this`. */
function onEverySocket(fn: (socket: Socket, ...args: unknown[]) => void): (this: Socket, ...args: unknown[]) => void {
  return function (this: Socket, ...args: unknown[]) {
    fn(this, ...args);
  };
}

/** The listener of an `{id}` request with an ack. */
function idRequest(fn: (socket: Socket, id: string) => Promise<void>): (this: Socket, ...args: unknown[]) => void {
  return onEverySocket((socket, payload, ack) => {
    const reply: Ack = typeof ack === 'function' ? (ack as Ack) : () => {};
    const parsed = IdPayload.safeParse(payload);
    if (!parsed.success) return reply({ ok: false, error: 'Payload must be {id} with a valid id.' });
    fn(socket, parsed.data.id).then(
      () => reply({ ok: true }),
      (err: unknown) => reply({ ok: false, error: err instanceof Error ? err.message : 'failed' }),
    );
  });
}

/**
 * App events on the same Socket.io connection as ShareDB: live class updates, the teacher grid,
 * pair roles, and closing sockets whose session or access ended (AU-4, CL-6). Every payload is
 * validated; every room join is an access check.
 */
export class AppEvents {
  /** Per-socket state, made when a socket first enters a workspace. */
  private readonly states = new WeakMap<Socket, SocketState>();
  private readonly expiry: SessionExpiry<Socket>;
  /** The listeners every socket gets; `this` is the socket. */
  private readonly listeners: ReadonlyArray<readonly [event: string, listener: (this: Socket, ...args: unknown[]) => void]>;
  /** Added with a socket's state: only a socket that entered a workspace has anything to undo. */
  private readonly onDisconnect = onEverySocket((socket) => this.detach(socket));

  constructor(private readonly o: AppEventsOptions) {
    const { auth, classrooms, reviews, aiReviews, tests, activityFeed, io, store, logger } = o;
    aiReviews.on('changed', (workspaceId, classId) => {
      io.to(rooms.workspace(workspaceId)).to(rooms.staff(classId)).emit(APP_PUSH.aiReviewChanged, { workspaceId });
    });
    tests.on('changed', (workspaceId, classId) => {
      io.to(rooms.workspace(workspaceId)).to(rooms.staff(classId)).emit(APP_PUSH.testResultsChanged, { workspaceId });
    });
    reviews.on('feedbackReleased', (workspaceId) => io.to(rooms.workspace(workspaceId)).emit(APP_PUSH.feedbackChanged, { workspaceId }));
    reviews.on('submitted', (classId, assignmentId) => io.to(rooms.staff(classId)).emit(APP_PUSH.submissionsChanged, { classId, assignmentId }));
    auth.on('sessionsEnded', (hashes, reason) => {
      for (const h of hashes) {
        void this.closeRoom(
          rooms.session(h),
          reason === 'signed-out' ? CloseReason.SignedOut : CloseReason.AccessChanged,
          reason === 'signed-out' ? 'You signed out.' : 'Your sign-in ended. Sign in again.',
          null,
        );
      }
    });
    classrooms.on('accessRevoked', (userId) => {
      // Reconnect at once: the new connection only gets what the user may still see.
      void this.closeRoom(rooms.user(userId), CloseReason.AccessChanged, 'Your access changed; reconnecting.', 200);
    });
    classrooms.on('classChanged', (classId, what) => io.to(rooms.klass(classId)).emit(APP_PUSH.classChanged, { classId, what }));
    classrooms.on('helpChanged', (classId) => io.to(rooms.klass(classId)).emit(APP_PUSH.helpChanged, { classId }));
    classrooms.on('rolesChanged', (group) => {
      const workspaceId = group.workspaceId;
      if (!workspaceId) return;
      void Promise.all(
        group.members.map(async (m) => ({ ...m, displayName: (await store.getUser(m.userId))?.displayName ?? 'Former member' })),
      ).then(
        (members) => io.to(rooms.workspace(workspaceId)).emit(APP_PUSH.rolesChanged, { groupId: group.id, members, rolesChangedAt: group.rolesChangedAt }),
        (err: unknown) => logger.warn({ err }, 'roles push failed'),
      );
    });
    activityFeed.on('changed', (a) => {
      void (async () => {
        const group = await store.getGroupByWorkspace(a.workspaceId);
        if (!group) return;
        const assignment = await store.getAssignment(group.assignmentId);
        if (!assignment) return;
        io.to(rooms.staff(assignment.classId)).emit(APP_PUSH.activity, { assignmentId: assignment.id, groupId: group.id, activity: a });
      })().catch((err: unknown) => logger.warn({ err }, 'activity push failed'));
    });
    this.expiry = new SessionExpiry<Socket>({
      sockets: () => io.of('/').sockets.values(),
      expiresAt: (socket) => authOf(socket).expiresAt,
      expire: (socket) => closeWithNotice(socket, { reason: CloseReason.SessionExpired, message: 'Your sign-in expired. Sign in again.' }),
    });
    this.listeners = [
      [APP_EVENTS.watchClass, idRequest((socket, classId) => this.watchClass(socket, classId))],
      [APP_EVENTS.enterWorkspace, idRequest((socket, workspaceId) => this.enterWorkspace(socket, workspaceId))],
      [APP_EVENTS.runEvent, onEverySocket((socket, payload, ack) => this.runEvent(socket, payload, ack))],
      [APP_EVENTS.leaveWorkspace, idRequest((socket, workspaceId) => this.leaveWorkspace(socket, workspaceId))],
    ];
  }

  /**
   * Wire one authenticated socket; `socket.data.auth` holds its AuthContext (set by the handshake).
   * The listeners are shared by every socket (`this` is the socket) and per-socket state is made
   * on first use, so an idle socket costs no closures, timer or buckets here.
   */
  attach(socket: Socket): void {
    const ctx = authOf(socket);
    void socket.join([rooms.user(ctx.user.id), rooms.session(ctx.tokenHash)]);
    // AU-4: a socket does not outlive its session.
    this.expiry.track(ctx.expiresAt);
    for (const [event, listener] of this.listeners) socket.on(event, listener);
  }

  /** Stop the session-expiry timer (shutdown). */
  close(): void {
    this.expiry.close();
  }

  private stateOf(socket: Socket): SocketState {
    let state = this.states.get(socket);
    if (!state) {
      state = { entered: new Set(), runBucket: null };
      this.states.set(socket, state);
      socket.on('disconnect', this.onDisconnect);
    }
    return state;
  }

  private detach(socket: Socket): void {
    const state = this.states.get(socket);
    if (!state) return;
    this.states.delete(socket);
    const userId = authOf(socket).user.id;
    for (const ws of state.entered) this.o.activity.left(ws, userId);
  }

  private async watchClass(socket: Socket, classId: string): Promise<void> {
    const { user } = authOf(socket);
    const membership = await this.o.store.getMembership(classId, user.id);
    if (!membership && user.role !== 'admin') throw new Error('Not a member of that class.');
    await socket.join(rooms.klass(classId));
    if (user.role === 'admin' || membership?.role === 'teacher' || membership?.role === 'ta') await socket.join(rooms.staff(classId));
  }

  private async enterWorkspace(socket: Socket, workspaceId: string): Promise<void> {
    const { user } = authOf(socket);
    const d = await this.o.policy.workspace(user, workspaceId);
    if (d.access === 'none') throw new Error('No access to that workspace.');
    await socket.join(rooms.workspace(workspaceId));
    const { entered } = this.stateOf(socket);
    if (!entered.has(workspaceId)) {
      entered.add(workspaceId);
      this.o.activity.entered(workspaceId, user.id);
    }
  }

  private async leaveWorkspace(socket: Socket, workspaceId: string): Promise<void> {
    await socket.leave(rooms.workspace(workspaceId));
    if (this.states.get(socket)?.entered.delete(workspaceId)) this.o.activity.left(workspaceId, authOf(socket).user.id);
  }

  /**
   * P-RUN-1: a run's events go to the rest of the workspace's room; only from a socket that
   * entered the workspace (so it passed the access check), validated and rate-limited.
   */
  private runEvent(socket: Socket, payload: unknown, ack: unknown): void {
    const reply: Ack = typeof ack === 'function' ? (ack as Ack) : () => {};
    const parsed = RunEventPayload.safeParse(payload);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return reply({ ok: false, error: `Invalid run event: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim() });
    }
    const { workspaceId, event } = parsed.data;
    const state = this.states.get(socket);
    if (!state?.entered.has(workspaceId)) return reply({ ok: false, error: 'Enter the workspace first.' });
    state.runBucket ??= new TokenBucket(RUN_EVENTS_PER_SECOND, RUN_EVENTS_BURST, Date.now());
    if (!state.runBucket.tryTake(Date.now())) return reply({ ok: false, error: 'Too many run events; slow down.' });
    const { user } = authOf(socket);
    const push: RunBroadcastPush = { ...event, workspaceId, by: { id: user.id, displayName: user.displayName }, at: Date.now() };
    socket.to(rooms.workspace(workspaceId)).emit(APP_PUSH.runEvent, push);
    reply({ ok: true });
  }

  private async closeRoom(room: string, reason: CloseReason, message: string, retryAfterMs: number | null): Promise<void> {
    const sockets = await this.o.io.in(room).fetchSockets();
    for (const s of sockets) {
      closeWithNotice(s as unknown as Socket, { reason, message, ...(retryAfterMs === null ? {} : { retryAfterMs }) });
    }
    if (sockets.length) this.o.logger.info({ room: room.split(':')[0], sockets: sockets.length, reason }, 'closed sockets');
  }
}
