import type { Metadata } from 'next';
import { AdminLoader } from '../_components/admin-loader';

export const metadata: Metadata = { title: 'Administration' };

export default function AdminPage() {
  return <AdminLoader />;
}
