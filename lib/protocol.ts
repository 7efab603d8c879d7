/**
 * The realtime protocol shared by browser and server. docs/protocol.md is the prose version and
 * gives every rule an ID; tests cite those IDs in their names.
 */

/** Socket.io event that carries ShareDB protocol messages, JSON-encoded, both directions (P-TR-1). */
export const SHAREDB_EVENT = 'sharedb';

/** Server → client: a typed, human-readable error that did not close the socket (P-ERR-1). */
export const ERROR_EVENT = 'tandem:error';

/** Server → client: the server is about to close this socket; why, and when to come back (P-TR-4). */
export const CLOSE_EVENT = 'tandem:close';

/** Client → server app events on the same socket, each `(payload {id}, ack)` (P-APP-*). */
export const APP_EVENTS = {
  watchClass: 'tandem:watch-class',
  enterWorkspace: 'tandem:enter-workspace',
  leaveWorkspace: 'tandem:leave-workspace',
  /** A run's start, output chunk or end, for the rest of the workspace's room (P-RUN-1). */
  runEvent: 'tandem:run-event',
} as const;

/** Server → client app events (P-APP-*). */
export const APP_PUSH = {
  classChanged: 'tandem:class-changed',
  helpChanged: 'tandem:help-changed',
  activity: 'tandem:activity',
  rolesChanged: 'tandem:roles-changed',
  /** Feedback of this workspace was released (to its members). */
  feedbackChanged: 'tandem:feedback-changed',
  /** A group of this class submitted (to the class's staff). */
  submissionsChanged: 'tandem:submissions-changed',
  /** An AI review of this workspace was stored, changed or released (to its members and the class's staff). */
  aiReviewChanged: 'tandem:ai-review-changed',
  /** Someone in this workspace ran code: start, output, end (RunBroadcastPush). */
  runEvent: 'tandem:run-event',
  /** Test results of this workspace changed: a browser run was reported or a submission graded (members and staff). */
  testResultsChanged: 'tandem:test-results-changed',
} as const;

/** ShareDB collections a client may touch. Anything else is rejected (P-DOC-1). */
export const COLLECTIONS = {
  /** One json0 doc per workspace: its name and file list. Read-only for clients. */
  workspaces: 'workspaces',
  /** One text doc per file, id `${workspaceId}:${fileId}`. */
  files: 'files',
} as const;

export type CollectionName = (typeof COLLECTIONS)[keyof typeof COLLECTIONS];

/** OT type name of every file doc (ot-text-unicode: positions are Unicode code points). */
export const TEXT_TYPE_URI = 'http://sharejs.org/types/text-unicode';
export const TEXT_TYPE_NAME = 'text-unicode';

/** Why the server closed a socket. Sent in CLOSE_EVENT before the disconnect (P-TR-4). */
export const CloseReason = {
  /** Server is shutting down or draining; reconnect after `retryAfterMs`. */
  ShuttingDown: 'shutting-down',
  /** Sent more than MESSAGES_PER_SECOND for too long. Pending ops are resent on reconnect. */
  RateLimited: 'rate-limited',
  /** A frame could not be parsed as a ShareDB message. */
  MalformedMessage: 'malformed-message',
  /** A frame exceeded MAX_MESSAGE_BYTES. */
  MessageTooLarge: 'message-too-large',
  /** The user signed out (in this or another tab); sign in again to reconnect. */
  SignedOut: 'signed-out',
  /** The session expired; sign in again. */
  SessionExpired: 'session-expired',
  /** The user's access changed (removed from a class, account disabled); reconnect to see what is left. */
  AccessChanged: 'access-changed',
} as const;
export type CloseReason = (typeof CloseReason)[keyof typeof CloseReason];

export interface CloseNotice {
  reason: CloseReason;
  message: string;
  /** Suggested delay before reconnecting, so a fleet of clients does not stampede. */
  retryAfterMs?: number;
}

/**
 * `data` of the `connect_error` when the server sheds a new handshake (P-OPS-4); its message
 * starts with `unavailable`. Sockets already connected are not affected.
 */
