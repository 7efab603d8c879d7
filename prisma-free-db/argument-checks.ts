import { StorageError, StorageErrorCode } from './storage-error';

/**
 * Defensive checks on what callers hand the adapters. ShareDB itself passes well-formed values,
 * but collection names and doc ids originate in client messages, and a bad one must become an
 * error reply, never a thrown exception or (worse) a silently merged key.
 */

/** Longest collection name accepted, in UTF-16 code units. */
export const MAX_COLLECTION_LENGTH = 128;

/** Longest doc id accepted, in UTF-16 code units. */
export const MAX_DOC_ID_LENGTH = 1024;

// A lone surrogate cannot be encoded as UTF-8: SQLite (and BSON) would store U+FFFD instead,
// so two different ids could land on the same row. Such ids are rejected.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Throws ERR_STORAGE_INVALID_ARGUMENT unless `value` is a usable collection name. */
export function checkCollection(value: unknown): asserts value is string {
  checkKey(value, 'collection name', MAX_COLLECTION_LENGTH);
}

/** Throws ERR_STORAGE_INVALID_ARGUMENT unless `value` is a usable doc id. */
export function checkDocId(value: unknown): asserts value is string {
  checkKey(value, 'document id', MAX_DOC_ID_LENGTH);
}

/** Throws unless `value` is a doc version: a non-negative safe integer. */
export function checkVersion(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalidArgument(`${name} must be a non-negative integer`);
  }
}

/** `null`/`undefined` mean "unbounded" in ShareDB's version ranges. */
export function optionalVersion(value: unknown, name: string): number | null {
  if (value === null || value === undefined) return null;
  checkVersion(value, name);
  return value;
}

/** ShareDB's milestone API: `null` means unbounded, but `undefined` is a caller bug. */
export function nullableVersion(value: unknown, name: string): number | null {
  if (value === null) return null;
  checkVersion(value, name);
  return value;
}

/** Error for a caller mistake; the message is safe to show a client. */
export function invalidArgument(reason: string): StorageError {
  return new StorageError(StorageErrorCode.InvalidArgument, `Invalid storage request: ${reason}.`);
}

function checkKey(value: unknown, what: string, maxLength: number): void {
  if (typeof value !== 'string' || value.length === 0) throw invalidArgument(`${what} must be a non-empty string`);
  if (value.length > maxLength) throw invalidArgument(`${what} is longer than ${maxLength} characters`);
  if (value.includes('\u0000') || LONE_SURROGATE.test(value)) throw invalidArgument(`${what} is not valid text`);
}
