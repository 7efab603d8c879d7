import type { IncomingMessage } from 'node:http';
import type { Request, Response, NextFunction } from 'express';
import { parse as parseCookie, serialize } from 'cookie';
import { ErrorCode } from '../../lib/protocol';
import { TandemError } from '../errors';
import type { AuthContext, AuthService } from './auth-service';

export const SESSION_COOKIE = 'tandem_session';

export interface CookieSettings {
  /** Send the cookie over HTTPS only (COOKIE_SECURE; on whenever PUBLIC_URL is https). */
  secure: boolean;
}

/** The session token carried by a request (HTTP or the Socket.io handshake). */
export function sessionTokenOf(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  try {
    return parseCookie(header)[SESSION_COOKIE];
  } catch {
    return undefined;
  }
}

/**
 * httpOnly: page scripts (and so XSS) cannot read it. SameSite=Lax: not sent on cross-site
 * sub-requests (CSRF), but sent on the top-level redirect back from the campus SSO.
 */
export function setSessionCookie(res: Response, token: string, expiresAt: number, settings: CookieSettings): void {
  res.append(
    'Set-Cookie',
    serialize(SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'lax',
      secure: settings.secure,
      path: '/',
      expires: new Date(expiresAt),
    }),
  );
}

export function clearSessionCookie(res: Response, settings: CookieSettings): void {
  res.append(
    'Set-Cookie',
    serialize(SESSION_COOKIE, '', { httpOnly: true, sameSite: 'lax', secure: settings.secure, path: '/', expires: new Date(0) }),
  );
}

declare module 'express-serve-static-core' {
  interface Request {
    auth?: AuthContext | null;
  }
}

/** Resolve the session once per request; `req.auth` is null for anonymous requests. */
export function attachSession(auth: AuthService) {
  return (req: Request, _res: Response, next: NextFunction) => {
    auth.resolveSession(sessionTokenOf(req)).then(
      (ctx) => {
        req.auth = ctx;
        next();
      },
      (err: unknown) => next(err),
    );
  };
}

/** The signed-in user's context, or a 401. */
export function requireAuth(req: Request): AuthContext {
  if (!req.auth) throw new TandemError(ErrorCode.Unauthenticated, 'Sign in first.');
  return req.auth;
}
