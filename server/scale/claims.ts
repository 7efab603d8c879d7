import { randomBytes } from 'node:crypto';
import type { RedisClientType } from 'redis';
import { answerWithin } from './answer-within';

/** Gives up a claim; safe to call after the lease ran out (it then removes nothing). */
export type ReleaseClaim = () => Promise<void>;

/**
 * Lets one process at a time do a piece of background work that every process's timer would
 * otherwise start at once (issue 6 §1: the retention sweep runs in every process). Null: another
 * process holds it, or Redis cannot say; skip, the next sweep tries again.
 */
export type ClaimWork = (key: string, leaseMs: number) => Promise<ReleaseClaim | null>;

/** One process: nobody to share with. */
export const claimAlone: ClaimWork = async () => async () => {};

/** Delete the claim only if it is still ours (another process may hold it after our lease ran out). */
const RELEASE_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
const ANSWER_TIMEOUT_MS = 2000;

/** Several processes: a lease in Redis (SET NX PX), released by compare-and-delete. */
export function redisClaims(client: RedisClientType): ClaimWork {
  return async (key, leaseMs) => {
    const redisKey = `tandem:claim:${key}`;
    const token = randomBytes(12).toString('hex');
    let taken: string | null;
    try {
      taken = await answerWithin(client.set(redisKey, token, { NX: true, PX: leaseMs }), ANSWER_TIMEOUT_MS);
    } catch {
      return null;
    }
    if (taken !== 'OK') return null;
    return async () => {
      try {
        await answerWithin(client.eval(RELEASE_LUA, { keys: [redisKey], arguments: [token] }), ANSWER_TIMEOUT_MS);
      } catch {
        // The lease runs out by itself.
      }
    };
  };
}
