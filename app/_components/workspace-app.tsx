'use client';

import dynamic from 'next/dynamic';
import Link from 'next/link';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { AiFindingView } from '../../lib/ai/ai-api';
import { colorForClient } from '../../lib/binding/remote-cursors';
import type { CommentView } from '../../lib/review/review-api';
import { sortedFileIds, type FileEntry } from '../../lib/workspace';
import { api, type GroupView, type PairRole, type WorkspaceContext } from '../_lib/api';
import { languageLabel } from '../_lib/languages';
import { APP_EVENTS, APP_PUSH, useOnConnect, useSocketEvent } from '../_lib/live-client';
import { useTheme } from '../_lib/theme';
import { useResource } from '../_lib/use-resource';
import { useConnectionState, useSession } from '../_lib/use-session';
import { useWorkspaceDoc } from '../_lib/use-workspace-doc';
import { AccountMenu } from './account-menu';
import { aiFindingMarkers, AiReviewPanel, latestDoneReview, useAiReviews } from './ai-review-panel';
import type { CodeEditorHandle, EditorReveal } from './code-editor';
import { ConnectionIndicator } from './connection-indicator';
import { feedbackDecorations, FeedbackPanel, SubmitControl, useFeedback } from './feedback-panel';
import { FileTree } from './file-tree';
import { RaiseHand } from './help-queue';
import { RunConsole } from './run-console';
import { TestsPanel } from './tests-panel';
import { CodeRunner } from '../_lib/run/code-runner';
import { collectRunFiles } from '../_lib/run/workspace-files';
import { runLanguageOf } from '../../lib/run/run-types';
import { BrandMark, FileIcon } from './icons';
import { PageError } from './page-states';
import { PairBar } from './pair-bar';
import { Avatar, AvatarStack, PeopleList, type PersonView } from './people';
import { ShareButton } from './share-button';
import { ThemeToggle } from './theme-toggle';

// Monaco is large: it loads in its own chunk while the file tree and people are already usable.
const CodeEditor = dynamic(() => import('./code-editor'), { ssr: false, loading: () => <EditorSkeleton /> });

/** What tests (and curious teachers in the console) can read; see tests/e2e. */
export interface TandemTestHooks {
  client: unknown;
  /** The editor's text for the open file (default) or, when loaded in this tab, another file. */
  getText(fileName?: string): string | null;
  openFileName(): string | null;
  peers(): Array<{ name: string; color: string; fileName: string | null }>;
}

declare global {
  interface Window {
    __tandem?: TandemTestHooks;
  }
}

/**
 * The workspace page. First asks the server what this account may do here
 * (`/api/workspaces/:id/context`); a workspace it may not see looks exactly like one that does
 * not exist, and no socket is opened for it.
 */
export default function WorkspaceApp({ workspaceId }: { workspaceId: string }) {
  const context = useResource(() => api.workspaceContext(workspaceId), workspaceId);
  if (context.error && !context.data) {
    if (context.error.status === 404 || context.error.status === 403) return <WorkspaceMissing />;
    // 401 is already on its way to the sign-in page.
    if (context.error.status === 401) return <WorkspaceSkeleton />;
    return <PageError message={context.error.message} />;
  }
  if (!context.data) return <WorkspaceSkeleton />;
  if (context.error?.status === 404 || context.error?.status === 403) return <WorkspaceMissing />;
  return <WorkspaceView workspaceId={workspaceId} context={context.data} reloadContext={context.reload} />;
}

function WorkspaceMissing() {
  return (
    <main className="page-message" data-testid="workspace-missing">
      <h1>Workspace not found</h1>
      <p>This workspace doesn’t exist, or your account has no access to it. Check that you are signed in with the right account.</p>
      <Link href="/" className="btn btn-primary">
        Go to the start page
      </Link>
    </main>
  );
}

function WorkspaceSkeleton() {
  return (
    <div className="ws" aria-busy="true">
      <header className="ws-header" />
      <aside className="ws-sidebar" />
      <main className="ws-main" />
    </div>
  );
}

type GroupState = NonNullable<WorkspaceContext['group']>;

