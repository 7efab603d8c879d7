import ShareDB from 'sharedb';
import type { ShareDBOp, SnapshotMeta } from './sharedb-shapes';
import { StorageError, StorageErrorCode } from './storage-error';

/** An OT type as ShareDB registers it (@types/sharedb does not export the name). */
type OtType = (typeof ShareDB.types.map)[string];

/** A snapshot being rebuilt; `replayOps` edits it in place. */
export interface ReplayedSnapshot {
  v: number;
  type: string | null;
  data: unknown;
  m: SnapshotMeta | null;
}

/**
 * Bring `snapshot` (the last persisted snapshot row, or the empty v0 snapshot) up to date by
 * applying the stored ops that follow it, in order, with the OT types registered in this process
 * (`ShareDB.types.map`). The result is what ShareDB's SubmitRequest committed: data and type
 * through the same `create` / `apply` calls as sharedb's `ot.apply`, and the metadata it derives
 * from each op (`mtime` = `op.m.ts`; on create also `ctime` and `_create`). Metadata that
 * middleware wrote into `snapshot.m` itself cannot be derived from ops; Tandem writes none, and
 * every clean shutdown, eviction and idle period persists the exact snapshot anyway, so only a
 * crash ever takes this path.
 *
 * Throws a StorageError when an op does not follow the snapshot's version or its type is not
 * registered (register types before opening the store, as the server does).
 */
export function replayOps(snapshot: ReplayedSnapshot, ops: readonly ShareDBOp[]): void {
  for (const op of ops) {
    if (op.v !== undefined && op.v !== snapshot.v) {
      throw new StorageError(
        StorageErrorCode.MissingOps,
        `Op ${String(op.v)} of this document does not follow version ${snapshot.v} in the store.`,
      );
    }
    const ts = typeof op.m?.['ts'] === 'number' ? op.m['ts'] : undefined;
    if (op.create) {
      const type = registeredType(op.create.type);
      snapshot.data = type.create(op.create.data) as unknown;
      snapshot.type = type.uri ?? op.create.type;
      if (ts !== undefined) {
        snapshot.m = { ...(snapshot.m ?? {}), ctime: ts, mtime: ts, _create: { src: op.src, seq: op.seq, v: op.v } };
      }
    } else if (op.del) {
      snapshot.data = undefined;
      snapshot.type = null;
      if (ts !== undefined) snapshot.m = { ...(snapshot.m ?? {}), mtime: ts };
    } else if ('op' in op) {
      if (snapshot.type === null) {
        throw new StorageError(StorageErrorCode.Failed, 'A stored edit applies to a document that does not exist.');
      }
      snapshot.data = registeredType(snapshot.type).apply(snapshot.data, op.op) as unknown;
      if (ts !== undefined) snapshot.m = { ...(snapshot.m ?? {}), mtime: ts };
    } else if (ts !== undefined) {
      snapshot.m = { ...(snapshot.m ?? {}), mtime: ts };
    }
    snapshot.v++;
  }
}

/** True when an edit of a doc of this type can be rebuilt from its op in this process. */
export function canReplay(typeUri: string | null | undefined): boolean {
  return typeof typeUri === 'string' && lookupType(typeUri) !== undefined;
}

function registeredType(uri: unknown): OtType {
  const type = typeof uri === 'string' ? lookupType(uri) : undefined;
  if (!type) {
    throw new StorageError(
      StorageErrorCode.Failed,
      'Cannot rebuild a document snapshot from its ops: its OT type is not registered in this process.',
    );
  }
  return type;
}

function lookupType(uri: string): OtType | undefined {
  // An own-property lookup: a doc type named "constructor" must not find Object's.
  return Object.prototype.hasOwnProperty.call(ShareDB.types.map, uri) ? ShareDB.types.map[uri] : undefined;
}
