import express, { type Request } from 'express';
import { z } from 'zod';
import { ErrorCode, ID_PATTERN } from '../../lib/protocol';
import { MAX_FILES_PER_WORKSPACE, MAX_FILE_BYTES, MAX_FILE_NAME_LENGTH } from '../../lib/limits';
import { TandemError } from '../errors';
import type { WorkspaceService } from '../services/workspace-service';
import type { ClassroomStore } from '../../prisma-free-db';
import type { AccessPolicy } from '../authz/access-policy';
import { requireAuth } from '../auth/session-cookie';
import { handle, param, parse } from './http-helpers';

const NewFileSchema = z.strictObject({
  name: z.string().max(MAX_FILE_NAME_LENGTH * 2),
  content: z.string().max(MAX_FILE_BYTES).optional(),
});

const CreateWorkspaceSchema = z.strictObject({
  name: z.string().trim().min(1).max(120).optional(),
  files: z.array(NewFileSchema).max(MAX_FILES_PER_WORKSPACE).optional(),
});

const RenameFileSchema = z.strictObject({ name: z.string().max(MAX_FILE_NAME_LENGTH * 2) });

const IdSchema = z.string().regex(ID_PATTERN);

const STARTER_FILE = {
  name: 'main.py',
  content: 'def greet(name):\n    return f"Hello, {name}!"\n\n\nprint(greet("Tandem"))\n',
};

export interface WorkspaceRoutesOptions {
  service: WorkspaceService;
  store: ClassroomStore;
  policy: AccessPolicy;
}

/** REST API for workspaces and files (docs/protocol.md "HTTP API"; access: docs/permissions.md WS-*). */
export function apiRoutes(options: WorkspaceRoutesOptions): express.Router {
  const { service, store, policy } = options;
  const router = express.Router();

  /** The caller's decision for a workspace; none → 404 so ids cannot be probed (WS-1). */
  const access = async (req: Request, need: 'read' | 'write') => {
    const { user } = requireAuth(req);
    const id = param(req, 'id');
    const decision = await policy.workspace(user, id);
    if (decision.access === 'none') throw new TandemError(ErrorCode.NotFound, 'No such workspace.');
    if (need === 'write' && decision.access !== 'write') throw new TandemError(ErrorCode.Forbidden, 'This workspace is read-only for you.');
    if (need === 'write' && decision.strictNavigator) {
      throw new TandemError(ErrorCode.Forbidden, 'Strict pair mode: only the driver changes files.');
    }
    return { user, id, decision };
  };

  router.post(
    '/workspaces',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      const body = parse(CreateWorkspaceSchema, req.body ?? {});
      const workspace = await service.createWorkspace(body.name ?? 'Untitled workspace', body.files ?? [STARTER_FILE]);
      await store.recordWorkspace({
        workspaceId: workspace.id,
        kind: 'personal',
        ownerUserId: user.id,
        classId: null,
        groupId: null,
        createdAt: workspace.createdAt,
      });
      res.status(201).json(workspace);
    }),
  );

  router.get(
    '/workspaces',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      const owned = await store.listPersonalWorkspaces(user.id);
      const list = [];
      for (const w of owned.slice(0, 200)) {
        try {
          const ws = await service.getWorkspace(w.workspaceId);
          list.push({ id: ws.id, name: ws.name, createdAt: ws.createdAt, fileCount: ws.files.length });
        } catch {
          // A workspace whose doc is gone is skipped, not an error for the whole list.
        }
      }
      res.json({ workspaces: list });
    }),
  );

  router.get(
    '/workspaces/:id',
    handle(async (req, res) => {
      const { id } = await access(req, 'read');
      res.json(await service.getWorkspace(id));
    }),
  );

  /** What the workspace page needs besides the docs: my access, pair roles, assignment, class. */
  router.get(
    '/workspaces/:id/context',
    handle(async (req, res) => {
      const { user, id, decision } = await access(req, 'read');
      const owner = await store.getWorkspaceOwnership(id);
      const group = owner?.groupId ? await store.getGroup(owner.groupId) : null;
      const assignment = group ? await store.getAssignment(group.assignmentId) : null;
      const klass = owner?.classId ? await store.getClass(owner.classId) : null;
      const membership = klass ? await store.getMembership(klass.id, user.id) : null;
      const ownerUser = owner?.ownerUserId ? await store.getUser(owner.ownerUserId) : null;
      const members = group
        ? await Promise.all(
            group.members.map(async (m) => ({
              userId: m.userId,
              role: m.role,
              displayName: (await store.getUser(m.userId))?.displayName ?? 'Former member',
            })),
          )
        : [];
      res.json({
        workspaceId: id,
        me: { id: user.id, displayName: user.displayName, role: user.role },
        access: decision.access,
        strictNavigator: decision.strictNavigator ?? false,
        kind: owner?.kind ?? 'personal',
        ownerUserId: owner?.ownerUserId ?? null,
        owner: ownerUser ? { id: ownerUser.id, displayName: ownerUser.displayName } : null,
        classRole: membership?.role ?? null,
        now: Date.now(),
        class: klass ? { id: klass.id, name: klass.name } : null,
        assignment: assignment
          ? { id: assignment.id, title: assignment.title, strictRoles: assignment.strictRoles, swapMinutes: assignment.swapMinutes, deadline: assignment.deadline }
          : null,
        group: group ? { id: group.id, members, rolesChangedAt: group.rolesChangedAt } : null,
      });
    }),
  );

  router.post(
    '/workspaces/:id/files',
    handle(async (req, res) => {
      const { id } = await access(req, 'write');
      const body = parse(NewFileSchema, req.body);
      res.status(201).json(await service.createFile(id, body));
    }),
  );

  router.patch(
    '/workspaces/:id/files/:fileId',
    handle(async (req, res) => {
      const { id } = await access(req, 'write');
      const body = parse(RenameFileSchema, req.body);
      res.json(await service.renameFile(id, fileParam(req), body.name));
    }),
  );

  router.delete(
    '/workspaces/:id/files/:fileId',
    handle(async (req, res) => {
      const { id } = await access(req, 'write');
      await service.deleteFile(id, fileParam(req));
      res.status(204).end();
    }),
  );

  return router;
}

function fileParam(req: Request): string {
  const value = IdSchema.safeParse(req.params.fileId);
  if (!value.success) throw new TandemError(ErrorCode.NotFound, 'No such workspace or file.');
  return value.data;
}
