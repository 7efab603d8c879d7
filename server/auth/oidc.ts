import express, { type Request, type Response } from 'express';
import { parse as parseCookie, serialize } from 'cookie';
import * as client from 'openid-client';
import { z } from 'zod';
import { ErrorCode } from '../../lib/protocol';
import { MAX_DISPLAY_NAME_LENGTH } from '../../lib/limits';
import type { ClassroomStore, User, UserRole } from '../../prisma-free-db';
import type { OidcConfig } from '../config';
import { TandemError } from '../errors';
import { handle } from '../http/http-helpers';
import type { Logger } from '../logger';
import type { RedisClientType } from 'redis';
import { MemoryPendingLogins, PendingLoginsUnavailable, RedisPendingLogins, type PendingLogin, type PendingLogins } from './pending-logins';
import { normalizeEmail, type AuthService } from './auth-service';
import { setSessionCookie, type CookieSettings } from './session-cookie';

export interface OidcRoutesOptions {
  oidc: OidcConfig;
  publicUrl: string | null;
  auth: AuthService;
  store: ClassroomStore;
  cookies: CookieSettings;
  logger: Logger;
  /** With REDIS_URL: sign-ins in flight are kept there, so the callback may reach any process. */
  redis: RedisClientType | null;
}

/** How long a browser may spend at the identity provider before its sign-in state is forgotten. */
export const OIDC_LOGIN_TTL_MS = 10 * 60_000;
/** Sign-ins in flight at once (in memory; per TTL window in Redis), so a flood of /login calls cannot grow the heap. */
export const MAX_PENDING_OIDC_LOGINS = 10_000;
/** Least time between two discovery attempts while the identity provider is unreachable. */
export const OIDC_DISCOVERY_RETRY_MS = 5_000;
/** Seconds allowed for each call to the identity provider (discovery, token, userinfo). */
export const OIDC_REQUEST_TIMEOUT_S = 10;

const STATE_COOKIE = 'tandem_oidc';
/** The state cookie only travels to these routes, never to the API or pages. */
const STATE_COOKIE_PATH = '/api/auth/oidc';
const CALLBACK_PATH = '/api/auth/oidc/callback';
const SCOPE = 'openid email profile';
/** `crypto.randomBytes(32)` in base64url: anything else in the cookie is not ours. */
const HANDLE_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const EmailSchema = z.email().max(254);

/** What Tandem needs to know about the person the identity provider vouched for. */
interface SsoIdentity {
  /** `issuer|sub`: stable per person, unlike the email, which can change at the IdP. */
  subject: string;
  email: string | null;
  /** Only `true` when the IdP says so; absent and false differ (see roleFor). */
  emailVerified: boolean | undefined;
  displayName: string | null;
}

/**
 * Reasons a callback sends the browser back to `/signin?error=<code>`. The codes are stable: the
 * sign-in page turns them into a sentence (docs/sso.md lists them).
 */
export const SsoFailureCode = {
  /** State cookie missing, expired or already used, or the state parameter does not match it. */
  State: 'sso_state',
  /** The person cancelled or was refused at the identity provider. */
  Denied: 'sso_denied',
  /** The identity provider answered with an error, or its answer did not validate. */
  Failed: 'sso_failed',
  /** The identity provider cannot be reached right now. */
  Unavailable: 'sso_unavailable',
  /** The identity provider did not release an email address. */
  NoEmail: 'sso_no_email',
  /** The email belongs to an account this identity may not take over (see findOrCreateUser). */
  EmailInUse: 'sso_email_in_use',
  /** The account exists but an administrator disabled it. */
  Disabled: 'sso_disabled',
} as const;
export type SsoFailureCode = (typeof SsoFailureCode)[keyof typeof SsoFailureCode];

class SsoFailure extends Error {
  constructor(
    readonly code: SsoFailureCode,
    /** For the log only: never shown to the user and never containing tokens. */
    readonly detail: string,
    readonly original?: unknown,
  ) {
    super(detail);
    this.name = 'SsoFailure';
  }
}

/**
 * Campus SSO (OpenID Connect, authorization code flow with PKCE, state and nonce).
 * `GET /login?next=/path` sends the browser to the identity provider; `GET /callback` turns its
 * answer into a Tandem session. Accounts are matched by `issuer|sub`, then linked by verified
 * email, then created (docs/sso.md). The IdP is discovered lazily: if it is down when Tandem
 * starts, Tandem still starts and /login answers 503 until discovery succeeds.
 */
