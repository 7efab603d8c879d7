import type { TandemClient } from '../../../lib/client/tandem-client';
import { COLLECTIONS, fileDocId } from '../../../lib/protocol';
import type { RunFile } from '../../../lib/run/run-types';
import type { FileEntry } from '../../../lib/workspace';

/** Data files a program may open next to its code. */
const DATA_FILE = /\.(txt|csv|json|md|tsv|dat)$/i;

/**
 * The workspace's files as a run sees them, with the version each was read at (a test run reports
 * which versions it tested). Open files are subscribed and current; the others are fetched once.
 */
export async function collectRunFiles(
  client: TandemClient,
  workspaceId: string,
  files: Record<string, FileEntry>,
  runnable: (name: string) => boolean,
): Promise<{ files: RunFile[]; versions: Array<{ fileId: string; version: number }> }> {
  const entries = Object.entries(files).filter(([, f]) => runnable(f.name) || DATA_FILE.test(f.name));
  const read = await Promise.all(
    entries.map(
      ([id, f]) =>
        new Promise<{ file: RunFile; version: { fileId: string; version: number } }>((resolve, reject) => {
          const doc = client.connection.get(COLLECTIONS.files, fileDocId(workspaceId, id));
          const done = () => resolve({ file: { name: f.name, text: typeof doc.data === 'string' ? doc.data : '' }, version: { fileId: id, version: doc.version ?? 0 } });
          if (doc.subscribed && typeof doc.data === 'string') return done();
          doc.fetch((err) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : done()));
        }),
    ),
  );
  return { files: read.map((r) => r.file), versions: read.map((r) => r.version) };
}
