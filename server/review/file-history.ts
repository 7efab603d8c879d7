import { StorageError, StorageErrorCode, type Store } from '../../prisma-free-db';
import { COLLECTIONS, TEXT_TYPE_URI, fileDocId } from '../../lib/protocol';
import { textType, type TextOp } from '../../lib/text/text-type';
import type { OpSource } from '../../lib/review/review-api';

/** One stored op of a file doc, as review needs it. */
export interface FileOp {
  /** Version the op applies to (the create is v 0, the first edit v 1). */
  v: number;
  kind: 'create' | 'edit' | 'delete';
  /** Edit ops only. */
  op: TextOp | null;
  /** Create ops only: the text the file was created with. */
  initial: string | null;
  author: string | null;
  source: OpSource | null;
  ts: number | null;
}

/** A file's text at one version, and where its keystroke-level history starts. */
export interface VersionText {
  /** Null when that version is not kept (compacted without a milestone) or does not exist yet. */
  text: string | null;
  retainedFrom: number;
}

/** Ops per read of a whole log: about 20 ms of the event loop each on the benchmark machine. */
const READ_CHUNK_OPS = 1_000;

/** Reads racing a compaction: each lost race means a compaction finished, so a few suffice. */
const MAX_READ_ATTEMPTS = 3;

const SOURCES = new Set<OpSource>(['typed', 'pasted', 'starter', 'teacher', 'ai', 'server']);

interface RawOp {
  v?: number;
  op?: unknown;
  create?: { type?: string; data?: unknown };
  del?: boolean;
  m?: { ts?: number; author?: unknown; source?: unknown } | null;
}

/**
 * One file's history as review needs it: the stored ops (with author, source and time) and, when
 * old ops were compacted (op retention), the text at the first kept version plus the texts of
 * the versions kept as milestones below it.
 */
export class FileLog {
  constructor(
    readonly ops: readonly FileOp[],
    /** First version with keystroke-level history (0 unless compacted). */
    readonly retainedFrom: number,
    /** Text at `retainedFrom` when it is above 0. */
    readonly baseText: string,
    /** Texts of versions below `retainedFrom` kept as milestone snapshots. */
    private readonly kept: ReadonlyMap<number, string>,
  ) {}

  /** The file's current version. */
  get version(): number {
    const last = this.ops[this.ops.length - 1];
    return last ? last.v + 1 : this.retainedFrom;
  }

  /** Versions below `retainedFrom` that can still be viewed, ascending. */
  get keptVersions(): number[] {
    return [...this.kept.keys()].sort((a, b) => a - b);
  }

  /** The text after `version` ops ('' at 0), or null when that version is not kept. */
  textAt(version: number): string | null {
    if (version < this.retainedFrom) return this.kept.get(version) ?? (version === 0 ? '' : null);
    if (version > this.version) return null;
    let text = this.baseText;
    for (const o of this.ops) {
      if (o.v >= version) break;
      if (o.kind === 'create') text = o.initial ?? '';
      else if (o.kind === 'delete') text = '';
      else if (o.op) text = textType.apply(text, o.op);
    }
    return text;
  }

  /** The starting text and the edit ops after it (blame and paste signals replay these). */
  edits(): { initial: string; fromStarter: boolean; edits: Array<{ op: TextOp; v: number; author: string | null; source?: string; ts?: number }> } {
    let initial = this.baseText;
    let fromStarter = this.retainedFrom === 0;
    const edits = [];
    for (const o of this.ops) {
      if (o.kind === 'create') {
        initial = o.initial ?? '';
        fromStarter = true;
      } else if (o.kind === 'edit' && o.op) {
        edits.push({ op: o.op, v: o.v, author: o.author, ...(o.source ? { source: o.source } : {}), ...(o.ts !== null ? { ts: o.ts } : {}) });
      }
    }
    return { initial, fromStarter, edits };
  }
}

/**
 * Reads a file's op log straight from the document store (with metadata: author, source, time).
 * History is a product feature: ops are kept (or compacted to milestones by op retention), so any
 * kept version can be rebuilt.
 */
export class FileHistoryReader {
  constructor(
    private readonly store: Store,
    /** Ops per read of a whole log (a test sets it small to cross chunk boundaries). */
    private readonly readChunkOps = READ_CHUNK_OPS,
  ) {}

