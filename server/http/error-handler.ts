import type { Request, Response, NextFunction } from 'express';
import { ErrorCode } from '../../lib/protocol';
import { TandemError, toTandemError } from '../errors';
import type { Logger } from '../logger';

/**
 * Every API error leaves as `{error: {code, message}}` with the status for its code. Body-parser
 * failures (bad JSON, too large) are mapped here too, so a client always gets the same shape.
 */
export function errorHandler(logger: Logger, onError?: (code: string) => void) {
  return (err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const error = fromBodyParser(err) ?? toTandemError(err);
    onError?.(error.code);
    // P-OPS-6: the id the caller got in X-Request-Id finds this line.
    if (error.code === ErrorCode.Internal) logger.error({ err, requestId: req.requestId }, 'unhandled API error');
    res.status(error.httpStatus).json({ error: { code: error.code, message: error.message } });
  };
}

function fromBodyParser(err: unknown): TandemError | null {
  const type = (err as { type?: unknown } | null)?.type;
  if (type === 'entity.parse.failed') return new TandemError(ErrorCode.InvalidRequest, 'Request body is not valid JSON.');
  if (type === 'entity.too.large') return new TandemError(ErrorCode.FileTooLarge, 'Request body is too large.');
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return new TandemError(ErrorCode.InvalidRequest, 'Request body must be UTF-8 JSON.');
  }
  return null;
}
