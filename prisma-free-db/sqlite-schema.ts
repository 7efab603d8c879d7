import type Database from 'better-sqlite3';
import { StorageError, StorageErrorCode } from './storage-error';

/**
 * The SQLite schema and its migrations. `PRAGMA user_version` records the schema version of a
 * file; `PRAGMA application_id` marks the file as Tandem's so we never "migrate" somebody
 * else's database that happens to sit at DATA_DIR.
 *
 * To change the schema, append a migration; never edit a released one.
 */

/** 'TDEM' as a big-endian 32-bit integer. */
export const TANDEM_APPLICATION_ID = 0x5444454d;

interface Migration {
  /** The schema version this migration produces. Versions are consecutive from 1. */
  version: number;
  sql: string;
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    // STRICT tables make SQLite reject a value of the wrong type instead of storing it silently.
    // Snapshot and op payloads are JSON text written by JSON.stringify, which escapes lone
    // surrogates, so every string round-trips exactly through SQLite's UTF-8 storage.
    sql: `
      CREATE TABLE IF NOT EXISTS snapshots (
        collection TEXT NOT NULL,
        doc_id     TEXT NOT NULL,
        doc_type   TEXT,                 -- NULL once the doc is deleted
        version    INTEGER NOT NULL CHECK (version >= 1),
        data       TEXT,                 -- JSON; NULL when deleted (or data is undefined)
        metadata   TEXT,                 -- JSON of snapshot.m; NULL when absent
        PRIMARY KEY (collection, doc_id)
      ) STRICT;

      -- Every op is kept forever: version history is a product feature, and a client that
      -- resends an op after a crash is recognised by (src, seq).
      CREATE TABLE IF NOT EXISTS ops (
        collection TEXT NOT NULL,
        doc_id     TEXT NOT NULL,
        version    INTEGER NOT NULL CHECK (version >= 0),
        src        TEXT,                 -- client id that submitted the op (copied out of op)
        seq        INTEGER,              -- that client's sequence number (copied out of op)
        op         TEXT NOT NULL,        -- JSON of the whole op: src, seq, v, m, op/create/del
        PRIMARY KEY (collection, doc_id, version)
      ) STRICT;
      CREATE INDEX IF NOT EXISTS ops_by_source ON ops (collection, doc_id, src, seq);

      CREATE TABLE IF NOT EXISTS milestones (
        collection TEXT NOT NULL,
        doc_id     TEXT NOT NULL,
        version    INTEGER NOT NULL CHECK (version >= 0),
        doc_type   TEXT,
        data       TEXT,
        metadata   TEXT,
        mtime      INTEGER,              -- snapshot.m.mtime, for history-by-time lookups
        PRIMARY KEY (collection, doc_id, version)
      ) STRICT;
      CREATE INDEX IF NOT EXISTS milestones_by_mtime ON milestones (collection, doc_id, mtime);
    `,
  },
  {
    version: 2,
    // ops_by_source made every commit write a third B-tree page (17.3 KB of WAL per op with it,
    // 10.5 KB without, in bench/sqlite-op-insert.ts) for a lookup ShareDB 7 no longer makes: it
    // answers a resent create from the snapshot's `m._create` and asks getCommittedOpVersion only
    // for snapshots written without it. That lookup now walks the doc's primary key from the
    // newest op down (SqliteDB.getCommittedOpVersion).
    sql: `DROP INDEX IF EXISTS ops_by_source;`,
  },
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/**
 * Bring the file's schema up to SCHEMA_VERSION. Idempotent, and safe when two processes open
 * the same file at once: the check and the migration run in one IMMEDIATE transaction.
 */
export function migrateSchema(db: Database.Database, filename: string): void {
  const run = db.transaction(() => {
    const applicationId = Number(db.pragma('application_id', { simple: true }));
    if (applicationId !== 0 && applicationId !== TANDEM_APPLICATION_ID) {
      throw new StorageError(
        StorageErrorCode.OpenFailed,
        `${filename} is a SQLite database of another application (application_id ${applicationId}).`,
      );
    }
    const current = Number(db.pragma('user_version', { simple: true }));
    if (current > SCHEMA_VERSION) {
      throw new StorageError(
        StorageErrorCode.SchemaTooNew,
        `${filename} has schema version ${current}, but this Tandem only knows up to ${SCHEMA_VERSION}. ` +
          'Upgrade Tandem instead of downgrading; the file was not modified.',
      );
    }
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue;
      db.exec(migration.sql);
      // PRAGMA values cannot be bound as parameters; these are integers from this file.
      db.pragma(`user_version = ${migration.version}`);
    }
    if (applicationId === 0) db.pragma(`application_id = ${TANDEM_APPLICATION_ID}`);
  });
  run.immediate();
}
