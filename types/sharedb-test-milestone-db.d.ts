// Typings for the milestone-DB conformance suite shipped in sharedb's package
// (node_modules/sharedb/test/milestone-db.js). Requiring it also registers two top-level
// describes for sharedb's own base and no-op milestone DBs.
declare module 'sharedb/test/milestone-db' {
  import type ShareDB from 'sharedb';

  namespace runMilestoneDbConformanceSuite {
    interface CreateOptions {
      /** Milestone interval the test wants (1, 2) or null for the default. */
      interval?: number;
    }

    type CreateCallback = (error: Error | null, db?: ShareDB.MilestoneDB) => void;

    interface Options {
      /** Called as create(callback) and as create(options, callback). */
      create(options: CreateOptions | null | CreateCallback, callback?: CreateCallback): void;
    }
  }

  function runMilestoneDbConformanceSuite(options: runMilestoneDbConformanceSuite.Options): void;
  export = runMilestoneDbConformanceSuite;
}
