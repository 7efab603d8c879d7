'use client';

import dynamic from 'next/dynamic';
import Link from 'next/link';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { colorForClient } from '../../lib/binding/remote-cursors';
import { sortedFileIds, type FileEntry } from '../../lib/workspace';
import { loadIdentity, saveIdentity } from '../_lib/identity';
import { languageLabel } from '../_lib/languages';
import { rememberWorkspace } from '../_lib/recent-workspaces';
import { useTheme } from '../_lib/theme';
import { useConnectionState, useSession } from '../_lib/use-session';
import { useWorkspaceDoc } from '../_lib/use-workspace-doc';
import type { CodeEditorHandle } from './code-editor';
import { ConnectionIndicator } from './connection-indicator';
import { FileTree } from './file-tree';
import { BrandMark, FileIcon } from './icons';
import { NameDialog } from './name-dialog';
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

/** The workspace page: header, file tree, people, editor. Client-only (localStorage, sockets). */
export default function WorkspaceApp({ workspaceId }: { workspaceId: string }) {
  const [identity, setIdentity] = useState(loadIdentity);
  const [editingName, setEditingName] = useState(identity.displayName === null);
  const { session, peers } = useSession(identity, workspaceId);
  const connection = useConnectionState(session?.client ?? null);
  const workspace = useWorkspaceDoc(session?.client.connection ?? null, workspaceId);
  const theme = useTheme();
  const files = workspace.status === 'ready' ? workspace.data.files : null;
  const selfColor = colorForClient(identity.clientId);

  const [openFileId, setOpenFileId] = useState<string | null>(() => new URLSearchParams(window.location.search).get('file'));
  const [toast, setToast] = useState<string | null>(null);
  const seenFiles = useRef(new Map<string, string>());
  const awaitingFile = useRef<string | null>(null);
  const editorRef = useRef<CodeEditorHandle | null>(null);

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
    if (!workspaceName) return;
    document.title = `${workspaceName} · Tandem`;
    rememberWorkspace(workspaceId, workspaceName);
  }, [workspaceName, workspaceId]);

  useEffect(() => {
    if (!toast) return;
    const timer = setTimeout(() => setToast(null), 4000);
    return () => clearTimeout(timer);
  }, [toast]);

  // Warn before closing the tab while edits are still on their way.
  useEffect(() => {
    const client = session?.client;
    if (!client) return;
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      if (client.unsentEdits() > 0) event.preventDefault();
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, [session]);

  useEffect(() => {
    if (files) session?.presence.setFiles(Object.keys(files));
  }, [files, session]);

  const people = useMemo<PersonView[]>(() => {
    const fileName = (id: string | null) => (id && files?.[id]?.name) || null;
    const self: PersonView = {
      clientId: identity.clientId,
      name: identity.displayName ?? 'You',
      color: selfColor,
      fileName: fileName(openFileId),
      self: true,
    };
    return [self, ...peers.map((p) => ({ clientId: p.clientId, name: p.name, color: p.color, fileName: fileName(p.fileId), self: false }))];
  }, [peers, files, identity, openFileId, selfColor]);

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
      client: session?.client ?? null,
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
  }, [session]);

  const openFile = useCallback(
    (fileId: string) => {
      if (!filesRef.current?.[fileId]) awaitingFile.current = fileId;
      setOpenFileId(fileId);
    },
    [],
  );

  const onEditorHandle = useCallback((handle: CodeEditorHandle | null) => {
    editorRef.current = handle;
  }, []);

  function saveName(name: string) {
    setEditingName(false);
    if (name === identity.displayName) return;
    const next = { clientId: identity.clientId, displayName: name };
    saveIdentity(next);
    setIdentity(next);
  }

  if (workspace.status === 'missing') {
    return (
      <main className="page-message" data-testid="workspace-missing">
        <h1>Workspace not found</h1>
        <p>This link doesn’t match any workspace on this server. Check that you copied the whole link.</p>
        <Link href="/" className="btn btn-primary">
          Go to the start page
        </Link>
      </main>
    );
  }
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
  const renameBlocked =
    connection.unsent > 0 ? 'Your last edits are still being sent. Try again once the indicator says “Saved”.' : null;

  return (
    <div className="ws" data-testid="workspace" data-ready={workspace.status === 'ready' ? 'true' : 'false'}>
      <header className="ws-header">
        <div className="ws-title">
          <Link href="/" className="brand" aria-label="Tandem start page">
            <BrandMark />
            <span className="label-wide">Tandem</span>
          </Link>
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
          <button
            type="button"
            className="icon-btn"
            data-testid="change-name"
            aria-label={`You are ${identity.displayName ?? 'not named yet'}. Change your name`}
            title="Change your name"
            onClick={() => setEditingName(true)}
          >
            <Avatar name={identity.displayName ?? '?'} color={selfColor} />
          </button>
        </div>
      </header>

      <aside className="ws-sidebar" aria-label="Workspace">
        {files ? (
          <FileTree workspaceId={workspaceId} files={files} openFileId={openFileId} onOpen={openFile} peerColors={peerColors} />
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
            <PeopleList people={people} />
          </div>
        </section>
      </aside>

      <main className="ws-main">
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
                self={{ clientId: identity.clientId, name: identity.displayName ?? '', color: selfColor }}
                onHandle={onEditorHandle}
                onNotice={setToast}
              />
            </div>
          </>
        ) : files && Object.keys(files).length === 0 ? (
          <div className="editor-placeholder" data-testid="no-files">
            <h2>This workspace is empty</h2>
            <p>Create the first file with the + button next to “Files”. Everyone here will see it appear.</p>
          </div>
        ) : (
          <EditorSkeleton />
        )}
      </main>

      <NameDialog
        open={editingName}
        initialName={identity.displayName ?? ''}
        firstVisit={identity.displayName === null}
        blockedReason={identity.displayName === null ? null : renameBlocked}
        onSave={saveName}
        onCancel={() => setEditingName(false)}
      />

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
