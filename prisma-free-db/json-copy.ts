/**
 * Deep copies of JSON values for the snapshot cache (snapshot-cache.ts).
 *
 * ShareDB mutates the snapshots a DB hands it (SubmitRequest sets `m.mtime` and json0's `apply`
 * edits `data` in place), and the caller of `commit` keeps using the snapshot it committed. So
 * the cache copies on the way in and on the way out. A copy here must equal what a reload from
 * SQLite (`JSON.parse(JSON.stringify(value))`) would return, so a cached and a reloaded snapshot
 * can never differ; plain objects, arrays and primitives are copied directly (several times
 * faster than a JSON round trip, and free for a text doc, whose data is one immutable string),
 * anything else (a Date, a class with toJSON, ...) goes through JSON.
 */

/** A copy of `value` as a JSON round trip would produce it; `undefined` stays `undefined`. */
export function copyJson<T>(value: T): T {
  return copyValue(value, false) as T;
}

/**
 * `copyJson` plus an estimate of the copy's heap size in bytes (strings count two bytes per
 * UTF-16 unit, plus a small overhead per value), which is what the cache's byte budget counts.
 */
export function copyJsonMeasured<T>(value: T): { copy: T; bytes: number } {
  const meter = { bytes: 0 };
  const copy = copyValue(value, false, meter) as T;
  return { copy, bytes: meter.bytes };
}

/** Rough heap size of a parsed value given the length of its JSON text. */
export function estimateBytesFromJson(jsonLength: number): number {
  return jsonLength * 2 + VALUE_OVERHEAD_BYTES;
}

/** Per-value bookkeeping V8 spends beyond the characters (header, hidden class slot). */
const VALUE_OVERHEAD_BYTES = 16;

interface Meter {
  bytes: number;
}

/**
 * `inArray`: JSON writes `null` for undefined, functions and symbols inside arrays, and drops
 * them inside objects (the caller skips them there).
 */
function copyValue(value: unknown, inArray: boolean, meter?: Meter): unknown {
  switch (typeof value) {
    case 'string':
      if (meter) meter.bytes += value.length * 2 + VALUE_OVERHEAD_BYTES;
      return value;
    case 'number':
      if (meter) meter.bytes += 8;
      // JSON writes -0 as 0 and NaN / Infinity as null.
      return value === 0 ? 0 : Number.isFinite(value) ? value : null;
    case 'boolean':
      if (meter) meter.bytes += 8;
      return value;
    case 'undefined':
    case 'function':
    case 'symbol':
      return inArray ? null : undefined;
    case 'bigint':
      // JSON.stringify throws on a BigInt; so does this, before anything is stored.
      return JSON.parse(JSON.stringify(value)) as unknown;
    default:
      break;
  }
  if (value === null) return null;
  if (meter) meter.bytes += VALUE_OVERHEAD_BYTES;
  if (Array.isArray(value)) {
    const copy: unknown[] = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = copyValue(value[i], true, meter);
    return copy;
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  if ((prototype !== Object.prototype && prototype !== null) || typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    const viaJson = JSON.parse(JSON.stringify(value)) as unknown;
    if (meter) meter.bytes += JSON.stringify(viaJson).length * 2;
    return viaJson;
  }
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value as object)) {
    const item = copyValue((value as Record<string, unknown>)[key], false, meter);
    if (item === undefined) continue;
    if (meter) meter.bytes += key.length * 2 + VALUE_OVERHEAD_BYTES;
    if (key === '__proto__') {
      // JSON.parse makes "__proto__" an own property; plain assignment would set the prototype.
      Object.defineProperty(copy, key, { value: item, writable: true, enumerable: true, configurable: true });
    } else {
      copy[key] = item;
    }
  }
  return copy;
}
