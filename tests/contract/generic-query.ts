import type { GenericQuery } from 'sharedb/test/db';

/**
 * The `getQuery` hook of ShareDB's conformance suite. Both Tandem stores take Mongo-style
 * queries with a `$sort` object (sharedb-mongo natively, SqliteDB through its Mongo subset),
 * so one mapping serves both: it is what sharedb-mingo-memory's get-query does for sharedb-mongo.
 */
export function toMongoStyleQuery({ query, sort }: GenericQuery): Record<string, unknown> {
  if (!sort || sort.length === 0) return query;
  return { ...query, $sort: Object.fromEntries(sort) };
}