export interface ConnectRefusal {
  code: typeof ErrorCode.Unavailable;
  /** `overloaded`: event-loop overload or an anomaly (P-OPS-2, P-OPS-3); `draining`: P-OPS-5. */
  reason: 'overloaded' | 'draining';
  /** Try again after this long (the server spreads it so refused clients do not return together). */
  retryAfterMs: number;
}

/** Stable error codes. Mapped to HTTP status and ShareDB errors in one place (server/errors.ts). */
export const ErrorCode = {
  InvalidMessage: 'ERR_TANDEM_INVALID_MESSAGE',
  UnknownCollection: 'ERR_TANDEM_UNKNOWN_COLLECTION',
  InvalidDocId: 'ERR_TANDEM_INVALID_DOC_ID',
  ForbiddenWrite: 'ERR_TANDEM_FORBIDDEN_WRITE',
  UnknownType: 'ERR_TANDEM_UNKNOWN_TYPE',
  InvalidOp: 'ERR_TANDEM_INVALID_OP',
  OpTooLarge: 'ERR_TANDEM_OP_TOO_LARGE',
  FileTooLarge: 'ERR_TANDEM_FILE_TOO_LARGE',
  InvalidPresence: 'ERR_TANDEM_INVALID_PRESENCE',
  RateLimited: 'ERR_TANDEM_RATE_LIMITED',
  /** The workspace already has MAX_EDITORS_PER_ROOM sockets subscribed (P-LIM-5). */
  RoomFull: 'ERR_TANDEM_ROOM_FULL',
  NotFound: 'ERR_TANDEM_NOT_FOUND',
  Conflict: 'ERR_TANDEM_CONFLICT',
  InvalidRequest: 'ERR_TANDEM_INVALID_REQUEST',
  TooManyFiles: 'ERR_TANDEM_TOO_MANY_FILES',
  Unavailable: 'ERR_TANDEM_UNAVAILABLE',
  /** No valid session: sign in first. */
  Unauthenticated: 'ERR_TANDEM_UNAUTHENTICATED',
  /** Signed in, but this account may not do that (docs/permissions.md). */
  Forbidden: 'ERR_TANDEM_FORBIDDEN',
  Internal: 'ERR_TANDEM_INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface ErrorNotice {
  code: ErrorCode;
  message: string;
}

/** Handshake `auth` payload a client sends when it connects (P-TR-2). */
export interface HandshakeAuth {
  /** Stable per browser profile; lets the server attribute ops and presence. */
  clientId: string;
  displayName: string;
}

/** The value each client publishes on a file doc's presence channel (P-PRES-1). */
export interface CursorPresence {
  clientId: string;
  name: string;
  color: string;
  /** Selections in code points of the doc; the first is the primary one. */
  selections: Array<{ anchor: number; head: number }>;
}

/**
 * The value each client publishes on its workspace's people channel: who is here and which file
 * they have open, for the people list and the file tree (P-PRES-5).
 */
export interface PeoplePresence {
  clientId: string;
  name: string;
  color: string;
  /** The open file, or null when none is open. */
  fileId: string | null;
}

/** Presence channel listing who is in a workspace (plain presence, no doc) (P-PRES-5). */
export function peopleChannel(workspaceId: string): string {
  return `${PEOPLE_CHANNEL_PREFIX}${workspaceId}`;
}
export const PEOPLE_CHANNEL_PREFIX = 'people.';

/** Doc id of a file: workspace id, a colon, then file id (P-DOC-2). */
export function fileDocId(workspaceId: string, fileId: string): string {
  return `${workspaceId}:${fileId}`;
}

/** Workspace and file ids: URL-safe, 6–64 characters (P-DOC-2). */
export const ID_PATTERN = /^[A-Za-z0-9_-]{6,64}$/;
export const FILE_DOC_ID_PATTERN = /^([A-Za-z0-9_-]{6,64}):([A-Za-z0-9_-]{6,64})$/;
