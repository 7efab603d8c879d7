import { z } from 'zod';
import {
  COLLECTIONS,
  ErrorCode,
  FILE_DOC_ID_PATTERN,
  ID_PATTERN,
  PEOPLE_CHANNEL_PREFIX,
  TEXT_TYPE_NAME,
  TEXT_TYPE_URI,
} from '../../lib/protocol';
import {
  MAX_FILE_BYTES,
  MAX_OP_BYTES,
  MAX_PRESENCE_BYTES,
  MAX_PRESENCE_SELECTIONS,
  MAX_DISPLAY_NAME_LENGTH,
} from '../../lib/limits';
import { isOpProvenance } from '../../lib/binding/op-source';
import { TandemError } from '../errors';

/**
 * Pure checks on what clients send, one function per ShareDB middleware phase. Each throws a
 * TandemError whose message is safe to show the user. docs/protocol.md names the rules.
 */

const DOC_ACTIONS = new Set(['f', 's', 'u', 'op', 'nf', 'nt']);
const BULK_ACTIONS = new Set(['bf', 'bs', 'bu']);
const QUERY_ACTIONS = new Set(['qf', 'qs', 'qu']);
const PRESENCE_CHANNEL_ACTIONS = new Set(['ps', 'pu', 'pr']);

/** [P-DOC-1][P-DOC-2] A collection name and doc id a client may address. */
export function checkDocAddress(collection: unknown, id: unknown): void {
  if (collection === COLLECTIONS.files) {
    if (typeof id !== 'string' || !FILE_DOC_ID_PATTERN.test(id)) {
      throw new TandemError(ErrorCode.InvalidDocId, 'File ids look like "<workspace>:<file>".');
    }
    return;
  }
  if (collection === COLLECTIONS.workspaces) {
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
      throw new TandemError(ErrorCode.InvalidDocId, 'Workspace ids are 6–64 letters, digits, "-" or "_".');
    }
    return;
  }
  throw new TandemError(ErrorCode.UnknownCollection, `Unknown collection "${String(collection).slice(0, 40)}".`);
}

/** [P-MSG-1] A message from a client, before ShareDB handles it (`receive` middleware). */
export function checkClientMessage(message: Record<string, unknown>): void {
  const action = message.a;
  if (typeof action !== 'string') {
    throw new TandemError(ErrorCode.InvalidMessage, 'Message has no action.');
  }
  if (action === 'hs' || action === 'pp') return;
  if (DOC_ACTIONS.has(action)) {
    // ShareDB lets `d` be omitted for some doc actions; we never send such messages.
    checkDocAddress(message.c, message.d);
    // ShareDB moves `x` off the op before `submit` (to `request.extra`): check it here.
    if (action === 'op') checkOpExtra(message.x);
    return;
  }
  if (action === 'p') {
    // Cursor presence names its file doc; people presence is plain presence with no doc.
    if (checkPresenceChannel(message.ch) === 'people') {
      if (message.c !== undefined || message.d !== undefined) {
        throw new TandemError(ErrorCode.InvalidPresence, 'People presence is not attached to a doc.');
      }
    } else {
      checkDocAddress(message.c, message.d);
      if (message.ch !== `${COLLECTIONS.files}.${String(message.d)}`) {
        throw new TandemError(ErrorCode.InvalidPresence, "Cursor presence must be on its own file's channel.");
      }
    }
    return;
  }
  if (BULK_ACTIONS.has(action)) {
    const ids = message.b;
    const list = Array.isArray(ids) ? ids : ids && typeof ids === 'object' ? Object.keys(ids) : null;
    if (!list) throw new TandemError(ErrorCode.InvalidMessage, 'Bulk message without ids.');
    for (const id of list) checkDocAddress(message.c, id);
    return;
  }
  if (QUERY_ACTIONS.has(action)) {
    throw new TandemError(ErrorCode.InvalidMessage, 'Queries are not available to clients (P-MSG-2).');
  }
  if (PRESENCE_CHANNEL_ACTIONS.has(action)) {
    checkPresenceChannel(message.ch);
    return;
  }
  throw new TandemError(ErrorCode.InvalidMessage, `Unknown message action "${action.slice(0, 20)}".`);
}

