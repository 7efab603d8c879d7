/**
 * Who wrote which characters of a file: replays a file's op history and attributes every code
 * point of the final text to the op that inserted it (or to the initial text). Reviewers use it
 * to see each person's share of a submission, so it must stay exact through deletes and
 * concurrent edits and be cheap enough to run over a whole session's history.
 */
import { codePointLength } from '../text/offsets';
import type { TextOp } from '../text/text-type';

/** One op of a file's history, as stored: the op that took the file from version `v` to `v + 1`. */
export interface AttributedOp {
  op: TextOp;
  /** User id of whoever submitted the op; null if unknown (e.g. a system import). */
  author: string | null;
  /** Where the op came from (e.g. 'editor', 'paste', 'restore'), if recorded. */
  source?: string;
  v: number;
  ts?: number;
}

/** A maximal run of the final text written by one author from one source, in code points. */
export interface BlameSpan {
  from: number;
  to: number;
  author: string | null;
  source: string | null;
  /** The latest `v` among the run's characters; null if all of them come from the initial text. */
  v: number | null;
}

/** One author's share of a file. */
export interface Contribution {
  author: string | null;
  /** Characters of the final text attributed to the author. */
  chars: number;
  /** Code points the author inserted over the whole history, kept or not. */
  insertedChars: number;
  /** Code points the author deleted over the whole history, whoever wrote them. */
  deletedChars: number;
  /** Ops by the author that changed the text. */
  ops: number;
}

interface Attribution {
  author: string | null;
  source: string | null;
  v: number | null;
}

/** A run of characters all inserted by one op (or all from the initial text). */
interface Segment {
  length: number;
  attribution: Attribution;
}

interface Chunk {
  segments: Segment[];
  length: number;
}

/**
 * A chunk splits in two past this many segments. Keystroke-by-keystroke typing leaves one segment
 * per keystroke, so a flat list would make replaying a long session quadratic; chunks bound one
 * edit to O(chunks + CHUNK_SEGMENTS) instead.
 */
const CHUNK_SEGMENTS = 256;

function sameAttribution(a: Attribution, b: Attribution): boolean {
  return a === b || (a.author === b.author && a.source === b.source && a.v === b.v);
}

/** Run-length attribution of a text, edited in place by position (code points). */
class AttributedText {
  private chunks: Chunk[] = [];
  private total = 0;

  constructor(length: number, attribution: Attribution) {
    if (length > 0) this.chunks.push({ segments: [{ length, attribution }], length });
    this.total = length;
  }

  get length(): number {
    return this.total;
  }

  /** Segments in text order. */
  *segments(): Generator<Segment> {
    for (const chunk of this.chunks) yield* chunk.segments;
  }

  /** The chunk holding position `pos` (the last chunk for the end of the text) and `pos` inside it. */
  private locate(pos: number): { chunk: number; offset: number } {
    let offset = pos;
    for (let c = 0; c < this.chunks.length; c++) {
      const length = (this.chunks[c] as Chunk).length;
      if (offset < length || c === this.chunks.length - 1) return { chunk: c, offset };
      offset -= length;
    }
    return { chunk: 0, offset: 0 };
  }

  /** Removes `count` characters starting at `pos` (clamped to the text, like `type.apply`). */
  delete(pos: number, count: number): void {
    let remaining = Math.min(count, this.total - pos);
    if (remaining <= 0) return;
    this.total -= remaining;
    let { chunk: c, offset } = this.locate(pos);
    while (remaining > 0) {
      const chunk = this.chunks[c] as Chunk;
      let s = 0;
      while (offset >= (chunk.segments[s] as Segment).length) offset -= (chunk.segments[s++] as Segment).length;
      while (remaining > 0 && s < chunk.segments.length) {
        const segment = chunk.segments[s] as Segment;
        // A segment has one attribution throughout, so removing any part of it just shortens it.
        const take = Math.min(remaining, segment.length - offset);
        segment.length -= take;
        chunk.length -= take;
        remaining -= take;
        if (segment.length === 0) chunk.segments.splice(s, 1);
        else s++;
        offset = 0;
      }
      if (chunk.length === 0) this.chunks.splice(c, 1);
      else {
        this.mergeAt(chunk, s);
        c++;
      }
    }
  }

  /** Inserts `count` characters attributed to `attribution` at `pos`. */
  insert(pos: number, count: number, attribution: Attribution): void {
    if (count <= 0) return;
    this.total += count;
    if (this.chunks.length === 0) {
      this.chunks.push({ segments: [{ length: count, attribution }], length: count });
      return;
    }
    const { chunk: c, offset: inChunk } = this.locate(pos);
    const chunk = this.chunks[c] as Chunk;
    chunk.length += count;
    let offset = inChunk;
    let s = 0;
    while (s < chunk.segments.length && offset >= (chunk.segments[s] as Segment).length) {
      offset -= (chunk.segments[s++] as Segment).length;
    }
    const inserted: Segment = { length: count, attribution };
    if (offset > 0) {
      const segment = chunk.segments[s] as Segment;
      if (sameAttribution(segment.attribution, attribution)) {
        segment.length += count;
        return;
      }
      chunk.segments.splice(s, 1, { length: offset, attribution: segment.attribution }, inserted, {
        length: segment.length - offset,
        attribution: segment.attribution,
      });
    } else {
      chunk.segments.splice(s, 0, inserted);
      this.mergeAt(chunk, s + 1);
      this.mergeAt(chunk, s);
    }
    if (chunk.segments.length > 2 * CHUNK_SEGMENTS) this.split(c);
  }

