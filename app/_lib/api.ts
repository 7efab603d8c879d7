import type {
  AiAdminStatus,
  AiFindingStateView,
  AiFindingView,
  AiRequestAccepted,
  AiReviewTranscript,
  AiReviewView,
  AiSettingsView,
  AiWorkspaceReviews,
} from '../../lib/ai/ai-api';
import type { HelpLevel } from '../../lib/ai/ai-types';
import type { ErrorCode } from '../../lib/protocol';
import type {
  AuditEntryView,
  BlameView,
  CommentView,
  FeedbackView,
  FileAtVersion,
  FileHistory,
  GradeView,
  PasteSignalView,
  ReviewView,
  Rubric,
  SubmissionDetail,
  SubmissionList,
  SubmissionStatus,
  SubmissionView,
} from '../../lib/review/review-api';
import type { AssignmentTestsView, BrowserTestReport, GroupTestSummary, TestResultView, WorkspaceTestResults } from '../../lib/run/test-api';
import { redirectToSignIn } from './auth-redirect';

// ── shapes the REST API answers with (server/http/*-routes.ts) ─────────────────────────────

/** A file as the REST API describes it. */
export interface FileSummary {
  id: string;
  name: string;
  language: string;
  createdAt: number;
}

export interface WorkspaceSummary {
  id: string;
  name: string;
  createdAt: number;
  files: FileSummary[];
}

export interface MyWorkspace {
  id: string;
  name: string;
  createdAt: number;
  fileCount: number;
}

export type UserRole = 'admin' | 'teacher' | 'student';
export type ClassRole = 'teacher' | 'ta' | 'student';
export type PairRole = 'driver' | 'navigator';

export interface PublicUser {
  id: string;
  email: string;
  displayName: string;
  role: UserRole;
}

export interface Me {
  user: PublicUser;
  expiresAt: number;
  classes: Array<{ id: string; name: string; role: ClassRole; archived: boolean }>;
}

export interface AuthConfig {
  teacherSignup: boolean;
  oidc: { label: string } | null;
}

export interface AdminUser extends PublicUser {
  disabled: boolean;
  sso: boolean;
}

export interface ClassView {
  id: string;
  name: string;
  /** Null only for an administrator who is not a member (the server reports them as teacher). */
  role: ClassRole | null;
  archived: boolean;
  createdAt: number;
  broadcastWorkspaceId: string | null;
  /** Staff only. */
  joinCode?: string;
}

/** Staff see emails; students see names only. */
export interface ClassMember {
  userId: string;
  displayName: string;
  role: ClassRole;
  email?: string;
  joinedAt?: number;
}

export type AssignmentMode = 'pairs' | 'solo';
export type PairingMode = 'manual' | 'random' | 'choice';

export interface AssignmentFields {
  title: string;
  instructions: string;
  language: string;
  starterFiles: Array<{ name: string; content: string }>;
  deadline: number | null;
  mode: AssignmentMode;
  pairing: PairingMode;
  strictRoles: boolean;
  swapMinutes: number | null;
}

export interface AssignmentSummary {
  id: string;
  classId: string;
  title: string;
  language: string;
  deadline: number | null;
  mode: AssignmentMode;
  pairing: PairingMode;
  strictRoles: boolean;
  swapMinutes: number | null;
  published: boolean;
  createdAt: number;
  starterFileCount?: number;
}

export interface GroupView {
  id: string;
  assignmentId: string;
  workspaceId: string | null;
  started: boolean;
  rolesChangedAt: number;
  members: Array<{ userId: string; role: PairRole; displayName: string }>;
}

export interface AssignmentDetail extends AssignmentSummary {
  /** Staff only: the Markdown as written. */
  instructions?: string;
  /** Sanitised by the server: safe for dangerouslySetInnerHTML. */
  instructionsHtml: string;
  /** Staff get contents; students get names only. */
  starterFiles: Array<{ name: string; content?: string }>;
  myRole: ClassRole | null;
  group: GroupView | null;
}

export interface WorkspaceActivity {
  workspaceId: string;
  lastEditAt: number | null;
  lastEditBy: string | null;
  /** Code points inserted + deleted in the last five minutes. */
  recentChange: number;
  /** User ids with the workspace open right now. */
  online: string[];
  /** Orders views of one workspace: a push with a lower rev than the one shown is older. */
  rev: number;
}

