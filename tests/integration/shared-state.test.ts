import { RateLimiterRes } from 'rate-limiter-flexible';
import { createClient, type RedisClientType } from 'redis';
import { rateLimiterFactory } from '../../server/http/rate-limits';
import { PendingLoginsUnavailable, RedisPendingLogins, type PendingLogin } from '../../server/auth/pending-logins';
import { createLogger } from '../../server/logger';
import { claimAlone, redisClaims } from '../../server/scale/claims';
import { RedisProcess, describeWithRedis } from '../helpers/redis-server';

/**
 * Issue 6 §1 with docs/operations.md: what sign-in needs is shared by processes that share Redis.
 * The HTTP rate limits (sign-in, sign-up, join previews) count across processes, and SSO sign-ins
 * in flight can come back to any process, once. Both keep working from memory while Redis is away.
 * Background work every process would start (the retention sweep) is claimed by one at a time.
 */
const refused = (p: Promise<unknown>) =>
  p.then(
    () => false,
    (err: unknown) => {
      if (err instanceof RateLimiterRes) return true;
      throw err;
    },
  );

describe('rate limiters of one process (no Redis)', () => {
  test('count in memory', async () => {
    const limiter = rateLimiterFactory(null)('t-memory', 2, 60);
    expect(await refused(limiter.consume('k'))).toBe(false);
    expect(await refused(limiter.consume('k'))).toBe(false);
    expect(await refused(limiter.consume('k'))).toBe(true);
  });
});

describeWithRedis('with a real Redis', () => {
  let redis: RedisProcess;
  const clients: RedisClientType[] = [];
  const connect = async (): Promise<RedisClientType> => {
    const c = createClient({ url: redis.url, socket: { reconnectStrategy: () => 100 } }) as RedisClientType;
    c.on('error', () => {});
    await c.connect();
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    redis = await RedisProcess.start();
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await redis?.stop();
  });

  describe('rate limiters shared through it', () => {
    test('two processes share one budget; while Redis is down each answers at once from memory', async () => {
      const a = rateLimiterFactory(await connect())('t-shared', 3, 60);
      const b = rateLimiterFactory(await connect())('t-shared', 3, 60);
      expect(await refused(a.consume('guesser'))).toBe(false);
      expect(await refused(b.consume('guesser'))).toBe(false);
      expect(await refused(a.consume('guesser'))).toBe(false);
      expect(await refused(b.consume('guesser'))).toBe(true); // b alone had spent one point
      expect(await refused(a.consume('someone else'))).toBe(false);

      await redis.stop();
      await new Promise((r) => setTimeout(r, 200)); // the clients notice the closed connection
      const started = Date.now();
      expect(await refused(a.consume('during outage'))).toBe(false);
      expect(await refused(a.consume('during outage'))).toBe(false);
      expect(await refused(a.consume('during outage'))).toBe(false);
      expect(await refused(a.consume('during outage'))).toBe(true); // still limited, by memory
      expect(Date.now() - started).toBeLessThan(1000);
      await redis.start();
    });
  });

  describe('SSO sign-ins in flight, shared through it', () => {
    const logger = createLogger('silent');
    const login = (ttlMs = 60_000): PendingLogin => ({
      state: 'state-1',
      nonce: 'nonce-1',
      codeVerifier: 'verifier-1',
      redirectUri: 'https://tandem.campus.test/api/auth/oidc/callback',
      next: '/dashboard',
      expiresAt: Date.now() + ttlMs,
    });

    test('started on one process, finished on another, exactly once; expired or malformed state is no sign-in', async () => {
      const a = new RedisPendingLogins(await connect(), { ttlMs: 60_000, max: 100 }, logger);
      const b = new RedisPendingLogins(await connect(), { ttlMs: 60_000, max: 100 }, logger);
      const handle = (await a.add(login()))!;
      expect(handle).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(await b.take(handle)).toMatchObject({ state: 'state-1', nonce: 'nonce-1', codeVerifier: 'verifier-1', next: '/dashboard' });
      expect(await a.take(handle)).toBeNull(); // used
      expect(await b.take(undefined)).toBeNull();
      expect(await b.take('x'.repeat(43))).toBeNull();

      const shortLived = (await a.add(login(30)))!;
      await new Promise((r) => setTimeout(r, 60));
      expect(await b.take(shortLived)).toBeNull();

      const raw = await connect();
      await raw.set(`tandem:oidc:pending:${'y'.repeat(43)}`, 'not json');
      await raw.set(`tandem:oidc:pending:${'z'.repeat(43)}`, JSON.stringify({ ...login(), state: 5 }));
      expect(await b.take('y'.repeat(43))).toBeNull();
      expect(await b.take('z'.repeat(43))).toBeNull();
    });

    test('at most `max` sign-ins start per window, across processes', async () => {
      const limits = { ttlMs: 3_600_000, max: 3 };
      const a = new RedisPendingLogins(await connect(), limits, logger);
      const b = new RedisPendingLogins(await connect(), limits, logger);
      await (await connect()).flushAll();
      expect(await a.add(login())).not.toBeNull();
      expect(await b.add(login())).not.toBeNull();
      expect(await a.add(login())).not.toBeNull();
      expect(await b.add(login())).toBeNull();
    });

    test('while Redis is away a sign-in is kept in this process and completes here; elsewhere it says "unavailable", not "no such sign-in"', async () => {
      const a = new RedisPendingLogins(await connect(), { ttlMs: 60_000, max: 100 }, logger);
      const b = new RedisPendingLogins(await connect(), { ttlMs: 60_000, max: 100 }, logger);
      await redis.stop();
      try {
        const started = Date.now();
        const handle = (await a.add(login()))!;
        expect(handle).toMatch(/^[A-Za-z0-9_-]{43}$/);
        await expect(b.take(handle)).rejects.toBeInstanceOf(PendingLoginsUnavailable);
        expect(await a.take(handle)).toMatchObject({ state: 'state-1' });
        expect(Date.now() - started).toBeLessThan(4000);
      } finally {
        await redis.start();
      }
    });
  });

  describe('work claims', () => {
    test('one holder at a time; a lease that ran out frees the work; a late release does not free another\'s claim', async () => {
      const a = redisClaims(await connect());
      const b = redisClaims(await connect());
      const releaseA = await a('job-1', 60_000);
      expect(releaseA).not.toBeNull();
      expect(await b('job-1', 60_000)).toBeNull();
      expect(await b('job-2', 60_000)).not.toBeNull(); // other work is free
      await releaseA!();
      const releaseB = await b('job-1', 100);
      expect(releaseB).not.toBeNull();
      await new Promise((r) => setTimeout(r, 200)); // b's lease runs out (b hung, say)
      const releaseA2 = await a('job-1', 60_000);
      expect(releaseA2).not.toBeNull();
      await releaseB!(); // b comes back late: a's claim stays
      expect(await b('job-1', 60_000)).toBeNull();
      await releaseA2!();
      expect(await b('job-1', 60_000)).not.toBeNull();
    });

    test('while Redis is away nobody claims (the next sweep tries again); one process needs no Redis', async () => {
      const a = redisClaims(await connect());
      await redis.stop();
      try {
        expect(await a('job-outage', 60_000)).toBeNull();
      } finally {
        await redis.start();
      }
      const alone = await claimAlone('anything', 1);
      expect(alone).not.toBeNull();
      await alone!();
    });
  });
});
