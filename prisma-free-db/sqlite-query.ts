import { StorageError, StorageErrorCode } from './storage-error';

/**
 * The query language of the SQLite adapter: a small subset of MongoDB's, with the same meaning
 * as in sharedb-mongo, so a query written for one store works on the other. It is compiled to
 * SQL over the JSON `data` column (json_type / json_extract), so filtering, sorting and paging
 * happen inside SQLite. There is no index on document fields: every query scans the snapshots of
 * its collection (fine for a classroom's few thousand docs; add an expression index per hot
 * field in a migration if that changes).
 *
 * Supported (anything else fails with ERR_STORAGE_UNSUPPORTED_QUERY):
 *
 *   { field: scalar }                         equality; `null` also matches a missing field
 *   { field: { $eq | $ne: scalar } }
 *   { field: { $gt | $gte | $lt | $lte: number | string } }   same-type comparison, like Mongo
 *   { field: { $in | $nin: scalar[] } }
 *   { field: { $exists: boolean } }
 *   { $and: [query, ...] }, { $or: [query, ...] }
 *   { $sort: { field: 1 | -1, ... } }         Mongo style; key order is priority.
 *   { $sort: [[field, 1 | -1], ...] }         the same, for keys JS would reorder (e.g. "1")
 *   { $skip: n }, { $limit: n }               $limit 0 means no limit, as in Mongo
 *
 * `field` is a dotted path into the doc's data ("owner.name"); every segment is an object key
 * (numeric segments are NOT array indexes). Scalars are strings, finite numbers, booleans and
 * null; equality against objects/arrays (and Mongo's array-contains semantics) is not supported.
 * Sorting orders missing/null first, then numbers, then strings (by code point); docs that tie
 * are ordered by id so paging is stable. Deleted docs never match.
 */

/** A scalar a query may compare with. */
type Scalar = string | number | boolean | null;

/** A query compiled to SQL fragments over a table with `data` (JSON text) and `doc_id`. */
export interface CompiledQuery {
  /** Boolean SQL expression; never NULL, so it can be negated safely. `1` matches everything. */
  where: string;
  whereParams: Scalar[];
  /** ORDER BY list (without the keyword); always ends with the doc_id tie-breaker. */
  orderBy: string;
  orderParams: string[];
  /** Rows to return; -1 means no limit (SQLite's spelling). */
  limit: number;
  offset: number;
  /**
   * True when the query has $sort, $skip or $limit: then whether one doc matches depends on
   * the others, so ShareDB must re-run the whole query instead of checking a single doc.
   */
  dependsOnOtherDocs: boolean;
  /** Top-level data keys the query reads; an op touching none of them cannot change results. */
  topLevelFields: ReadonlySet<string>;
}

/** Keys that sharedb-mongo reserves for its own bookkeeping; rejected so both stores agree. */
const RESERVED_FIELDS = new Set(['_id', '_v', '_type', '_m', '_o', '_data']);

/** Guards against a client building a pathological query: SQL size, not semantics. */
const MAX_TERMS = 200;
const MAX_DEPTH = 8;
const MAX_IN_VALUES = 1_000;

/** Compile a query; throws StorageError(ERR_STORAGE_UNSUPPORTED_QUERY) when it is outside the subset. */
export function compileQuery(query: unknown): CompiledQuery {
  const input = query ?? {};
  if (!isPlainObject(input)) throw unsupported('a query must be an object');

  const filterEntries: Array<[string, unknown]> = [];
  let sort: unknown;
  let skip: unknown;
  let limit: unknown;
  for (const [key, value] of Object.entries(input)) {
    if (key === '$sort') sort = value;
    else if (key === '$skip') skip = value;
    else if (key === '$limit') limit = value;
    else filterEntries.push([key, value]);
  }
  // fromEntries defines own properties, so a "__proto__" key stays a plain field name.
  const filter = Object.fromEntries(filterEntries);

  const compiler = new FilterCompiler();
  const where = compiler.compileFilter(filter, 0);
  const order = compileSort(sort, compiler.topLevelFields);

  return {
    where,
    whereParams: compiler.params,
    orderBy: order.sql,
    orderParams: order.params,
    limit: limit === undefined ? -1 : nonNegativeInteger(limit, '$limit') || -1,
    offset: skip === undefined ? 0 : nonNegativeInteger(skip, '$skip'),
    dependsOnOtherDocs: sort !== undefined || skip !== undefined || limit !== undefined,
    topLevelFields: compiler.topLevelFields,
  };
}

class FilterCompiler {
  readonly params: Scalar[] = [];
  readonly topLevelFields = new Set<string>();
  private terms = 0;

  compileFilter(filter: Record<string, unknown>, depth: number): string {
    if (depth > MAX_DEPTH) throw unsupported(`queries may nest at most ${MAX_DEPTH} levels`);
    const clauses: string[] = [];
    for (const [key, value] of Object.entries(filter)) {
      if (key === '$and' || key === '$or') {
        if (!Array.isArray(value) || value.length === 0) throw unsupported(`${key} needs a non-empty array`);
        const parts = value.map((sub) => {
          if (!isPlainObject(sub)) throw unsupported(`${key} items must be objects`);
          return this.compileFilter(sub, depth + 1);
        });
        clauses.push(`(${parts.join(key === '$and' ? ' AND ' : ' OR ')})`);
      } else if (key.startsWith('$')) {
        throw unsupported(`operator ${key} is not supported`);
      } else {
        clauses.push(this.compileField(key, value));
      }
    }
    return clauses.length === 0 ? '1' : `(${clauses.join(' AND ')})`;
  }

