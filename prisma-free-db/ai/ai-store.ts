import type { AiFinding, AiReview, AiSettings, AiTask, AiTaskKind, FindingEdit, NewAiTask } from './ai-types';

/**
 * The AI review port. Async like the other ports so a network database can implement it; the
 * SQLite adapter keeps these tables in classroom.sqlite so a group's deletion cascades.
 *
 * Task claiming is atomic across processes sharing the file: `claimTask` hands a task to exactly
 * one caller until its lease runs out.
 */
export interface AiStore {
  // Settings (null = not set, inherit)
  getClassSettings(classId: string): Promise<AiSettings | null>;
  putClassSettings(classId: string, settings: AiSettings): Promise<AiSettings>;
  getAssignmentSettings(assignmentId: string): Promise<AiSettings | null>;
  putAssignmentSettings(assignmentId: string, settings: AiSettings): Promise<AiSettings>;

  // Task queue
  /**
   * Insert a task unless a task with the same key is queued, running or done; returns that task
   * and `created: false` then. A failed task with the key is replaced by a new attempt.
   */
  enqueueTask(task: NewAiTask): Promise<{ task: AiTask; created: boolean }>;
  /**
   * Take the next due task: queued with runAt ≤ now, or running with an expired lease (its holder
   * died). Increments attempts, sets the lease. Oldest runAt first.
   */
  claimTask(owner: string, now: number, leaseMs: number): Promise<AiTask | null>;
  /** Extend a running task's lease (only by its owner); false when the lease was lost. */
  renewLease(taskId: string, owner: string, until: number): Promise<boolean>;
  /** Mark done (only by its owner). */
  completeTask(taskId: string, owner: string, now: number): Promise<void>;
  /** Back to queued at `retryAt`, or failed for good when retryAt is null (only by its owner). */
  failTask(taskId: string, owner: string, error: string, retryAt: number | null, now: number): Promise<void>;
  getTask(id: string): Promise<AiTask | null>;
  /** Queued or running tasks of a workspace (of these kinds), across every process ("review in progress"). */
  countLiveTasks(workspaceId: string, ...kinds: AiTaskKind[]): Promise<number>;
  countTasks(): Promise<Record<'queued' | 'running' | 'done' | 'failed', number>>;

  // Reviews and findings
  /**
   * Store a review with its findings in one transaction. Idempotent per taskId: when a review of
   * that task exists, nothing is written and the existing one is returned with `created: false`.
   */
  saveReview(review: AiReview, findings: AiFinding[]): Promise<{ review: AiReview; created: boolean }>;
  getReview(id: string): Promise<AiReview | null>;
  /** A group's reviews, newest first. */
  listGroupReviews(groupId: string, limit: number): Promise<AiReview[]>;
  /** Latest review of each group of an assignment. */
  listAssignmentReviews(assignmentId: string): Promise<AiReview[]>;
  listFindings(reviewId: string): Promise<AiFinding[]>;
  getFinding(id: string): Promise<AiFinding | null>;
  updateFinding(id: string, edit: FindingEdit): Promise<AiFinding | null>;
  /** Release a review: pending findings become approved; sets releasedAt. Returns the review. */
  releaseReview(reviewId: string, now: number): Promise<AiReview | null>;
  /** A student's rating of a finding (+1 or −1); rating again replaces their earlier rating. */
  rateFinding(findingId: string, userId: string, rating: 1 | -1, now: number): Promise<AiFinding | null>;
  /** A student's own ratings of a review's findings, by finding id. */
  myRatings(reviewId: string, userId: string): Promise<Record<string, 1 | -1>>;

  // On-demand quota
  /** On-demand reviews requested by `userId` for `assignmentId` since `since`. */
  countOnDemand(userId: string, assignmentId: string, since: number): Promise<number>;
  /** A teacher's reset: requests before `at` no longer count for that student and assignment. */
  resetOnDemand(userId: string, assignmentId: string, at: number): Promise<void>;
  getOnDemandReset(userId: string, assignmentId: string): Promise<number | null>;

  /** Deletion on request: requested_by and ratings of the user are removed. */
  eraseUser(userId: string): Promise<void>;
  /** A workspace was purged (erasure): its tasks go too (tasks have no foreign key to cascade). */
  deleteWorkspaceTasks(workspaceId: string): Promise<number>;
}
