import type { SnapshotMeta } from './sharedb-shapes';

/**
 * The latest snapshot of one doc as this process committed or loaded it. The cache owns `data`
 * and `m`: nothing outside SqliteDB may hold a reference to them (copy in, copy out).
 */
export interface CachedSnapshot {
  readonly collection: string;
  readonly id: string;
  /** Current version: the stored ops are exactly 0 .. v - 1. */
  v: number;
  /** Type URI; null once deleted. */
  type: string | null;
  data: unknown;
  m: SnapshotMeta | null;
  /**
   * Version of the `snapshots` row in SQLite (0: no row). Below `v` the entry is dirty: the row
   * is older than the doc and a reload would replay ops persistedVersion .. v - 1.
   */
  persistedVersion: number;
  /**
   * JSON text of the ops right before `v`, oldest first: `recentOps[i]` is the op at version
   * `v - recentOps.length + i`. ShareDB reads these to transform a late op; keeping them saves
   * a SQLite range read per late submit. Strings are immutable, so they need no copying.
   */
  recentOps: string[];
  /** Estimated heap size of `data`, `m` and `recentOps`, counted against the byte budget. */
  bytes: number;
  /** `Date.now()` of the last commit (or of a load that had to replay ops); drives idle persists. */
  changedAt: number;
  /**
   * The owner's count of writes by other connections when this entry was last known to be the
   * doc's current version. When the count has moved on, the owner re-checks the doc's version
   * in SQLite before trusting the entry (SqliteDB.freshEntry).
   */
  verifiedEpoch: number;
}

/** Outcome of {@link SnapshotCache.set}. */
export interface CacheSetResult {
  /** False when the entry alone is over the budget: it was not kept (nor any older one). */
  cached: boolean;
  /** Entries pushed out to stay within the budget, least recently used first. */
  evicted: CachedSnapshot[];
}

/**
 * A least-recently-used map of doc snapshots bounded by estimated bytes, with the set of dirty
 * entries kept separately so idle persistence never scans clean ones. Pure bookkeeping: it does
 * no I/O and copies nothing; SqliteDB persists what it evicts.
 */
export class SnapshotCache {
  /** Insertion order is recency order: a hit is moved to the end. */
  private readonly entries = new Map<string, CachedSnapshot>();
  private readonly dirtyEntries = new Set<CachedSnapshot>();
  private bytes = 0;

  /** @param maxBytes budget for the sum of `entry.bytes`; 0 keeps nothing. */
  constructor(readonly maxBytes: number) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError(`Invalid cache budget: ${maxBytes}`);
  }

  /** Number of docs cached. */
  get size(): number {
    return this.entries.size;
  }

  /** Sum of the cached entries' estimated bytes (never above maxBytes). */
  get totalBytes(): number {
    return this.bytes;
  }

  /** Number of cached docs whose SQLite row is older than their current version. */
  get dirtyCount(): number {
    return this.dirtyEntries.size;
  }

  /** Whether an entry of `bytes` would be kept by `set`. */
  fits(bytes: number): boolean {
    return bytes <= this.maxBytes;
  }

  /** The entry, marked most recently used; undefined if not cached. */
  get(collection: string, id: string): CachedSnapshot | undefined {
    const key = keyOf(collection, id);
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  /** The entry without changing its recency. */
  peek(collection: string, id: string): CachedSnapshot | undefined {
    return this.entries.get(keyOf(collection, id));
  }

  /**
   * Insert or replace the doc's entry as the most recently used one, then evict least recently
   * used entries until the total is within budget. An entry over the whole budget is not kept
   * (and replaces nothing: the doc's older entry is dropped too).
   */
  set(entry: CachedSnapshot): CacheSetResult {
    this.delete(entry.collection, entry.id);
    if (!this.fits(entry.bytes)) return { cached: false, evicted: [] };
    this.entries.set(keyOf(entry.collection, entry.id), entry);
    this.bytes += entry.bytes;
    this.trackDirty(entry);
    const evicted: CachedSnapshot[] = [];
    for (const [key, oldest] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(key);
      this.dirtyEntries.delete(oldest);
      this.bytes -= oldest.bytes;
      evicted.push(oldest);
    }
    return { cached: true, evicted };
  }

  /** The cached entries of one collection (a snapshot of the list: safe to delete while iterating). */
  entriesOf(collection: string): CachedSnapshot[] {
    return [...this.entries.values()].filter((e) => e.collection === collection);
  }

  /** Drop the doc's entry, if any; returns it. */
  delete(collection: string, id: string): CachedSnapshot | undefined {
    const key = keyOf(collection, id);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.dirtyEntries.delete(entry);
    this.bytes -= entry.bytes;
    return entry;
  }

  /** Drop everything (dirty entries too: their ops are stored, a reload replays them). */
  clear(): void {
    this.entries.clear();
    this.dirtyEntries.clear();
    this.bytes = 0;
  }

  /** Record that `entry`'s row now holds `version` (it stays dirty if it has moved on since). */
  markPersisted(entry: CachedSnapshot, version: number): void {
    if (version > entry.persistedVersion) entry.persistedVersion = version;
    if (this.entries.get(keyOf(entry.collection, entry.id)) === entry) this.trackDirty(entry);
  }

  /** Dirty entries, optionally only those of one collection or unchanged since `changedBefore`. */
  dirty(filter: { collection?: string; changedBefore?: number } = {}): CachedSnapshot[] {
    const result: CachedSnapshot[] = [];
    for (const entry of this.dirtyEntries) {
      if (filter.collection !== undefined && entry.collection !== filter.collection) continue;
      if (filter.changedBefore !== undefined && entry.changedAt >= filter.changedBefore) continue;
      result.push(entry);
    }
    return result;
  }

  private trackDirty(entry: CachedSnapshot): void {
    if (entry.persistedVersion < entry.v) this.dirtyEntries.add(entry);
    else this.dirtyEntries.delete(entry);
  }
}

/** Collection names and doc ids never contain NUL (argument-checks.ts), so the key is unambiguous. */
function keyOf(collection: string, id: string): string {
  return `${collection}\u0000${id}`;
}
