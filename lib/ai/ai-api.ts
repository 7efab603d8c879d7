import type { FindingCategory, FindingSeverity, FindingSource, HelpLevel } from './ai-types';

/**
 * HTTP shapes of the AI review assistant (docs/ai-review.md). Students only ever receive
 * released reviews and approved findings; the prompt and the model's reply are staff-only.
 */

export type AiFindingStateView = 'pending' | 'approved' | 'dismissed';

export interface AiFindingView {
  id: string;
  fileId: string;
  fileName: string;
  /** File version the lines refer to. */
  version: number;
  startLine: number;
  endLine: number;
  severity: FindingSeverity;
  category: FindingCategory;
  message: string;
  hint: string | null;
  /** 'static' findings come from analysers (eslint, typescript, pyright), 'model' from the AI. */
  source: FindingSource;
  tool: string;
  rule: string | null;
  /** Staff see every state; students only approved findings. */
  state: AiFindingStateView;
  edited: boolean;
  ratingUp: number;
  ratingDown: number;
  /** The asking student's own rating, if any. */
  myRating: 1 | -1 | null;
}

export interface AiReviewView {
  id: string;
  workspaceId: string;
  groupId: string;
  assignmentId: string;
  submissionId: string | null;
  trigger: 'submission' | 'on-demand';
  status: 'done' | 'failed';
  /** No model contributed: the UI labels the review "static analysis only". */
  staticOnly: boolean;
  /** Why the model did not contribute (or why the review failed), in words; null when it did. */
  note: string | null;
  helpLevel: HelpLevel;
  approvalRequired: boolean;
  summary: string;
  model: string | null;
  createdAt: number;
  completedAt: number;
  releasedAt: number | null;
  findings: AiFindingView[];
}

/** Staff-only detail: exactly what was sent and received. */
export interface AiReviewTranscript {
  reviewId: string;
  provider: string | null;
  model: string | null;
  prompt: string | null;
  reply: string | null;
}

export interface AiQuotaView {
  perHour: number;
  used: number;
}

export interface AiWorkspaceReviews {
  reviews: AiReviewView[];
  /** Tasks waiting or running for this workspace (the UI shows "review in progress"). */
  pending: number;
  /** Finished reviews a teacher has not released yet (students see only this count). */
  awaitingApproval: number;
  /** Present for a member of the workspace. */
  quota: AiQuotaView | null;
  /** Whether a model is configured and reachable now ('static-only' otherwise). */
  mode: 'model' | 'static-only';
  helpLevel: HelpLevel;
}

export interface AiSettingsView {
  /** null: inherit (assignment → class → default). */
  helpLevel: HelpLevel | null;
  approvalRequired: boolean | null;
  guidance: string;
  hiddenNotes: string;
  onDemandPerHour: number | null;
  /** What applies after inheritance. */
  effective: { helpLevel: HelpLevel; approvalRequired: boolean; onDemandPerHour: number };
}

export interface AiAdminStatus {
  configured: boolean;
  provider: { kind: string; model: string; host: string | null } | null;
  health: { ok: boolean; ms: number | null; error: string | null; checkedAt: number } | null;
  circuit: { state: 'closed' | 'open' | 'half-open'; reason: string | null; until: number | null; consecutiveFailures: number; lastError: string | null };
  queue: { queued: number; running: number; done: number; failed: number };
}

export interface AiRequestAccepted {
  taskId: string;
  /** false when the same files and policy were already reviewed or queued (nothing new is run). */
  created: boolean;
}