  /** Merges segment `s` into segment `s - 1` if they have the same attribution. */
  private mergeAt(chunk: Chunk, s: number): void {
    const before = chunk.segments[s - 1];
    const after = chunk.segments[s];
    if (before && after && sameAttribution(before.attribution, after.attribution)) {
      before.length += after.length;
      chunk.segments.splice(s, 1);
    }
  }

  private split(c: number): void {
    const chunk = this.chunks[c] as Chunk;
    const tail = chunk.segments.splice(CHUNK_SEGMENTS);
    const tailLength = tail.reduce((sum, segment) => sum + segment.length, 0);
    chunk.length -= tailLength;
    this.chunks.splice(c + 1, 0, { segments: tail, length: tailLength });
  }
}

/** One place an op changes the text: at old position `at`, remove `deleted`, then insert `inserted`. */
interface Edit {
  at: number;
  deleted: number;
  inserted: number;
}

/**
 * The op's changes in old-text positions, ascending. Inserts and deletes with no skip between
 * them are one edit: their order inside the op does not change the resulting text.
 */
function opToEdits(op: TextOp, docLength: number): Edit[] {
  const edits: Edit[] = [];
  let pos = 0;
  let current: Edit | null = null;
  for (const component of op) {
    if (typeof component === 'number') {
      if (pos + component > docLength) throw new Error('The op is too long for this document');
      pos += component;
      current = null;
      continue;
    }
    if (!current) {
      current = { at: pos, deleted: 0, inserted: 0 };
      edits.push(current);
    }
    if (typeof component === 'string') current.inserted += codePointLength(component);
    else {
      const n = typeof component.d === 'number' ? component.d : codePointLength(component.d);
      current.deleted += n;
      pos += n;
    }
  }
  return edits;
}

/**
 * Attributes every code point of the text left by replaying `ops` over `initial`, as maximal
 * runs of one (author, source) in text order, covering the final text without gaps. The
 * initial text is attributed to `initialAuthor` with source and `v` null. An author's
 * characters from several ops merge into one span; its `v` is the latest of them.
 *
 * `ops` must be consecutive and apply in order (the first one to `initial`); an op reaching past
 * the end of the text throws like `type.apply`. O(ops × (chunks + 256)) for the replay.
 */
export function blame(initial: string, initialAuthor: string | null, ops: readonly AttributedOp[]): BlameSpan[] {
  const text = new AttributedText(codePointLength(initial), { author: initialAuthor, source: null, v: null });
  for (const { op, author, source, v } of ops) {
    const attribution: Attribution = { author, source: source ?? null, v };
    const edits = opToEdits(op, text.length);
    // Last edit first, so the old positions of the earlier ones still hold.
    for (let i = edits.length - 1; i >= 0; i--) {
      const edit = edits[i] as Edit;
      text.delete(edit.at, edit.deleted);
      text.insert(edit.at, edit.inserted, attribution);
    }
  }

  const spans: BlameSpan[] = [];
  let pos = 0;
  for (const { length, attribution } of text.segments()) {
    const last = spans[spans.length - 1];
    if (last && last.author === attribution.author && last.source === attribution.source) {
      last.to += length;
      if (attribution.v !== null && (last.v === null || attribution.v > last.v)) last.v = attribution.v;
    } else {
      spans.push({ from: pos, to: pos + length, ...attribution });
    }
    pos += length;
  }
  return spans;
}

/**
 * Per-author totals: `chars` from `spans` (what `blame` returned for the same history), the rest
 * from `ops`. Ordered by `chars`, most first; ties keep the order in which authors first appear
 * in the spans, then in the ops.
 */
export function contributions(spans: readonly BlameSpan[], ops: readonly AttributedOp[]): Contribution[] {
  const byAuthor = new Map<string | null, Contribution>();
  const entry = (author: string | null): Contribution => {
    let found = byAuthor.get(author);
    if (!found) {
      found = { author, chars: 0, insertedChars: 0, deletedChars: 0, ops: 0 };
      byAuthor.set(author, found);
    }
    return found;
  };
  for (const span of spans) entry(span.author).chars += span.to - span.from;
  for (const { op, author } of ops) {
    let inserted = 0;
    let deleted = 0;
    for (const component of op) {
      if (typeof component === 'string') inserted += codePointLength(component);
      else if (typeof component === 'object') deleted += typeof component.d === 'number' ? component.d : codePointLength(component.d);
    }
    // An empty op changed nothing; it should not make its author look like a contributor.
    if (inserted === 0 && deleted === 0) continue;
    const totals = entry(author);
    totals.insertedChars += inserted;
    totals.deletedChars += deleted;
    totals.ops++;
  }
  // Array.prototype.sort is stable, so ties keep first-appearance order.
  return [...byAuthor.values()].sort((a, b) => b.chars - a.chars);
}