export interface ActivityView {
  now: number;
  groups: Array<GroupView & { activity: WorkspaceActivity | null }>;
}

export interface HelpRequest {
  id: string;
  classId: string;
  userId: string;
  workspaceId: string | null;
  note: string;
  createdAt: number;
  position: number;
  displayName?: string;
}

export type HelpQueueView = { queue: HelpRequest[] } | { mine: HelpRequest | null; waiting: number };

export interface WorkspaceContext {
  workspaceId: string;
  me: { id: string; displayName: string; role: UserRole };
  access: 'read' | 'write';
  strictNavigator: boolean;
  kind: 'personal' | 'group';
  ownerUserId: string | null;
  class: { id: string; name: string } | null;
  assignment: { id: string; title: string; strictRoles: boolean; swapMinutes: number | null; deadline: number | null } | null;
  group: { id: string; members: Array<{ userId: string; role: PairRole; displayName: string }>; rolesChangedAt: number } | null;
}

/** What erasing an account removed (PV-2). */
export interface ErasureReport {
  workspacesErased: number;
  opsAnonymised: number;
}

/** A class's op retention (RT-1): days keystroke history is kept after grades are final; null = forever. */
export interface RetentionPolicy {
  opRetentionDays: number | null;
}

/** An assignment's grades-final state (RT-1), as `PUT …/grades-final` answers. */
export interface GradesFinalView {
  assignmentId: string;
  gradesFinalAt: number | null;
  opsCompactedAt: number | null;
  /** When the sweep may compact its history; null while not final or when the class keeps it forever. */
  compactAfter: number | null;
}

/** What a teacher saves as a class's or an assignment's AI settings (null fields inherit). */
export interface AiSettingsInput {
  helpLevel: HelpLevel | null;
  approvalRequired: boolean | null;
  guidance: string;
  hiddenNotes: string;
  onDemandPerHour: number | null;
}

/** A staff edit of one AI finding (server/http, docs/ai-review.md). */
export interface AiFindingPatch {
  state?: AiFindingStateView;
  message?: string;
  hint?: string | null;
}

// ── transport ──────────────────────────────────────────────────────────────────────────────

/** A failed API call, with a message written for people (the server's, when it sent one). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: ErrorCode | 'NETWORK' | 'UNKNOWN',
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface RequestOptions {
  /**
   * On 401, send the person to the sign-in page (and back here afterwards). Off for the auth
   * endpoints, where 401 means "wrong password" or "not signed in yet" and the page decides.
   */
  signInOn401?: boolean;
}

async function request<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      // Same origin: the httpOnly session cookie goes along by itself.
      credentials: 'same-origin',
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError('Could not reach the Tandem server. Check your connection and try again.', 0, 'NETWORK');
  }
  if (response.status === 204) return undefined as T;
  let payload: unknown = null;
  try {
    payload = await response.json();
  } catch {
    // Not JSON (a proxy's error page): fall through to the generic message.
  }
  if (!response.ok) {
    const error = (payload as { error?: { code?: ErrorCode; message?: string } } | null)?.error;
    if (response.status === 401 && options.signInOn401 !== false) redirectToSignIn();
    throw new ApiError(
      error?.message ?? `The server answered ${response.status}. Please try again.`,
      response.status,
      error?.code ?? 'UNKNOWN',
    );
  }
  return payload as T;
}

const enc = encodeURIComponent;
const noRedirect: RequestOptions = { signInOn401: false };