export async function oidcRoutes(options: OidcRoutesOptions): Promise<express.Router> {
  const { oidc, auth, store, cookies, logger } = options;
  const discovery = new IssuerDiscovery(oidc, logger);
  const limits = { ttlMs: OIDC_LOGIN_TTL_MS, max: MAX_PENDING_OIDC_LOGINS };
  const pending: PendingLogins = options.redis ? new RedisPendingLogins(options.redis, limits, logger) : new MemoryPendingLogins(limits);
  if (new URL(oidc.issuerUrl).protocol === 'http:') {
    logger.warn({ issuer: oidc.issuerUrl }, 'OIDC issuer uses plain http: codes and tokens travel unencrypted (use only for local testing)');
  }
  // Warm the cache so the first person to click "sign in" does not wait; failure is not fatal.
  discovery.get().catch(() => undefined);

  const router = express.Router();

  router.get(
    '/login',
    handle(async (req, res) => {
      const config = await discovery.get();
      const codeVerifier = client.randomPKCECodeVerifier();
      const login: PendingLogin = {
        state: client.randomState(),
        nonce: client.randomNonce(),
        codeVerifier,
        redirectUri: `${options.publicUrl ?? requestOrigin(req)}${CALLBACK_PATH}`,
        next: safeNextPath(req.query.next),
        expiresAt: Date.now() + OIDC_LOGIN_TTL_MS,
      };
      const handleId = await pending.add(login);
      if (!handleId) throw new TandemError(ErrorCode.RateLimited, 'Too many sign-ins are in progress. Try again in a minute.');
      res.append(
        'Set-Cookie',
        serialize(STATE_COOKIE, handleId, {
          httpOnly: true,
          // Lax: the cookie must come back on the IdP's top-level redirect to /callback.
          sameSite: 'lax',
          secure: cookies.secure,
          path: STATE_COOKIE_PATH,
          maxAge: Math.floor(OIDC_LOGIN_TTL_MS / 1000),
        }),
      );
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: login.redirectUri,
        scope: SCOPE,
        state: login.state,
        nonce: login.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
      });
      res.redirect(302, url.href);
    }),
  );

  router.get('/callback', (req, res) => {
    completeLogin(req, res).catch((err: unknown) => {
      const failure = err instanceof SsoFailure ? err : new SsoFailure(SsoFailureCode.Failed, 'unexpected error', err);
      logger.warn({ reason: failure.code, detail: failure.detail, error: safeErrorSummary(failure.original) }, 'SSO sign-in refused');
      if (!res.headersSent) res.redirect(302, `/signin?error=${failure.code}`);
    });
  });

  async function completeLogin(req: Request, res: Response): Promise<void> {
    // One attempt per state cookie, whatever its outcome: a callback URL cannot be replayed.
    clearStateCookie(res, cookies);
    let login: PendingLogin | null;
    try {
      login = await pending.take(stateHandleOf(req));
    } catch (err) {
      if (err instanceof PendingLoginsUnavailable) throw new SsoFailure(SsoFailureCode.Unavailable, 'pending sign-ins (Redis) unavailable', err);
      throw err;
    }
    const query = new URL(req.originalUrl, 'http://callback.invalid').searchParams;
    if (!login) throw new SsoFailure(SsoFailureCode.State, 'no pending sign-in for this browser (state cookie missing, expired or used)');
    if (query.get('state') !== login.state) throw new SsoFailure(SsoFailureCode.State, 'state parameter does not match the state cookie');
    const idpError = query.get('error');
    if (idpError !== null) {
      throw new SsoFailure(
        idpError === 'access_denied' ? SsoFailureCode.Denied : SsoFailureCode.Failed,
        `identity provider answered error=${idpError.slice(0, 64)}`,
      );
    }
    let config: client.Configuration;
    try {
      config = await discovery.get();
    } catch (err) {
      throw new SsoFailure(SsoFailureCode.Unavailable, 'identity provider not discovered', err);
    }
    const identity = await exchangeCode(config, login, query);
    const user = await findOrCreateUser(identity);
    const session = await auth.startSession(user);
    setSessionCookie(res, session.token, session.expiresAt, cookies);
    res.redirect(302, login.next);
  }

  /** Code → tokens (checking PKCE, state, nonce, issuer, audience, signature) → claims. */
  async function exchangeCode(config: client.Configuration, login: PendingLogin, query: URLSearchParams): Promise<SsoIdentity> {
    // Rebuilt from the stored redirect_uri, not from the request: behind a proxy the request URL
    // is not what the browser saw, and the token request must repeat redirect_uri exactly.
    const callbackUrl = new URL(login.redirectUri);
    callbackUrl.search = query.toString();
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: login.codeVerifier,
        expectedState: login.state,
        expectedNonce: login.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      throw new SsoFailure(isUnreachable(err) ? SsoFailureCode.Unavailable : SsoFailureCode.Failed, 'authorization code grant failed', err);
    }
    const idToken = tokens.claims();
    if (!idToken) throw new SsoFailure(SsoFailureCode.Failed, 'no ID token in the token response');
    let profile: Record<string, unknown> = idToken;
    // Many IdPs (oidc-provider by default, some Shibboleth set-ups) put profile claims only in
    // userinfo when an access token is issued; the ID token then carries little more than `sub`.
    if ((typeof idToken.email !== 'string' || displayNameFrom(idToken) === null) && config.serverMetadata().userinfo_endpoint) {
      try {
        profile = await client.fetchUserInfo(config, tokens.access_token, idToken.sub);
      } catch (err) {
        throw new SsoFailure(isUnreachable(err) ? SsoFailureCode.Unavailable : SsoFailureCode.Failed, 'userinfo request failed', err);
      }
    }
    // email and email_verified are read from the same source: a verified flag about one address
    // must never vouch for another.
    const emailSource: Record<string, unknown> = typeof idToken.email === 'string' ? idToken : profile;
    const email = EmailSchema.safeParse(emailSource.email);
    return {
      subject: `${idToken.iss}|${idToken.sub}`,
      email: email.success ? normalizeEmail(email.data) : null,
      emailVerified: typeof emailSource.email_verified === 'boolean' ? emailSource.email_verified : undefined,
      displayName: displayNameFrom(idToken) ?? displayNameFrom(profile),
    };
  }

  /**
   * Subject match first: it survives email changes. Otherwise an existing account is linked only
   * when the IdP verified the email, since linking hands that account (maybe an admin's) to
   * whoever the IdP vouched for. Otherwise a new password-less account.
   */
  async function findOrCreateUser(identity: SsoIdentity): Promise<User> {
    const known = await store.getUserByOidcSubject(identity.subject);
    if (known) return ensureEnabled(known);
    if (!identity.email) throw new SsoFailure(SsoFailureCode.NoEmail, 'identity provider released no usable email claim');
    const sameEmail = await store.getUserByEmail(identity.email);
    if (sameEmail) {
      if (identity.emailVerified !== true) {
        throw new SsoFailure(SsoFailureCode.EmailInUse, `email not verified by the IdP; not linking account ${sameEmail.id}`);
      }
      if (sameEmail.oidcSubject !== null) {
        throw new SsoFailure(SsoFailureCode.EmailInUse, `account ${sameEmail.id} is already linked to another SSO identity`);
      }
      ensureEnabled(sameEmail);
      const linked = await store.updateUser(sameEmail.id, { oidcSubject: identity.subject });
      if (!linked) throw new SsoFailure(SsoFailureCode.Failed, `account ${sameEmail.id} vanished while linking`);
      logger.info({ userId: linked.id }, 'SSO identity linked to an existing account');
      return linked;
    }
    const role = roleFor(identity, oidc.teacherDomains);
    try {
      const user = await auth.createAccount({
        email: identity.email,
        password: null,
        displayName: identity.displayName ?? identity.email.split('@')[0]!,
        role,
        oidcSubject: identity.subject,
      });
      logger.info({ userId: user.id, role }, 'account created on first SSO sign-in');
      return user;
    } catch (err) {
      // Two callbacks of the same person raced; the other one created the account.
      const winner = await store.getUserByOidcSubject(identity.subject);
      if (winner) return ensureEnabled(winner);
      throw new SsoFailure(SsoFailureCode.Failed, 'account creation failed', err);
    }
  }

  return router;
}

