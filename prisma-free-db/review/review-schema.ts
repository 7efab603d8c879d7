/**
 * Review tables, migration 2 of the classroom database (they live in the same file so a group's
 * deletion cascades to its submissions, comments and grade in one transaction).
 * Users are referenced without foreign keys on purpose: the audit log and a partner's
 * submissions must outlive an account that is deleted on request.
 */
export const REVIEW_MIGRATION = `
  CREATE TABLE submissions (
    id            TEXT PRIMARY KEY,
    assignment_id TEXT NOT NULL REFERENCES assignments(id) ON DELETE CASCADE,
    group_id      TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    workspace_id  TEXT NOT NULL,
    files         TEXT NOT NULL,      -- JSON [{fileId, name, version}]
    submitted_by  TEXT NOT NULL,
    submitted_at  INTEGER NOT NULL,
    late          INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX submissions_by_group ON submissions (group_id, submitted_at);
  CREATE INDEX submissions_by_assignment ON submissions (assignment_id, submitted_at);

  CREATE TABLE review_comments (
    id           TEXT PRIMARY KEY,
    group_id     TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    file_id      TEXT NOT NULL,
    version      INTEGER NOT NULL,
    range_from   INTEGER NOT NULL,
    range_to     INTEGER NOT NULL,
    quote        TEXT NOT NULL,
    body         TEXT NOT NULL,
    author_id    TEXT NOT NULL,
    released_at  INTEGER,
    parent_id    TEXT REFERENCES review_comments(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX review_comments_by_group ON review_comments (group_id, created_at);

  CREATE TABLE rubrics (
    assignment_id TEXT PRIMARY KEY REFERENCES assignments(id) ON DELETE CASCADE,
    criteria      TEXT NOT NULL,      -- JSON [{id, title, points, description}]
    updated_at    INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE grades (
    group_id      TEXT PRIMARY KEY REFERENCES groups(id) ON DELETE CASCADE,
    assignment_id TEXT NOT NULL REFERENCES assignments(id) ON DELETE CASCADE,
    scores        TEXT NOT NULL,      -- JSON {criterionId: points}
    summary       TEXT NOT NULL,
    graded_by     TEXT NOT NULL,
    updated_at    INTEGER NOT NULL,
    released_at   INTEGER
  ) STRICT;
  CREATE INDEX grades_by_assignment ON grades (assignment_id);

  CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    at              INTEGER NOT NULL,
    actor_id        TEXT,
    action          TEXT NOT NULL,
    subject_user_id TEXT,
    target          TEXT NOT NULL,
    detail          TEXT NOT NULL
  ) STRICT;
  CREATE INDEX audit_by_subject ON audit_log (subject_user_id, id);
  CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
`;

/**
 * Migration 3: op retention. A class may keep keystroke-level history only for a number of days
 * after an assignment's grades are final; then its ops are compacted to milestone snapshots.
 */
export const RETENTION_MIGRATION = `
  CREATE TABLE class_retention (
    class_id          TEXT PRIMARY KEY REFERENCES classes(id) ON DELETE CASCADE,
    op_retention_days INTEGER            -- NULL: keep every op forever
  ) STRICT;

  CREATE TABLE assignment_retention (
    assignment_id    TEXT PRIMARY KEY REFERENCES assignments(id) ON DELETE CASCADE,
    grades_final_at  INTEGER,
    ops_compacted_at INTEGER
  ) STRICT;
`;
