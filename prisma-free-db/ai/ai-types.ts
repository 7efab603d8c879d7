import type { FindingCategory, FindingSeverity, FindingSource, HelpLevel } from '../../lib/ai/ai-types';

/**
 * Records of the AI review assistant (issue 5): per-class and per-assignment settings, the
 * persisted task queue, reviews with their findings, students' ratings and on-demand quota
 * resets. Times are epoch ms.
 */

/** null fields inherit: assignment → class → built-in default. */
export interface AiSettings {
  helpLevel: HelpLevel | null;
  /** Teacher approves model findings before students see them (default true). */
  approvalRequired: boolean | null;
  /** Teacher's guidance to the model (visible to the model only). */
  guidance: string;
  /** Instructor notes / model solution the model may use but must never leak. */
  hiddenNotes: string;
  /** On-demand feedback requests per student per hour. */
  onDemandPerHour: number | null;
  updatedAt: number;
}

/** GradeSubmission (issue 7) shares the queue: the same leases, retries and restart safety. */
export type AiTaskKind = 'ReviewSubmission' | 'ReviewWorkspace' | 'GradeSubmission';
export type AiTaskStatus = 'queued' | 'running' | 'done' | 'failed';

export interface AiTask {
  id: string;
  kind: AiTaskKind;
  /** Idempotency key: hash of (workspace, file versions, policy). One live task per key. */
  key: string;
  /** JSON-able task arguments (ids only, never code). */
  payload: Record<string, unknown>;
  status: AiTaskStatus;
  attempts: number;
  /** Not before this time (backoff). */
  runAt: number;
  /** Who holds a running task, and until when (a crashed holder's task is taken over after it). */
  leaseOwner: string | null;
  leaseUntil: number | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface NewAiTask {
  id: string;
  kind: AiTaskKind;
  key: string;
  payload: Record<string, unknown>;
  runAt: number;
  createdAt: number;
}

export type AiReviewStatus = 'done' | 'failed';
export type AiReviewTrigger = 'submission' | 'on-demand';

export interface AiFileRef {
  fileId: string;
  name: string;
  version: number;
}

export interface AiReview {
  id: string;
  /** The task that produced it: unique, so a retried task cannot store twice. */
  taskId: string;
  classId: string;
  assignmentId: string;
  groupId: string;
  workspaceId: string;
  submissionId: string | null;
  trigger: AiReviewTrigger;
  requestedBy: string | null;
  files: AiFileRef[];
  helpLevel: HelpLevel;
  approvalRequired: boolean;
  status: AiReviewStatus;
  /** True when no model contributed (none configured, level off, circuit open, or model failed). */
  staticOnly: boolean;
  /** Why the model did not contribute, or why the review failed; null otherwise. */
  note: string | null;
  summary: string;
  provider: string | null;
  model: string | null;
  /** Exact prompt sent and raw reply received, for the teacher (pseudonymised code only). */
  prompt: string | null;
  reply: string | null;
  createdAt: number;
  completedAt: number;
  /** When students could first see it (approval on: when a teacher released it). */
  releasedAt: number | null;
}

export type AiFindingState = 'pending' | 'approved' | 'dismissed';

export interface AiFinding {
  id: string;
  reviewId: string;
  fileId: string;
  fileName: string;
  /** The file version the lines refer to. */
  version: number;
  startLine: number;
  endLine: number;
  severity: FindingSeverity;
  category: FindingCategory;
  message: string;
  hint: string | null;
  source: FindingSource;
  tool: string;
  rule: string | null;
  state: AiFindingState;
  /** Set when a teacher edited the text. */
  editedBy: string | null;
  /** Sum of student ratings (+1 helpful, −1 not). */
  ratingUp: number;
  ratingDown: number;
}

export interface FindingEdit {
  state?: AiFindingState;
  message?: string;
  hint?: string | null;
  editedBy?: string;
}
