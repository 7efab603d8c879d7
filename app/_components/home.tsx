'use client';

import { useMe } from '../_lib/use-me';
import { Dashboard } from './dashboard';
import { Landing } from './landing';
import { PageError, PageLoading } from './page-states';

/** `/`: the dashboard when signed in, the landing page otherwise. */
export function Home({ maybeSignedIn }: { maybeSignedIn: boolean }) {
  if (!maybeSignedIn) return <Landing />;
  return <SignedInHome />;
}

function SignedInHome() {
  const me = useMe();
  switch (me.status) {
    case 'loading':
      return <PageLoading />;
    case 'signed-out':
      return <Landing />;
    case 'error':
      return <PageError message={me.message} />;
    case 'signed-in':
      return <Dashboard me={me.me} />;
  }
}