function WorkspaceView({
  workspaceId,
  context,
  reloadContext,
}: {
  workspaceId: string;
  context: WorkspaceContext;
  reloadContext: () => void;
}) {
  const me = context.me;
  const user = useMemo(() => ({ id: me.id, displayName: me.displayName }), [me.id, me.displayName]);
  const { session, peers } = useSession(user, workspaceId);
  const client = session?.client ?? null;
  const connection = useConnectionState(client);
  const workspace = useWorkspaceDoc(client?.connection ?? null, workspaceId);
  const theme = useTheme();
  const files = workspace.status === 'ready' ? workspace.data.files : null;
  const selfColor = colorForClient(me.id);

  const [openFileId, setOpenFileId] = useState<string | null>(() => new URLSearchParams(window.location.search).get('file'));
  const [toast, setToast] = useState<string | null>(null);
  const [helpVersion, setHelpVersion] = useState(0);
  const [feedbackVersion, setFeedbackVersion] = useState(0);
  const [aiVersion, setAiVersion] = useState(0);
  const [testsVersion, setTestsVersion] = useState(0);
  const seenFiles = useRef(new Map<string, string>());
  const awaitingFile = useRef<string | null>(null);
  const editorRef = useRef<CodeEditorHandle | null>(null);

  // ── pair roles: from the context, then live from tandem:roles-changed ───────────────────
  const [group, setGroup] = useState<GroupState | null>(context.group);
  useEffect(() => setGroup(context.group), [context.group]);
  const applyRoles = useCallback((update: { members: Array<{ userId: string; role: PairRole }>; rolesChangedAt: number }) => {
    setGroup((g) => {
      if (!g || update.rolesChangedAt < g.rolesChangedAt) return g;
      const names = new Map(g.members.map((m) => [m.userId, m.displayName]));
      return {
        ...g,
        rolesChangedAt: update.rolesChangedAt,
        members: update.members.map((m) => ({ userId: m.userId, role: m.role, displayName: names.get(m.userId) ?? 'Classmate' })),
      };
    });
  }, []);
  const myRole = group?.members.find((m) => m.userId === me.id)?.role ?? null;
  const strictRoles = context.assignment?.strictRoles ?? false;
  // Same rule as the server's (WS-3): under strict roles only the driver writes.
  const strictNavigator = group ? strictRoles && myRole === 'navigator' : context.strictNavigator;
  const readOnly = context.access === 'read' || strictNavigator;
  const readOnlyMessage =
    context.access === 'read' ? 'You are viewing this workspace read-only.' : 'Strict pair roles: only the driver types. Swap roles to take the keyboard.';
  const inMyGroup = myRole !== null;
  // Code runs only in the browsers of the people whose code it is (issue 7): a teacher watching
  // a group sees its runs but never executes a student's program with their own session.
  const canRun = context.access === 'write' && (context.kind !== 'group' || inMyGroup);

  // ── live events on this socket ─────────────────────────────────────────────────────────
  const classId = context.class?.id ?? null;
  useOnConnect(client, (c, reconnect) => {
    c.socket.emit(APP_EVENTS.enterWorkspace, { id: workspaceId });
    if (classId) c.socket.emit(APP_EVENTS.watchClass, { id: classId });
    // Access may have changed while we were away (removed from the class, roles swapped).
    if (reconnect) {
      reloadContext();
      setHelpVersion((v) => v + 1);
      setFeedbackVersion((v) => v + 1);
      setAiVersion((v) => v + 1);
      setTestsVersion((v) => v + 1);
    }
  });
  useEffect(() => {
    if (!client) return;
    return () => {
      client.socket.emit(APP_EVENTS.leaveWorkspace, { id: workspaceId });
    };
  }, [client, workspaceId]);
  useSocketEvent<{ groupId: string; members: Array<{ userId: string; role: PairRole }>; rolesChangedAt: number }>(
    client,
    APP_PUSH.rolesChanged,
    (e) => {
      if (e.groupId === group?.id) applyRoles(e);
    },
  );
  useSocketEvent<{ classId: string }>(client, APP_PUSH.helpChanged, (e) => {
    if (e.classId === classId) setHelpVersion((v) => v + 1);
  });
  useSocketEvent<{ workspaceId: string }>(client, APP_PUSH.feedbackChanged, (e) => {
    if (e.workspaceId === workspaceId) setFeedbackVersion((v) => v + 1);
  });
  useSocketEvent<{ workspaceId: string }>(client, APP_PUSH.aiReviewChanged, (e) => {
    if (e.workspaceId === workspaceId) setAiVersion((v) => v + 1);
  });
  useSocketEvent<{ workspaceId: string }>(client, APP_PUSH.testResultsChanged, (e) => {
    if (e.workspaceId === workspaceId) setTestsVersion((v) => v + 1);
  });
  useSocketEvent<{ classId: string; what: string }>(client, APP_PUSH.classChanged, (e) => {
    if (e.classId === classId && e.what !== 'roster') reloadContext();
  });

  // ── follow mode ────────────────────────────────────────────────────────────────────────
  // Someone watching a teacher's broadcast follows the teacher from the start.
  const [following, setFollowing] = useState<string | null>(() =>
    context.kind === 'personal' && context.access === 'read' && context.ownerUserId && context.ownerUserId !== me.id ? context.ownerUserId : null,
  );
  const followedPeer = following ? peers.find((p) => p.clientId === following) : undefined;
  const followedFile = followedPeer?.fileId ?? null;
  useEffect(() => {
    if (followedFile && files?.[followedFile] && followedFile !== openFileId) setOpenFileId(followedFile);
  }, [followedFile, files, openFileId]);
  useEffect(() => {
    if (!following) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setFollowing(null);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [following]);
  const stopFollowing = useCallback(() => setFollowing(null), []);

  // Keep the open file valid as the live file list changes under us.
  useEffect(() => {
    if (!files) return;
    for (const [id, f] of Object.entries(files)) seenFiles.current.set(id, f.name);
    if (openFileId && files[openFileId]) {
      if (awaitingFile.current === openFileId) awaitingFile.current = null;
      return;
    }
    // Just created here; its entry is a moment behind the API's answer.
    if (openFileId && awaitingFile.current === openFileId) return;
    if (openFileId && seenFiles.current.has(openFileId)) {
      setToast(`${seenFiles.current.get(openFileId)} was deleted.`);
    }
    setOpenFileId(sortedFileIds(files)[0] ?? null);
  }, [files, openFileId]);

  useEffect(() => {
    const url = openFileId ? `/w/${workspaceId}?file=${encodeURIComponent(openFileId)}` : `/w/${workspaceId}`;
    if (window.location.pathname + window.location.search !== url) window.history.replaceState(window.history.state, '', url);
  }, [openFileId, workspaceId]);

  const workspaceName = workspace.status === 'ready' ? workspace.data.name : null;
  useEffect(() => {
    if (workspaceName) document.title = `${workspaceName} · Tandem`;
  }, [workspaceName]);

  useEffect(() => {
    if (!toast) return;
    const timer = setTimeout(() => setToast(null), 4000);
    return () => clearTimeout(timer);
  }, [toast]);

  // Warn before closing the tab while edits are still on their way.
  useEffect(() => {
    if (!client) return;
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      if (client.unsentEdits() > 0) event.preventDefault();
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, [client]);

  useEffect(() => {
    if (files) session?.presence.setFiles(Object.keys(files));
  }, [files, session]);

  const roleOf = useCallback((userId: string) => group?.members.find((m) => m.userId === userId)?.role ?? null, [group]);
  const people = useMemo<PersonView[]>(() => {
    const fileName = (id: string | null) => (id && files?.[id]?.name) || null;
    const self: PersonView = { clientId: me.id, name: me.displayName, color: selfColor, fileName: fileName(openFileId), self: true, role: roleOf(me.id) };
    return [
      self,
      ...peers.map((p) => ({ clientId: p.clientId, name: p.name, color: p.color, fileName: fileName(p.fileId), self: false, role: roleOf(p.clientId) })),
    ];
  }, [peers, files, me, openFileId, selfColor, roleOf]);

  const peerColors = useMemo(() => {
    const map = new Map<string, string[]>();
    for (const p of peers) if (p.fileId) map.set(p.fileId, [...(map.get(p.fileId) ?? []), p.color]);
    return map;
  }, [peers]);

  // Test hooks: Monaco virtualises lines, so the DOM cannot be read for exact text.
  const peopleRef = useRef(people);
  peopleRef.current = people;
  const filesRef = useRef(files);
  filesRef.current = files;
  const openRef = useRef(openFileId);
  openRef.current = openFileId;
  useEffect(() => {
    window.__tandem = {
      client: client ?? null,
      getText(fileName) {
        const openName = openRef.current ? filesRef.current?.[openRef.current]?.name : undefined;
        if (fileName === undefined || fileName === openName) return editorRef.current?.getText() ?? null;
        const id = Object.entries(filesRef.current ?? {}).find(([, f]) => f.name === fileName)?.[0];
        return id ? (editorRef.current?.getDocText(id) ?? null) : null;
      },
      openFileName: () => (openRef.current ? (filesRef.current?.[openRef.current]?.name ?? null) : null),
      peers: () => peopleRef.current.filter((p) => !p.self).map(({ name, color, fileName }) => ({ name, color, fileName })),
    };
    return () => {
      delete window.__tandem;
    };
  }, [client]);

  const openFile = useCallback((fileId: string) => {
    if (!filesRef.current?.[fileId]) awaitingFile.current = fileId;
    // Choosing a file yourself ends follow mode.
    setFollowing(null);
    setOpenFileId(fileId);
  }, []);

  const onEditorHandle = useCallback((handle: CodeEditorHandle | null) => {
    editorRef.current = handle;
  }, []);

  // ── submissions and released feedback (group work of an assignment, for its members) ────────
  const groupWork = context.kind === 'group' && context.assignment !== null && group !== null;
  const feedback = useFeedback(workspaceId, groupWork && inMyGroup, feedbackVersion);
  const decorations = useMemo(() => feedbackDecorations(feedback.data, openFileId), [feedback.data, openFileId]);
  const [reveal, setReveal] = useState<EditorReveal | null>(null);
  const showComment = useCallback(
    (c: CommentView) => {
      if (!filesRef.current?.[c.fileId]) {
        setToast('That file has been deleted.');
        return;
      }
      if (c.current.outdated) setToast('The code this comment was about has since been deleted.');
      openFile(c.fileId);
      setReveal({ fileId: c.fileId, from: c.current.from, to: c.current.to });
    },
    [openFile],
  );
  const fileNameOf = useCallback((id: string) => filesRef.current?.[id]?.name ?? null, []);

  // ── AI feedback (issue 5): released reviews for the group's members, markers in the code ──────
  const ai = useAiReviews(workspaceId, groupWork && inMyGroup, aiVersion);
  const aiMarkers = useMemo(() => aiFindingMarkers(latestDoneReview(ai.data?.reviews), openFileId), [ai.data, openFileId]);
  const showFinding = useCallback(
    (f: AiFindingView) => {
      if (!filesRef.current?.[f.fileId]) {
        setToast('That file has been deleted.');
        return;
      }
      openFile(f.fileId);
      setReveal({ fileId: f.fileId, startLine: f.startLine, endLine: f.endLine });
    },
    [openFile],
  );

  // ── teacher tests (issue 7): the visible ones run here, in workers; the counts are reported ──
  const testRunner = useRef<CodeRunner | null>(null);
  useEffect(() => () => testRunner.current?.dispose(), []);
  const runTests = useCallback(
    async (testsHash: string, tests: Array<{ fileName: string; code: string }>) => {
      if (!client || !filesRef.current) throw new Error('Not connected yet; try again in a moment.');
      testRunner.current ??= new CodeRunner();
      const { files: runFiles, versions } = await collectRunFiles(client, workspaceId, filesRef.current, (name) => runLanguageOf(name) !== null);
      const specs = tests.flatMap((t) => {
        const language = runLanguageOf(t.fileName);
        return language ? [{ language, fileName: t.fileName, code: t.code, hidden: false }] : [];
      });
      const run = await testRunner.current.runTests(runFiles, specs);
      const cases = run.cases.slice(0, 1000).map((c) => ({ name: c.name.slice(0, 300) || 'test', passed: c.passed, message: c.message ? c.message.slice(0, 2000) : null, file: c.file }));
      const passed = cases.filter((c) => c.passed).length;
      await api.reportTestRun(workspaceId, { versions, testsHash, passed, failed: cases.length - passed, error: run.error, cases, durationMs: run.durationMs });
    },
    [client, workspaceId],
  );

  if (workspace.status === 'missing') return <WorkspaceMissing />;
  if (workspace.status === 'error') {
    return (
      <main className="page-message" role="alert">
        <h1>Couldn’t open this workspace</h1>
        <p>{workspace.message}</p>
        <button type="button" className="btn btn-primary" onClick={() => window.location.reload()}>
          Try again
        </button>
      </main>
    );
  }

  const openFileEntry: FileEntry | undefined = openFileId ? files?.[openFileId] : undefined;
  const hereWithMe = people.filter((p) => !p.self && openFileEntry && p.fileName === openFileEntry.name);
  const followedName = following
    ? (followedPeer?.name ??
      group?.members.find((m) => m.userId === following)?.displayName ??
      (following === context.ownerUserId ? 'the owner of this workspace' : null))
    : null;

  return (
    <div
      className="ws"
      data-testid="workspace"
      data-ready={workspace.status === 'ready' ? 'true' : 'false'}
      data-access={context.access}
      data-readonly={readOnly ? 'true' : 'false'}
    >
      <header className="ws-header">
        <div className="ws-title">
          <Link href="/" className="brand" aria-label="Tandem start page">
            <BrandMark />
            <span className="label-wide">Tandem</span>
          </Link>
          {context.class && (
            <>
              <span className="sep" aria-hidden="true">
                /
              </span>
              <Link href={`/classes/${context.class.id}`} className="ws-crumb" data-testid="class-crumb">
                {context.class.name}
              </Link>
            </>
          )}
          <span className="sep" aria-hidden="true">
            /
          </span>
          <h1 className="ws-name" data-testid="workspace-title">
            {workspaceName ?? '…'}
          </h1>
        </div>
        <div className="ws-actions">
          <AvatarStack people={people.filter((p) => !p.self)} />
          <ConnectionIndicator state={connection} />
          <ShareButton workspaceId={workspaceId} />
          <ThemeToggle />
          <AccountMenu user={{ id: me.id, displayName: me.displayName }} />
        </div>
      </header>

      <aside className="ws-sidebar" aria-label="Workspace">
        {files ? (
          <FileTree
            workspaceId={workspaceId}
            files={files}
            openFileId={openFileId}
            onOpen={openFile}
            peerColors={peerColors}
            readOnly={readOnly}
          />
        ) : (
          <section className="panel panel-files" aria-busy="true">
            <div className="panel-head">
              <h2 className="panel-title">Files</h2>
            </div>
            <div className="skeleton-lines" aria-hidden="true">
              <span style={{ width: '70%' }} />
              <span style={{ width: '55%' }} />
            </div>
          </section>
        )}
        <section className="panel panel-people" aria-labelledby="people-title">
          <div className="panel-head">
            <h2 className="panel-title" id="people-title">
              People
              <span className="panel-count" data-testid="people-count">
                {people.length}
              </span>
            </h2>
          </div>
          <div className="panel-body">
            <PeopleList people={people} following={following} onFollow={setFollowing} />
            {people.length > 1 && !following && <p className="tree-hint">Click someone to follow their file and cursor.</p>}
          </div>
        </section>
        {feedback.data && (
          <FeedbackPanel feedback={feedback.data} meId={me.id} fileName={fileNameOf} onShow={showComment} onChanged={feedback.reload} />
        )}
        {ai.data && (
          <AiReviewPanel
            workspaceId={workspaceId}
            data={ai.data}
            loading={ai.loading}
            error={ai.error?.message ?? null}
            onChanged={ai.reload}
            onShow={showFinding}
          />
        )}
        {groupWork && context.assignment && (
          <TestsPanel workspaceId={workspaceId} assignmentId={context.assignment.id} canRun={inMyGroup && canRun} version={testsVersion} runTests={runTests} />
        )}
        {classId && inMyGroup && (
          <section className="panel panel-help" aria-label="Help">
            <div className="panel-body">
              <RaiseHand classId={classId} workspaceId={workspaceId} version={helpVersion} compact />
            </div>
          </section>
        )}
      </aside>

      <main className="ws-main">
        {context.access === 'read' && (
          <div className="banner banner-readonly" role="status" data-testid="readonly-banner">
            <strong>Viewing read-only.</strong>
            <span>
              {context.kind === 'group' ? 'You see their edits live, but cannot type here.' : 'You see the edits live, but cannot type here.'}
            </span>
          </div>
        )}
        {group && (
          <PairBar
            group={group}
            meId={me.id}
            swapMinutes={context.assignment?.swapMinutes ?? null}
            strict={strictRoles}
            onSwapped={(g: GroupView) => applyRoles(g)}
            onError={setToast}
            actions={
              groupWork ? (
                inMyGroup ? (
                  <SubmitControl workspaceId={workspaceId} deadline={context.assignment?.deadline ?? null} onNotice={setToast} />
                ) : (
                  <Link href={`/review/${group.id}`} className="btn" data-testid="review-group-link">
                    Review
                  </Link>
                )
              ) : undefined
            }
          />
        )}
        {strictNavigator && context.access === 'write' && (
          <div className="banner banner-navigator" role="status" data-testid="navigator-banner">
            <strong>You are navigating.</strong>
            <span>Only the driver types. Guide them, or swap roles to take the keyboard.</span>
          </div>
        )}
        {following && (
          <div className="banner banner-follow" role="status" data-testid="follow-banner">
            <span>
              Following <strong>{followedName ?? 'someone'}</strong>
              {followedPeer ? '' : ' (not here right now)'}
            </span>
            <button type="button" className="btn btn-ghost small-btn" onClick={stopFollowing} data-testid="stop-following">
              Stop following
            </button>
          </div>
        )}
        {session && openFileId && openFileEntry ? (
          <>
            <div className="editor-bar">
              <div className="editor-file" data-testid="open-file-name">
                <FileIcon className="file-icon" />
                <span>{openFileEntry.name}</span>
              </div>
              <span className="lang-badge" data-testid="open-file-language">
                {languageLabel(openFileEntry.language)}
              </span>
              {readOnly && (
                <span className="lang-badge" data-testid="readonly-badge">
                  read-only
                </span>
              )}
              <span className="spacer" />
              {hereWithMe.length > 0 && (
                <div className="editor-peers" aria-label="Also in this file">
                  {hereWithMe.slice(0, 4).map((p) => (
                    <Avatar key={p.clientId} name={p.name} color={p.color} />
                  ))}
                  <span>
                    {hereWithMe.length === 1 ? `${hereWithMe[0]!.name} is here too` : `${hereWithMe.length} others here`}
                  </span>
                </div>
              )}
            </div>
            <div className="editor-host">
              <CodeEditor
                key={session.id}
                client={session.client}
                presence={session.presence}
                workspaceId={workspaceId}
                fileId={openFileId}
                fileName={openFileEntry.name}
                language={openFileEntry.language}
                theme={theme}
                self={{ clientId: me.id, name: me.displayName, color: selfColor }}
                onHandle={onEditorHandle}
                onNotice={setToast}
                readOnly={readOnly}
                readOnlyMessage={readOnlyMessage}
                follow={following}
                onUserInput={stopFollowing}
                decorations={decorations}
                markers={aiMarkers}
                reveal={reveal}
              />
            </div>
            <RunConsole
              client={client}
              workspaceId={workspaceId}
              files={files}
              openFile={{ id: openFileId, name: openFileEntry.name }}
              canRun={canRun}
              me={me}
            />
          </>
        ) : files && Object.keys(files).length === 0 ? (
          <div className="editor-placeholder" data-testid="no-files">
            <h2>This workspace is empty</h2>
            <p>{readOnly ? 'No files yet.' : 'Create the first file with the + button next to “Files”. Everyone here will see it appear.'}</p>
          </div>
        ) : (
          <EditorSkeleton />
        )}
      </main>

      <div className="toast-region" aria-live="polite">
        {toast && (
          <div className="toast" data-testid="toast">
            {toast}
          </div>
        )}
      </div>
    </div>
  );
}

export function EditorSkeleton() {
  return (
    <div className="skeleton-lines" aria-hidden="true" data-testid="editor-loading">
      <span style={{ width: '42%' }} />
      <span style={{ width: '64%' }} />
      <span style={{ width: '28%' }} />
      <span style={{ width: '51%' }} />
    </div>
  );
}
