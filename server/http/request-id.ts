import { randomUUID } from 'node:crypto';
import type { Request, Response, NextFunction } from 'express';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/**
 * An incoming id is kept only if it is a plain token (a UUID, a proxy's trace id): it ends up in
 * log lines and a response header, so nothing that could forge a log field or a header passes.
 */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@=+/-]{1,128}$/;

declare module 'express-serve-static-core' {
  interface Request {
    /** P-OPS-6: this request's id, also sent back in `X-Request-Id`. */
    requestId?: string;
  }
}

/**
 * P-OPS-6: every HTTP request gets an id — the caller's `X-Request-Id` when it is sane (so a
 * proxy's id follows the request through), a fresh UUID otherwise — returned in `X-Request-Id`
 * and logged with errors. (pino-http would also log every request; we only need the id.)
 */
export function requestIds() {
  return (req: Request, res: Response, next: NextFunction) => {
    const incoming = req.get(REQUEST_ID_HEADER);
    const id = incoming && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    req.requestId = id;
    res.setHeader(REQUEST_ID_HEADER, id);
    next();
  };
}
