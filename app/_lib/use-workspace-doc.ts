'use client';

import { useEffect, useState } from 'react';
import type { Connection } from 'sharedb/lib/client';
import { COLLECTIONS, ErrorCode } from '../../lib/protocol';
import type { WorkspaceData } from '../../lib/workspace';

export type WorkspaceDocState =
  | { status: 'loading' }
  | { status: 'missing' }
  | { status: 'error'; message: string }
  | { status: 'ready'; data: WorkspaceData };

/**
 * The live workspace doc (name and file list). Clients never write it (P-OP-1); file changes
 * made through the API arrive here as ops, so every tab's file tree updates by itself.
 */
export function useWorkspaceDoc(connection: Connection | null, workspaceId: string): WorkspaceDocState {
  const [state, setState] = useState<WorkspaceDocState>({ status: 'loading' });
  useEffect(() => {
    if (!connection) return;
    setState({ status: 'loading' });
    const doc = connection.get(COLLECTIONS.workspaces, workspaceId);
    let active = true;
    // json0 mutates doc.data in place; React needs a new object to notice.
    const publish = () => {
      if (!active) return;
      if (!doc.type) setState({ status: 'missing' });
      else setState({ status: 'ready', data: structuredClone(doc.data as WorkspaceData) });
    };
    doc.on('load', publish);
    doc.on('op', publish);
    doc.on('create', publish);
    doc.on('del', publish);
    doc.on('error', () => {});
    doc.subscribe((err: unknown) => {
      if (!active) return;
      if (err) {
        const code = (err as { code?: string }).code;
        // Forbidden looks like missing on purpose: ids cannot be probed (WS-1).
        if (code === ErrorCode.InvalidDocId || code === ErrorCode.NotFound || code === ErrorCode.Forbidden) setState({ status: 'missing' });
        else setState({ status: 'error', message: (err as { message?: string }).message ?? 'Could not load this workspace.' });
        return;
      }
      publish();
    });
    return () => {
      active = false;
      doc.removeListener('load', publish);
      doc.removeListener('op', publish);
      doc.removeListener('create', publish);
      doc.removeListener('del', publish);
      doc.destroy();
    };
  }, [connection, workspaceId]);
  return state;
}
