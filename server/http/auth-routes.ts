import express, { type Request } from 'express';
import { z } from 'zod';
import { ErrorCode } from '../../lib/protocol';
import { MAX_DISPLAY_NAME_LENGTH } from '../../lib/limits';
import type { ClassroomStore } from '../../prisma-free-db';
import { TandemError } from '../errors';
import { publicUser, type AuthService } from '../auth/auth-service';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../auth/passwords';
import { clearSessionCookie, requireAuth, setSessionCookie, type CookieSettings } from '../auth/session-cookie';
import type { ClassroomService } from '../classroom/classroom-service';
import { handle, limit, param, parse } from './http-helpers';
import type { RateLimiterFactory } from './rate-limits';

const Email = z.email().max(254);
const Password = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `Passwords have at least ${MIN_PASSWORD_LENGTH} characters.`)
  .max(MAX_PASSWORD_LENGTH);
const DisplayName = z
  .string()
  .trim()
  .min(1)
  .refine((s) => [...s].length <= MAX_DISPLAY_NAME_LENGTH, `at most ${MAX_DISPLAY_NAME_LENGTH} characters`);

const SignupSchema = z.strictObject({
  email: Email,
  password: Password,
  displayName: DisplayName,
  /** With a join code: a student account that joins that class. Without: a teacher account. */
  joinCode: z.string().trim().min(4).max(16).optional(),
});
const LoginSchema = z.strictObject({ email: z.string().max(254), password: z.string().max(MAX_PASSWORD_LENGTH) });
const ResetRequestSchema = z.strictObject({ email: z.string().max(254) });
const ResetSchema = z.strictObject({ token: z.string().min(10).max(100), password: Password });
const AdminCreateSchema = z.strictObject({
  email: Email,
  displayName: DisplayName,
  role: z.enum(['admin', 'teacher', 'student']),
  password: Password.optional(),
});
const AdminPatchSchema = z.strictObject({
  role: z.enum(['admin', 'teacher', 'student']).optional(),
  disabled: z.boolean().optional(),
});

export interface AuthRoutesOptions {
  auth: AuthService;
  store: ClassroomStore;
  classrooms: ClassroomService;
  cookies: CookieSettings;
  teacherSignup: 'open' | 'closed';
  loginAttemptsPer15Min: number;
  oidc: { label: string } | null;
  /** Shared between processes when they share Redis (rate-limits.ts). */
  rateLimiter: RateLimiterFactory;
}