  /** The file's log; null when the file has never existed. */
  async read(workspaceId: string, fileId: string): Promise<FileLog | null> {
    const docId = fileDocId(workspaceId, fileId);
    // Op retention (in this process or another) may delete the oldest ops between reading where
    // the log starts and reading the ops; the op read then finds a gap. The start has moved on,
    // so read again from there. A gap with an unmoved start is real damage and is reported.
    for (let attempt = 1; ; attempt++) {
      const from = await this.store.firstOpVersion(COLLECTIONS.files, docId);
      try {
        const log = await this.readFrom(docId, from);
        // An adapter that returns what it finds reads no ops at all when every op was just compacted.
        if (log === null && attempt < MAX_READ_ATTEMPTS && (await this.store.firstOpVersion(COLLECTIONS.files, docId)) !== from) continue;
        return log;
      } catch (err) {
        const gap = err instanceof StorageError && err.code === StorageErrorCode.MissingOps;
        if (!gap || attempt >= MAX_READ_ATTEMPTS || (await this.store.firstOpVersion(COLLECTIONS.files, docId)) === from) throw err;
      }
    }
  }

  /** The file's current version (0 when it has never existed), from its snapshot: no op is read. */
  async version(workspaceId: string, fileId: string): Promise<number> {
    const snapshot = await new Promise<{ v: number }>((resolve, reject) => {
      (this.store.db as unknown as { getSnapshot: (...args: unknown[]) => void }).getSnapshot(COLLECTIONS.files, fileDocId(workspaceId, fileId), null, null, (err: unknown, s: { v: number }) => {
        if (err) reject(err instanceof Error ? err : new Error(String((err as { message?: unknown })?.message ?? err)));
        else resolve(s);
      });
    });
    return snapshot.v;
  }

  /**
   * The text after `version` ops, rebuilt from the nearest milestone snapshot at or below it
   * (ShareDB saves one every MILESTONE_INTERVAL versions) plus the ops after that milestone, so a
   * playback step costs the same early and late in a long history. Null when the file has never
   * existed.
   */
  async textAt(workspaceId: string, fileId: string, version: number): Promise<VersionText | null> {
    const docId = fileDocId(workspaceId, fileId);
    // The same race with op retention as `read`, and the same remedy.
    for (let attempt = 1; ; attempt++) {
      const from = await this.store.firstOpVersion(COLLECTIONS.files, docId);
      try {
        return await this.textFrom(docId, from, version);
      } catch (err) {
        const gap = err instanceof StorageError && err.code === StorageErrorCode.MissingOps;
        if (!gap || attempt >= MAX_READ_ATTEMPTS || (await this.store.firstOpVersion(COLLECTIONS.files, docId)) === from) throw err;
      }
    }
  }

  private async textFrom(docId: string, from: number, version: number): Promise<VersionText | null> {
    if (version < from) {
      // Compacted: only the versions kept as milestones can be shown.
      if (version === 0) return { text: '', retainedFrom: from };
      const kept = await this.milestone(docId, version);
      return { text: kept?.v === version ? textOf(kept) : null, retainedFrom: from };
    }
    const nearest = await this.milestone(docId, version);
    let start: number;
    let baseText: string;
    if (nearest && nearest.v >= from) {
      start = nearest.v;
      baseText = textOf(nearest);
    } else if (from === 0) {
      start = 0;
      baseText = '';
    } else {
      // A compacted log always has a milestone at its first kept version; without one, replay
      // the whole kept log, which knows how to report what is missing.
      const log = await this.readFrom(docId, from);
      return log && { text: log.textAt(version), retainedFrom: log.retainedFrom };
    }
    const raw = start < version ? await this.opsBetween(docId, start, version) : [];
    if (raw.some((r, i) => typeof r.v === 'number' && r.v !== start + i)) {
      throw new StorageError(StorageErrorCode.MissingOps, `The ops of ${docId} from version ${start} have a gap.`);
    }
    if (start === 0 && raw.length === 0 && (await this.opsBetween(docId, 0, 1)).length === 0) return null;
    const log = new FileLog(raw.map((r, i) => toFileOp(r, start + i)), start, baseText, new Map());
    return { text: log.textAt(version), retainedFrom: from };
  }

