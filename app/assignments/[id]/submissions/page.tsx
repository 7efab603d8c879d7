import type { Metadata } from 'next';
import { ID_PATTERN } from '../../../../lib/protocol';
import { PageNotFound } from '../../../_components/page-states';
import { SubmissionsLoader } from '../../../_components/review-loader';

export const metadata: Metadata = { title: 'Submissions' };

export default async function SubmissionsPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!ID_PATTERN.test(id)) return <PageNotFound title="Assignment not found" text="That isn’t an assignment link." testId="submissions-missing" />;
  return <SubmissionsLoader assignmentId={id} />;
}
