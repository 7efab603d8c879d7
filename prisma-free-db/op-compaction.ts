import type ShareDB from 'sharedb';
import type { ShareDBOp } from './sharedb-shapes';
import { replayOps, type ReplayedSnapshot } from './snapshot-replay';
import { StorageError, StorageErrorCode } from './storage-error';
import type { Store } from './store';

export interface CompactionResult {
  /** First version whose op is still stored (history from here on is keystroke-level). */
  retainedFrom: number;
  /** Versions below `retainedFrom` that stay viewable, as milestone snapshots. */
  milestones: number[];
}

/**
 * Replace a doc's keystroke-level ops below `before` with milestone snapshots at `keepVersions`
 * (e.g. every submitted version) and at `before` itself, then delete those ops. Versions from
 * `before` on keep full history and playback; a client that reconnects with a version at or
 * above it resumes normally, one with an older version is refused (its ops cannot be transformed)
 * and reloads the doc.
 *
 * Milestones are saved before anything is deleted, so a crash in between loses nothing. Running
 * it again with the same `before` changes nothing.
 */
export async function compactDocOps(
  store: Store,
  collection: string,
  id: string,
  options: { before: number; keepVersions: readonly number[] },
): Promise<CompactionResult> {
  const from = await store.firstOpVersion(collection, id);
  const target = Math.max(from, options.before);
  const wanted = new Set([...options.keepVersions.filter((v) => v >= from && v <= target), target]);
  const existing = new Set(await store.milestoneVersions(collection, id));
  if (target > from) {
    const snapshot = await baseSnapshot(store, collection, id, from);
    const ops = await call<ShareDBOp[]>((cb) => store.db.getOps(collection, id, from, target, { metadata: true }, cb as never));
    if (ops.length !== target - from) {
      throw new StorageError(StorageErrorCode.MissingOps, `Ops ${from}..${target - 1} are not all stored; nothing was compacted.`);
    }
    for (const op of ops) {
      replayOps(snapshot, [op]);
      if (wanted.has(snapshot.v) && !existing.has(snapshot.v)) await saveMilestone(store, collection, id, snapshot);
    }
  }
  const retainedFrom = target > from ? await store.deleteOpsBefore(collection, id, target) : from;
  const milestones = (await store.milestoneVersions(collection, id)).filter((v) => v <= retainedFrom);
  return { retainedFrom, milestones };
}

/** The snapshot at `version`: empty at 0, else the milestone saved there by an earlier compaction. */
async function baseSnapshot(store: Store, collection: string, id: string, version: number): Promise<ReplayedSnapshot> {
  if (version === 0) return { v: 0, type: null, data: undefined, m: null };
  const milestone = await call<ShareDB.Snapshot | undefined>((cb) =>
    (store.milestoneDb as unknown as { getMilestoneSnapshot: (c: string, i: string, v: number, cb: unknown) => void }).getMilestoneSnapshot(
      collection,
      id,
      version,
      cb,
    ),
  );
  if (!milestone || milestone.v !== version) {
    throw new StorageError(StorageErrorCode.MissingOps, `Version ${version} has neither ops nor a milestone; nothing was compacted.`);
  }
  return { v: milestone.v, type: milestone.type ?? null, data: milestone.data as unknown, m: (milestone.m ?? null) as ReplayedSnapshot['m'] };
}

function saveMilestone(store: Store, collection: string, id: string, snapshot: ReplayedSnapshot): Promise<void> {
  const copy = { id, v: snapshot.v, type: snapshot.type, data: structuredClone(snapshot.data), m: snapshot.m ? { ...snapshot.m } : null };
  return call((cb) => store.milestoneDb.saveMilestoneSnapshot(collection, copy as unknown as ShareDB.Snapshot, cb as never));
}

function call<T = void>(fn: (cb: (err?: unknown, result?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, result) => (err ? reject(err) : resolve(result as T))));
}
