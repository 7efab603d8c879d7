import type { Metadata } from 'next';
import { ID_PATTERN } from '../../../lib/protocol';
import { ClassLoader } from '../../_components/class-loader';
import { PageNotFound } from '../../_components/page-states';

export const metadata: Metadata = { title: 'Class' };

export default async function ClassPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!ID_PATTERN.test(id)) return <PageNotFound title="Class not found" text="That isn’t a class link." testId="class-missing" />;
  return <ClassLoader classId={id} />;
}
