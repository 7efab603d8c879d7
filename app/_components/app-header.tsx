'use client';

import Link from 'next/link';
import type { PublicUser } from '../_lib/api';
import { AccountMenu } from './account-menu';
import { BrandMark } from './icons';
import { ThemeToggle } from './theme-toggle';

export interface Crumb {
  href?: string;
  label: string;
}

/** The top bar of every page but the workspace: brand, where you are, theme, account. */
export function AppHeader({ user, crumbs = [] }: { user: PublicUser | null; crumbs?: Crumb[] }) {
  return (
    <header className="app-header">
      <nav className="app-crumbs" aria-label="Breadcrumb">
        <Link href="/" className="brand" aria-label="Tandem home">
          <BrandMark />
          <span className="label-wide">Tandem</span>
        </Link>
        {crumbs.map((c, i) => (
          <span key={i} className="crumb">
            <span className="sep" aria-hidden="true">
              /
            </span>
            {c.href ? <Link href={c.href}>{c.label}</Link> : <span aria-current="page">{c.label}</span>}
          </span>
        ))}
      </nav>
      <div className="app-header-actions">
        {user?.role === 'admin' && (
          <Link href="/admin" className="btn btn-ghost" data-testid="admin-link">
            Admin
          </Link>
        )}
        <ThemeToggle />
        {user && <AccountMenu user={user} />}
      </div>
    </header>
  );
}