export type PresenceChannelKind = 'cursor' | 'people';

/**
 * [P-PRES-3] Presence channels are a file's cursors (`files.<workspace>:<file>`) or a
 * workspace's people list (`people.<workspace>`, P-PRES-5); nothing else.
 */
export function checkPresenceChannel(channel: unknown): PresenceChannelKind {
  if (typeof channel === 'string' && channel.startsWith(PEOPLE_CHANNEL_PREFIX)) {
    if (!ID_PATTERN.test(channel.slice(PEOPLE_CHANNEL_PREFIX.length))) {
      throw new TandemError(ErrorCode.InvalidDocId, 'Workspace ids are 6–64 letters, digits, "-" or "_".');
    }
    return 'people';
  }
  if (typeof channel !== 'string' || !channel.startsWith(`${COLLECTIONS.files}.`)) {
    throw new TandemError(ErrorCode.InvalidPresence, 'Presence is only available on files and workspace people lists.');
  }
  checkDocAddress(COLLECTIONS.files, channel.slice(COLLECTIONS.files.length + 1));
  return 'cursor';
}

interface ClientOp {
  op?: unknown;
  create?: unknown;
  del?: unknown;
}

/** [P-OP-1..4] An op a client submits (`submit` middleware). */
export function checkClientOp(collection: string, op: ClientOp): void {
  if (collection !== COLLECTIONS.files) {
    throw new TandemError(ErrorCode.ForbiddenWrite, 'Workspace file lists change through the API, not ops (P-OP-1).');
  }
  if (op.create || op.del) {
    throw new TandemError(ErrorCode.ForbiddenWrite, 'Files are created and deleted through the API (P-OP-1).');
  }
  checkTextOp(op.op);
}

/**
 * [P-OP-PROV] The `x` of a client's op message: absent, or `{}`, or `{source: {binding, kind}}`
 * with a binding id of at most MAX_OP_SOURCE_BINDING_LENGTH characters and a kind a client may
 * claim (`typed` or `pasted`; server-only kinds such as `starter` are refused). Nothing else.
 */
export function checkOpExtra(x: unknown): void {
  if (x === undefined) return;
  if (x === null || typeof x !== 'object' || Array.isArray(x)) {
    throw new TandemError(ErrorCode.InvalidOp, 'An op\'s "x" must be an object (P-OP-PROV).');
  }
  const keys = Object.keys(x);
  if (keys.some((key) => key !== 'source')) {
    throw new TandemError(ErrorCode.InvalidOp, 'An op\'s "x" may only hold "source" (P-OP-PROV).');
  }
  const source = (x as { source?: unknown }).source;
  if (keys.length > 0 && !isOpProvenance(source)) {
    throw new TandemError(ErrorCode.InvalidOp, 'An op\'s source must be {"binding": id, "kind": "typed" | "pasted"} (P-OP-PROV).');
  }
}

/**
 * [P-OP-2] A text-unicode op: an array of skips (positive integers), inserts (non-empty strings
 * with no CR) and deletes ({d: positive integer} or {d: string}). [P-OP-3] Its JSON must fit in
 * MAX_OP_BYTES.
 */
