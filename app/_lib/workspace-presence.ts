import type { Connection } from 'sharedb/lib/client';

type Presence = ReturnType<Connection['getPresence']>;
import { COLLECTIONS, fileDocId, type CursorPresence } from '../../lib/protocol';

/** One person somewhere in the workspace, for the "People" panel and the file tree's dots. */
export interface Peer {
  clientId: string;
  name: string;
  color: string;
  /** The file their cursor is in. */
  fileId: string;
}

/** What the workspace list needs of a peer; both CursorPresence and RemoteCursors' PeerSummary fit. */
type EditorPeer = Pick<CursorPresence, 'clientId' | 'name' | 'color'>;

type PresenceInternals = { _presences: Record<string, Presence | undefined> };

const RETRY_MS = 150;

/**
 * Who is in which file, across the whole workspace, on this tab's one connection (P-TR-1).
 *
 * Presence exists only per file (P-PRES-3), and the editor binding owns a *DocPresence* on the
 * open file (it needs the doc to transform cursors through ops). For every other file this
 * tracker listens with a plain `Presence` on the same channel (`files.<ws>:<file>`): plain
 * presence needs no doc, so watching a file costs one subscription, not its text.
 *
 * ShareDB keeps one presence object per channel, so the two must hand over: before the editor
 * opens a file the tracker's listener is dropped synchronously (`releaseForEditor`), and after
 * the editor closes it the tracker re-listens once the binding's DocPresence is gone.
 */
export class WorkspacePresence {
  private readonly listeners = new Map<string, Presence>();
  /** fileId → presence id → value, for files this tracker watches. */
  private readonly remote = new Map<string, Map<string, CursorPresence>>();
  private files = new Set<string>();
  private editorFileId: string | null = null;
  private editorPeers: EditorPeer[] = [];
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private disposed = false;
  private readonly onState = (state: string) => {
    // Peers who left while we were away never send their `null`: start over, and the
    // resubscription asks everyone still here to announce themselves again.
    if (state !== 'connected') {
      this.remote.clear();
      this.emit();
    }
  };

  constructor(
    private readonly connection: Connection,
    private readonly workspaceId: string,
    private readonly selfClientId: string,
    private readonly onChange: (peers: Peer[]) => void,
  ) {
    connection.on('state', this.onState);
  }

  /** The workspace's current file ids (from the live workspace doc). */
  setFiles(fileIds: Iterable<string>): void {
    this.files = new Set(fileIds);
    if (this.editorFileId && !this.files.has(this.editorFileId)) this.editorPeers = [];
    this.reconcile();
  }

  /**
   * Call right BEFORE the editor binds `fileId` (so its getDocPresence gets a fresh DocPresence),
   * and with null after it unbinds.
   */
  setEditorFile(fileId: string | null): void {
    if (fileId === this.editorFileId) return;
    this.editorFileId = fileId;
    this.editorPeers = [];
    if (fileId) this.stopListening(fileId);
    this.reconcile();
  }

  /** The remote cursors' view of peers in the open file. */
  setEditorPeers(peers: EditorPeer[]): void {
    this.editorPeers = peers;
    this.emit();
  }

  dispose(): void {
    this.disposed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.connection.off('state', this.onState);
    for (const fileId of [...this.listeners.keys()]) this.stopListening(fileId);
  }

  /** Everyone but us, one entry per person, with the file their latest cursor is in. */
  peers(): Peer[] {
    const byClient = new Map<string, Peer>();
    const add = (fileId: string, p: EditorPeer) => {
      if (p.clientId === this.selfClientId || !this.files.has(fileId)) return;
      byClient.set(p.clientId, { clientId: p.clientId, name: p.name, color: p.color, fileId });
    };
    for (const [fileId, values] of this.remote) for (const p of values.values()) add(fileId, p);
    // The open file wins: the editor's remote cursors hold the freshest view of it.
    if (this.editorFileId) for (const p of this.editorPeers) add(this.editorFileId, p);
    return [...byClient.values()].sort((a, b) => a.name.localeCompare(b.name) || a.clientId.localeCompare(b.clientId));
  }

  private emit(): void {
    if (!this.disposed) this.onChange(this.peers());
  }

  private channel(fileId: string): string {
    return `${COLLECTIONS.files}.${fileDocId(this.workspaceId, fileId)}`;
  }

  private reconcile(): void {
    if (this.disposed) return;
    let blocked = false;
    for (const fileId of this.files) {
      if (fileId === this.editorFileId || this.listeners.has(fileId)) continue;
      if (!this.startListening(fileId)) blocked = true;
    }
    for (const fileId of [...this.listeners.keys()]) {
      if (!this.files.has(fileId)) this.stopListening(fileId);
    }
    if (blocked && !this.retryTimer) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.reconcile();
      }, RETRY_MS);
    }
    this.emit();
  }

  /** False when the channel is still held by a closing DocPresence; the caller retries. */
  private startListening(fileId: string): boolean {
    const channel = this.channel(fileId);
    if ((this.connection as unknown as PresenceInternals)._presences[channel]) return false;
    const presence = this.connection.getPresence(channel);
    const values = new Map<string, CursorPresence>();
    this.remote.set(fileId, values);
    presence.on('receive', (id: string, value: CursorPresence | null) => {
      if (this.listeners.get(fileId) !== presence) return;
      if (value) values.set(id, value);
      else values.delete(id);
      this.emit();
    });
    // Presence errors (a bad peer value) must never reach an unhandled 'error' event.
    presence.on('error', () => {});
    presence.subscribe();
    this.listeners.set(fileId, presence);
    return true;
  }

  private stopListening(fileId: string): void {
    const presence = this.listeners.get(fileId);
    this.listeners.delete(fileId);
    this.remote.delete(fileId);
    if (!presence) return;
    presence.unsubscribe();
    // Drop it from the connection now rather than after the server's ack, so the editor's
    // getDocPresence on this channel creates a DocPresence instead of returning this object.
    const registry = (this.connection as unknown as PresenceInternals)._presences;
    if (registry[presence.channel] === presence) delete registry[presence.channel];
  }
}
