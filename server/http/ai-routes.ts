import express from 'express';
import { z } from 'zod';
import { HELP_LEVELS, MODEL_LIMITS } from '../../lib/ai/ai-types';
import { ID_PATTERN } from '../../lib/protocol';
import { requireAuth } from '../auth/session-cookie';
import type { AiReviewService } from '../ai/ai-review-service';
import { handle, param, parse } from './http-helpers';

const MAX_SETTING_TEXT = 20_000;
const Settings = z.strictObject({
  helpLevel: z.enum(HELP_LEVELS).nullable(),
  approvalRequired: z.boolean().nullable(),
  guidance: z.string().max(MAX_SETTING_TEXT),
  hiddenNotes: z.string().max(MAX_SETTING_TEXT * 5),
  onDemandPerHour: z.number().int().min(0).max(1000).nullable(),
});
const EditFinding = z
  .strictObject({
    state: z.enum(['pending', 'approved', 'dismissed']).optional(),
    message: z.string().trim().min(1).max(MODEL_LIMITS.maxMessageChars * 2).optional(),
    hint: z.string().trim().max(MODEL_LIMITS.maxHintChars * 2).nullable().optional(),
  })
  .refine((e) => e.state !== undefined || e.message !== undefined || e.hint !== undefined, { message: 'nothing to change' });
const Rating = z.strictObject({ rating: z.union([z.literal(1), z.literal(-1)]) });
const ResetQuota = z.strictObject({ userId: z.string().regex(ID_PATTERN) });

/** The AI review assistant's endpoints (docs/ai-review.md; rules AI-* in docs/permissions.md). */
export function aiRoutes(options: { ai: AiReviewService }): express.Router {
  const { ai } = options;
  const router = express.Router();

  router.get(
    '/workspaces/:id/ai-reviews',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.json(await ai.workspaceReviews(user, param(req, 'id')));
    }),
  );
  router.post(
    '/workspaces/:id/ai-reviews',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.status(202).json(await ai.requestOnDemand(user, param(req, 'id')));
    }),
  );
  router.get(
    '/ai-reviews/:id/transcript',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.json(await ai.transcript(user, param(req, 'id')));
    }),
  );
  router.post(
    '/ai-reviews/:id/release',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.json(await ai.release(user, param(req, 'id')));
    }),
  );
  router.patch(
    '/ai-findings/:id',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.json(await ai.editFinding(user, param(req, 'id'), parse(EditFinding, req.body)));
    }),
  );
  router.put(
    '/ai-findings/:id/rating',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.json(await ai.rate(user, param(req, 'id'), parse(Rating, req.body).rating));
    }),
  );
  router.get(
    '/classes/:id/ai-settings',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.json(await ai.classSettings(user, param(req, 'id')));
    }),
  );
  router.put(
    '/classes/:id/ai-settings',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.json(await ai.putClassSettings(user, param(req, 'id'), parse(Settings, req.body)));
    }),
  );
  router.get(
    '/assignments/:id/ai-settings',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.json(await ai.assignmentSettings(user, param(req, 'id')));
    }),
  );
  router.put(
    '/assignments/:id/ai-settings',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.json(await ai.putAssignmentSettings(user, param(req, 'id'), parse(Settings, req.body)));
    }),
  );
  router.post(
    '/assignments/:id/ai-quota/reset',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      await ai.resetQuota(user, param(req, 'id'), parse(ResetQuota, req.body).userId);
      res.status(204).end();
    }),
  );
  router.get(
    '/admin/ai',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.json(await ai.adminStatus(user));
    }),
  );
  return router;
}
