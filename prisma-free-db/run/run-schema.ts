/**
 * Teacher tests and their results, migration 5 of the classroom database (issue 7 §4). Results
 * hang off the group (deleted with it) and name the file versions they saw, so "which version
 * passed" has an answer; a server grade also names its submission (one per submission).
 */
export const RUN_MIGRATION = `
  CREATE TABLE run_tests (
    assignment_id TEXT NOT NULL REFERENCES assignments(id) ON DELETE CASCADE,
    file_name     TEXT NOT NULL,
    language      TEXT NOT NULL,
    code          TEXT NOT NULL,
    hidden        INTEGER NOT NULL CHECK (hidden IN (0, 1)),
    updated_at    INTEGER NOT NULL,
    updated_by    TEXT,
    PRIMARY KEY (assignment_id, file_name)
  ) STRICT;

  CREATE TABLE run_test_results (
    id            TEXT PRIMARY KEY,
    group_id      TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    workspace_id  TEXT NOT NULL,
    source        TEXT NOT NULL CHECK (source IN ('browser', 'server')),
    submission_id TEXT REFERENCES submissions(id) ON DELETE CASCADE,
    versions      TEXT NOT NULL,      -- JSON [{fileId, version}]
    tests_hash    TEXT NOT NULL,
    passed        INTEGER NOT NULL CHECK (passed >= 0),
    failed        INTEGER NOT NULL CHECK (failed >= 0),
    error         TEXT,
    cases         TEXT NOT NULL,      -- JSON [{name, passed, message, file, hidden}]
    duration_ms   INTEGER NOT NULL,
    ran_by        TEXT,
    created_at    INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX run_test_results_by_group ON run_test_results (group_id, source, created_at);
  CREATE UNIQUE INDEX run_test_results_by_submission ON run_test_results (submission_id) WHERE submission_id IS NOT NULL;
`;
