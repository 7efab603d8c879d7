// Typings for the DB-adapter conformance suite that sharedb ships in its package
// (node_modules/sharedb/test/db.js). It is mocha-style; tests/contract/mocha-compat.ts lets
// jest run it.
declare module 'sharedb/test/db' {
  import type ShareDB from 'sharedb';

  namespace runDbConformanceSuite {
    /** The store-neutral query the suite hands to `getQuery`. */
    interface GenericQuery {
      query: Record<string, unknown>;
      /** [[field, 1 | -1], ...]: sort by the first pair, then the next. */
      sort?: Array<[string, 1 | -1]>;
    }

    interface Options {
      /** Called before every test: a fresh, empty adapter. */
      create(callback: (error: Error | null, db?: ShareDB.DB) => void): void;
      /** Present when the adapter supports queries: enables the query and projection tests. */
      getQuery?(query: GenericQuery): unknown;
    }
  }

  /** Registers the suite's describe/it blocks (call it inside a describe). */
  function runDbConformanceSuite(options: runDbConformanceSuite.Options): void;
  export = runDbConformanceSuite;
}
