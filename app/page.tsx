import Link from 'next/link';
import { BrandMark, CodeIcon, UsersIcon, WifiIcon } from './_components/icons';
import { CreateWorkspaceForm, OpenWorkspaceForm } from './_components/landing-forms';
import { ThemeToggle } from './_components/theme-toggle';

export default function LandingPage() {
  return (
    <div className="landing">
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
            Tandem is a shared code editor for programming classes. Open a workspace, share the link, and everyone
            types in the same files at once — with their own cursor and name.
          </p>
          <ul className="feature-list">
            <li>
              <span className="feature-icon">
                <UsersIcon />
              </span>
              <span>
                <strong>Pair and group programming</strong>
                See who is here, which file they are in and where their cursor is.
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
          <CreateWorkspaceForm />
          <OpenWorkspaceForm />
        </div>
      </main>
      <footer className="landing-footer">Tandem runs on your own server. No accounts, no tracking, nothing loaded from elsewhere.</footer>
    </div>
  );
}
