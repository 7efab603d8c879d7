import Link from 'next/link';

export default function NotFound() {
  return (
    <main className="page-message">
      <h1>Page not found</h1>
      <p>There is nothing at this address.</p>
      <Link href="/" className="btn btn-primary">
        Go to the start page
      </Link>
    </main>
  );
}
