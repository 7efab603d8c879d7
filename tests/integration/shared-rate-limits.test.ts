import { RateLimiterRes } from 'rate-limiter-flexible';
import { createClient, type RedisClientType } from 'redis';
import { rateLimiterFactory } from '../../server/http/rate-limits';
import { RedisProcess, redisServerBinary } from '../helpers/redis-server';

/**
 * Issue 6 §1 with docs/operations.md: the HTTP rate limits (sign-in, sign-up, join previews) are
 * shared by processes that share Redis, and keep working from memory while Redis is away.
 */
const redisBinary = redisServerBinary();
if (!redisBinary) {
  console.log('shared rate-limit tests skipped: redis-server is not installed (apt-get install -y redis-server; .ci/run does it)');
}
const describeWithRedis = redisBinary ? describe : describe.skip;

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

describeWithRedis('rate limiters shared through a real Redis', () => {
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
    redis = await RedisProcess.start(redisBinary!);
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await redis?.stop();
  });

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
