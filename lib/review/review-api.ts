/**
 * Shapes of the submissions-and-review REST API (server/http/review-routes.ts), shared by the
 * server that builds them and the UI that reads them. docs/review.md explains the data model;
 * docs/permissions.md (RV-*) says who may call what.
 *
 * Offsets (`from`, `to`) are Unicode code points of the file's text, like every text op.
 */

/** How an op was made, recorded in `op.m.source` by the server (P-OP-PROV). */
export type OpSource = 'typed' | 'pasted' | 'starter' | 'teacher' | 'ai' | 'server';

/** One file of a submission: the file doc's version at the moment of submitting. */
export interface SubmittedFile {
  fileId: string;
  name: string;
  version: number;
}

export interface SubmissionView {
  id: string;
  assignmentId: string;
  groupId: string;
  workspaceId: string;
  files: SubmittedFile[];
  submittedBy: { id: string; displayName: string };
  submittedAt: number;
  /** Submitted after the assignment's deadline. */
  late: boolean;
  /** 1 for the first submission of the group, 2 for the first resubmission, … */
  number: number;
}

/** State of one pair (or solo student) in the submission list. */
export type SubmissionStatus = 'missing' | 'submitted' | 'late' | 'reviewed';

export interface SubmissionListRow {
  groupId: string;
  workspaceId: string | null;
  members: Array<{ id: string; displayName: string }>;
  /** The newest submission; null when the group has not submitted. */
  latest: SubmissionView | null;
  submissions: number;
  /** Feedback released to the students. */
  reviewed: boolean;
  /** Total of the rubric scores given so far, null when ungraded. */
  score: number | null;
  status: SubmissionStatus;
}

export interface SubmissionList {
  assignmentId: string;
  deadline: number | null;
  maxScore: number;
  rows: SubmissionListRow[];
}

/** A submitted file's text at the submitted version, with the starter and previous versions. */
export interface SubmissionFileView extends SubmittedFile {
  language: string;
  text: string;
  /** Text of the starter file of the same name; null if the file is new. */
  starterText: string | null;
  /** Text at the group's previous submission; null for the first one or a new file. */
  previousText: string | null;
}

export interface SubmissionDetail {
  submission: SubmissionView;
  files: SubmissionFileView[];
  /** Every submission of the group, oldest first (for "diff against resubmission"). */
  history: SubmissionView[];
}

export interface CommentView {
  id: string;
  groupId: string;
  workspaceId: string;
  fileId: string;
  /** Where the comment was made: file version and range at that version. */
  version: number;
  from: number;
  to: number;
  /** The same range carried through every later op to the file's current version. */
  current: { version: number; from: number; to: number; outdated: boolean };
  /** Text the comment was made on (at `version`), for an outdated comment's context. */
  quote: string;
  body: string;
  author: { id: string; displayName: string; staff: boolean };
  parentId: string | null;
  createdAt: number;
  /** Null while the comment is a draft only staff can see. */
  releasedAt: number | null;
}

export interface RubricCriterion {
  id: string;
  title: string;
  points: number;
  description: string;
}

export interface Rubric {
  assignmentId: string;
  criteria: RubricCriterion[];
  maxScore: number;
}

export interface GradeView {
  groupId: string;
  /** Points per rubric criterion id. */
  scores: Record<string, number>;
  total: number;
  summary: string;
  gradedBy: string;
  updatedAt: number;
  releasedAt: number | null;
}

/** Everything a reviewer sees about one group. */
export interface ReviewView {
  groupId: string;
  workspaceId: string | null;
  rubric: Rubric;
  grade: GradeView | null;
  comments: CommentView[];
  submissions: SubmissionView[];
}

/** What a student sees: only released feedback. */
export interface FeedbackView {
  workspaceId: string;
  grade: GradeView | null;
  rubric: Rubric;
  comments: CommentView[];
}

/** One op of a file's history, without its content (for the playback scrubber). */
export interface HistoryEntry {
  v: number;
  author: string | null;
  source: OpSource | null;
  ts: number | null;
  inserted: number;
  deleted: number;
}

export interface FileHistory {
  workspaceId: string;
  fileId: string;
  /** Current version (the number of ops applied). */
  version: number;
  /** First version with keystroke-level history (ops before it were compacted away by op retention). */
  firstVersion: number;
  /** Versions below `firstVersion` still viewable (milestones kept by compaction: submissions, …). */
  keptVersions: number[];
  authors: Array<{ id: string; displayName: string }>;
  entries: HistoryEntry[];
}

export interface FileAtVersion {
  fileId: string;
  version: number;
  text: string;
}

export interface BlameView {
  fileId: string;
  version: number;
  text: string;
  spans: Array<{ from: number; to: number; author: string | null; source: string | null; v: number | null }>;
  authors: Array<{ id: string; displayName: string }>;
  contributions: Array<{ author: string | null; chars: number; insertedChars: number; deletedChars: number; ops: number }>;
}

export interface PasteSignalView {
  fileId: string;
  fileName: string;
  v: number;
  author: { id: string; displayName: string } | null;
  source: string | null;
  ts: number | null;
  at: number;
  length: number;
  preview: string;
}

export interface AuditEntryView {
  id: number;
  at: number;
  actor: { id: string; displayName: string } | null;
  action: string;
  subjectUserId: string | null;
  target: string;
  detail: Record<string, unknown>;
}
