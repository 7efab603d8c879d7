import type { Metadata } from 'next';
import { AuthShell, SignInForm } from '../_components/auth-forms';

export const metadata: Metadata = { title: 'Sign in' };

type Search = Promise<Record<string, string | string[] | undefined>>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export default async function SignInPage({ searchParams }: { searchParams: Search }) {
  const params = await searchParams;
  return (
    <AuthShell>
      <SignInForm next={one(params.next)} reason={one(params.reason)} />
    </AuthShell>
  );
}
