'use client';

import { useEffect, useMemo, useState } from 'react';
import type { TandemClient } from '../../lib/client/tandem-client';
import type { GroupTestSummary } from '../../lib/run/test-api';
import { api, type ActivityView, type WorkspaceActivity } from '../_lib/api';
import { replacesShown } from '../_lib/activity-order';
import { APP_PUSH, useSocketEvent } from '../_lib/live-client';
import { useResource } from '../_lib/use-resource';
import { ago } from '../_lib/time';

/** After this long without an edit a started group is shown as idle (a hint to go and look). */
const IDLE_AFTER_MS = 3 * 60_000;

type GridGroup = ActivityView['groups'][number];

/**
 * One card per group of an assignment: who is online, when they last typed and how much changed
 * recently. Starts from `GET /activity`, then follows `tandem:activity` pushes without reloading.
 * A card opens the group's workspace (read-only for staff).
 */
export function LiveGrid({ assignmentId, client, version }: { assignmentId: string; client: TandemClient | null; version: number }) {
  const initial = useResource(() => api.activity(assignmentId), assignmentId, version);
  const [live, setLive] = useState<Map<string, WorkspaceActivity>>(new Map());
  const [offset, setOffset] = useState(0);
  const [, setTick] = useState(0);
  // Teacher tests (issue 7): newest server grade and browser run per group, refetched on push.
  const [testsVersion, setTestsVersion] = useState(0);
  const tests = useResource(() => api.testSummary(assignmentId), assignmentId, version + testsVersion);
  const testsByGroup = useMemo(() => new Map((tests.data ?? []).map((t) => [t.groupId, t])), [tests.data]);
  useSocketEvent<{ workspaceId: string }>(client, APP_PUSH.testResultsChanged, (e) => {
    if (initial.data?.groups.some((g) => g.workspaceId === e.workspaceId)) setTestsVersion((v) => v + 1);
  });

  // A fresh snapshot replaces what the pushes had collected; it also fixes our clock against the server's.
  useEffect(() => {
    if (!initial.data) return;
    setLive(new Map());
    setOffset(initial.data.now - Date.now());
  }, [initial.data]);

  useSocketEvent<{ assignmentId: string; groupId: string; activity: WorkspaceActivity }>(client, APP_PUSH.activity, (e) => {
    if (e.assignmentId !== assignmentId) return;
    if (!initial.data?.groups.some((g) => g.id === e.groupId)) {
      // A group we have not seen (just started or re-paired): fetch the whole grid again.
      initial.reload();
      return;
    }
    setLive((m) => {
      const shown = m.get(e.groupId) ?? initial.data?.groups.find((g) => g.id === e.groupId)?.activity;
      return replacesShown(shown, e.activity) ? new Map(m).set(e.groupId, e.activity) : m;
    });
  });

  // "12 s ago" moves on by itself.
  useEffect(() => {
    const timer = setInterval(() => setTick((t) => t + 1), 1000);
    return () => clearInterval(timer);
  }, []);

  const groups = useMemo(
    () =>
      [...(initial.data?.groups ?? [])]
        .map((g) => ({ ...g, activity: live.get(g.id) ?? g.activity }))
        .sort((a, b) => Number(b.started) - Number(a.started) || names(a).localeCompare(names(b))),
    [initial.data, live],
  );
  const now = Date.now() + offset;

  if (initial.error && !initial.data) {
    return (
      <p className="field-error" role="alert">
        {initial.error.message}
      </p>
    );
  }
  if (!initial.data) return <p className="card-sub">Loading…</p>;
  if (groups.length === 0) {
    return (
      <p className="card-sub" data-testid="grid-empty">
        No groups yet. Pair students (or, for solo work, wait for them to open the assignment).
      </p>
    );
  }
  // Staff looking at a workspace count as online there too; the summary counts students only.
  const online = groups.reduce((n, g) => n + g.members.filter((m) => g.activity?.online.includes(m.userId)).length, 0);
  return (
    <div data-testid="live-grid">
      <p className="grid-summary" aria-live="polite">
        {groups.filter((g) => g.started).length} of {groups.length} groups started · {online} student{online === 1 ? '' : 's'} online
      </p>
      <ul className="live-grid">
        {groups.map((g) => (
          <li key={g.id}>
            <GroupCard group={g} now={now} tests={testsByGroup.get(g.id) ?? null} />
          </li>
        ))}
      </ul>
    </div>
  );
}

