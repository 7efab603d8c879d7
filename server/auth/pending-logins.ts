import crypto from 'node:crypto';
import type { RedisClientType } from 'redis';
import { z } from 'zod';
import type { Logger } from '../logger';
import { answerWithin } from '../scale/answer-within';

/** A sign-in between the redirect to the identity provider and its answer. */
export interface PendingLogin {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** Exactly the redirect_uri sent to the IdP; the token request must repeat it. */
  redirectUri: string;
  next: string;
  expiresAt: number;
}

const PendingLoginSchema = z.strictObject({
  state: z.string().min(1).max(200),
  nonce: z.string().min(1).max(200),
  codeVerifier: z.string().min(1).max(200),
  redirectUri: z.string().min(1).max(2000),
  next: z.string().max(2000),
  expiresAt: z.number().int(),
});

/** Sign-ins in flight, keyed by the random handle in the browser's state cookie. */
export interface PendingLogins {
  /** Store a sign-in; null when too many are in flight. */
  add(login: PendingLogin): Promise<string | null>;
  /**
   * Remove and return the sign-in behind a handle, if it exists and has not expired: one use
   * only. Rejects with PendingLoginsUnavailable when the store cannot tell.
   */
  take(handleId: string | undefined): Promise<PendingLogin | null>;
}

export interface PendingLoginLimits {
  ttlMs: number;
  max: number;
}

/** One process: a map, bounded by `max`. */
export class MemoryPendingLogins implements PendingLogins {
  // Insertion order is expiry order (one TTL for all), so sweeping stops at the first live entry.
  private readonly byHandle = new Map<string, PendingLogin>();

  constructor(private readonly limits: PendingLoginLimits) {}

  async add(login: PendingLogin): Promise<string | null> {
    return this.addNow(login);
  }

  addNow(login: PendingLogin): string | null {
    this.sweep(Date.now());
    if (this.byHandle.size >= this.limits.max) return null;
    const handleId = newHandle();
    this.byHandle.set(handleId, login);
    return handleId;
  }

  async take(handleId: string | undefined): Promise<PendingLogin | null> {
    return this.takeNow(handleId);
  }

  takeNow(handleId: string | undefined): PendingLogin | null {
    if (handleId === undefined) return null;
    const login = this.byHandle.get(handleId);
    this.byHandle.delete(handleId);
    return login && login.expiresAt > Date.now() ? login : null;
  }

  has(handleId: string | undefined): boolean {
    return handleId !== undefined && this.byHandle.has(handleId);
  }

  private sweep(now: number): void {
    for (const [handleId, login] of this.byHandle) {
      if (login.expiresAt > now) break;
      this.byHandle.delete(handleId);
    }
  }
}

const PREFIX = 'tandem:oidc:';
/** How long a sign-in waits for Redis before it is kept in this process's memory instead. */
const ANSWER_TIMEOUT_MS = 1000;

/**
 * Several processes (REDIS_URL): the sign-in is kept in Redis, so the identity provider's
 * redirect may come back to any process; GETDEL makes it single-use across all of them. At most
 * `max` sign-ins start per TTL window (a counter per window), so a flood of /login calls cannot
 * fill Redis. If Redis does not answer, the sign-in is kept in this process's memory: it then
 * completes only if the callback reaches this process, as before Redis.
 */
export class RedisPendingLogins implements PendingLogins {
  private readonly local: MemoryPendingLogins;

  constructor(
    private readonly client: RedisClientType,
    private readonly limits: PendingLoginLimits,
    private readonly logger: Logger,
  ) {
    this.local = new MemoryPendingLogins(limits);
  }

  async add(login: PendingLogin): Promise<string | null> {
    const handleId = newHandle();
    const window = Math.floor(Date.now() / this.limits.ttlMs);
    try {
      await answerWithin(
        (async () => {
          const counter = `${PREFIX}started:${window}`;
          const [count] = await this.client.multi().incr(counter).pExpire(counter, this.limits.ttlMs * 2).exec();
          if (Number(count) > this.limits.max) throw new TooMany();
          await this.client.set(`${PREFIX}pending:${handleId}`, JSON.stringify(login), { PX: Math.max(1, login.expiresAt - Date.now()) });
        })(),
        ANSWER_TIMEOUT_MS,
      );
      return handleId;
    } catch (err) {
      if (err instanceof TooMany) return null;
      this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'SSO sign-in state kept in this process only: Redis did not answer');
      return this.local.addNow(login);
    }
  }

  async take(handleId: string | undefined): Promise<PendingLogin | null> {
    if (handleId === undefined) return null;
    if (this.local.has(handleId)) return this.local.takeNow(handleId);
    let stored: string | null;
    try {
      stored = await answerWithin(this.client.getDel(`${PREFIX}pending:${handleId}`), ANSWER_TIMEOUT_MS);
    } catch (err) {
      throw new PendingLoginsUnavailable(err instanceof Error ? err.message : String(err));
    }
    if (stored === null) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(stored);
    } catch {
      return null;
    }
    const login = PendingLoginSchema.safeParse(parsed);
    return login.success && login.data.expiresAt > Date.now() ? login.data : null;
  }
}

class TooMany extends Error {}

/** The shared store of sign-ins did not answer: the sign-in may exist, we cannot tell. */
export class PendingLoginsUnavailable extends Error {
  constructor(detail: string) {
    super(`pending sign-ins unavailable: ${detail}`);
    this.name = 'PendingLoginsUnavailable';
  }
}

/** `crypto.randomBytes(32)` in base64url: 43 characters (oidc.ts checks the cookie against that). */
function newHandle(): string {
  return crypto.randomBytes(32).toString('base64url');
}