/** Accounts and sessions (docs/permissions.md, AU-*). */
export function authRoutes(options: AuthRoutesOptions): express.Router {
  const { auth, store, classrooms, cookies } = options;
  const router = express.Router();
  // AU-3: per email+address, so one student cannot lock a classmate out from another machine.
  const loginLimiter = options.rateLimiter('login', options.loginAttemptsPer15Min, 15 * 60);
  // Sign-ups and reset requests per address: enough for a lab behind one NAT.
  const signupLimiter = options.rateLimiter('signup', 300, 15 * 60);

  router.get(
    '/auth/config',
    handle(async (_req, res) => {
      res.json({ teacherSignup: options.teacherSignup === 'open', oidc: options.oidc ? { label: options.oidc.label } : null });
    }),
  );

  router.post(
    '/auth/signup',
    handle(async (req, res) => {
      await limit(signupLimiter, clientAddress(req));
      const body = parse(SignupSchema, req.body);
      let klass = null;
      if (body.joinCode) {
        klass = await store.getClassByJoinCode(body.joinCode.toUpperCase());
        if (!klass || klass.archivedAt !== null) throw new TandemError(ErrorCode.NotFound, 'No open class has that join code.');
      } else if (options.teacherSignup !== 'open') {
        throw new TandemError(ErrorCode.Forbidden, 'Teacher accounts are created by an administrator here. Ask for a join code to join a class.');
      }
      const user = await auth.createAccount({
        email: body.email,
        password: body.password,
        displayName: body.displayName,
        role: body.joinCode ? 'student' : 'teacher',
      });
      if (klass) await classrooms.joinByCode(user, klass.joinCode);
      const session = await auth.startSession(user);
      setSessionCookie(res, session.token, session.expiresAt, cookies);
      res.status(201).json({ user: publicUser(user), classId: klass?.id ?? null });
    }),
  );

  router.post(
    '/auth/login',
    handle(async (req, res) => {
      const body = parse(LoginSchema, req.body);
      const key = `${clientAddress(req)}|${body.email.trim().toLowerCase()}`;
      await limit(loginLimiter, key);
      const user = await auth.checkPassword(body.email, body.password);
      await loginLimiter.delete(key);
      const session = await auth.startSession(user);
      setSessionCookie(res, session.token, session.expiresAt, cookies);
      res.json({ user: publicUser(user) });
    }),
  );

  router.post(
    '/auth/logout',
    handle(async (req, res) => {
      if (req.auth) await auth.endSession(req.auth.tokenHash);
      clearSessionCookie(res, cookies);
      res.status(204).end();
    }),
  );

  router.get(
    '/auth/me',
    handle(async (req, res) => {
      const ctx = requireAuth(req);
      const classes = await store.listClassesForUser(ctx.user.id);
      res.json({
        user: publicUser(ctx.user),
        expiresAt: ctx.expiresAt,
        classes: classes.map((c) => ({ id: c.id, name: c.name, role: c.role, archived: c.archivedAt !== null })),
      });
    }),
  );

  router.post(
    '/auth/password-reset/request',
    handle(async (req, res) => {
      await limit(signupLimiter, clientAddress(req));
      const body = parse(ResetRequestSchema, req.body);
      await auth.requestReset(body.email);
      // AU-5: the same answer whether or not the email has an account.
      res.status(202).json({ message: 'If that email has an account, a reset link is on its way (ask your administrator).' });
    }),
  );

  router.post(
    '/auth/password-reset',
    handle(async (req, res) => {
      await limit(signupLimiter, clientAddress(req));
      const body = parse(ResetSchema, req.body);
      const user = await auth.resetPassword(body.token, body.password);
      const session = await auth.startSession(user);
      setSessionCookie(res, session.token, session.expiresAt, cookies);
      res.json({ user: publicUser(user) });
    }),
  );

  // ── admin (AU-6) ──────────────────────────────────────────────────────────────────────
  const requireAdmin = (req: Request) => {
    const ctx = requireAuth(req);
    if (ctx.user.role !== 'admin') throw new TandemError(ErrorCode.Forbidden, 'Administrators only.');
    return ctx;
  };

  router.get(
    '/admin/users',
    handle(async (req, res) => {
      requireAdmin(req);
      const users = await store.listUsers();
      res.json({ users: users.map((u) => ({ ...publicUser(u), disabled: u.disabledAt !== null, sso: u.oidcSubject !== null })) });
    }),
  );

  router.post(
    '/admin/users',
    handle(async (req, res) => {
      requireAdmin(req);
      const body = parse(AdminCreateSchema, req.body);
      const user = await auth.createAccount({ ...body, password: body.password ?? null });
      const link = body.password ? null : await auth.createResetLink(user.id);
      res.status(201).json({ user: publicUser(user), resetLink: link });
    }),
  );

  router.patch(
    '/admin/users/:id',
    handle(async (req, res) => {
      const ctx = requireAdmin(req);
      const id = param(req, 'id');
      const body = parse(AdminPatchSchema, req.body);
      if (id === ctx.user.id) throw new TandemError(ErrorCode.Conflict, 'You cannot change your own role or disable yourself.');
      let user = await store.getUser(id);
      if (!user) throw new TandemError(ErrorCode.NotFound, 'No such account.');
      if (body.role) user = (await store.updateUser(id, { role: body.role }))!;
      if (body.disabled !== undefined) user = await auth.setDisabled(id, body.disabled);
      classrooms.accessChanged(id);
      res.json({ user: { ...publicUser(user), disabled: user.disabledAt !== null } });
    }),
  );

  router.post(
    '/admin/users/:id/reset-link',
    handle(async (req, res) => {
      requireAdmin(req);
      const id = param(req, 'id');
      if (!(await store.getUser(id))) throw new TandemError(ErrorCode.NotFound, 'No such account.');
      res.status(201).json({ resetLink: await auth.createResetLink(id) });
    }),
  );

  return router;
}

/** Express's req.ip honours `trust proxy` when a campus runs Tandem behind nginx. */
function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}
