import type Database from 'better-sqlite3';
import { SqlitePort } from '../sqlite-port';
import type { AiStore } from './ai-store';
import type { AiFinding, AiReview, AiSettings, AiTask, AiTaskKind, FindingEdit, NewAiTask } from './ai-types';

type Row = Record<string, unknown>;
type TaskCounts = Record<'queued' | 'running' | 'done' | 'failed', number>;

/** A finding's row with its rating totals counted from ai_finding_ratings. */
const FINDING_SELECT = `SELECT f.*,
    (SELECT count(*) FROM ai_finding_ratings r WHERE r.finding_id = f.id AND r.rating = 1) AS rating_up,
    (SELECT count(*) FROM ai_finding_ratings r WHERE r.finding_id = f.id AND r.rating = -1) AS rating_down
  FROM ai_findings f`;

/**
 * The AI review port on the classroom SQLite file (tables from ai-schema.ts). It borrows the
 * classroom store's connection, so it is open exactly while that store is.
 *
 * Several processes may share the file. Every read-then-write runs in a BEGIN IMMEDIATE
 * transaction (a deferred one would fail with SQLITE_BUSY when another process wrote in between),
 * and `claimTask` is a single UPDATE … RETURNING, so a task goes to exactly one claimer.
 */
export class SqliteAiStore extends SqlitePort implements AiStore {
  constructor(db: Database.Database, isClosed: () => boolean) {
    super(db, isClosed);
  }

  /** Run `fn` in a BEGIN IMMEDIATE transaction: it takes the write lock before its first read. */
  private immediate<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  // ── settings ────────────────────────────────────────────────────────────────────────────
  getClassSettings(classId: string): Promise<AiSettings | null> {
    return this.run('reading AI settings', () => toSettings(this.sql('SELECT * FROM ai_class_settings WHERE class_id = ?').get(classId)));
  }

  putClassSettings(classId: string, settings: AiSettings): Promise<AiSettings> {
    return this.run('saving AI settings', () => {
      this.sql(
        `INSERT INTO ai_class_settings (class_id, help_level, approval_required, guidance, hidden_notes, on_demand_per_hour, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (class_id) DO UPDATE SET help_level = excluded.help_level, approval_required = excluded.approval_required,
           guidance = excluded.guidance, hidden_notes = excluded.hidden_notes, on_demand_per_hour = excluded.on_demand_per_hour,
           updated_at = excluded.updated_at`,
      ).run(classId, ...settingsValues(settings));
      return toSettings(this.sql('SELECT * FROM ai_class_settings WHERE class_id = ?').get(classId))!;
    });
  }

  getAssignmentSettings(assignmentId: string): Promise<AiSettings | null> {
    return this.run('reading AI settings', () =>
      toSettings(this.sql('SELECT * FROM ai_assignment_settings WHERE assignment_id = ?').get(assignmentId)),
    );
  }

  putAssignmentSettings(assignmentId: string, settings: AiSettings): Promise<AiSettings> {
    return this.run('saving AI settings', () => {
      this.sql(
        `INSERT INTO ai_assignment_settings (assignment_id, help_level, approval_required, guidance, hidden_notes, on_demand_per_hour, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (assignment_id) DO UPDATE SET help_level = excluded.help_level, approval_required = excluded.approval_required,
           guidance = excluded.guidance, hidden_notes = excluded.hidden_notes, on_demand_per_hour = excluded.on_demand_per_hour,
           updated_at = excluded.updated_at`,
      ).run(assignmentId, ...settingsValues(settings));
      return toSettings(this.sql('SELECT * FROM ai_assignment_settings WHERE assignment_id = ?').get(assignmentId))!;
    });
  }

  // ── task queue ──────────────────────────────────────────────────────────────────────────
  enqueueTask(t: NewAiTask): Promise<{ task: AiTask; created: boolean }> {
    return this.run('queueing an AI task', () =>
      this.immediate(() => {
        const live = this.sql("SELECT * FROM ai_tasks WHERE key = ? AND status <> 'failed'").get(t.key) as Row | undefined;
        if (live) return { task: toTask(live), created: false };
        // A failed task with this key is replaced by the new attempt.
        this.sql("DELETE FROM ai_tasks WHERE key = ? AND status = 'failed'").run(t.key);
        this.sql(
          `INSERT INTO ai_tasks (id, kind, key, payload, status, attempts, run_at, lease_owner, lease_until, last_error, created_at, updated_at)
           VALUES (?, ?, ?, ?, 'queued', 0, ?, NULL, NULL, NULL, ?, ?)`,
        ).run(t.id, t.kind, t.key, JSON.stringify(t.payload), t.runAt, t.createdAt, t.createdAt);
        return { task: this.taskById(t.id)!, created: true };
      }),
    );
  }

