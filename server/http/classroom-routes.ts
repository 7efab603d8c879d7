import express from 'express';
import { z } from 'zod';
import { ErrorCode, ID_PATTERN } from '../../lib/protocol';
import { TandemError } from '../errors';
import { MAX_FILES_PER_WORKSPACE, MAX_FILE_BYTES, MAX_FILE_NAME_LENGTH } from '../../lib/limits';
import type { Assignment, ClassRecord, ClassroomStore, Group } from '../../prisma-free-db';
import { requireAuth } from '../auth/session-cookie';
import type { ClassroomService } from '../classroom/classroom-service';
import type { ActivityFeed } from '../classroom/activity-feed';
import { renderInstructions } from '../classroom/markdown';
import { handle, limit, param, parse } from './http-helpers';
import type { RateLimiterFactory } from './rate-limits';

const Name = z.string().trim().min(1).max(120);
const Id = z.string().regex(ID_PATTERN);
const StarterFile = z.strictObject({
  name: z.string().min(1).max(MAX_FILE_NAME_LENGTH * 2),
  content: z.string().max(MAX_FILE_BYTES),
});
const MAX_INSTRUCTIONS = 100_000;

const AssignmentFields = {
  title: Name,
  instructions: z.string().max(MAX_INSTRUCTIONS),
  language: z.string().trim().min(1).max(40),
  starterFiles: z.array(StarterFile).max(MAX_FILES_PER_WORKSPACE),
  deadline: z.number().int().min(0).max(8.64e15).nullable(),
  mode: z.enum(['pairs', 'solo']),
  pairing: z.enum(['manual', 'random', 'choice']),
  strictRoles: z.boolean(),
  swapMinutes: z.number().int().min(1).max(600).nullable(),
};
const CreateAssignment = z.strictObject({
  ...AssignmentFields,
  instructions: AssignmentFields.instructions.default(''),
  language: AssignmentFields.language.default('python'),
  starterFiles: AssignmentFields.starterFiles.default([]),
  deadline: AssignmentFields.deadline.default(null),
  mode: AssignmentFields.mode.default('pairs'),
  pairing: AssignmentFields.pairing.default('manual'),
  strictRoles: AssignmentFields.strictRoles.default(false),
  swapMinutes: AssignmentFields.swapMinutes.default(null),
});
const PatchAssignment = z.strictObject({
  title: AssignmentFields.title.optional(),
  instructions: AssignmentFields.instructions.optional(),
  language: AssignmentFields.language.optional(),
  starterFiles: AssignmentFields.starterFiles.optional(),
  deadline: AssignmentFields.deadline.optional(),
  mode: AssignmentFields.mode.optional(),
  pairing: AssignmentFields.pairing.optional(),
  strictRoles: AssignmentFields.strictRoles.optional(),
  swapMinutes: AssignmentFields.swapMinutes.optional(),
  published: z.boolean().optional(),
});

export interface ClassroomRoutesOptions {
  classrooms: ClassroomService;
  store: ClassroomStore;
  activity: ActivityFeed;
  /** Shared between processes when they share Redis (rate-limits.ts). */
  rateLimiter: RateLimiterFactory;
}