function ensureEnabled(user: User): User {
  if (user.disabledAt !== null) throw new SsoFailure(SsoFailureCode.Disabled, `account ${user.id} is disabled`);
  return user;
}

/**
 * Teacher when the email's domain is listed in OIDC_TEACHER_DOMAINS.
 * WARNING: an absent `email_verified` is trusted, because common campus IdPs (Entra ID, many
 * Shibboleth set-ups) never send it for the emails they manage; only an explicit `false` (an
 * address the person typed in themselves) keeps them a student.
 */
function roleFor(identity: SsoIdentity, teacherDomains: string[]): UserRole {
  const domain = identity.email?.split('@')[1];
  return domain !== undefined && teacherDomains.includes(domain) && identity.emailVerified !== false ? 'teacher' : 'student';
}

function displayNameFrom(claims: Record<string, unknown>): string | null {
  const given = typeof claims.given_name === 'string' ? claims.given_name : '';
  const family = typeof claims.family_name === 'string' ? claims.family_name : '';
  for (const candidate of [claims.name, `${given} ${family}`, claims.preferred_username]) {
    if (typeof candidate !== 'string') continue;
    // Names from the IdP are shown to classmates: no control characters, same length cap as sign-up.
    const clean = candidate.replace(/\p{Cc}/gu, '').trim();
    if (clean) return [...clean].slice(0, MAX_DISPLAY_NAME_LENGTH).join('').trim();
  }
  return null;
}

