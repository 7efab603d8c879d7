/**
 * Every limit Tandem enforces, as named constants. The server's env module may lower some of them
 * for a deployment; the wire protocol (docs/protocol.md) cites these names.
 */

/** Largest serialised ShareDB op a client may submit (rule P-LIM-1). */
export const MAX_OP_BYTES = 256 * 1024;

/** Largest text file, in UTF-8 bytes, after an op is applied (rule P-LIM-2). */
export const MAX_FILE_BYTES = 2 * 1024 * 1024;

/**
 * Largest single Socket.io frame the server accepts. A fresh file's first fetch can carry a
 * whole 2 MB file plus JSON framing; anything bigger is cut off by engine.io itself (rule P-LIM-3).
 */
export const MAX_MESSAGE_BYTES = MAX_FILE_BYTES + 512 * 1024;

/** Sustained ShareDB messages per second a socket may send before it is disconnected (rule P-LIM-4). */
export const MESSAGES_PER_SECOND = 200;

/** Short bursts above the sustained rate that are still tolerated, in messages. */
export const MESSAGE_BURST = 400;

/**
 * Sockets (tabs) subscribed to one workspace's docs or presence channels at once (rule P-LIM-5).
 * A pair is at most three students plus staff; every op is sent to every subscriber, so this also
 * bounds what one room's op costs the server.
 */
export const MAX_EDITORS_PER_ROOM = 32;

/**
 * Sustained ops per second over all docs of one workspace (rule P-LIM-6); a quiet room may spend
 * one second's worth at once. Beyond it ops wait, they are not refused: the client composes what
 * is typed meanwhile, so the room slows down instead of losing keystrokes.
 */
export const ROOM_OPS_PER_SECOND = 100;

/** Ops of one workspace that may wait for its budget; past this they are refused (rule P-LIM-7). */
export const ROOM_QUEUED_OPS = 200;

/** Of those, ops one socket may have waiting (a ShareDB client has one op in flight per doc). */
export const ROOM_QUEUED_OPS_PER_SOCKET = 16;

/** Files per workspace (rule P-DOC-5). */
export const MAX_FILES_PER_WORKSPACE = 200;

/** Longest file name, in characters, including the extension. */
export const MAX_FILE_NAME_LENGTH = 120;

/** Longest display name a user may choose. */
export const MAX_DISPLAY_NAME_LENGTH = 40;

/** Largest presence payload (cursor + selections + identity), serialised (rule P-PRES-2). */
export const MAX_PRESENCE_BYTES = 8 * 1024;

/** Most selections (multi-cursor) carried in one presence update. */
export const MAX_PRESENCE_SELECTIONS = 64;

/** Graceful shutdown must finish inside this budget (SIGTERM → exit). */
export const SHUTDOWN_BUDGET_MS = 10_000;
