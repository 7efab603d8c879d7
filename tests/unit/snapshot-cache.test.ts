import fc from 'fast-check';
import { copyJson, copyJsonMeasured } from '../../prisma-free-db/json-copy';
import { SnapshotCache, type CachedSnapshot } from '../../prisma-free-db/snapshot-cache';
import { propertyConfig } from './support/property';

/**
 * The pure parts of SqliteDB's snapshot cache: the byte-bounded LRU (snapshot-cache.ts) and the
 * copies that keep callers from mutating cached snapshots (json-copy.ts). The SQLite side is in
 * tests/contract/sqlite-snapshot-cache.test.ts.
 */

function entry(id: string, bytes: number, v = 1, persistedVersion = v, collection = 'files'): CachedSnapshot {
  return { collection, id, v, type: 'text', data: id, m: null, persistedVersion, recentOps: [], bytes, changedAt: 0, verifiedEpoch: 0 };
}

describe('SnapshotCache: LRU bounded by bytes', () => {
  test('evicts least recently used entries once the byte budget is exceeded', () => {
    const cache = new SnapshotCache(300);
    expect(cache.set(entry('a', 100)).evicted).toEqual([]);
    cache.set(entry('b', 100));
    cache.set(entry('c', 100));
    expect(cache.totalBytes).toBe(300);
    cache.get('files', 'a'); // a is now the most recently used
    const { cached, evicted } = cache.set(entry('d', 150));
    expect(cached).toBe(true);
    expect(evicted.map((e) => e.id)).toEqual(['b', 'c']);
    expect(cache.totalBytes).toBe(250);
    expect(cache.peek('files', 'a')?.id).toBe('a');
    expect(cache.peek('files', 'b')).toBeUndefined();
  });

  test('peek does not refresh recency; get does', () => {
    const cache = new SnapshotCache(200);
    cache.set(entry('a', 100));
    cache.set(entry('b', 100));
    cache.peek('files', 'a');
    expect(cache.set(entry('c', 100)).evicted.map((e) => e.id)).toEqual(['a']);
  });

  test('an entry larger than the whole budget is not kept, and drops the older entry of its doc', () => {
    const cache = new SnapshotCache(100);
    cache.set(entry('a', 50));
    cache.set(entry('b', 50));
    expect(cache.set(entry('a', 101))).toEqual({ cached: false, evicted: [] });
    expect(cache.peek('files', 'a')).toBeUndefined();
    expect(cache.peek('files', 'b')).toBeDefined();
    expect(cache.totalBytes).toBe(50);
  });

  test('a budget of 0 keeps nothing', () => {
    const cache = new SnapshotCache(0);
    expect(cache.set(entry('a', 1)).cached).toBe(false);
    expect(cache.size).toBe(0);
  });

  test('replacing a doc counts only its new size', () => {
    const cache = new SnapshotCache(1000);
    cache.set(entry('a', 400));
    cache.set(entry('a', 100, 2));
    expect(cache.size).toBe(1);
    expect(cache.totalBytes).toBe(100);
  });

  test('the same id in two collections is two entries', () => {
    const cache = new SnapshotCache(1000);
    cache.set(entry('a', 10, 1, 1, 'files'));
    cache.set(entry('a', 10, 1, 1, 'workspaces'));
    expect(cache.size).toBe(2);
  });

  test('dirty entries are tracked until persisted, and filtered by collection and idleness', () => {
    const cache = new SnapshotCache(1000);
    const a = { ...entry('a', 10, 5, 1), changedAt: 100 };
    const b = { ...entry('b', 10, 3, 3), changedAt: 100 };
    const c = { ...entry('c', 10, 9, 2, 'workspaces'), changedAt: 500 };
    [a, b, c].forEach((e) => cache.set(e));
    expect(cache.dirtyCount).toBe(2);
    expect(cache.dirty().map((e) => e.id)).toEqual(['a', 'c']);
    expect(cache.dirty({ collection: 'files' }).map((e) => e.id)).toEqual(['a']);
    expect(cache.dirty({ changedBefore: 200 }).map((e) => e.id)).toEqual(['a']);
    cache.markPersisted(a, 5);
    expect(a.persistedVersion).toBe(5);
    expect(cache.dirty().map((e) => e.id)).toEqual(['c']);
    // A row written for an older version leaves the entry dirty; versions never go backwards.
    cache.markPersisted(c, 4);
    cache.markPersisted(c, 3);
    expect(c.persistedVersion).toBe(4);
    expect(cache.dirtyCount).toBe(1);
  });

  test('evicted and deleted entries leave the dirty set', () => {
    const cache = new SnapshotCache(20);
    const a = entry('a', 10, 2, 1);
    cache.set(a);
    cache.set(entry('b', 10, 2, 1));
    const { evicted } = cache.set(entry('c', 10));
    expect(evicted).toEqual([a]);
    expect(cache.dirty().map((e) => e.id)).toEqual(['b']);
    cache.markPersisted(a, 1); // an evicted entry must not come back as dirty
    expect(cache.dirty().map((e) => e.id)).toEqual(['b']);
    cache.delete('files', 'b');
    expect(cache.dirtyCount).toBe(0);
    cache.clear();
    expect([cache.size, cache.totalBytes]).toEqual([0, 0]);
  });
});

describe('copyJson: what a JSON round trip through SQLite would return, without the round trip', () => {
  test('equals JSON.parse(JSON.stringify(value)) for any JSON value, and shares no object with it', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const copy = copyJson(value);
        expect(copy).toEqual(JSON.parse(JSON.stringify(value)));
        if (value !== null && typeof value === 'object') expect(copy).not.toBe(value);
      }),
      propertyConfig(300),
    );
  });

  test('follows JSON for values JSON cannot carry', () => {
    const value = {
      gone: undefined,
      fn: () => 1,
      list: [undefined, () => 1, NaN, Infinity, -0],
      date: new Date(0),
      withToJson: { toJSON: () => 'custom' },
      nested: { deep: [{ x: 1 }] },
    };
    expect(copyJson(value)).toEqual(JSON.parse(JSON.stringify(value)));
    expect(copyJson(undefined)).toBeUndefined();
    expect(() => copyJson({ n: BigInt(1) })).toThrow(TypeError);
  });

  test('keeps an own "__proto__" key as data, as JSON.parse does, without touching the prototype', () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const copy = copyJson(value);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['__proto__', 'a']);
    expect(JSON.stringify(copy)).toBe(JSON.stringify(value));
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  test('mutating the copy leaves the original alone, at every depth', () => {
    const original = { files: [{ name: 'a.py', meta: { size: 1 } }] };
    const copy = copyJson(original);
    copy.files[0]!.meta.size = 99;
    copy.files.push({ name: 'b.py', meta: { size: 2 } });
    expect(original).toEqual({ files: [{ name: 'a.py', meta: { size: 1 } }] });
  });

  test('measures strings at two bytes per UTF-16 unit plus overhead, and objects by their parts', () => {
    const text = 'x'.repeat(10_000);
    const { copy, bytes } = copyJsonMeasured(text);
    expect(copy).toBe(text); // strings are immutable: no copy needed
    expect(bytes).toBeGreaterThanOrEqual(20_000);
    expect(bytes).toBeLessThan(20_100);
    const nested = copyJsonMeasured({ a: text, b: [text] });
    expect(nested.bytes).toBeGreaterThan(40_000);
  });
});