  claimTask(owner: string, now: number, leaseMs: number): Promise<AiTask | null> {
    // One statement, so SQLite's write lock makes choosing and taking the task a single step
    // even for processes sharing the file.
    return this.run('claiming an AI task', () => {
      const r = this.sql(
        `UPDATE ai_tasks SET status = 'running', attempts = attempts + 1, lease_owner = ?, lease_until = ?, updated_at = ?
         WHERE id = (
           SELECT id FROM ai_tasks
           WHERE (status = 'queued' AND run_at <= ?) OR (status = 'running' AND lease_until <= ?)
           ORDER BY run_at, created_at, id
           LIMIT 1
         )
         RETURNING *`,
      ).get(owner, now + leaseMs, now, now, now) as Row | undefined;
      return r ? toTask(r) : null;
    });
  }

  renewLease(taskId: string, owner: string, until: number): Promise<boolean> {
    return this.run('renewing an AI task lease', () =>
      this.sql("UPDATE ai_tasks SET lease_until = ? WHERE id = ? AND status = 'running' AND lease_owner = ?").run(until, taskId, owner).changes > 0,
    );
  }

  completeTask(taskId: string, owner: string, now: number): Promise<void> {
    return this.run('completing an AI task', () => {
      this.sql(
        `UPDATE ai_tasks SET status = 'done', lease_owner = NULL, lease_until = NULL, updated_at = ?
         WHERE id = ? AND status = 'running' AND lease_owner = ?`,
      ).run(now, taskId, owner);
    });
  }

  failTask(taskId: string, owner: string, error: string, retryAt: number | null, now: number): Promise<void> {
    return this.run('failing an AI task', () => {
      if (retryAt === null) {
        this.sql(
          `UPDATE ai_tasks SET status = 'failed', lease_owner = NULL, lease_until = NULL, last_error = ?, updated_at = ?
           WHERE id = ? AND status = 'running' AND lease_owner = ?`,
        ).run(error, now, taskId, owner);
      } else {
        this.sql(
          `UPDATE ai_tasks SET status = 'queued', run_at = ?, lease_owner = NULL, lease_until = NULL, last_error = ?, updated_at = ?
           WHERE id = ? AND status = 'running' AND lease_owner = ?`,
        ).run(retryAt, error, now, taskId, owner);
      }
    });
  }

  getTask(id: string): Promise<AiTask | null> {
    return this.run('reading an AI task', () => this.taskById(id));
  }

  countTasks(): Promise<TaskCounts> {
    return this.run('counting AI tasks', () => {
      const counts: TaskCounts = { queued: 0, running: 0, done: 0, failed: 0 };
      for (const r of this.sql('SELECT status, count(*) AS n FROM ai_tasks GROUP BY status').all() as Row[]) {
        counts[String(r.status) as keyof TaskCounts] = Number(r.n);
      }
      return counts;
    });
  }

  countLiveTasks(workspaceId: string, ...kinds: AiTaskKind[]): Promise<number> {
    return this.run('counting live AI tasks of a workspace', () => {
      // The status index narrows this to queued and running tasks before the payload is read.
      const rows = this.sql("SELECT kind FROM ai_tasks WHERE status IN ('queued', 'running') AND json_extract(payload, '$.workspaceId') = ?").all(workspaceId) as Row[];
      return kinds.length === 0 ? rows.length : rows.filter((r) => kinds.includes(String(r.kind) as AiTaskKind)).length;
    });
  }

  myRatings(reviewId: string, userId: string): Promise<Record<string, 1 | -1>> {
    return this.run('reading ratings', () => {
      const rows = this.sql(
        'SELECT r.finding_id, r.rating FROM ai_finding_ratings r JOIN ai_findings f ON f.id = r.finding_id WHERE f.review_id = ? AND r.user_id = ?',
      ).all(reviewId, userId) as Row[];
      return Object.fromEntries(rows.map((r) => [String(r.finding_id), Number(r.rating) === 1 ? 1 : -1])) as Record<string, 1 | -1>;
    });
  }

