import type { Metadata } from 'next';
import { AuthShell } from '../../_components/auth-forms';
import { JoinClass } from '../../_components/join-class';

export const metadata: Metadata = { title: 'Join a class' };

export default async function JoinPage({ params }: { params: Promise<{ code: string }> }) {
  const { code } = await params;
  return (
    <AuthShell>
      <JoinClass code={decodeURIComponent(code)} />
    </AuthShell>
  );
}
