'use client';

import dynamic from 'next/dynamic';
import { PageLoading } from './page-states';

const AdminApp = dynamic(() => import('./admin-app'), { ssr: false, loading: () => <PageLoading /> });

export function AdminLoader() {
  return <AdminApp />;
}
