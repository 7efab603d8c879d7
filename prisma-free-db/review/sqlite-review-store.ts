import type Database from 'better-sqlite3';
import { SqlitePort } from '../sqlite-port';
import type { AuditQuery, ReviewStore } from './review-store';
import type { AssignmentRetention, AuditEntry, DueCompaction, Grade, NewAuditEntry, ReviewComment, RubricRecord, Submission } from './review-types';

type Row = Record<string, unknown>;

/**
 * The review port on the classroom SQLite file (tables from review-schema.ts). It borrows the
 * classroom store's connection, so it is open exactly while that store is.
 */
export class SqliteReviewStore extends SqlitePort implements ReviewStore {
  constructor(db: Database.Database, isClosed: () => boolean) {
    super(db, isClosed);
  }

  // ── submissions ─────────────────────────────────────────────────────────────────────────
  createSubmission(s: Submission): Promise<Submission> {
    return this.run('saving a submission', () => {
      this.db
        .prepare(
          `INSERT INTO submissions (id, assignment_id, group_id, workspace_id, files, submitted_by, submitted_at, late)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(s.id, s.assignmentId, s.groupId, s.workspaceId, JSON.stringify(s.files), s.submittedBy, s.submittedAt, s.late ? 1 : 0);
      return this.submissionById(s.id)!;
    });
  }

  getSubmission(id: string): Promise<Submission | null> {
    return this.run('reading a submission', () => this.submissionById(id));
  }

  listGroupSubmissions(groupId: string): Promise<Submission[]> {
    return this.run('listing submissions', () =>
      (this.db.prepare('SELECT * FROM submissions WHERE group_id = ? ORDER BY submitted_at, rowid').all(groupId) as Row[]).map(toSubmission),
    );
  }

  listAssignmentSubmissions(assignmentId: string): Promise<Submission[]> {
    return this.run('listing submissions', () =>
      (this.db.prepare('SELECT * FROM submissions WHERE assignment_id = ? ORDER BY submitted_at, rowid').all(assignmentId) as Row[]).map(
        toSubmission,
      ),
    );
  }

  private submissionById(id: string): Submission | null {
    const r = this.db.prepare('SELECT * FROM submissions WHERE id = ?').get(id) as Row | undefined;
    return r ? toSubmission(r) : null;
  }

  // ── comments ────────────────────────────────────────────────────────────────────────────
  createComment(c: ReviewComment): Promise<ReviewComment> {
    return this.run('saving a comment', () => {
      this.db
        .prepare(
          `INSERT INTO review_comments (id, group_id, workspace_id, file_id, version, range_from, range_to, quote, body,
             author_id, released_at, parent_id, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          c.id,
          c.groupId,
          c.workspaceId,
          c.fileId,
          c.version,
          c.from,
          c.to,
          c.quote,
          c.body,
          c.authorId,
          c.releasedAt,
          c.parentId,
          c.createdAt,
          c.updatedAt,
        );
      return this.commentById(c.id)!;
    });
  }

  getComment(id: string): Promise<ReviewComment | null> {
    return this.run('reading a comment', () => this.commentById(id));
  }

  listComments(groupId: string): Promise<ReviewComment[]> {
    return this.run('listing comments', () =>
      (this.db.prepare('SELECT * FROM review_comments WHERE group_id = ? ORDER BY created_at, rowid').all(groupId) as Row[]).map(toComment),
    );
  }

  updateCommentBody(id: string, body: string, now: number): Promise<ReviewComment | null> {
    return this.run('editing a comment', () => {
      this.db.prepare('UPDATE review_comments SET body = ?, updated_at = ? WHERE id = ?').run(body, now, id);
      return this.commentById(id);
    });
  }

  deleteComment(id: string): Promise<boolean> {
    return this.run('deleting a comment', () => this.db.prepare('DELETE FROM review_comments WHERE id = ?').run(id).changes > 0);
  }

  private commentById(id: string): ReviewComment | null {
    const r = this.db.prepare('SELECT * FROM review_comments WHERE id = ?').get(id) as Row | undefined;
    return r ? toComment(r) : null;
  }

  // ── rubrics and grades ──────────────────────────────────────────────────────────────────
  setRubric(rubric: RubricRecord): Promise<RubricRecord> {
    return this.run('saving a rubric', () => {
      this.db
        .prepare(
          `INSERT INTO rubrics (assignment_id, criteria, updated_at) VALUES (?, ?, ?)
           ON CONFLICT (assignment_id) DO UPDATE SET criteria = excluded.criteria, updated_at = excluded.updated_at`,
        )
        .run(rubric.assignmentId, JSON.stringify(rubric.criteria), rubric.updatedAt);
      return this.rubricOf(rubric.assignmentId)!;
    });
  }

  getRubric(assignmentId: string): Promise<RubricRecord | null> {
    return this.run('reading a rubric', () => this.rubricOf(assignmentId));
  }

  private rubricOf(assignmentId: string): RubricRecord | null {
    const r = this.db.prepare('SELECT * FROM rubrics WHERE assignment_id = ?').get(assignmentId) as Row | undefined;
    if (!r) return null;
    return { assignmentId: String(r.assignment_id), criteria: JSON.parse(String(r.criteria)) as RubricRecord['criteria'], updatedAt: Number(r.updated_at) };
  }

  putGrade(g: Grade): Promise<Grade> {
    return this.run('saving a grade', () => {
      // A re-grade after release stays released only if the caller says so (releasedAt).
      this.db
        .prepare(
          `INSERT INTO grades (group_id, assignment_id, scores, summary, graded_by, updated_at, released_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (group_id) DO UPDATE SET scores = excluded.scores, summary = excluded.summary,
             graded_by = excluded.graded_by, updated_at = excluded.updated_at, released_at = excluded.released_at`,
        )
        .run(g.groupId, g.assignmentId, JSON.stringify(g.scores), g.summary, g.gradedBy, g.updatedAt, g.releasedAt);
      return this.gradeOf(g.groupId)!;
    });
  }

  getGrade(groupId: string): Promise<Grade | null> {
    return this.run('reading a grade', () => this.gradeOf(groupId));
  }

  listGrades(assignmentId: string): Promise<Grade[]> {
    return this.run('listing grades', () =>
      (this.db.prepare('SELECT * FROM grades WHERE assignment_id = ?').all(assignmentId) as Row[]).map(toGrade),
    );
  }

  private gradeOf(groupId: string): Grade | null {
    const r = this.db.prepare('SELECT * FROM grades WHERE group_id = ?').get(groupId) as Row | undefined;
    return r ? toGrade(r) : null;
  }

  releaseFeedback(groupId: string, now: number): Promise<number> {
    return this.run('releasing feedback', () =>
      this.db.transaction(() => {
        const n = this.db.prepare('UPDATE review_comments SET released_at = ? WHERE group_id = ? AND released_at IS NULL').run(now, groupId).changes;
        this.db.prepare('UPDATE grades SET released_at = ? WHERE group_id = ?').run(now, groupId);
        return n;
      })(),
    );
  }

  eraseAuthor(userId: string, replacement: string): Promise<void> {
    return this.run('erasing an author', () =>
      this.db.transaction(() => {
        this.db.prepare('DELETE FROM review_comments WHERE author_id = ?').run(userId);
        this.db.prepare('UPDATE submissions SET submitted_by = ? WHERE submitted_by = ?').run(replacement, userId);
        this.db.prepare('UPDATE grades SET graded_by = ? WHERE graded_by = ?').run(replacement, userId);
      })(),
    );
  }

  updateCommentAnchor(id: string, anchor: { version: number; from: number; to: number }): Promise<void> {
    return this.run('moving a comment', () => {
      this.db.prepare('UPDATE review_comments SET version = ?, range_from = ?, range_to = ? WHERE id = ?').run(anchor.version, anchor.from, anchor.to, id);
    });
  }

  // ── op retention ────────────────────────────────────────────────────────────────────────
  setClassRetention(classId: string, opRetentionDays: number | null): Promise<void> {
    return this.run('saving the retention policy', () => {
      this.db
        .prepare(
          `INSERT INTO class_retention (class_id, op_retention_days) VALUES (?, ?)
           ON CONFLICT (class_id) DO UPDATE SET op_retention_days = excluded.op_retention_days`,
        )
        .run(classId, opRetentionDays);
    });
  }

  getClassRetention(classId: string): Promise<number | null> {
    return this.run('reading the retention policy', () => {
      const days = this.db.prepare('SELECT op_retention_days FROM class_retention WHERE class_id = ?').pluck().get(classId);
      return days === undefined || days === null ? null : Number(days);
    });
  }

  setGradesFinal(assignmentId: string, at: number | null): Promise<AssignmentRetention> {
    return this.run('marking grades final', () => {
      this.db
        .prepare(
          `INSERT INTO assignment_retention (assignment_id, grades_final_at, ops_compacted_at) VALUES (?, ?, NULL)
           ON CONFLICT (assignment_id) DO UPDATE SET grades_final_at = excluded.grades_final_at`,
        )
        .run(assignmentId, at);
      return this.retentionOf(assignmentId);
    });
  }

  getAssignmentRetention(assignmentId: string): Promise<AssignmentRetention> {
    return this.run('reading retention', () => this.retentionOf(assignmentId));
  }

  listDueCompactions(now: number): Promise<DueCompaction[]> {
    return this.run('finding history to compact', () =>
      (
        this.db
          .prepare(
            `SELECT ar.assignment_id, a.class_id, ar.grades_final_at, cr.op_retention_days
             FROM assignment_retention ar
             JOIN assignments a ON a.id = ar.assignment_id
             JOIN class_retention cr ON cr.class_id = a.class_id
             WHERE ar.grades_final_at IS NOT NULL AND ar.ops_compacted_at IS NULL AND cr.op_retention_days IS NOT NULL
               AND ar.grades_final_at + cr.op_retention_days * 86400000 <= ?
             ORDER BY ar.grades_final_at`,
          )
          .all(now) as Row[]
      ).map((r) => ({
        assignmentId: String(r.assignment_id),
        classId: String(r.class_id),
        gradesFinalAt: Number(r.grades_final_at),
        opRetentionDays: Number(r.op_retention_days),
      })),
    );
  }

  markCompacted(assignmentId: string, at: number): Promise<void> {
    return this.run('marking history compacted', () => {
      this.db.prepare('UPDATE assignment_retention SET ops_compacted_at = ? WHERE assignment_id = ?').run(at, assignmentId);
    });
  }

  private retentionOf(assignmentId: string): AssignmentRetention {
    const r = this.db.prepare('SELECT * FROM assignment_retention WHERE assignment_id = ?').get(assignmentId) as Row | undefined;
    return {
      assignmentId,
      gradesFinalAt: r?.grades_final_at == null ? null : Number(r.grades_final_at),
      opsCompactedAt: r?.ops_compacted_at == null ? null : Number(r.ops_compacted_at),
    };
  }

  // ── audit log ───────────────────────────────────────────────────────────────────────────
  appendAudit(e: NewAuditEntry): Promise<AuditEntry> {
    return this.run('writing the audit log', () => {
      const info = this.db
        .prepare('INSERT INTO audit_log (at, actor_id, action, subject_user_id, target, detail) VALUES (?, ?, ?, ?, ?, ?)')
        .run(e.at, e.actorId, e.action, e.subjectUserId, e.target, JSON.stringify(e.detail));
      return { ...e, id: Number(info.lastInsertRowid) };
    });
  }

  listAudit(q: AuditQuery): Promise<AuditEntry[]> {
    return this.run('reading the audit log', () => {
      const where: string[] = [];
      const args: unknown[] = [];
      if (q.before !== undefined) {
        where.push('id < ?');
        args.push(q.before);
      }
      if (q.subjectUserId !== undefined) {
        where.push('subject_user_id = ?');
        args.push(q.subjectUserId);
      }
      const sql = `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
      return (this.db.prepare(sql).all(...args, q.limit) as Row[]).map(toAudit);
    });
  }
}

function toSubmission(r: Row): Submission {
  return {
    id: String(r.id),
    assignmentId: String(r.assignment_id),
    groupId: String(r.group_id),
    workspaceId: String(r.workspace_id),
    files: JSON.parse(String(r.files)) as Submission['files'],
    submittedBy: String(r.submitted_by),
    submittedAt: Number(r.submitted_at),
    late: Number(r.late) === 1,
  };
}

function toComment(r: Row): ReviewComment {
  return {
    id: String(r.id),
    groupId: String(r.group_id),
    workspaceId: String(r.workspace_id),
    fileId: String(r.file_id),
    version: Number(r.version),
    from: Number(r.range_from),
    to: Number(r.range_to),
    quote: String(r.quote),
    body: String(r.body),
    authorId: String(r.author_id),
    releasedAt: r.released_at === null ? null : Number(r.released_at),
    parentId: r.parent_id === null ? null : String(r.parent_id),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

function toGrade(r: Row): Grade {
  return {
    groupId: String(r.group_id),
    assignmentId: String(r.assignment_id),
    scores: JSON.parse(String(r.scores)) as Record<string, number>,
    summary: String(r.summary),
    gradedBy: String(r.graded_by),
    updatedAt: Number(r.updated_at),
    releasedAt: r.released_at === null ? null : Number(r.released_at),
  };
}

function toAudit(r: Row): AuditEntry {
  return {
    id: Number(r.id),
    at: Number(r.at),
    actorId: r.actor_id === null ? null : String(r.actor_id),
    action: String(r.action),
    subjectUserId: r.subject_user_id === null ? null : String(r.subject_user_id),
    target: String(r.target),
    detail: JSON.parse(String(r.detail)) as Record<string, unknown>,
  };
}
