import { ErrorCode } from '../lib/protocol';
import { StorageError, StorageErrorCode } from '../prisma-free-db';

/**
 * A typed, client-safe error. `message` is written for the person at the keyboard; stacks and
 * internals stay in the server log. This is the one place a code maps to an HTTP status.
 */
export class TandemError extends Error {
  constructor(
    public readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TandemError';
  }

  /** Shape ShareDB sends to the client in a reply's `error` field. */
  toShareDB(): { code: string; message: string } {
    return { code: this.code, message: this.message };
  }

  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }
}

const HTTP_STATUS: Record<ErrorCode, number> = {
  [ErrorCode.InvalidMessage]: 400,
  [ErrorCode.UnknownCollection]: 400,
  [ErrorCode.InvalidDocId]: 400,
  [ErrorCode.ForbiddenWrite]: 403,
  [ErrorCode.UnknownType]: 400,
  [ErrorCode.InvalidOp]: 400,
  [ErrorCode.OpTooLarge]: 413,
  [ErrorCode.FileTooLarge]: 413,
  [ErrorCode.InvalidPresence]: 400,
  [ErrorCode.RateLimited]: 429,
  [ErrorCode.RoomFull]: 429,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.Conflict]: 409,
  [ErrorCode.InvalidRequest]: 400,
  [ErrorCode.TooManyFiles]: 409,
  [ErrorCode.Unavailable]: 503,
  [ErrorCode.Unauthenticated]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.Internal]: 500,
};

/** Normalise anything thrown into a TandemError without leaking internals. */
export function toTandemError(err: unknown): TandemError {
  if (err instanceof TandemError) return err;
  if (err instanceof StorageError) {
    // A store that is closed (shutting down) or unreachable is temporary: the client retries.
    return err.code === StorageErrorCode.Closed || err.code === StorageErrorCode.Unreachable
      ? new TandemError(ErrorCode.Unavailable, 'Storage is unavailable right now; your edits are kept and will be retried.')
      : new TandemError(ErrorCode.Internal, 'Something went wrong on the server.');
  }
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    const code = (err as { code: string }).code;
    if ((Object.values(ErrorCode) as string[]).includes(code)) {
      return new TandemError(code as ErrorCode, String((err as { message?: unknown }).message ?? code));
    }
  }
  return new TandemError(ErrorCode.Internal, 'Something went wrong on the server.');
}