  private compileField(field: string, condition: unknown): string {
    const path = jsonPath(field);
    this.topLevelFields.add(field.split('.')[0] as string);
    if (!isOperatorObject(condition)) return this.equals(path, scalar(condition, field));

    const clauses: string[] = [];
    for (const [operator, operand] of Object.entries(condition)) {
      switch (operator) {
        case '$eq':
          clauses.push(this.equals(path, scalar(operand, field)));
          break;
        case '$ne':
          clauses.push(`NOT ${this.equals(path, scalar(operand, field))}`);
          break;
        case '$in':
        case '$nin': {
          if (!Array.isArray(operand)) throw unsupported(`${operator} needs an array`);
          if (operand.length > MAX_IN_VALUES) throw unsupported(`${operator} takes at most ${MAX_IN_VALUES} values`);
          const alternatives = operand.map((v) => this.equals(path, scalar(v, field)));
          const any = alternatives.length === 0 ? '0' : `(${alternatives.join(' OR ')})`;
          clauses.push(operator === '$in' ? any : `NOT ${any}`);
          break;
        }
        case '$exists':
          if (typeof operand !== 'boolean') throw unsupported('$exists needs true or false');
          this.countTerm();
          this.params.push(path);
          clauses.push(`(json_type(data, ?) IS ${operand ? 'NOT NULL' : 'NULL'})`);
          break;
        case '$gt':
        case '$gte':
        case '$lt':
        case '$lte':
          clauses.push(this.compare(path, operator, operand, field));
          break;
        default:
          throw unsupported(`operator ${operator} is not supported`);
      }
    }
    return clauses.length === 1 ? (clauses[0] as string) : `(${clauses.join(' AND ')})`;
  }

  /** NULL-free equality with Mongo's type-strict semantics (1 does not equal true or "1"). */
  private equals(path: string, value: Scalar): string {
    this.countTerm();
    if (value === null) {
      this.params.push(path);
      return `(COALESCE(json_type(data, ?), 'null') = 'null')`;
    }
    if (typeof value === 'boolean') {
      this.params.push(path, value ? 'true' : 'false');
      return '(json_type(data, ?) IS ?)';
    }
    if (typeof value === 'number') {
      this.params.push(path, path, value);
      return `(COALESCE(json_type(data, ?), '') IN ('integer', 'real') AND json_extract(data, ?) = ?)`;
    }
    this.params.push(path, path, value);
    return `(json_type(data, ?) IS 'text' AND json_extract(data, ?) IS ?)`;
  }

  private compare(path: string, operator: '$gt' | '$gte' | '$lt' | '$lte', operand: unknown, field: string): string {
    this.countTerm();
    const sqlOperator = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' }[operator];
    if (typeof operand === 'number' && Number.isFinite(operand)) {
      this.params.push(path, path, operand);
      return `(COALESCE(json_type(data, ?), '') IN ('integer', 'real') AND json_extract(data, ?) ${sqlOperator} ?)`;
    }
    if (typeof operand === 'string') {
      this.params.push(path, path, operand);
      return `(json_type(data, ?) IS 'text' AND json_extract(data, ?) ${sqlOperator} ?)`;
    }
    throw unsupported(`${operator} on "${field}" needs a number or a string`);
  }

  private countTerm(): void {
    if (++this.terms > MAX_TERMS) throw unsupported(`queries may have at most ${MAX_TERMS} conditions`);
  }
}

function compileSort(sort: unknown, topLevelFields: Set<string>): { sql: string; params: string[] } {
  const keys: Array<[string, unknown]> =
    sort === undefined
      ? []
      : Array.isArray(sort)
        ? sort.map(sortPair)
        : isPlainObject(sort)
          ? Object.entries(sort)
          : badSort();
  const terms: string[] = [];
  const params: string[] = [];
  for (const [field, direction] of keys) {
    if (direction !== 1 && direction !== -1) throw unsupported(`$sort direction of "${field}" must be 1 or -1`);
    params.push(jsonPath(field));
    topLevelFields.add(field.split('.')[0] as string);
    terms.push(`json_extract(data, ?) ${direction === 1 ? 'ASC' : 'DESC'}`);
  }
  terms.push('doc_id ASC');
  return { sql: terms.join(', '), params };
}

function sortPair(pair: unknown): [string, unknown] {
  if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string') badSort();
  return [pair[0] as string, pair[1]];
}

function badSort(): never {
  throw unsupported('$sort must be an object or an array of [field, direction] pairs');
}

/**
 * Dotted field → SQLite JSON path with every segment quoted, bound as a parameter (never
 * spliced into SQL). SQLite's quoted path labels have no escape syntax, hence the refusals.
 */
function jsonPath(field: string): string {
  const segments = field.split('.');
  if (RESERVED_FIELDS.has(segments[0] as string)) throw unsupported(`field "${field}" is reserved`);
  for (const segment of segments) {
    if (segment === '' || segment.startsWith('$') || /["\\\u0000-\u001f]/.test(segment)) {
      throw unsupported(`field "${field}" is not a supported path`);
    }
  }
  return '$' + segments.map((s) => `."${s}"`).join('');
}

function scalar(value: unknown, field: string): Scalar {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw unsupported(`"${field}" can only be compared with a string, finite number, boolean or null`);
}

function nonNegativeInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw unsupported(`${name} must be a non-negative integer`);
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** `{ $gt: 3 }` is an operator object; `{ a: 1 }` (document equality) is not supported. */
function isOperatorObject(value: unknown): value is Record<string, unknown> {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  if (keys.length > 0 && keys.every((k) => k.startsWith('$'))) return true;
  throw unsupported('comparing a field with an object is not supported; use operators like $eq or $in');
}

function unsupported(reason: string): StorageError {
  return new StorageError(StorageErrorCode.UnsupportedQuery, `Unsupported query: ${reason}.`);
}