  private taskById(id: string): AiTask | null {
    const r = this.sql('SELECT * FROM ai_tasks WHERE id = ?').get(id) as Row | undefined;
    return r ? toTask(r) : null;
  }

  // ── reviews and findings ────────────────────────────────────────────────────────────────
  /** The findings belong to `review` whatever their reviewId says; their rating totals start at 0. */
  saveReview(review: AiReview, findings: AiFinding[]): Promise<{ review: AiReview; created: boolean }> {
    return this.run('saving an AI review', () =>
      this.immediate(() => {
        const existing = this.sql('SELECT * FROM ai_reviews WHERE task_id = ?').get(review.taskId) as Row | undefined;
        if (existing) return { review: toReview(existing), created: false };
        const r = review;
        this.sql(
          `INSERT INTO ai_reviews (id, task_id, class_id, assignment_id, group_id, workspace_id, submission_id, trigger, requested_by,
             files, help_level, approval_required, status, static_only, note, summary, provider, model, prompt, reply,
             created_at, completed_at, released_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          r.id,
          r.taskId,
          r.classId,
          r.assignmentId,
          r.groupId,
          r.workspaceId,
          r.submissionId,
          r.trigger,
          r.requestedBy,
          JSON.stringify(r.files),
          r.helpLevel,
          r.approvalRequired ? 1 : 0,
          r.status,
          r.staticOnly ? 1 : 0,
          r.note,
          r.summary,
          r.provider,
          r.model,
          r.prompt,
          r.reply,
          r.createdAt,
          r.completedAt,
          r.releasedAt,
        );
        const insert = this.sql(
          `INSERT INTO ai_findings (id, review_id, position, file_id, file_name, version, start_line, end_line, severity, category,
             message, hint, source, tool, rule, state, edited_by)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        );
        findings.forEach((f, i) =>
          insert.run(
            f.id,
            r.id,
            i,
            f.fileId,
            f.fileName,
            f.version,
            f.startLine,
            f.endLine,
            f.severity,
            f.category,
            f.message,
            f.hint,
            f.source,
            f.tool,
            f.rule,
            f.state,
            f.editedBy,
          ),
        );
        return { review: this.reviewById(r.id)!, created: true };
      }),
    );
  }

  getReview(id: string): Promise<AiReview | null> {
    return this.run('reading an AI review', () => this.reviewById(id));
  }

  listGroupReviews(groupId: string, limit: number): Promise<AiReview[]> {
    return this.run('listing AI reviews', () =>
      (this.sql('SELECT * FROM ai_reviews WHERE group_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?').all(groupId, limit) as Row[]).map(
        toReview,
      ),
    );
  }

  listAssignmentReviews(assignmentId: string): Promise<AiReview[]> {
    return this.run('listing AI reviews', () =>
      (
        this.sql(
          `SELECT * FROM (
             SELECT r.*, row_number() OVER (PARTITION BY r.group_id ORDER BY r.created_at DESC, r.rowid DESC) AS newest
             FROM ai_reviews r WHERE r.assignment_id = ?
           ) WHERE newest = 1
           ORDER BY created_at DESC, id`,
        ).all(assignmentId) as Row[]
      ).map(toReview),
    );
  }

  listFindings(reviewId: string): Promise<AiFinding[]> {
    return this.run('listing AI findings', () =>
      (this.sql(`${FINDING_SELECT} WHERE f.review_id = ? ORDER BY f.position, f.id`).all(reviewId) as Row[]).map(toFinding),
    );
  }

  getFinding(id: string): Promise<AiFinding | null> {
    return this.run('reading an AI finding', () => this.findingById(id));
  }

