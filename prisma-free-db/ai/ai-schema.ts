/**
 * AI review tables, migration 4 of the classroom database (issue 5). They live in the same file
 * as the groups so a group's deletion cascades to its AI reviews, findings and ratings in one
 * transaction, and so the task queue is shared by every process that opens the file.
 *
 * Users are referenced without foreign keys, like the review tables: erasure on request is
 * explicit (AiStore.eraseUser), and a review requested by one partner outlives that account.
 *
 * CHECK constraints cover only the states this store moves records through (task status, finding
 * state, ratings, booleans). Vocabulary owned by lib/ai/ai-types.ts (help levels, severities,
 * categories, task kinds) is validated there, so adding a word does not need a table rebuild.
 */
export const AI_MIGRATION = `
  -- NULL columns inherit: assignment → class → built-in default (resolved by the caller).
  CREATE TABLE ai_class_settings (
    class_id           TEXT PRIMARY KEY REFERENCES classes(id) ON DELETE CASCADE,
    help_level         TEXT,
    approval_required  INTEGER CHECK (approval_required IN (0, 1)),
    guidance           TEXT NOT NULL,
    hidden_notes       TEXT NOT NULL,
    on_demand_per_hour INTEGER,
    updated_at         INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE ai_assignment_settings (
    assignment_id      TEXT PRIMARY KEY REFERENCES assignments(id) ON DELETE CASCADE,
    help_level         TEXT,
    approval_required  INTEGER CHECK (approval_required IN (0, 1)),
    guidance           TEXT NOT NULL,
    hidden_notes       TEXT NOT NULL,
    on_demand_per_hour INTEGER,
    updated_at         INTEGER NOT NULL
  ) STRICT;

  -- The persisted task queue. Tasks carry ids only, so they have no foreign keys: a task whose
  -- group is gone is finished by the worker, not deleted under it.
  CREATE TABLE ai_tasks (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    key         TEXT NOT NULL,
    payload     TEXT NOT NULL,      -- JSON object of ids
    status      TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    attempts    INTEGER NOT NULL,
    run_at      INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until INTEGER,
    last_error  TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX ai_tasks_due ON ai_tasks (status, run_at);
  -- One live task per key makes enqueueing idempotent; a failed task frees its key for a retry.
  CREATE UNIQUE INDEX ai_tasks_live_key ON ai_tasks (key) WHERE status <> 'failed';

  CREATE TABLE ai_reviews (
    id                TEXT PRIMARY KEY,
    task_id           TEXT NOT NULL UNIQUE,   -- a retried task cannot store twice
    class_id          TEXT NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
    assignment_id     TEXT NOT NULL REFERENCES assignments(id) ON DELETE CASCADE,
    group_id          TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    workspace_id      TEXT NOT NULL,
    submission_id     TEXT,                   -- no FK: submissions go only with their group, which takes its reviews along
    trigger           TEXT NOT NULL CHECK (trigger IN ('submission', 'on-demand')),
    requested_by      TEXT,
    files             TEXT NOT NULL,          -- JSON [{fileId, name, version}]
    help_level        TEXT NOT NULL,
    approval_required INTEGER NOT NULL CHECK (approval_required IN (0, 1)),
    status            TEXT NOT NULL CHECK (status IN ('done', 'failed')),
    static_only       INTEGER NOT NULL CHECK (static_only IN (0, 1)),
    note              TEXT,
    summary           TEXT NOT NULL,
    provider          TEXT,
    model             TEXT,
    prompt            TEXT,
    reply             TEXT,
    created_at        INTEGER NOT NULL,
    completed_at      INTEGER NOT NULL,
    released_at       INTEGER
  ) STRICT;
  CREATE INDEX ai_reviews_by_group ON ai_reviews (group_id, created_at);
  CREATE INDEX ai_reviews_by_assignment ON ai_reviews (assignment_id, created_at);
  -- The on-demand quota is checked on every request.
  CREATE INDEX ai_reviews_on_demand ON ai_reviews (requested_by, assignment_id, created_at) WHERE trigger = 'on-demand';

  CREATE TABLE ai_findings (
    id          TEXT PRIMARY KEY,
    review_id   TEXT NOT NULL REFERENCES ai_reviews(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,         -- order the pipeline produced them in
    file_id     TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    version     INTEGER NOT NULL,
    start_line  INTEGER NOT NULL,
    end_line    INTEGER NOT NULL,
    severity    TEXT NOT NULL,
    category    TEXT NOT NULL,
    message     TEXT NOT NULL,
    hint        TEXT,
    source      TEXT NOT NULL CHECK (source IN ('static', 'model')),
    tool        TEXT NOT NULL,
    rule        TEXT,
    state       TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'dismissed')),
    edited_by   TEXT
  ) STRICT;
  CREATE INDEX ai_findings_by_review ON ai_findings (review_id, position);

  -- One rating per student per finding; the totals are counted from here, never stored.
  CREATE TABLE ai_finding_ratings (
    finding_id TEXT NOT NULL REFERENCES ai_findings(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL,
    rating     INTEGER NOT NULL CHECK (rating IN (1, -1)),
    at         INTEGER NOT NULL,
    PRIMARY KEY (finding_id, user_id)
  ) STRICT;

  CREATE TABLE ai_on_demand_resets (
    user_id       TEXT NOT NULL,
    assignment_id TEXT NOT NULL REFERENCES assignments(id) ON DELETE CASCADE,
    at            INTEGER NOT NULL,
    PRIMARY KEY (user_id, assignment_id)
  ) STRICT;
`;