  private async readFrom(docId: string, from: number): Promise<FileLog | null> {
    const raw = await this.opsInChunks(docId, from);
    if (from === 0 && raw.length === 0) return null;
    // Not every adapter reports a gap itself (sharedb-mongo returns the ops it finds).
    if (raw.some((r, i) => typeof r.v === 'number' && r.v !== from + i)) {
      throw new StorageError(StorageErrorCode.MissingOps, `The ops of ${docId} from version ${from} have a gap.`);
    }
    const kept = new Map<number, string>();
    let baseText = '';
    if (from > 0) {
      for (const v of await this.store.milestoneVersions(COLLECTIONS.files, docId)) {
        if (v > from) break;
        const snapshot = await this.milestone(docId, v);
        if (snapshot?.v !== v) continue;
        const text = textOf(snapshot);
        if (v === from) baseText = text;
        else kept.set(v, text);
      }
    }
    return new FileLog(raw.map((r, i) => toFileOp(r, from + i)), from, baseText, kept);
  }

  /**
   * Ops from `from` to the current version, READ_CHUNK_OPS at a time with the event loop free in
   * between: the SQLite store reads synchronously, and a long history in one read held every
   * socket of the process for seconds (bench/history-playback.ts).
   */
  private async opsInChunks(docId: string, from: number): Promise<RawOp[]> {
    const all: RawOp[] = [];
    for (let start = from; ; start += this.readChunkOps) {
      const chunk = await this.opsBetween(docId, start, start + this.readChunkOps);
      for (const op of chunk) all.push(op);
      if (chunk.length < this.readChunkOps) return all;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Ops [from, to) with metadata; `to` null = up to the current version. */
  private opsBetween(docId: string, from: number, to: number | null): Promise<RawOp[]> {
    return new Promise<RawOp[]>((resolve, reject) => {
      (this.store.db as unknown as { getOps: (...args: unknown[]) => void }).getOps(COLLECTIONS.files, docId, from, to, { metadata: true }, (err: unknown, ops: RawOp[]) => {
        if (err) reject(err instanceof Error ? err : new Error(String((err as { message?: unknown })?.message ?? err)));
        else resolve(ops);
      });
    });
  }

  /** The latest milestone snapshot at or below `version`. */
  private milestone(docId: string, version: number): Promise<{ v: number; data: unknown } | undefined> {
    return new Promise((resolve, reject) => {
      (this.store.milestoneDb as unknown as { getMilestoneSnapshot: (...args: unknown[]) => void }).getMilestoneSnapshot(
        COLLECTIONS.files,
        docId,
        version,
        (err: unknown, snapshot?: { v: number; data: unknown }) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(snapshot)),
      );
    });
  }
}

/** A milestone's text ('' for a deleted or non-text doc). */
function textOf(snapshot: { data: unknown }): string {
  return typeof snapshot.data === 'string' ? snapshot.data : '';
}

function toFileOp(r: RawOp, fallbackV: number): FileOp {
  // Object literals, not spreads: on the 50,000 parsed ops of bench/history-playback.ts the
  // spreads took ~160 ms of one synchronous stretch, the literals ~5 ms.
  const m = r.m;
  const v = typeof r.v === 'number' ? r.v : fallbackV;
  const author = typeof m?.author === 'string' ? m.author : null;
  const source = typeof m?.source === 'string' && SOURCES.has(m.source as OpSource) ? (m.source as OpSource) : null;
  const ts = typeof m?.ts === 'number' ? m.ts : null;
  if (r.create) {
    const data = r.create.type === TEXT_TYPE_URI || r.create.type === 'text-unicode' ? r.create.data : '';
    return { v, author, source, ts, kind: 'create', op: null, initial: typeof data === 'string' ? data : '' };
  }
  if (r.del) return { v, author, source, ts, kind: 'delete', op: null, initial: null };
  return { v, author, source, ts, kind: 'edit', op: (r.op ?? []) as TextOp, initial: null };
}

/** Code points inserted and deleted by one edit op (for the history list). */
export function opSize(op: TextOp | null): { inserted: number; deleted: number } {
  let inserted = 0;
  let deleted = 0;
  for (const c of op ?? []) {
    if (typeof c === 'string') inserted += [...c].length;
    else if (typeof c === 'object' && c !== null) deleted += typeof c.d === 'number' ? c.d : [...c.d].length;
  }
  return { inserted, deleted };
}
