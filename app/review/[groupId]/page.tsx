import type { Metadata } from 'next';
import { ID_PATTERN } from '../../../lib/protocol';
import { PageNotFound } from '../../_components/page-states';
import { ReviewLoader } from '../../_components/review-loader';

export const metadata: Metadata = { title: 'Review' };

export default async function ReviewPage({ params }: { params: Promise<{ groupId: string }> }) {
  const { groupId } = await params;
  if (!ID_PATTERN.test(groupId)) return <PageNotFound title="Review not found" text="That isn’t a review link." testId="review-missing" />;
  return <ReviewLoader groupId={groupId} />;
}