/** Classes, rosters, assignments, pairing, live view and help queue (docs/permissions.md). */
export function classroomRoutes(options: ClassroomRoutesOptions): express.Router {
  const { classrooms, store, activity } = options;
  const router = express.Router();
  // Join codes are not secrets to their class, but guessing them must stay slow (CL-2).
  const previewLimiter = options.rateLimiter('join-preview', 120, 60);

  router.post(
    '/classes',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      const body = parse(z.strictObject({ name: Name }), req.body);
      res.status(201).json(classView(await classrooms.createClass(user, body.name), 'teacher'));
    }),
  );

  router.get(
    '/classes/:id',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      const { klass, role } = await classrooms.classFor(user, param(req, 'id'));
      res.json(classView(klass, role ?? (user.role === 'admin' ? 'teacher' : null)));
    }),
  );

  router.patch(
    '/classes/:id',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      const body = parse(z.strictObject({ name: Name.optional(), archived: z.boolean().optional() }), req.body);
      res.json(classView(await classrooms.updateClass(user, param(req, 'id'), body), 'teacher'));
    }),
  );

  router.post(
    '/classes/:id/join-code',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.json(classView(await classrooms.rotateJoinCode(user, param(req, 'id')), 'teacher'));
    }),
  );

  /** The class name behind a join link, so the sign-up page can say what you are joining. */
  router.get(
    '/join/:code',
    handle(async (req, res) => {
      await limit(previewLimiter, req.ip ?? 'unknown');
      const code = z.string().regex(/^[A-Za-z0-9]{4,16}$/).safeParse(req.params.code);
      const klass = code.success ? await store.getClassByJoinCode(code.data.toUpperCase()) : null;
      if (!klass || klass.archivedAt !== null) throw new TandemError(ErrorCode.NotFound, 'No open class has that join code.');
      res.json({ name: klass.name });
    }),
  );

  router.post(
    '/join',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      const body = parse(z.strictObject({ code: z.string().trim().min(4).max(16) }), req.body);
      const { klass, membership } = await classrooms.joinByCode(user, body.code);
      res.json({ classId: klass.id, name: klass.name, role: membership.role });
    }),
  );

  router.get(
    '/classes/:id/members',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.json({ members: await classrooms.listMembers(user, param(req, 'id')) });
    }),
  );

  router.patch(
    '/classes/:id/members/:userId',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      const body = parse(z.strictObject({ role: z.enum(['teacher', 'ta', 'student']) }), req.body);
      res.json(await classrooms.setMemberRole(user, param(req, 'id'), param(req, 'userId'), body.role));
    }),
  );

  router.delete(
    '/classes/:id/members/:userId',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      await classrooms.removeMember(user, param(req, 'id'), param(req, 'userId'));
      res.status(204).end();
    }),
  );

  router.put(
    '/classes/:id/broadcast',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      const body = parse(z.strictObject({ workspaceId: Id.nullable() }), req.body);
      const klass = await classrooms.setBroadcast(user, param(req, 'id'), body.workspaceId);
      res.json({ broadcastWorkspaceId: klass.broadcastWorkspaceId });
    }),
  );

  // ── assignments ─────────────────────────────────────────────────────────────────────────
  router.post(
    '/classes/:id/assignments',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      const body = parse(CreateAssignment, req.body);
      res.status(201).json(assignmentView(await classrooms.createAssignment(user, param(req, 'id'), body), true));
    }),
  );

  router.get(
    '/classes/:id/assignments',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      const classId = param(req, 'id');
      const { role } = await classrooms.classFor(user, classId);
      const staff = role === 'teacher' || role === 'ta' || user.role === 'admin';
      const list = await classrooms.listAssignments(user, classId);
      res.json({ assignments: list.map((a) => ({ ...summary(a), starterFileCount: a.starterFiles.length, staff })) });
    }),
  );

  router.get(
    '/assignments/:id',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      const { assignment, role } = await classrooms.assignmentFor(user, param(req, 'id'));
      const staff = role === 'teacher' || role === 'ta' || user.role === 'admin';
      const group = role === 'student' ? await store.getGroupOfUser(assignment.id, user.id) : null;
      res.json({ ...assignmentView(assignment, staff), myRole: role, group: group ? await groupView(store, group) : null });
    }),
  );

  router.patch(
    '/assignments/:id',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      const body = parse(PatchAssignment, req.body);
      res.json(assignmentView(await classrooms.updateAssignment(user, param(req, 'id'), body), true));
    }),
  );

  router.get(
    '/assignments/:id/groups',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      const groups = await classrooms.listGroups(user, param(req, 'id'));
      res.json({ groups: await Promise.all(groups.map((g) => groupView(store, g))) });
    }),
  );

  router.put(
    '/assignments/:id/groups',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      const body = parse(z.strictObject({ groups: z.array(z.array(Id).min(1).max(3)).max(1000) }), req.body);
      const groups = await classrooms.pairManually(user, param(req, 'id'), body.groups);
      res.json({ groups: await Promise.all(groups.map((g) => groupView(store, g))) });
    }),
  );

  router.post(
    '/assignments/:id/groups/random',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      const groups = await classrooms.pairRandomly(user, param(req, 'id'));
      res.json({ groups: await Promise.all(groups.map((g) => groupView(store, g))) });
    }),
  );

  router.post(
    '/assignments/:id/partner',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      const body = parse(z.strictObject({ userId: Id }), req.body);
      res.status(201).json(await groupView(store, await classrooms.pickPartner(user, param(req, 'id'), body.userId)));
    }),
  );

  router.post(
    '/assignments/:id/open',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      const { workspaceId, group } = await classrooms.openAssignment(user, param(req, 'id'));
      res.json({ workspaceId, group: await groupView(store, group) });
    }),
  );

  router.post(
    '/groups/:id/swap',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      const body = parse(z.strictObject({ ifRolesChangedAt: z.number().int().min(0).optional() }), req.body ?? {});
      res.json(await groupView(store, await classrooms.swapRoles(user, param(req, 'id'), body.ifRolesChangedAt)));
    }),
  );

  /** LV-1: every group of an assignment with its live activity, for the teacher's grid. */
  router.get(
    '/assignments/:id/activity',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      const { assignment } = await classrooms.assignmentFor(user, param(req, 'id'));
      await classrooms.requireStaff(user, assignment.classId);
      const groups = await store.listGroups(assignment.id);
      const live = await activity.snapshots(groups.flatMap((g) => (g.workspaceId ? [g.workspaceId] : [])));
      res.json({
        now: Date.now(),
        groups: await Promise.all(
          groups.map(async (g) => ({
            ...(await groupView(store, g)),
            activity: g.workspaceId ? (live.get(g.workspaceId) ?? null) : null,
          })),
        ),
      });
    }),
  );

  // ── help queue ──────────────────────────────────────────────────────────────────────────
  router.post(
    '/classes/:id/help',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      const body = parse(z.strictObject({ note: z.string().max(500).default(''), workspaceId: Id.nullable().default(null) }), req.body ?? {});
      const request = await classrooms.raiseHand(user, param(req, 'id'), body.note, body.workspaceId);
      res.status(201).json(request);
    }),
  );

  router.get(
    '/classes/:id/help',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.json(await classrooms.helpQueue(user, param(req, 'id')));
    }),
  );

  router.post(
    '/help/:id/resolve',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.json(await classrooms.resolveHelp(user, param(req, 'id')));
    }),
  );

  return router;
}

