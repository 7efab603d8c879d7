/**
 * A real in-process ShareDB backend (MemoryDB, presence on) and helpers to open file docs on
 * separate client connections, as the browser would over Socket.io.
 */
import ShareDB from 'sharedb';
import { types as clientTypes, type Connection, type Doc } from 'sharedb/lib/client';
import { COLLECTIONS, TEXT_TYPE_URI } from '../../../lib/protocol';
import { textType } from '../../../lib/text/text-type';

ShareDB.types.register(textType);
clientTypes.register(textType);

/** A backend configured like Tandem's (presence enabled, presence errors not forwarded). */
export function createBackend(): ShareDB {
  return new ShareDB({ presence: true, doNotForwardSendPresenceErrorsToClient: true });
}

/** A client connection with an error listener (an unhandled 'error' would crash the test run). */
export function connect(backend: ShareDB, errors: unknown[] = []): Connection {
  const connection = backend.connect() as unknown as Connection;
  connection.on('error', (e) => errors.push(e));
  return connection;
}

/** Creates a file doc with `text` through its own connection, as the server's file service does. */
export async function createFile(backend: ShareDB, id: string, text: string): Promise<void> {
  const connection = connect(backend);
  const doc = connection.get(COLLECTIONS.files, id);
  await new Promise<void>((resolve, reject) => doc.create(text, TEXT_TYPE_URI, (e) => (e ? reject(e) : resolve())));
  connection.close();
}

/** Opens and subscribes to a file doc on `connection`. */
export async function openFile(connection: Connection, id: string): Promise<Doc> {
  const doc = connection.get(COLLECTIONS.files, id);
  doc.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => doc.subscribe((e) => (e ? reject(e) : resolve())));
  return doc;
}

/** The server's current snapshot of a file. */
export async function serverSnapshot(backend: ShareDB, id: string): Promise<{ v: number; data: unknown }> {
  const connection = connect(backend);
  const doc = connection.get(COLLECTIONS.files, id);
  await new Promise<void>((resolve, reject) => doc.fetch((e) => (e ? reject(e) : resolve())));
  const snapshot = { v: doc.version ?? -1, data: doc.data as unknown };
  connection.close();
  return snapshot;
}

/** Lets every in-flight message, op and presence update land. */
export async function settle(docs: Doc[], rounds = 3): Promise<void> {
  let quiet = 0;
  for (let i = 0; i < 2000 && quiet < rounds; i++) {
    await new Promise((r) => setTimeout(r, 0));
    const versions = new Set(docs.map((d) => d.version));
    quiet = docs.every((d) => !d.hasPending()) && versions.size <= 1 ? quiet + 1 : 0;
  }
}

/** Waits a number of macrotask turns. */
export async function ticks(n = 1): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 0));
}
