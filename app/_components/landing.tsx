import Link from 'next/link';
import { JoinCodeForm } from './auth-forms';
import { BrandMark, CodeIcon, UsersIcon, WifiIcon } from './icons';
import { ThemeToggle } from './theme-toggle';

/** The start page for people who are not signed in. */
export function Landing() {
  return (
    <div className="landing" data-testid="landing">
      <header className="landing-header">
        <Link href="/" className="brand">
          <BrandMark />
          Tandem
        </Link>
        <ThemeToggle />
      </header>
      <main className="landing-main">
        <section className="landing-intro" aria-labelledby="landing-title">
          <h1 id="landing-title">Write code together, live.</h1>
          <p className="lede">
            Tandem is a shared code editor for programming classes. Teachers hand out assignments, students pair up and type in the
            same files at once — each with their own cursor and name — and the teacher watches every pair live.
          </p>
          <ul className="feature-list">
            <li>
              <span className="feature-icon">
                <UsersIcon />
              </span>
              <span>
                <strong>Pair programming with roles</strong>
                Driver and navigator, a swap timer, and a help queue when a pair is stuck.
              </span>
            </li>
            <li>
              <span className="feature-icon">
                <WifiIcon />
              </span>
              <span>
                <strong>Keeps working on shaky Wi-Fi</strong>
                Edits made offline are kept and merged as soon as the connection is back.
              </span>
            </li>
            <li>
              <span className="feature-icon">
                <CodeIcon />
              </span>
              <span>
                <strong>A real code editor</strong>
                Syntax highlighting for Python, Java, C++, JavaScript and more. Runs on your school’s own server.
              </span>
            </li>
          </ul>
        </section>
        <div>
          <section className="card" aria-labelledby="landing-signin">
            <h2 id="landing-signin">Sign in</h2>
            <p className="card-sub">Teachers and students sign in with their school account.</p>
            <div className="button-row">
              <Link href="/signin" className="btn btn-primary btn-lg" data-testid="landing-signin">
                Sign in
              </Link>
              <Link href="/signup" className="btn btn-lg" data-testid="landing-signup">
                Create an account
              </Link>
            </div>
          </section>
          <section className="card" aria-labelledby="landing-join">
            <h2 id="landing-join">Joining a class?</h2>
            <p className="card-sub">Open the join link your teacher shared, or type the class code.</p>
            <JoinCodeForm />
          </section>
        </div>
      </main>
      <footer className="landing-footer">Tandem runs on your own server. No tracking, nothing loaded from elsewhere.</footer>
    </div>
  );
}
