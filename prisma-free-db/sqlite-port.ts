import type Database from 'better-sqlite3';
import { StorageError, StorageErrorCode, toStorageError } from './storage-error';

/**
 * What the ports on the classroom SQLite file share: they borrow its connection (open exactly
 * while the classroom store is), prepare each statement once, and turn SQLite's constraint errors
 * into typed StorageErrors that name what was being done.
 */
export abstract class SqlitePort {
  private readonly statements = new Map<string, Database.Statement>();

  protected constructor(
    protected readonly db: Database.Database,
    private readonly isClosed: () => boolean,
  ) {}

  protected sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  /** Runs `fn` now; refuses before it could touch a closed file. */
  protected run<T>(action: string, fn: () => T): Promise<T> {
    if (this.isClosed()) return Promise.reject(new StorageError(StorageErrorCode.Closed, 'The classroom store is closed.'));
    try {
      return Promise.resolve(fn());
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code;
      if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
        return Promise.reject(new StorageError(StorageErrorCode.InvalidArgument, `A referenced record does not exist (while ${action}).`, { cause: err }));
      }
      if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') {
        return Promise.reject(new StorageError(StorageErrorCode.InvalidArgument, `Duplicate record while ${action}.`, { cause: err }));
      }
      if (code === 'SQLITE_CONSTRAINT_CHECK') {
        return Promise.reject(new StorageError(StorageErrorCode.InvalidArgument, `A value is out of range while ${action}.`, { cause: err }));
      }
      return Promise.reject(toStorageError(err, action));
    }
  }
}