export const api = {
  // accounts
  authConfig: () => request<AuthConfig>('GET', '/api/auth/config', undefined, noRedirect),
  me: () => request<Me>('GET', '/api/auth/me', undefined, noRedirect),
  signUp: (body: { email: string; password: string; displayName: string; joinCode?: string }) =>
    request<{ user: PublicUser; classId: string | null }>('POST', '/api/auth/signup', body, noRedirect),
  logIn: (body: { email: string; password: string }) => request<{ user: PublicUser }>('POST', '/api/auth/login', body, noRedirect),
  logOut: () => request<void>('POST', '/api/auth/logout', undefined, noRedirect),
  requestPasswordReset: (email: string) =>
    request<{ message: string }>('POST', '/api/auth/password-reset/request', { email }, noRedirect),
  resetPassword: (token: string, password: string) =>
    request<{ user: PublicUser }>('POST', '/api/auth/password-reset', { token, password }, noRedirect),

  // administration
  adminUsers: () => request<{ users: AdminUser[] }>('GET', '/api/admin/users'),
  adminCreateUser: (body: { email: string; displayName: string; role: UserRole; password?: string }) =>
    request<{ user: PublicUser; resetLink: string | null }>('POST', '/api/admin/users', body),
  adminUpdateUser: (id: string, body: { role?: UserRole; disabled?: boolean }) =>
    request<{ user: AdminUser }>('PATCH', `/api/admin/users/${enc(id)}`, body),
  adminResetLink: (id: string) => request<{ resetLink: string }>('POST', `/api/admin/users/${enc(id)}/reset-link`),

  // classes
  createClass: (name: string) => request<ClassView>('POST', '/api/classes', { name }),
  getClass: (id: string) => request<ClassView>('GET', `/api/classes/${enc(id)}`),
  updateClass: (id: string, body: { name?: string; archived?: boolean }) => request<ClassView>('PATCH', `/api/classes/${enc(id)}`, body),
  rotateJoinCode: (id: string) => request<ClassView>('POST', `/api/classes/${enc(id)}/join-code`),
  join: (code: string) => request<{ classId: string; name: string; role: ClassRole }>('POST', '/api/join', { code }),
  members: (classId: string) => request<{ members: ClassMember[] }>('GET', `/api/classes/${enc(classId)}/members`),
  setMemberRole: (classId: string, userId: string, role: ClassRole) =>
    request<unknown>('PATCH', `/api/classes/${enc(classId)}/members/${enc(userId)}`, { role }),
  removeMember: (classId: string, userId: string) => request<void>('DELETE', `/api/classes/${enc(classId)}/members/${enc(userId)}`),
  setBroadcast: (classId: string, workspaceId: string | null) =>
    request<{ broadcastWorkspaceId: string | null }>('PUT', `/api/classes/${enc(classId)}/broadcast`, { workspaceId }),

  // assignments and pairing
  createAssignment: (classId: string, body: AssignmentFields) =>
    request<AssignmentDetail>('POST', `/api/classes/${enc(classId)}/assignments`, body),
  assignments: (classId: string) => request<{ assignments: AssignmentSummary[] }>('GET', `/api/classes/${enc(classId)}/assignments`),
  assignment: (id: string) => request<AssignmentDetail>('GET', `/api/assignments/${enc(id)}`),
  updateAssignment: (id: string, body: Partial<AssignmentFields> & { published?: boolean }) =>
    request<AssignmentDetail>('PATCH', `/api/assignments/${enc(id)}`, body),
  groups: (assignmentId: string) => request<{ groups: GroupView[] }>('GET', `/api/assignments/${enc(assignmentId)}/groups`),
  setGroups: (assignmentId: string, groups: string[][]) =>
    request<{ groups: GroupView[] }>('PUT', `/api/assignments/${enc(assignmentId)}/groups`, { groups }),
  randomGroups: (assignmentId: string) => request<{ groups: GroupView[] }>('POST', `/api/assignments/${enc(assignmentId)}/groups/random`),
  pickPartner: (assignmentId: string, userId: string) =>
    request<GroupView>('POST', `/api/assignments/${enc(assignmentId)}/partner`, { userId }),
  openAssignment: (assignmentId: string) =>
    request<{ workspaceId: string; group: GroupView }>('POST', `/api/assignments/${enc(assignmentId)}/open`),
  swapRoles: (groupId: string) => request<GroupView>('POST', `/api/groups/${enc(groupId)}/swap`),
  activity: (assignmentId: string) => request<ActivityView>('GET', `/api/assignments/${enc(assignmentId)}/activity`),

  // help queue
  raiseHand: (classId: string, note: string, workspaceId: string | null) =>
    request<HelpRequest>('POST', `/api/classes/${enc(classId)}/help`, { note, workspaceId }),
  helpQueue: (classId: string) => request<HelpQueueView>('GET', `/api/classes/${enc(classId)}/help`),
  resolveHelp: (requestId: string) => request<HelpRequest>('POST', `/api/help/${enc(requestId)}/resolve`),

  // workspaces and files
  createWorkspace: (body: { name?: string; files?: Array<{ name: string; content?: string }> }) =>
    request<WorkspaceSummary>('POST', '/api/workspaces', body),
  myWorkspaces: () => request<{ workspaces: MyWorkspace[] }>('GET', '/api/workspaces'),
  getWorkspace: (id: string) => request<WorkspaceSummary>('GET', `/api/workspaces/${enc(id)}`),
  workspaceContext: (id: string) => request<WorkspaceContext>('GET', `/api/workspaces/${enc(id)}/context`),
  createFile: (workspaceId: string, name: string, content?: string) =>
    request<FileSummary>('POST', `/api/workspaces/${enc(workspaceId)}/files`, { name, content }),
  renameFile: (workspaceId: string, fileId: string, name: string) =>
    request<FileSummary>('PATCH', `/api/workspaces/${enc(workspaceId)}/files/${enc(fileId)}`, { name }),
  deleteFile: (workspaceId: string, fileId: string) =>
    request<void>('DELETE', `/api/workspaces/${enc(workspaceId)}/files/${enc(fileId)}`),

  // submissions and review (server/http/review-routes.ts; shapes in lib/review/review-api.ts)
  submit: (workspaceId: string) => request<SubmissionView>('POST', `/api/workspaces/${enc(workspaceId)}/submit`),
  workspaceSubmissions: (workspaceId: string) => request<SubmissionView[]>('GET', `/api/workspaces/${enc(workspaceId)}/submissions`),
  submissionList: (assignmentId: string, status?: SubmissionStatus) =>
    request<SubmissionList>('GET', `/api/assignments/${enc(assignmentId)}/submissions${status ? `?status=${enc(status)}` : ''}`),
  submission: (submissionId: string) => request<SubmissionDetail>('GET', `/api/submissions/${enc(submissionId)}`),
  rubric: (assignmentId: string) => request<Rubric>('GET', `/api/assignments/${enc(assignmentId)}/rubric`),
  saveRubric: (assignmentId: string, criteria: Array<{ id?: string; title: string; points: number; description?: string }>) =>
    request<Rubric>('PUT', `/api/assignments/${enc(assignmentId)}/rubric`, { criteria }),
  review: (groupId: string) => request<ReviewView>('GET', `/api/groups/${enc(groupId)}/review`),
  saveGrade: (groupId: string, body: { scores: Record<string, number>; summary: string }) =>
    request<GradeView>('PUT', `/api/groups/${enc(groupId)}/grade`, body),
  release: (groupId: string) => request<ReviewView>('POST', `/api/groups/${enc(groupId)}/release`),
  addComment: (
    workspaceId: string,
    body: { fileId: string; version: number; from: number; to: number; body: string; parentId?: string },
  ) => request<CommentView>('POST', `/api/workspaces/${enc(workspaceId)}/comments`, body),
  editComment: (commentId: string, body: string) => request<CommentView>('PATCH', `/api/comments/${enc(commentId)}`, { body }),
  deleteComment: (commentId: string) => request<void>('DELETE', `/api/comments/${enc(commentId)}`),
  feedback: (workspaceId: string) => request<FeedbackView>('GET', `/api/workspaces/${enc(workspaceId)}/feedback`),
  fileHistory: (workspaceId: string, fileId: string) =>
    request<FileHistory>('GET', `/api/workspaces/${enc(workspaceId)}/files/${enc(fileId)}/history`),
  fileAtVersion: (workspaceId: string, fileId: string, version: number) =>
    request<FileAtVersion>('GET', `/api/workspaces/${enc(workspaceId)}/files/${enc(fileId)}/versions/${version}`),
  blame: (workspaceId: string, fileId: string) =>
    request<BlameView>('GET', `/api/workspaces/${enc(workspaceId)}/files/${enc(fileId)}/blame`),
  pasteSignals: (workspaceId: string) => request<PasteSignalView[]>('GET', `/api/workspaces/${enc(workspaceId)}/paste-signals`),
  /** AD-2: newest first; `before` is the id of the oldest row already shown, `subject` a user id. */
  audit: (options: { limit?: number; before?: number; subject?: string } = {}) => {
    const query = new URLSearchParams();
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.before !== undefined) query.set('before', String(options.before));
    if (options.subject !== undefined) query.set('subject', options.subject);
    const qs = query.toString();
    return request<AuditEntryView[]>('GET', `/api/admin/audit${qs ? `?${qs}` : ''}`);
  },

  // privacy and retention (server/http/privacy-routes.ts, review-routes.ts; docs/review.md)
  /** PV-2: irreversible. 409 for oneself and for the creator of a class. */
  adminEraseUser: (id: string) => request<ErasureReport>('DELETE', `/api/admin/users/${enc(id)}`),
  retention: (classId: string) => request<RetentionPolicy>('GET', `/api/classes/${enc(classId)}/retention`),
  setRetention: (classId: string, opRetentionDays: number | null) =>
    request<RetentionPolicy>('PUT', `/api/classes/${enc(classId)}/retention`, { opRetentionDays }),
  /** RT-1: 409 when taking it back after the history was compacted. */
  gradesFinal: (assignmentId: string) => request<GradesFinalView>('GET', `/api/assignments/${enc(assignmentId)}/grades-final`),
  setGradesFinal: (assignmentId: string, final: boolean) =>
    request<GradesFinalView>('PUT', `/api/assignments/${enc(assignmentId)}/grades-final`, { final }),

  // AI review assistant (issue 5; shapes in lib/ai/ai-api.ts, docs/ai-review.md)
  /** Members get released reviews with approved findings and their quota; staff get everything. */
  aiReviews: (workspaceId: string) => request<AiWorkspaceReviews>('GET', `/api/workspaces/${enc(workspaceId)}/ai-reviews`),
  /** A student asks for feedback now; 429 (with a message) when over the hourly quota. */
  requestAiReview: (workspaceId: string) => request<AiRequestAccepted>('POST', `/api/workspaces/${enc(workspaceId)}/ai-reviews`),
  aiTranscript: (reviewId: string) => request<AiReviewTranscript>('GET', `/api/ai-reviews/${enc(reviewId)}/transcript`),
  updateAiFinding: (findingId: string, body: AiFindingPatch) => request<AiFindingView>('PATCH', `/api/ai-findings/${enc(findingId)}`, body),
  releaseAiReview: (reviewId: string) => request<AiReviewView>('POST', `/api/ai-reviews/${enc(reviewId)}/release`),
  rateAiFinding: (findingId: string, rating: 1 | -1) => request<AiFindingView>('PUT', `/api/ai-findings/${enc(findingId)}/rating`, { rating }),
  classAiSettings: (classId: string) => request<AiSettingsView>('GET', `/api/classes/${enc(classId)}/ai-settings`),
  setClassAiSettings: (classId: string, body: AiSettingsInput) => request<AiSettingsView>('PUT', `/api/classes/${enc(classId)}/ai-settings`, body),
  assignmentAiSettings: (assignmentId: string) => request<AiSettingsView>('GET', `/api/assignments/${enc(assignmentId)}/ai-settings`),
  setAssignmentAiSettings: (assignmentId: string, body: AiSettingsInput) =>
    request<AiSettingsView>('PUT', `/api/assignments/${enc(assignmentId)}/ai-settings`, body),
  resetAiQuota: (assignmentId: string, userId: string) => request<void>('POST', `/api/assignments/${enc(assignmentId)}/ai-quota/reset`, { userId }),
  adminAi: () => request<AiAdminStatus>('GET', '/api/admin/ai'),

  // Teacher tests (issue 7 §4; shapes in lib/run/test-api.ts)
  assignmentTests: (assignmentId: string) => request<AssignmentTestsView>('GET', `/api/assignments/${enc(assignmentId)}/tests`),
  setAssignmentTests: (assignmentId: string, tests: Array<{ fileName: string; code: string; hidden: boolean }>) =>
    request<AssignmentTestsView>('PUT', `/api/assignments/${enc(assignmentId)}/tests`, { tests }),
  testSummary: (assignmentId: string) => request<GroupTestSummary[]>('GET', `/api/assignments/${enc(assignmentId)}/test-summary`),
  testResults: (workspaceId: string) => request<WorkspaceTestResults>('GET', `/api/workspaces/${enc(workspaceId)}/test-results`),
  reportTestRun: (workspaceId: string, report: BrowserTestReport) =>
    request<TestResultView>('POST', `/api/workspaces/${enc(workspaceId)}/test-results`, report),
  submissionTestResult: (submissionId: string) => request<{ result: TestResultView | null }>('GET', `/api/submissions/${enc(submissionId)}/test-result`),
};

/** PV-1: a plain link to this downloads the signed-in person's data as a zip. */
export const MY_DATA_EXPORT_URL = '/api/me/export';

/** Where the teacher downloads every group's submitted files, one folder per group. */
export function submissionsZipUrl(assignmentId: string): string {
  return `/api/assignments/${enc(assignmentId)}/submissions.zip`;
}

/** The message to show for anything thrown by an API call. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  return 'Something went wrong. Please try again.';
}
