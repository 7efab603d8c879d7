'use client';

import dynamic from 'next/dynamic';
import { PageLoading } from './page-states';

/** The class page lives in the browser: it holds a socket for live updates. */
const ClassApp = dynamic(() => import('./class-app'), { ssr: false, loading: () => <PageLoading /> });

export function ClassLoader({ classId }: { classId: string }) {
  return <ClassApp classId={classId} />;
}
