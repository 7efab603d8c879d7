import type ShareDB from 'sharedb';
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

const SOURCES = new Set<OpSource>(['typed', 'pasted', 'starter', 'teacher', 'ai', 'server']);

interface RawOp {
  v?: number;
  op?: unknown;
  create?: { type?: string; data?: unknown };
  del?: boolean;
  m?: { ts?: number; author?: unknown; source?: unknown } | null;
}

/**
 * Reads a file's op log straight from the document store (with metadata: author, source, time).
 * History is a product feature: ops are kept, so any version can be rebuilt from them.
 */
export class FileHistoryReader {
  constructor(private readonly db: ShareDB.DB) {}

  /** Every op of the file from `from` (inclusive) to `to` (exclusive; null = to the end). */
  ops(workspaceId: string, fileId: string, from = 0, to: number | null = null): Promise<FileOp[]> {
    return new Promise((resolve, reject) => {
      (this.db as unknown as { getOps: (...args: unknown[]) => void }).getOps(
        COLLECTIONS.files,
        fileDocId(workspaceId, fileId),
        from,
        to,
        { metadata: true },
        (err: unknown, raw: RawOp[]) => {
          if (err) reject(err instanceof Error ? err : new Error(String((err as { message?: unknown })?.message ?? err)));
          else resolve(raw.map((r, i) => toFileOp(r, from + i)));
        },
      );
    });
  }
}

function toFileOp(r: RawOp, fallbackV: number): FileOp {
  const author = typeof r.m?.author === 'string' ? r.m.author : null;
  const source = typeof r.m?.source === 'string' && SOURCES.has(r.m.source as OpSource) ? (r.m.source as OpSource) : null;
  const base = { v: typeof r.v === 'number' ? r.v : fallbackV, author, source, ts: typeof r.m?.ts === 'number' ? r.m.ts : null };
  if (r.create) {
    const data = r.create.type === TEXT_TYPE_URI || r.create.type === 'text-unicode' ? r.create.data : '';
    return { ...base, kind: 'create', op: null, initial: typeof data === 'string' ? data : '' };
  }
  if (r.del) return { ...base, kind: 'delete', op: null, initial: null };
  return { ...base, kind: 'edit', op: (r.op ?? []) as TextOp, initial: null };
}

/**
 * The file's text after `version` ops (version 0: before it existed, ''), rebuilt from its ops.
 * Returns null if the log does not reach that far.
 */
export function textAtVersion(ops: readonly FileOp[], version: number): string | null {
  let text = '';
  let v = 0;
  for (const o of ops) {
    if (v >= version) break;
    if (o.kind === 'create') text = o.initial ?? '';
    else if (o.kind === 'delete') text = '';
    else if (o.op) text = textType.apply(text, o.op);
    v = o.v + 1;
  }
  return v === version ? text : null;
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
