import express from 'express';
import { z } from 'zod';
import { ErrorCode, ID_PATTERN } from '../../lib/protocol';
import { TandemError } from '../errors';
import { requireAuth } from '../auth/session-cookie';
import type { ReviewService } from '../review/review-service';
import type { HistoryService } from '../review/history-service';
import type { RetentionService } from '../review/retention';
import { handle, param, parse } from './http-helpers';

const MAX_COMMENT = 10_000;
const Id = z.string().regex(ID_PATTERN);
const Offset = z.number().int().min(0).max(10_000_000);
const CreateComment = z
  .strictObject({
    fileId: Id,
    version: z.number().int().min(1).max(1e12),
    from: Offset,
    to: Offset,
    body: z.string().trim().min(1).max(MAX_COMMENT),
    parentId: Id.optional(),
  })
  .refine((c) => c.from <= c.to, { message: 'from must not be after to', path: ['from'] });
/** Rubric criterion ids become object keys of a grade: never a prototype-polluting one. */
const CriterionId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/)
  .refine((k) => k !== '__proto__' && k !== 'constructor' && k !== 'prototype', { message: 'reserved name' });
const EditComment = z.strictObject({ body: z.string().trim().min(1).max(MAX_COMMENT) });
const PutRubric = z.strictObject({
  criteria: z
    .array(
      z.strictObject({
        id: CriterionId.optional(),
        title: z.string().trim().min(1).max(200),
        points: z.number().min(0).max(1000),
        description: z.string().max(2000).optional(),
      }),
    )
    .max(50),
});
const PutGrade = z.strictObject({
  scores: z.record(CriterionId, z.number().min(0).max(1000)),
  summary: z.string().max(MAX_COMMENT).default(''),
});
const ListQuery = z.object({ status: z.enum(['missing', 'submitted', 'late', 'reviewed']).optional() });
const AuditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: z.coerce.number().int().min(1).optional(),
  subject: Id.optional(),
});
const Version = z.coerce.number().int().min(0).max(1e12);

/** Submissions, review, feedback, history, blame, paste signals and the audit log (docs/review.md). */
export function reviewRoutes(options: { reviews: ReviewService; histories: HistoryService; retention: RetentionService }): express.Router {
  const { reviews, histories, retention } = options;
  const router = express.Router();

  router.post(
    '/workspaces/:id/submit',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.status(201).json(await reviews.submit(user, param(req, 'id')));
    }),
  );

  router.get(
    '/workspaces/:id/submissions',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.json(await reviews.workspaceSubmissions(user, param(req, 'id')));
    }),
  );

  router.get(
    '/assignments/:id/submissions',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      const q = parse(ListQuery, req.query);
      res.json(await reviews.submissionList(user, param(req, 'id'), q.status ?? null));
    }),
  );

  router.get(
    '/assignments/:id/submissions.zip',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      const zip = await reviews.submissionsZip(user, param(req, 'id'));
      res
        .type('application/zip')
        .set('Content-Disposition', `attachment; filename="${zip.fileName.replace(/[^\w .()&-]/g, '_')}"`)
        .set('Cache-Control', 'no-store')
        .send(Buffer.from(zip.data));
    }),
  );

  router.get(
    '/submissions/:id',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.json(await reviews.submissionDetail(user, param(req, 'id')));
    }),
  );

  router.get(
    '/assignments/:id/rubric',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.json(await reviews.rubric(user, param(req, 'id')));
    }),
  );

  router.put(
    '/assignments/:id/rubric',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      const body = parse(PutRubric, req.body);
      res.json(await reviews.setRubric(user, param(req, 'id'), body.criteria));
    }),
  );

  router.get(
    '/groups/:id/review',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.json(await reviews.review(user, param(req, 'id')));
    }),
  );

  router.put(
    '/groups/:id/grade',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      const body = parse(PutGrade, req.body);
      res.json(await reviews.putGrade(user, param(req, 'id'), body.scores, body.summary));
    }),
  );

  router.post(
    '/groups/:id/release',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.json(await reviews.release(user, param(req, 'id')));
    }),
  );

  router.post(
    '/workspaces/:id/comments',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      const body = parse(CreateComment, req.body);
      res.status(201).json(await reviews.addComment(user, param(req, 'id'), body));
    }),
  );

  router.patch(
    '/comments/:id',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      const body = parse(EditComment, req.body);
      res.json(await reviews.editComment(user, param(req, 'id'), body.body));
    }),
  );

  router.delete(
    '/comments/:id',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      await reviews.deleteComment(user, param(req, 'id'));
      res.status(204).end();
    }),
  );

  router.get(
    '/workspaces/:id/feedback',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.json(await reviews.feedback(user, param(req, 'id')));
    }),
  );

  router.get(
    '/workspaces/:id/files/:fileId/history',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.json(await histories.fileHistory(user, param(req, 'id'), param(req, 'fileId')));
    }),
  );

  router.get(
    '/workspaces/:id/files/:fileId/versions/:v',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      const v = Version.safeParse(req.params.v);
      if (!v.success) throw new TandemError(ErrorCode.InvalidRequest, 'v: a version is a whole number ≥ 0.');
      res.json(await histories.fileAtVersion(user, param(req, 'id'), param(req, 'fileId'), v.data));
    }),
  );

  router.get(
    '/workspaces/:id/files/:fileId/blame',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.json(await histories.blame(user, param(req, 'id'), param(req, 'fileId')));
    }),
  );

  router.get(
    '/workspaces/:id/paste-signals',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.json(await histories.pasteSignals(user, param(req, 'id')));
    }),
  );

  router.get(
    '/classes/:id/retention',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.json(await retention.policy(user, param(req, 'id')));
    }),
  );

  router.put(
    '/classes/:id/retention',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      const body = parse(z.strictObject({ opRetentionDays: z.number().int().min(0).max(3650).nullable() }), req.body);
      res.json(await retention.setPolicy(user, param(req, 'id'), body.opRetentionDays));
    }),
  );

  router.get(
    '/assignments/:id/grades-final',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.json(await retention.gradesFinal(user, param(req, 'id')));
    }),
  );

  router.put(
    '/assignments/:id/grades-final',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      const body = parse(z.strictObject({ final: z.boolean() }), req.body);
      res.json(await retention.setGradesFinal(user, param(req, 'id'), body.final));
    }),
  );

  router.get(
    '/admin/audit',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      const q = parse(AuditQuery, req.query);
      res.json(await reviews.auditLog(user, { limit: q.limit, before: q.before, subjectUserId: q.subject }));
    }),
  );

  return router;
}