  updateFinding(id: string, edit: FindingEdit): Promise<AiFinding | null> {
    return this.run('editing an AI finding', () =>
      this.db.transaction(() => {
        // Column names come from this list only, never from the caller's keys.
        const columns: [keyof FindingEdit, string][] = [
          ['state', 'state'],
          ['message', 'message'],
          ['hint', 'hint'],
          ['editedBy', 'edited_by'],
        ];
        const sets: string[] = [];
        const values: unknown[] = [];
        for (const [field, column] of columns) {
          if (edit[field] === undefined) continue;
          sets.push(`${column} = ?`);
          values.push(edit[field]);
        }
        if (sets.length) this.db.prepare(`UPDATE ai_findings SET ${sets.join(', ')} WHERE id = ?`).run(...values, id);
        return this.findingById(id);
      })(),
    );
  }

  releaseReview(reviewId: string, now: number): Promise<AiReview | null> {
    return this.run('releasing an AI review', () =>
      this.db.transaction(() => {
        // Keeps the first release time: it is when students could first see the review.
        if (this.sql('UPDATE ai_reviews SET released_at = coalesce(released_at, ?) WHERE id = ?').run(now, reviewId).changes === 0) return null;
        this.sql("UPDATE ai_findings SET state = 'approved' WHERE review_id = ? AND state = 'pending'").run(reviewId);
        return this.reviewById(reviewId);
      })(),
    );
  }

  rateFinding(findingId: string, userId: string, rating: 1 | -1, now: number): Promise<AiFinding | null> {
    return this.run('rating an AI finding', () =>
      this.immediate(() => {
        if (!this.sql('SELECT 1 FROM ai_findings WHERE id = ?').get(findingId)) return null;
        this.sql(
          `INSERT INTO ai_finding_ratings (finding_id, user_id, rating, at) VALUES (?, ?, ?, ?)
           ON CONFLICT (finding_id, user_id) DO UPDATE SET rating = excluded.rating, at = excluded.at`,
        ).run(findingId, userId, rating, now);
        return this.findingById(findingId);
      }),
    );
  }

  private reviewById(id: string): AiReview | null {
    const r = this.sql('SELECT * FROM ai_reviews WHERE id = ?').get(id) as Row | undefined;
    return r ? toReview(r) : null;
  }

  private findingById(id: string): AiFinding | null {
    const r = this.sql(`${FINDING_SELECT} WHERE f.id = ?`).get(id) as Row | undefined;
    return r ? toFinding(r) : null;
  }

  // ── on-demand quota ─────────────────────────────────────────────────────────────────────
  countOnDemand(userId: string, assignmentId: string, since: number): Promise<number> {
    return this.run('counting on-demand reviews', () =>
      Number(
        this.sql(
          `SELECT count(*) FROM ai_reviews
           WHERE trigger = 'on-demand' AND requested_by = ? AND assignment_id = ? AND created_at >= ?`,
        )
          .pluck()
          .get(userId, assignmentId, since),
      ),
    );
  }

  resetOnDemand(userId: string, assignmentId: string, at: number): Promise<void> {
    return this.run('resetting an on-demand quota', () => {
      this.sql(
        `INSERT INTO ai_on_demand_resets (user_id, assignment_id, at) VALUES (?, ?, ?)
         ON CONFLICT (user_id, assignment_id) DO UPDATE SET at = excluded.at`,
      ).run(userId, assignmentId, at);
    });
  }

  getOnDemandReset(userId: string, assignmentId: string): Promise<number | null> {
    return this.run('reading an on-demand quota', () => {
      const at = this.sql('SELECT at FROM ai_on_demand_resets WHERE user_id = ? AND assignment_id = ?').pluck().get(userId, assignmentId);
      return at === undefined || at === null ? null : Number(at);
    });
  }

  // ── erasure ─────────────────────────────────────────────────────────────────────────────
  /**
   * Removes every structured reference to the user: requested_by and edited_by become NULL,
   * their ratings and quota resets go, and task payloads lose any value (or key) equal to the
   * id. Free text (prompts, replies, messages) is pseudonymised before it is stored, so it is
   * not searched.
   */
  eraseUser(userId: string): Promise<void> {
    return this.run('erasing a user from AI reviews', () =>
      this.immediate(() => {
        this.sql('UPDATE ai_reviews SET requested_by = NULL WHERE requested_by = ?').run(userId);
        this.sql('UPDATE ai_findings SET edited_by = NULL WHERE edited_by = ?').run(userId);
        this.sql('DELETE FROM ai_finding_ratings WHERE user_id = ?').run(userId);
        this.sql('DELETE FROM ai_on_demand_resets WHERE user_id = ?').run(userId);
        const needle = JSON.stringify(userId);
        const tasks = this.sql('SELECT id, payload FROM ai_tasks WHERE instr(payload, ?) > 0').all(needle) as Row[];
        const update = this.sql('UPDATE ai_tasks SET payload = ? WHERE id = ?');
        for (const t of tasks) update.run(JSON.stringify(withoutValue(JSON.parse(String(t.payload)), userId)), t.id);
      }),
    );
  }

