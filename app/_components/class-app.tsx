'use client';

import { useCallback, useEffect, useState } from 'react';
import type { TandemClient } from '../../lib/client/tandem-client';
import { api, type ClassView, type Me } from '../_lib/api';
import { redirectToSignIn } from '../_lib/auth-redirect';
import { APP_EVENTS, APP_PUSH, useAccountClient, useOnConnect, useSocketEvent } from '../_lib/live-client';
import { useMe } from '../_lib/use-me';
import { useResource } from '../_lib/use-resource';
import { AppHeader } from './app-header';
import { ClassStaffView } from './class-staff';
import { ClassStudentView } from './class-student';
import { PageError, PageLoading, PageNotFound } from './page-states';

/** Bumped by live events; every list on the page refetches when its counter moves. */
export interface ClassVersions {
  class: number;
  roster: number;
  assignments: number;
  groups: number;
  help: number;
}

export interface ClassPageProps {
  me: Me;
  klass: ClassView;
  client: TandemClient | null;
  versions: ClassVersions;
  reloadClass: () => void;
}

const ZERO: ClassVersions = { class: 0, roster: 0, assignments: 0, groups: 0, help: 0 };

type ClassChange = 'roster' | 'assignments' | 'groups' | 'broadcast' | 'class';

/** `/classes/[id]`: the staff view (teacher/TA/admin) or the student view, kept live over the socket. */
export default function ClassApp({ classId }: { classId: string }) {
  const me = useMe();
  useEffect(() => {
    if (me.status === 'signed-out') redirectToSignIn();
  }, [me.status]);
  if (me.status === 'loading' || me.status === 'signed-out') return <PageLoading />;
  if (me.status === 'error') return <PageError message={me.message} />;
  return <ClassPage classId={classId} me={me.me} />;
}

function ClassPage({ classId, me }: { classId: string; me: Me }) {
  const [versions, setVersions] = useState<ClassVersions>(ZERO);
  const bump = useCallback((...keys: Array<keyof ClassVersions>) => {
    setVersions((v) => {
      const next = { ...v };
      for (const k of keys) next[k]++;
      return next;
    });
  }, []);
  const klass = useResource(() => api.getClass(classId), classId, versions.class);
  const client = useAccountClient(me.user);

  useOnConnect(client, (c, reconnect) => {
    c.socket.emit(APP_EVENTS.watchClass, { id: classId });
    // Events sent while we were away are lost: refetch everything once.
    if (reconnect) bump('class', 'roster', 'assignments', 'groups', 'help');
  });
  useSocketEvent<{ classId: string; what: ClassChange }>(client, APP_PUSH.classChanged, (e) => {
    if (e.classId !== classId) return;
    switch (e.what) {
      case 'roster':
        return bump('roster', 'class', 'help');
      case 'assignments':
        return bump('assignments');
      case 'groups':
        return bump('groups');
      case 'broadcast':
        return bump('class');
      case 'class':
        return bump('class', 'assignments');
    }
  });
  useSocketEvent<{ classId: string }>(client, APP_PUSH.helpChanged, (e) => {
    if (e.classId === classId) bump('help');
  });

  useEffect(() => {
    if (klass.data) document.title = `${klass.data.name} · Tandem`;
  }, [klass.data]);

  // A 404 after a reload means access ended (removed from the class): drop the stale page too.
  if (klass.error && (!klass.data || klass.error.status === 404 || klass.error.status === 403)) {
    if (klass.error.status === 404 || klass.error.status === 403) {
      return (
        <div className="app-page">
          <AppHeader user={me.user} />
          <PageNotFound title="Class not found" text="This class doesn’t exist, or you are not a member of it." testId="class-missing" />
        </div>
      );
    }
    return <PageError message={klass.error.message} />;
  }
  if (!klass.data) return <PageLoading />;
  const view = klass.data;
  const staff = view.role === 'teacher' || view.role === 'ta' || me.user.role === 'admin';
  const props: ClassPageProps = { me, klass: view, client, versions, reloadClass: klass.reload };
  return (
    <div className="app-page" data-testid="class-page" data-class-id={view.id} data-view={staff ? 'staff' : 'student'}>
      <AppHeader user={me.user} crumbs={[{ label: view.name }]} />
      {staff ? <ClassStaffView {...props} /> : <ClassStudentView {...props} />}
    </div>
  );
}
