import { TandemClient } from '../../../lib/client/tandem-client';
import { COLLECTIONS, fileDocId } from '../../../lib/protocol';

/**
 * A third participant in Node: reads what the server holds, independent of any browser.
 */
export class ServerReader {
  private readonly client: TandemClient;

  constructor(baseUrl: string) {
    this.client = new TandemClient({
      url: baseUrl,
      clientId: 'e2e_server_reader',
      displayName: 'Test observer',
      io: { transports: ['websocket'] },
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
