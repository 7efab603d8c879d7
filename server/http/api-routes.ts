import express, { type Request, type Response, type NextFunction } from 'express';
import { z } from 'zod';
import { ErrorCode, ID_PATTERN } from '../../lib/protocol';
import { MAX_FILES_PER_WORKSPACE, MAX_FILE_BYTES, MAX_FILE_NAME_LENGTH } from '../../lib/limits';
import { TandemError } from '../errors';
import type { WorkspaceService } from '../services/workspace-service';

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

/** REST API for workspaces and files (docs/protocol.md, section "HTTP API"). */
export function apiRoutes(service: WorkspaceService): express.Router {
  const router = express.Router();

  router.post(
    '/workspaces',
    handle(async (req, res) => {
      const body = parse(CreateWorkspaceSchema, req.body ?? {});
      const workspace = await service.createWorkspace(body.name ?? 'Untitled workspace', body.files ?? [STARTER_FILE]);
      res.status(201).json(workspace);
    }),
  );

  router.get(
    '/workspaces/:id',
    handle(async (req, res) => {
      res.json(await service.getWorkspace(param(req, 'id')));
    }),
  );

  router.post(
    '/workspaces/:id/files',
    handle(async (req, res) => {
      const body = parse(NewFileSchema, req.body);
      res.status(201).json(await service.createFile(param(req, 'id'), body));
    }),
  );

  router.patch(
    '/workspaces/:id/files/:fileId',
    handle(async (req, res) => {
      const body = parse(RenameFileSchema, req.body);
      res.json(await service.renameFile(param(req, 'id'), param(req, 'fileId'), body.name));
    }),
  );

  router.delete(
    '/workspaces/:id/files/:fileId',
    handle(async (req, res) => {
      await service.deleteFile(param(req, 'id'), param(req, 'fileId'));
      res.status(204).end();
    }),
  );

  return router;
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    throw new TandemError(ErrorCode.InvalidRequest, `${where}${issue?.message ?? 'invalid request body'}`);
  }
  return result.data;
}

function param(req: Request, name: string): string {
  const value = IdSchema.safeParse(req.params[name]);
  if (!value.success) throw new TandemError(ErrorCode.NotFound, 'No such workspace or file.');
  return value.data;
}

function handle(fn: (req: Request, res: Response) => Promise<void>) {
  return (req: Request, res: Response, next: NextFunction) => {
    fn(req, res).catch(next);
  };
}
