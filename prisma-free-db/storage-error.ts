/**
 * Stable error codes of the storage port. ShareDB forwards `{code, message}` of an error to the
 * client that caused it, so messages name the problem without SQL, file paths or credentials;
 * the underlying driver error stays on `cause` for the server log.
 */
export const StorageErrorCode = {
  /** The store (or this adapter) was closed; the caller is racing shutdown. */
  Closed: 'ERR_STORAGE_CLOSED',
  /** A caller passed a collection, id, version, snapshot or op the store cannot accept. */
  InvalidArgument: 'ERR_STORAGE_INVALID_ARGUMENT',
  /** Ops that must exist (history is kept forever) are missing: the data was tampered with. */
  MissingOps: 'ERR_STORAGE_MISSING_OPS',
  /** A query uses an operator outside the documented subset (see sqlite-query.ts). */
  UnsupportedQuery: 'ERR_STORAGE_UNSUPPORTED_QUERY',
  /** The database server cannot be reached (MongoDB). */
  Unreachable: 'ERR_STORAGE_UNREACHABLE',
  /** The database file could not be opened or configured. */
  OpenFailed: 'ERR_STORAGE_OPEN_FAILED',
  /** The database file was written by a newer Tandem; refusing to touch it. */
  SchemaTooNew: 'ERR_STORAGE_SCHEMA_TOO_NEW',
  /** Any other driver failure (disk full, SQLITE_BUSY past the timeout, I/O error, ...). */
  Failed: 'ERR_STORAGE_FAILED',
} as const;

export type StorageErrorCode = (typeof StorageErrorCode)[keyof typeof StorageErrorCode];

/** An error raised by the storage port. `code` is stable; `cause` holds the driver error, if any. */
export class StorageError extends Error {
  override readonly name = 'StorageError';

  constructor(
    readonly code: StorageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Wrap anything a driver threw into a StorageError. `action` completes the sentence
 * "Storage failed while …" and must not contain user data. The driver's own error code
 * (e.g. SQLITE_BUSY, SQLITE_FULL) is kept in the message because it is what an operator needs.
 */
export function toStorageError(err: unknown, action: string): StorageError {
  if (err instanceof StorageError) return err;
  const driverCode =
    err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string'
      ? ` (${(err as { code: string }).code})`
      : '';
  return new StorageError(StorageErrorCode.Failed, `Storage failed while ${action}${driverCode}.`, { cause: err });
}