function classView(klass: ClassRecord, role: string | null) {
  const staff = role === 'teacher' || role === 'ta';
  return {
    id: klass.id,
    name: klass.name,
    role,
    archived: klass.archivedAt !== null,
    createdAt: klass.createdAt,
    broadcastWorkspaceId: klass.broadcastWorkspaceId,
    // CL-2: only staff see (and can share) the join code.
    ...(staff ? { joinCode: klass.joinCode } : {}),
  };
}

function summary(a: Assignment) {
  return {
    id: a.id,
    classId: a.classId,
    title: a.title,
    language: a.language,
    deadline: a.deadline,
    mode: a.mode,
    pairing: a.pairing,
    strictRoles: a.strictRoles,
    swapMinutes: a.swapMinutes,
    published: a.publishedAt !== null,
    createdAt: a.createdAt,
  };
}

function assignmentView(a: Assignment, staff: boolean) {
  return {
    ...summary(a),
    instructions: staff ? a.instructions : undefined,
    instructionsHtml: renderInstructions(a.instructions),
    starterFiles: staff ? a.starterFiles : a.starterFiles.map((f) => ({ name: f.name })),
  };
}

async function groupView(store: ClassroomStore, g: Group) {
  const members = await Promise.all(
    g.members.map(async (m) => {
      const u = await store.getUser(m.userId);
      return { userId: m.userId, role: m.role, displayName: u?.displayName ?? 'Former member' };
    }),
  );
  return { id: g.id, assignmentId: g.assignmentId, workspaceId: g.workspaceId, started: g.startedAt !== null, rolesChangedAt: g.rolesChangedAt, members };
}
