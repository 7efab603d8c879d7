import { StorageError, toStorageError } from './storage-error';

/**
 * Run synchronous storage `work` now and hand its outcome to `callback` on the next tick.
 *
 * ShareDB's adapters must never call back synchronously (ShareDB's own code and middleware
 * assume the callback runs after the call returns, as MemoryDB does) and must never throw into
 * ShareDB: anything `work` throws is turned into a StorageError and passed to the callback.
 * Doing the work immediately (rather than on the next tick) linearises commits in call order,
 * and the caller's objects are serialised before it can mutate them.
 */
export function settleLater<T>(
  action: string,
  work: () => T,
  callback: (err: StorageError | null, result?: T) => void,
): void {
  let result: T;
  try {
    result = work();
  } catch (err) {
    process.nextTick(callback, toStorageError(err, action));
    return;
  }
  process.nextTick(callback, null, result);
}

/** Throws a TypeError for a missing callback: a programming error, as in ShareDB's MemoryDB. */
export function requireCallback(callback: unknown): void {
  if (typeof callback !== 'function') throw new TypeError('Callback required');
}
