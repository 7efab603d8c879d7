'use client';

import dynamic from 'next/dynamic';

/**
 * The workspace page runs only in the browser: it asks the API what this account may do here
 * and holds a socket for everything else, so there is nothing useful to render on the server.
 */
const WorkspaceApp = dynamic(() => import('./workspace-app'), {
  ssr: false,
  loading: () => (
    <div className="ws" aria-busy="true">
      <header className="ws-header" />
      <aside className="ws-sidebar" />
      <main className="ws-main" />
    </div>
  ),
});

export function WorkspaceLoader({ workspaceId }: { workspaceId: string }) {
  return <WorkspaceApp workspaceId={workspaceId} />;
}
