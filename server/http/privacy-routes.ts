import express from 'express';
import { requireAuth } from '../auth/session-cookie';
import type { PrivacyService } from '../privacy/privacy-service';
import { handle, param } from './http-helpers';

/** Download my data (PV-1) and erase an account on request (PV-2). */
export function privacyRoutes(options: { privacy: PrivacyService }): express.Router {
  const { privacy } = options;
  const router = express.Router();

  router.get(
    '/me/export',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      const zip = await privacy.exportFor(user);
      res
        .type('application/zip')
        .set('Content-Disposition', `attachment; filename="${zip.fileName.replace(/[^\w .()&-]/g, '_')}"`)
        .set('Cache-Control', 'no-store')
        .send(Buffer.from(zip.data));
    }),
  );

  router.delete(
    '/admin/users/:id',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.json(await privacy.eraseAccount(user, param(req, 'id')));
    }),
  );

  return router;
}