/**
 * Where to go after signing in: a path on this site only. `//host` and `/\host` are rejected
 * because browsers read both as another host (an open redirect).
 */
export function safeNextPath(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length > 2000 || !raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return '/';
  const base = 'http://tandem.invalid';
  try {
    const url = new URL(raw, base);
    return url.origin === base ? `${url.pathname}${url.search}${url.hash}` : '/';
  } catch {
    return '/';
  }
}

/** Without PUBLIC_URL: the origin the browser used (only correct without a TLS-terminating proxy). */
function requestOrigin(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

function stateHandleOf(req: Request): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  try {
    const value = parseCookie(header)[STATE_COOKIE];
    return value !== undefined && HANDLE_PATTERN.test(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function clearStateCookie(res: Response, cookies: CookieSettings): void {
  res.append(
    'Set-Cookie',
    serialize(STATE_COOKIE, '', { httpOnly: true, sameSite: 'lax', secure: cookies.secure, path: STATE_COOKIE_PATH, expires: new Date(0) }),
  );
}

/** undici's "fetch failed" or a timed-out request: the IdP is unreachable rather than saying no. */
function isUnreachable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return (err.name === 'TypeError' && err.message === 'fetch failed') || err.name === 'TimeoutError' || err.name === 'AbortError';
}

/**
 * The fields of an openid-client error that help an operator and can hold no secret: the
 * `cause` is left out because it can carry the IdP's raw response or the ID token's claims.
 */
function safeErrorSummary(err: unknown): Record<string, unknown> | undefined {
  if (err === undefined || err === null) return undefined;
  if (typeof err !== 'object') return { message: String(err).slice(0, 200) };
  const e = err as { name?: unknown; code?: unknown; message?: unknown; error?: unknown; error_description?: unknown; status?: unknown };
  const summary: Record<string, unknown> = {};
  for (const [key, value] of Object.entries({ name: e.name, code: e.code, message: e.message, error: e.error, errorDescription: e.error_description, status: e.status })) {
    if (typeof value === 'string') summary[key] = value.slice(0, 300);
    else if (typeof value === 'number') summary[key] = value;
  }
  return summary;
}

/**
 * The identity provider's metadata, discovered once and cached for the life of the process (keys
 * are re-fetched by openid-client when the IdP rotates them). A failed discovery is remembered
 * for OIDC_DISCOVERY_RETRY_MS and then tried again by the next request, so an IdP that is down
 * at boot costs a 503 on sign-in, not a crashed server.
 */
class IssuerDiscovery {
  private config: client.Configuration | null = null;
  private inflight: Promise<client.Configuration> | null = null;
  private lastFailureAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly oidc: OidcConfig,
    private readonly logger: Logger,
  ) {}

  /** The configuration, or a TandemError(Unavailable) while the IdP cannot be discovered. */
  get(): Promise<client.Configuration> {
    if (this.config) return Promise.resolve(this.config);
    if (!this.inflight && Date.now() - this.lastFailureAt < OIDC_DISCOVERY_RETRY_MS) return Promise.reject(unavailable());
    // Concurrent sign-ins share one attempt instead of each hitting a struggling IdP.
    this.inflight ??= this.attempt().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async attempt(): Promise<client.Configuration> {
    const { issuerUrl, clientId, clientSecret } = this.oidc;
    try {
      const config = await client.discovery(
        new URL(issuerUrl),
        clientId,
        clientSecret,
        // client_secret_basic is the OIDC registration default, so every IdP accepts it; without a
        // secret Tandem is a public client and PKCE alone protects the code.
        clientSecret ? client.ClientSecretBasic(clientSecret) : client.None(),
        {
          timeout: OIDC_REQUEST_TIMEOUT_S,
          // WARNING: plain http is allowed when the operator configured an http issuer (local IdPs in tests and labs).
          execute: new URL(issuerUrl).protocol === 'http:' ? [client.allowInsecureRequests] : [],
        },
      );
      this.config = config;
      this.logger.info({ issuer: config.serverMetadata().issuer }, 'OIDC issuer discovered');
      return config;
    } catch (err) {
      this.lastFailureAt = Date.now();
      this.logger.warn(
        { issuer: issuerUrl, error: safeErrorSummary(err), retryAfterMs: OIDC_DISCOVERY_RETRY_MS },
        'OIDC discovery failed; SSO sign-in answers 503 until the identity provider is reachable',
      );
      throw unavailable();
    }
  }
}

function unavailable(): TandemError {
  return new TandemError(ErrorCode.Unavailable, 'Campus sign-in is unavailable: the identity provider cannot be reached. Try again in a minute.');
}