  deleteWorkspaceTasks(workspaceId: string): Promise<number> {
    return this.run('deleting the AI tasks of a workspace', () =>
      Number(this.sql("DELETE FROM ai_tasks WHERE json_extract(payload, '$.workspaceId') = ?").run(workspaceId).changes),
    );
  }
}

/** `value` with every string equal to `id` replaced by null and every key equal to `id` dropped. */
function withoutValue(value: unknown, id: string): unknown {
  if (value === id) return null;
  if (Array.isArray(value)) return value.map((v) => withoutValue(v, id));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([k]) => k !== id)
        .map(([k, v]) => [k, withoutValue(v, id)]),
    );
  }
  return value;
}

const optStr = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const optNum = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function settingsValues(s: AiSettings): unknown[] {
  return [s.helpLevel, s.approvalRequired === null ? null : s.approvalRequired ? 1 : 0, s.guidance, s.hiddenNotes, s.onDemandPerHour, s.updatedAt];
}

function toSettings(row: unknown): AiSettings | null {
  if (!row) return null;
  const r = row as Row;
  return {
    helpLevel: optStr(r.help_level) as AiSettings['helpLevel'],
    approvalRequired: r.approval_required === null ? null : Number(r.approval_required) === 1,
    guidance: String(r.guidance),
    hiddenNotes: String(r.hidden_notes),
    onDemandPerHour: optNum(r.on_demand_per_hour),
    updatedAt: Number(r.updated_at),
  };
}

function toTask(r: Row): AiTask {
  return {
    id: String(r.id),
    kind: String(r.kind) as AiTask['kind'],
    key: String(r.key),
    payload: JSON.parse(String(r.payload)) as Record<string, unknown>,
    status: String(r.status) as AiTask['status'],
    attempts: Number(r.attempts),
    runAt: Number(r.run_at),
    leaseOwner: optStr(r.lease_owner),
    leaseUntil: optNum(r.lease_until),
    lastError: optStr(r.last_error),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

function toReview(r: Row): AiReview {
  return {
    id: String(r.id),
    taskId: String(r.task_id),
    classId: String(r.class_id),
    assignmentId: String(r.assignment_id),
    groupId: String(r.group_id),
    workspaceId: String(r.workspace_id),
    submissionId: optStr(r.submission_id),
    trigger: String(r.trigger) as AiReview['trigger'],
    requestedBy: optStr(r.requested_by),
    files: JSON.parse(String(r.files)) as AiReview['files'],
    helpLevel: String(r.help_level) as AiReview['helpLevel'],
    approvalRequired: Number(r.approval_required) === 1,
    status: String(r.status) as AiReview['status'],
    staticOnly: Number(r.static_only) === 1,
    note: optStr(r.note),
    summary: String(r.summary),
    provider: optStr(r.provider),
    model: optStr(r.model),
    prompt: optStr(r.prompt),
    reply: optStr(r.reply),
    createdAt: Number(r.created_at),
    completedAt: Number(r.completed_at),
    releasedAt: optNum(r.released_at),
  };
}

function toFinding(r: Row): AiFinding {
  return {
    id: String(r.id),
    reviewId: String(r.review_id),
    fileId: String(r.file_id),
    fileName: String(r.file_name),
    version: Number(r.version),
    startLine: Number(r.start_line),
    endLine: Number(r.end_line),
    severity: String(r.severity) as AiFinding['severity'],
    category: String(r.category) as AiFinding['category'],
    message: String(r.message),
    hint: optStr(r.hint),
    source: String(r.source) as AiFinding['source'],
    tool: String(r.tool),
    rule: optStr(r.rule),
    state: String(r.state) as AiFinding['state'],
    editedBy: optStr(r.edited_by),
    ratingUp: Number(r.rating_up),
    ratingDown: Number(r.rating_down),
  };
}
