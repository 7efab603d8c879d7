import type { Request, Response, NextFunction } from 'express';
import { z } from 'zod';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { ErrorCode, ID_PATTERN } from '../../lib/protocol';
import { TandemError } from '../errors';

/** Validate a body with zod; the first problem becomes a 400 naming the field. */
export function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const poisoned = prototypeKeyPath(body, []);
  if (poisoned) throw new TandemError(ErrorCode.InvalidRequest, `${poisoned}: "__proto__" is not allowed as a key.`);
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    throw new TandemError(ErrorCode.InvalidRequest, `${where}${issue?.message ?? 'invalid request body'}`);
  }
  return result.data;
}

/**
 * JSON.parse makes "__proto__" an own key; zod records then drop it silently, so a request would
 * succeed with less than was sent. Refuse it instead, naming where it was.
 */
function prototypeKeyPath(value: unknown, at: string[]): string | null {
  if (value === null || typeof value !== 'object' || at.length > 32) return null;
  if (Object.prototype.hasOwnProperty.call(value, '__proto__')) return [...at, '__proto__'].join('.');
  for (const [k, v] of Object.entries(value)) {
    const found = prototypeKeyPath(v, [...at, k]);
    if (found) return found;
  }
  return null;
}

const IdSchema = z.string().regex(ID_PATTERN);

/** A path id; malformed ids are indistinguishable from unknown ones (404). */
export function param(req: Request, name: string): string {
  const value = IdSchema.safeParse(req.params[name]);
  if (!value.success) throw new TandemError(ErrorCode.NotFound, 'Not found.');
  return value.data;
}

/** Express 5 forwards rejected promises too, but this keeps the handlers' type simple. */
export function handle(fn: (req: Request, res: Response) => Promise<void>) {
  return (req: Request, res: Response, next: NextFunction) => {
    fn(req, res).catch(next);
  };
}

/** Spend one point of `limiter` for `key`, or answer 429 saying when to try again. */
export async function limit(limiter: RateLimiterAbstract, key: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (res) {
    if (res instanceof RateLimiterRes) {
      throw new TandemError(ErrorCode.RateLimited, `Too many attempts. Try again in ${Math.ceil(res.msBeforeNext / 60_000)} minute(s).`);
    }
    throw res;
  }
}
