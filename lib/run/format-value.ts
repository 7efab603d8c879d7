/**
 * `console.log` arguments as a beginner expects to read them (close to Node's util.inspect):
 * strings bare at the top level and quoted inside structures, arrays and objects on one line,
 * errors with their stack, cycles and depth cut off. Pure, so the browser runner and the tests
 * share it.
 */
const MAX_DEPTH = 3;
const MAX_ITEMS = 100;

export function formatArgs(args: readonly unknown[]): string {
  return args.map((a) => (typeof a === 'string' ? a : formatValue(a))).join(' ');
}

export function formatValue(value: unknown, depth = 0, seen: Set<object> = new Set()): string {
  switch (typeof value) {
    case 'string':
      return depth === 0 ? value : `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'boolean':
    case 'undefined':
      return String(value);
    case 'symbol':
      return value.toString();
    case 'function':
      return value.name ? `[Function: ${value.name}]` : '[Function (anonymous)]';
  }
  if (value === null) return 'null';
  const obj = value as object;
  if (seen.has(obj)) return '[Circular]';
  if (obj instanceof Error) return obj.stack && obj.stack.includes(obj.message) ? obj.stack : `${obj.name}: ${obj.message}`;
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString();
  if (obj instanceof RegExp) return String(obj);
  if (depth >= MAX_DEPTH) return Array.isArray(obj) ? '[Array]' : '[Object]';
  seen.add(obj);
  try {
    const inner = (v: unknown) => formatValue(v, depth + 1, seen);
    if (Array.isArray(obj)) return list('[', ']', obj.slice(0, MAX_ITEMS).map(inner), obj.length);
    if (obj instanceof Map) {
      const items = [...obj].slice(0, MAX_ITEMS).map(([k, v]) => `${inner(k)} => ${inner(v)}`);
      return `Map(${obj.size}) ${list('{', '}', items, obj.size)}`;
    }
    if (obj instanceof Set) return `Set(${obj.size}) ${list('{', '}', [...obj].slice(0, MAX_ITEMS).map(inner), obj.size)}`;
    const keys = Object.keys(obj);
    const items = keys.slice(0, MAX_ITEMS).map((k) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : `'${k}'`}: ${inner((obj as Record<string, unknown>)[k])}`);
    const ctor = Object.getPrototypeOf(obj) as { constructor?: { name?: string } } | null;
    const name = ctor === null ? '[Object: null prototype] ' : ctor.constructor?.name && ctor.constructor.name !== 'Object' ? `${ctor.constructor.name} ` : '';
    return `${name}${list('{', '}', items, keys.length)}`;
  } finally {
    seen.delete(obj);
  }
}

function list(open: string, close: string, items: string[], total: number): string {
  if (total > items.length) items.push(`... ${total - items.length} more`);
  return items.length === 0 ? `${open}${close}` : `${open} ${items.join(', ')} ${close}`;
}
