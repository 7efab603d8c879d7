/**
 * Tandem's storage port. The server opens a store with `openStore` and hands `store.db` and
 * `store.milestoneDb` to ShareDB; nothing outside this folder imports a database driver.
 */
export { openStore, SQLITE_FILE_NAME, type OpenStoreOptions, type Store, type StoreKind, type DocSelector } from './store';
export { StorageError, StorageErrorCode } from './storage-error';
export type { SqliteSynchronous } from './sqlite-connection';
export { openSqliteStore, type SqliteStore, type SqliteStoreOptions } from './sqlite-store';
export {
  createMongoStore,
  dropMongoDatabase,
  MONGO_WRITE_CONCERN,
  type MongoStore,
  type MongoStoreOptions,
} from './mongo-db';
export { SqliteDB, type SqliteDBOptions } from './sqlite-db';
export { SqliteMilestoneDB, type SqliteMilestoneDBOptions } from './sqlite-milestone-db';
export { MongoMilestoneDB, type MongoMilestoneDBOptions } from './mongo-milestone-db';
export { MAX_COLLECTION_LENGTH, MAX_DOC_ID_LENGTH } from './argument-checks';
export type * from './classroom/classroom-types';
export type {
  ClassroomStore,
  UserPatch,
  ClassPatch,
  AssignmentPatch,
  MemberWithUser,
  ClassWithRole,
  NewGroup,
} from './classroom/classroom-store';
export { SqliteClassroomStore, CLASSROOM_FILE_NAME } from './classroom/sqlite-classroom-store';
export type * from './review/review-types';
export type { ReviewStore, AuditQuery } from './review/review-store';
export { SqliteReviewStore } from './review/sqlite-review-store';
export { compactDocOps, type CompactionResult } from './op-compaction';
export type * from './ai/ai-types';
export type { AiStore } from './ai/ai-store';
export { SqliteAiStore } from './ai/sqlite-ai-store';
export type * from './run/run-types';
export type { RunStore } from './run/run-store';
export { SqliteRunStore } from './run/sqlite-run-store';
