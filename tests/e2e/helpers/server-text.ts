import { TandemClient } from '../../../lib/client/tandem-client';
import { COLLECTIONS, fileDocId } from '../../../lib/protocol';
import { SESSION_COOKIE, type Account } from './accounts';

/**
 * A third participant in Node: reads what the server holds, independent of any browser, as
 * `account` (a teacher of the class reads every group workspace of it, read-only).
 */
export class ServerReader {
  private readonly client: TandemClient;

  constructor(baseUrl: string, account: Account) {
    this.client = new TandemClient({
      url: baseUrl,
      clientId: 'e2e_server_reader',
      displayName: 'Test observer',
      // Node has no cookie jar: the session cookie goes on the handshake by hand.
      io: { transports: ['websocket'], extraHeaders: { cookie: `${SESSION_COOKIE}=${account.token}` } },
    });
  }

  async fileText(workspaceId: string, fileId: string): Promise<string> {
    const doc = this.client.connection.get(COLLECTIONS.files, fileDocId(workspaceId, fileId));
    // fetch() always asks the server (it is not subscribed), so this is the committed text.
    await new Promise<void>((resolve, reject) => doc.fetch((err: unknown) => (err ? reject(err) : resolve())));
    if (typeof doc.data !== 'string') throw new Error(`file doc ${doc.id} has no text (type ${String(doc.type)})`);
    return doc.data;
  }

  close(): void {
    this.client.close();
  }
}
