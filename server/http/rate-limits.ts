import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RedisClientType } from 'redis';

/** Makes the HTTP rate limiters (sign-in, sign-up and reset, join-link previews). */
export type RateLimiterFactory = (name: string, points: number, durationSeconds: number) => RateLimiterAbstract;

/**
 * One process: limits in memory. Several (REDIS_URL): in Redis, so N processes behind a
 * round-robin balancer do not give a password guesser N times the attempts. While Redis is not
 * ready the limiter falls back to this process's memory at once (`rejectIfRedisNotReady` plus an
 * insurance limiter) instead of letting sign-ins wait for Redis.
 */
export function rateLimiterFactory(redis: RedisClientType | null): RateLimiterFactory {
  return (name, points, duration) => {
    const memory = new RateLimiterMemory({ points, duration, keyPrefix: name });
    if (!redis) return memory;
    return new RateLimiterRedis({
      storeClient: redis,
      useRedisPackage: true,
      rejectIfRedisNotReady: true,
      insuranceLimiter: memory,
      keyPrefix: `tandem:rate:${name}`,
      points,
      duration,
    });
  };
}