function names(g: GridGroup): string {
  return g.members.map((m) => m.displayName).join(' & ');
}

function GroupCard({ group: g, now, tests }: { group: GridGroup; now: number; tests: GroupTestSummary | null }) {
  const a = g.activity;
  const onlineIds = new Set(a?.online ?? []);
  const lastBy = a?.lastEditBy ? g.members.find((m) => m.userId === a.lastEditBy)?.displayName : null;
  const idleMs = a?.lastEditAt ? now - a.lastEditAt : null;
  const idle = g.started && (idleMs === null || idleMs > IDLE_AFTER_MS);
  const body = (
    <>
      <ul className="grid-members">
        {g.members.map((m) => (
          <li key={m.userId} data-testid="grid-member" data-user-id={m.userId} data-online={onlineIds.has(m.userId) ? 'true' : 'false'}>
            <span className={`online-dot${onlineIds.has(m.userId) ? ' on' : ''}`} aria-hidden="true" />
            <span className="grid-member-name">{m.displayName}</span>
            <span className="visually-hidden">{onlineIds.has(m.userId) ? ' (online)' : ' (offline)'}</span>
            {g.members.length > 1 && <span className={`pair-role ${m.role}`}>{m.role}</span>}
          </li>
        ))}
      </ul>
      {!g.started ? (
        <p className="grid-stat muted">Not opened yet</p>
      ) : (
        <>
          <p className="grid-stat" data-testid="last-edit" data-last-edit-at={a?.lastEditAt ?? ''}>
            {a?.lastEditAt ? `Last edit ${ago(now - a.lastEditAt)}${lastBy ? ` by ${lastBy}` : ''}` : 'No edits yet'}
          </p>
          <p className="grid-stat" data-testid="recent-change" data-size={a?.recentChange ?? 0}>
            {a?.recentChange ?? 0} chars changed in the last 5 min
          </p>
          {tests && <TestCounts tests={tests} />}
          {idle && (
            <p className="grid-stat warn" data-testid="idle">
              Idle{idleMs !== null ? ` for ${ago(idleMs).replace(' ago', '')}` : ''}
            </p>
          )}
        </>
      )}
    </>
  );
  const className = `group-card${idle ? ' idle' : ''}${g.started ? '' : ' not-started'}`;
  const common = { 'data-testid': 'group-card', 'data-group-id': g.id, 'data-workspace-id': g.workspaceId ?? '' };
  return g.workspaceId ? (
    <a className={className} href={`/w/${g.workspaceId}`} title="Open their workspace (read-only)" {...common}>
      {body}
      <span className="visually-hidden">Open their workspace, read-only</span>
    </a>
  ) : (
    <div className={className} {...common}>
      {body}
    </div>
  );
}

/** "Tests 2/3 on submission · 3/3 in the browser": the server grade is the one that counts. */
function TestCounts({ tests }: { tests: GroupTestSummary }) {
  const count = (r: { passed: number; failed: number }) => `${r.passed}/${r.passed + r.failed}`;
  const server = tests.server;
  const bad = server ? server.failed > 0 || server.error !== null : false;
  return (
    <p
      className={`grid-stat${bad ? ' warn' : ''}`}
      data-testid="grid-tests"
      data-server-passed={server?.passed ?? ''}
      data-server-failed={server?.failed ?? ''}
      data-browser-passed={tests.browser?.passed ?? ''}
    >
      Tests {server ? (server.error && server.passed + server.failed === 0 ? 'could not run on submission' : `${count(server)} on submission`) : 'not graded yet'}
      {tests.browser ? ` · ${count(tests.browser)} in the browser` : ''}
    </p>
  );
}
