import express from 'express';
import { z } from 'zod';
import { ID_PATTERN } from '../../lib/protocol';
import { requireAuth } from '../auth/session-cookie';
import type { TestService } from '../grading/test-service';
import { handle, param, parse } from './http-helpers';

const MAX_TEST_FILES = 20;
const MAX_TEST_CODE = 100_000;
const MAX_CASES = 1000;

const TestFile = z.strictObject({
  // A plain module name: it is imported by that name next to the student's files.
  fileName: z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,60}\.(py|js|ts)$/, 'a test file name is letters, digits, _ or -, ending in .py, .js or .ts'),
  code: z.string().max(MAX_TEST_CODE),
  hidden: z.boolean(),
});
const PutTests = z.strictObject({ tests: z.array(TestFile).max(MAX_TEST_FILES) });
const Count = z.number().int().min(0).max(100_000);
const BrowserReport = z
  .strictObject({
    versions: z.array(z.strictObject({ fileId: z.string().regex(ID_PATTERN), version: z.number().int().min(0) })).max(200),
    testsHash: z.string().regex(/^[a-f0-9]{32}$/),
    passed: Count,
    failed: Count,
    error: z.string().max(2000).nullable(),
    cases: z
      .array(
        z.strictObject({
          name: z.string().min(1).max(300),
          passed: z.boolean(),
          message: z.string().max(2000).nullable(),
          file: z.string().min(1).max(80),
        }),
      )
      .max(MAX_CASES),
    durationMs: z.number().min(0).max(3_600_000),
  })
  .refine((r) => r.cases.length === r.passed + r.failed, { message: 'passed + failed must equal the number of cases' })
  .refine((r) => r.cases.filter((c) => c.passed).length === r.passed, { message: 'passed must count the passing cases' });

/** Teacher tests and results (issue 7 §4; rules RUN-* in docs/permissions.md). */
export function testRoutes(options: { tests: TestService }): express.Router {
  const { tests } = options;
  const router = express.Router();

  router.get(
    '/assignments/:id/tests',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.json(await tests.assignmentTests(user, param(req, 'id')));
    }),
  );
  router.put(
    '/assignments/:id/tests',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.json(await tests.putTests(user, param(req, 'id'), parse(PutTests, req.body).tests));
    }),
  );
  router.get(
    '/assignments/:id/test-summary',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.json(await tests.assignmentSummary(user, param(req, 'id')));
    }),
  );
  router.get(
    '/workspaces/:id/test-results',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.json(await tests.workspaceResults(user, param(req, 'id')));
    }),
  );
  router.post(
    '/workspaces/:id/test-results',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.status(201).json(await tests.reportBrowserRun(user, param(req, 'id'), parse(BrowserReport, req.body)));
    }),
  );
  router.get(
    '/submissions/:id/test-result',
    handle(async (req, res) => {
      const { user } = requireAuth(req);
      res.json({ result: await tests.submissionResult(user, param(req, 'id')) });
    }),
  );
  return router;
}
