/**
 * Records of submissions and review: submissions (references to file versions, not copies),
 * anchored comments, rubrics, grades and the append-only audit log. Times are epoch ms.
 */

export interface SubmissionFileRef {
  fileId: string;
  name: string;
  /** The file doc's version when submitted: the op log makes this text recoverable forever. */
  version: number;
}

export interface Submission {
  id: string;
  assignmentId: string;
  groupId: string;
  workspaceId: string;
  files: SubmissionFileRef[];
  submittedBy: string;
  submittedAt: number;
  late: boolean;
}

export interface ReviewComment {
  id: string;
  groupId: string;
  workspaceId: string;
  fileId: string;
  /** Version of the file the range refers to. */
  version: number;
  /** Code points of the file's text at `version`. */
  from: number;
  to: number;
  /** The commented text at `version`, kept for context once the code changes. */
  quote: string;
  body: string;
  authorId: string;
  /** Staff comments are drafts until released; students' replies are released at once. */
  releasedAt: number | null;
  parentId: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface RubricCriterionRecord {
  id: string;
  title: string;
  points: number;
  description: string;
}

export interface RubricRecord {
  assignmentId: string;
  criteria: RubricCriterionRecord[];
  updatedAt: number;
}

export interface Grade {
  groupId: string;
  assignmentId: string;
  scores: Record<string, number>;
  summary: string;
  gradedBy: string;
  updatedAt: number;
  releasedAt: number | null;
}

export interface AuditEntry {
  /** Monotonic sequence number assigned by the store. */
  id: number;
  at: number;
  /** Null for the server itself (e.g. an AI call made by a background task). */
  actorId: string | null;
  action: string;
  /** The student whose work was touched, when there is one. */
  subjectUserId: string | null;
  /** What was touched, as `kind:id` (e.g. `submission:abc`). */
  target: string;
  detail: Record<string, unknown>;
}

export type NewAuditEntry = Omit<AuditEntry, 'id'>;

export interface AssignmentRetention {
  assignmentId: string;
  /** When the teacher marked the grades final; null while grading goes on. */
  gradesFinalAt: number | null;
  /** When the ops of its workspaces were compacted; null until then. */
  opsCompactedAt: number | null;
}

/** An assignment whose keystroke history is due for compaction. */
export interface DueCompaction {
  assignmentId: string;
  classId: string;
  gradesFinalAt: number;
  opRetentionDays: number;
}
