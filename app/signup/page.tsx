import type { Metadata } from 'next';
import { AuthShell, SignUpForm } from '../_components/auth-forms';

export const metadata: Metadata = { title: 'Create an account' };

type Search = Promise<Record<string, string | string[] | undefined>>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export default async function SignUpPage({ searchParams }: { searchParams: Search }) {
  const params = await searchParams;
  return (
    <AuthShell>
      <SignUpForm code={one(params.code)} next={one(params.next)} />
    </AuthShell>
  );
}
