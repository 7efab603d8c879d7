'use client';

import dynamic from 'next/dynamic';
import { PageLoading } from './page-states';

/** Review and submission pages live in the browser: Monaco and the API both need it. */
const ReviewApp = dynamic(() => import('./review-app'), { ssr: false, loading: () => <PageLoading /> });
const SubmissionsApp = dynamic(() => import('./submissions-app'), { ssr: false, loading: () => <PageLoading /> });

export function ReviewLoader({ groupId }: { groupId: string }) {
  return <ReviewApp groupId={groupId} />;
}

export function SubmissionsLoader({ assignmentId }: { assignmentId: string }) {
  return <SubmissionsApp assignmentId={assignmentId} />;
}
