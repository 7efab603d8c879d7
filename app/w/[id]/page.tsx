import type { Metadata } from 'next';
import Link from 'next/link';
import { ID_PATTERN } from '../../../lib/protocol';
import { WorkspaceLoader } from '../../_components/workspace-loader';

export const metadata: Metadata = { title: 'Workspace' };

export default async function WorkspacePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!ID_PATTERN.test(id)) {
    return (
      <main className="page-message" data-testid="workspace-missing">
        <h1>That isn’t a workspace link</h1>
        <p>Workspace links end in /w/ followed by a code of letters and digits.</p>
        <Link href="/" className="btn btn-primary">
          Go to the start page
        </Link>
      </main>
    );
  }
  return <WorkspaceLoader workspaceId={id} />;
}
