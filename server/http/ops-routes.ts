import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type Request } from 'express';
import { z } from 'zod';
import { ErrorCode } from '../../lib/protocol';
import { TandemError } from '../errors';
import { requireAuth } from '../auth/session-cookie';
import type { Logger } from '../logger';
import { MAX_FAULT_BLOCK_MS, MAX_FAULT_DURATION_MS } from '../observability/fault-injection';
import type { SelfHealing } from '../observability/self-healing';
import { handle, parse } from './http-helpers';

const EventLoopFaultSchema = z.strictObject({
  blockMs: z.number().int().min(1).max(MAX_FAULT_BLOCK_MS),
  gapMs: z.number().int().min(0).max(60_000).default(20),
  forMs: z.number().int().min(1).max(MAX_FAULT_DURATION_MS).default(30_000),
});

export interface OpsRoutesOptions {
  selfHealing: SelfHealing;
  /** DRAIN_TOKEN: lets an orchestrator drain without an admin session. */
  drainToken: string | null;
  logger: Logger;
}

/**
 * Operations endpoints (P-OPS-5, P-OPS-7): drain for rolling deploys, and — only with
 * TANDEM_FAULT_INJECTION=1 — test-only fault injection. Mounted under `/api`.
 */
export function opsRoutes(options: OpsRoutesOptions): express.Router {
  const { selfHealing, drainToken, logger } = options;
  const router = express.Router();

  router.post(
    '/admin/drain',
    handle(async (req, res) => {
      const by = authorizeDrain(req, drainToken);
      const wasDraining = selfHealing.draining;
      const status = selfHealing.drain();
      if (!wasDraining) logger.warn({ by, sockets: status.sockets, windowMs: status.windowMs }, 'drain: requested');
      res.status(202).json(status);
    }),
  );

  router.get(
    '/admin/drain',
    handle(async (req, res) => {
      authorizeDrain(req, drainToken);
      res.json(selfHealing.drainStatus());
    }),
  );

  const fault = selfHealing.fault;
  if (fault) {
    router.post(
      '/admin/faults/event-loop',
      handle(async (req, res) => {
        requireAdmin(req);
        const spec = parse(EventLoopFaultSchema, req.body ?? {});
        fault.start(spec);
        logger.warn({ ...spec }, 'fault injection: blocking the event loop');
        res.status(202).json(spec);
      }),
    );
    router.delete(
      '/admin/faults/event-loop',
      handle(async (req, res) => {
        requireAdmin(req);
        fault.stop();
        logger.warn('fault injection: event-loop block stopped');
        res.status(204).end();
      }),
    );
    router.post(
      '/admin/faults/internal-error',
      handle(async (req) => {
        requireAdmin(req);
        throw new Error('injected fault');
      }),
    );
  }
  return router;
}

function requireAdmin(req: Request): string {
  const ctx = requireAuth(req);
  if (ctx.user.role !== 'admin') throw new TandemError(ErrorCode.Forbidden, 'Administrators only.');
  return ctx.user.id;
}

/** An admin session, or `Authorization: Bearer <DRAIN_TOKEN>` when one is configured. Returns who, for the log. */
function authorizeDrain(req: Request, token: string | null): string {
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
  if (bearer !== undefined && token !== null) {
    if (sameSecret(bearer, token)) return 'drain-token';
    throw new TandemError(ErrorCode.Forbidden, 'That drain token is not valid.');
  }
  return `user:${requireAdmin(req)}`;
}

/** Constant-time comparison (hashing first makes the lengths equal). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
