import type { AssignmentRetention, AuditEntry, DueCompaction, Grade, NewAuditEntry, ReviewComment, RubricRecord, Submission } from './review-types';

export interface AuditQuery {
  limit: number;
  /** Entries with an id below this (paging backwards). */
  before?: number;
  subjectUserId?: string;
}

/**
 * The review port: submissions, comments, rubrics, grades and the audit log. Like the classroom
 * port it is async so a network database can implement it.
 *
 * The audit log is append-only by construction: the port has no way to change or remove an
 * entry, and the SQLite adapter refuses UPDATE and DELETE on the table with triggers.
 */
export interface ReviewStore {
  // Submissions
  createSubmission(submission: Submission): Promise<Submission>;
  getSubmission(id: string): Promise<Submission | null>;
  /** A group's submissions, oldest first. */
  listGroupSubmissions(groupId: string): Promise<Submission[]>;
  /** Every submission of an assignment, oldest first. */
  listAssignmentSubmissions(assignmentId: string): Promise<Submission[]>;

  // Comments
  createComment(comment: ReviewComment): Promise<ReviewComment>;
  getComment(id: string): Promise<ReviewComment | null>;
  listComments(groupId: string): Promise<ReviewComment[]>;
  updateCommentBody(id: string, body: string, now: number): Promise<ReviewComment | null>;
  /** Delete a comment and its replies. */
  deleteComment(id: string): Promise<boolean>;

  // Rubrics and grades
  setRubric(rubric: RubricRecord): Promise<RubricRecord>;
  getRubric(assignmentId: string): Promise<RubricRecord | null>;
  putGrade(grade: Grade): Promise<Grade>;
  getGrade(groupId: string): Promise<Grade | null>;
  listGrades(assignmentId: string): Promise<Grade[]>;
  /** Release every draft comment of the group and its grade; returns how many comments. */
  releaseFeedback(groupId: string, now: number): Promise<number>;

  /**
   * Deletion on request: delete the comments `userId` wrote (with their replies) and name
   * `replacement` instead of them on submissions and grades. The audit log is left as it is.
   */
  eraseAuthor(userId: string, replacement: string): Promise<void>;

  /** Move a comment's anchor to a later version (before the ops it was carried through are compacted). */
  updateCommentAnchor(id: string, anchor: { version: number; from: number; to: number }): Promise<void>;

  // Op retention
  /** Days to keep keystroke history after grades are final; null keeps it forever (the default). */
  setClassRetention(classId: string, opRetentionDays: number | null): Promise<void>;
  getClassRetention(classId: string): Promise<number | null>;
  /** Mark (or, with null, unmark) an assignment's grades final. */
  setGradesFinal(assignmentId: string, at: number | null): Promise<AssignmentRetention>;
  getAssignmentRetention(assignmentId: string): Promise<AssignmentRetention>;
  /** Assignments whose grades are final, not yet compacted, whose class's retention has run out at `now`. */
  listDueCompactions(now: number): Promise<DueCompaction[]>;
  markCompacted(assignmentId: string, at: number): Promise<void>;

  // Audit log (append only)
  appendAudit(entry: NewAuditEntry): Promise<AuditEntry>;
  listAudit(query: AuditQuery): Promise<AuditEntry[]>;
}