export function checkTextOp(op: unknown): void {
  if (!Array.isArray(op)) throw new TandemError(ErrorCode.InvalidOp, 'A file op must be an array.');
  let bytes = 2;
  for (const component of op) {
    if (typeof component === 'number') {
      if (!Number.isSafeInteger(component) || component <= 0) {
        throw new TandemError(ErrorCode.InvalidOp, 'Skips must be positive integers.');
      }
      bytes += 12;
    } else if (typeof component === 'string') {
      if (component.length === 0) throw new TandemError(ErrorCode.InvalidOp, 'Inserts must not be empty.');
      if (component.includes('\r')) {
        throw new TandemError(ErrorCode.InvalidOp, 'Line endings must be normalised to \\n before sending (P-OP-4).');
      }
      bytes += Buffer.byteLength(component, 'utf8') + 8;
    } else if (component !== null && typeof component === 'object' && !Array.isArray(component)) {
      const keys = Object.keys(component);
      const d = (component as { d?: unknown }).d;
      if (keys.length !== 1 || keys[0] !== 'd') {
        throw new TandemError(ErrorCode.InvalidOp, 'Delete components look like {"d": n}.');
      }
      if (typeof d === 'number') {
        if (!Number.isSafeInteger(d) || d <= 0) throw new TandemError(ErrorCode.InvalidOp, 'Deletes must be positive.');
        bytes += 12;
      } else if (typeof d === 'string' && d.length > 0) {
        bytes += Buffer.byteLength(d, 'utf8') + 8;
      } else {
        throw new TandemError(ErrorCode.InvalidOp, 'Deletes must be positive.');
      }
    } else {
      throw new TandemError(ErrorCode.InvalidOp, 'Unknown op component.');
    }
    if (bytes > MAX_OP_BYTES) {
      throw new TandemError(ErrorCode.OpTooLarge, `An edit may be at most ${MAX_OP_BYTES / 1024} KB (P-OP-3).`);
    }
  }
}

/** [P-LIM-2] A file's text after an op is applied (`commit` middleware). */
export function checkFileSnapshot(type: unknown, data: unknown): void {
  if (type !== TEXT_TYPE_URI && type !== TEXT_TYPE_NAME) {
    throw new TandemError(ErrorCode.UnknownType, 'Files must be text documents.');
  }
  if (typeof data !== 'string') throw new TandemError(ErrorCode.InvalidOp, 'File content must be text.');
  // UTF-8 needs at most 3 bytes per UTF-16 unit, so short texts skip the O(n) byte count.
  if (data.length * 3 > MAX_FILE_BYTES && Buffer.byteLength(data, 'utf8') > MAX_FILE_BYTES) {
    throw new TandemError(ErrorCode.FileTooLarge, `A file may be at most ${MAX_FILE_BYTES / 1024 / 1024} MB (P-LIM-2).`);
  }
}

const SelectionSchema = z.object({
  anchor: z.number().int().min(0),
  head: z.number().int().min(0),
});

const CursorPresenceSchema = z.strictObject({
  clientId: z.string().max(64),
  name: z.string().max(MAX_DISPLAY_NAME_LENGTH * 4),
  color: z.string().regex(/^#[0-9a-fA-F]{6}$|^hsl\(\d{1,3}(\.\d+)?,? ?\d{1,3}(\.\d+)?%,? ?\d{1,3}(\.\d+)?%\)$/),
  selections: z.array(SelectionSchema).min(1).max(MAX_PRESENCE_SELECTIONS),
});

const PeoplePresenceSchema = z.strictObject({
  clientId: CursorPresenceSchema.shape.clientId,
  name: CursorPresenceSchema.shape.name,
  color: CursorPresenceSchema.shape.color,
  fileId: z.string().regex(ID_PATTERN).nullable(),
});

export type CheckedPresence = z.infer<typeof CursorPresenceSchema> | z.infer<typeof PeoplePresenceSchema>;

/**
 * [P-PRES-1][P-PRES-2][P-PRES-5] A presence value: null (gone), a CursorPresence on a file
 * channel or a PeoplePresence on a people channel, within size limits. Returns the value with
 * identity fields overwritten by the server's record of who sent it (a client cannot
 * impersonate a classmate).
 */
export function checkPresenceValue(
  kind: PresenceChannelKind,
  value: unknown,
  identity: { clientId: string; displayName: string },
): CheckedPresence | null {
  if (value === null) return null;
  const parsed = (kind === 'cursor' ? CursorPresenceSchema : PeoplePresenceSchema).safeParse(value);
  if (!parsed.success) {
    throw new TandemError(
      ErrorCode.InvalidPresence,
      kind === 'cursor' ? 'Presence must be {clientId, name, color, selections}.' : 'Presence must be {clientId, name, color, fileId}.',
    );
  }
  if (JSON.stringify(value).length > MAX_PRESENCE_BYTES) {
    throw new TandemError(ErrorCode.InvalidPresence, 'Presence is too large.');
  }
  return { ...parsed.data, clientId: identity.clientId, name: identity.displayName };
}
