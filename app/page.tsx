import { cookies } from 'next/headers';
import { Home } from './_components/home';

/** Session cookie name (server/auth/session-cookie.ts). Only its presence is read here. */
const SESSION_COOKIE = 'tandem_session';

export default async function HomePage() {
  // The cookie is httpOnly, so only the server can see it. Without one, render the landing page
  // at once; with one, the client asks who it belongs to (it may have expired).
  const hasSession = (await cookies()).has(SESSION_COOKIE);
  return <Home maybeSignedIn={hasSession} />;
}
