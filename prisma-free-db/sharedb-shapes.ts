import type ShareDB from 'sharedb';

/**
 * Precise shapes of what ShareDB's DB and MilestoneDB interfaces pass around, as read from
 * sharedb 7's lib/db/index.js, lib/submit-request.js and lib/milestone-db/index.js.
 * @types/sharedb 5.1 types most of these as `any`, types `getOpsToSnapshot`'s snapshot as a
 * number, and types callback errors as `{code: number}`; the adapters use these instead.
 */

/** A snapshot as returned by every read: `v` 0 and `type` null for a doc never created. */
export type Snapshot = ShareDB.Snapshot;

/** Snapshot metadata (`m`): ctime/mtime plus whatever middleware added. */
export type SnapshotMeta = Record<string, unknown>;

/** The snapshot handed to `commit`, after the op was applied to it (`id` may be absent). */
export interface CommitSnapshot {
  id?: string;
  v: number;
  /** Type URI; null (or absent) once a `del` op was applied. */
  type?: string | null;
  data?: unknown;
  m?: SnapshotMeta | null;
}

/**
 * An op as ShareDB commits and reads it. The whole object is stored, so fields like `src`, `seq`
 * and `m` (metadata, including `m.ts` and fixups) come back exactly as committed.
 */
export interface ShareDBOp {
  /** Version the op applies to; the op turns snapshot v into v + 1. */
  v?: number;
  /** Id of the client connection that submitted the op. */
  src?: string;
  /** That client's sequence number; (src, seq) identifies a resent op. */
  seq?: number;
  m?: SnapshotMeta;
  create?: { type: string; data?: unknown };
  del?: boolean;
  op?: unknown;
  [key: string]: unknown;
}

/** `fields` of getSnapshot: a projection, or `{$submit: true}` when SubmitRequest reads. */
export type ProjectionFields = { $submit?: boolean; [field: string]: unknown } | null | undefined;

/** Options ShareDB passes to reads. `metadata` asks for `m` on snapshots and ops. */
export type ReadOptions = { metadata?: boolean; agentCustom?: unknown; [key: string]: unknown } | null | undefined;

/** Node-style callback of a read or write. */
export type ResultCallback<T> = (err: Error | null, result?: T) => void;

/** Callback of the milestone reads; matches @types/sharedb's `(err?: Error)` plus the result. */
export type MilestoneCallback = (err?: Error | null, snapshot?: Snapshot) => void;

/** Callback of `close`, matching ShareDB's (err?) convention. */
export type CloseCallback = (err?: Error) => void;

/** Callback of `query`: snapshots in order, plus adapter-specific `extra` (unused here). */
export type QueryCallback = (err: Error | null, snapshots?: Snapshot[], extra?: unknown) => void;

/** Callback of `queryPoll`: matching ids in order. */
export type QueryPollCallback = (err: Error | null, ids?: string[], extra?: unknown) => void;

/** Map of doc id → snapshot, as getSnapshotBulk returns it. */
export type SnapshotMap = Record<string, Snapshot>;

/** Map of doc id → ops, as getOpsBulk returns it. */
export type OpsMap = Record<string, ShareDBOp[]>;

/** Map of doc id → version (or null for "from the start" / "to the end"). */
export type VersionMap = Record<string, number | null | undefined>;
