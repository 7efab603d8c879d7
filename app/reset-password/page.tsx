import type { Metadata } from 'next';
import { AuthShell, ResetPasswordForm } from '../_components/auth-forms';

export const metadata: Metadata = { title: 'Reset password' };

type Search = Promise<Record<string, string | string[] | undefined>>;

export default async function ResetPasswordPage({ searchParams }: { searchParams: Search }) {
  const params = await searchParams;
  const token = Array.isArray(params.token) ? params.token[0] : params.token;
  return (
    <AuthShell>
      <ResetPasswordForm token={token} />
    </AuthShell>
  );
}
