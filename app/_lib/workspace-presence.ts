import type { Connection } from 'sharedb/lib/client';
import { peopleChannel, type PeoplePresence } from '../../lib/protocol';

type Presence = ReturnType<Connection['getPresence']>;
type LocalPresence = ReturnType<Presence['create']>;

/** One person somewhere in the workspace, for the "People" panel and the file tree's dots. */
export interface Peer {
  clientId: string;
  name: string;
  color: string;
  /** The file they have open, or null. */
  fileId: string | null;
}

/**
 * Who is in which file, on the workspace's people channel (P-PRES-5): one plain presence
 * subscription per tab, whatever the number of files. Cursors inside the open file are the
 * editor's business (RemoteCursors, on the file's own channel).
 */
export class WorkspacePresence {
  private readonly presence: Presence;
  private readonly local: LocalPresence;
  /** presence id → value, for everyone else on the channel. */
  private readonly remote = new Map<string, PeoplePresence>();
  private files: Set<string> | null = null;
  private openFileId: string | null = null;
  private disposed = false;
  private readonly onState = (state: string) => {
    // Peers who left while we were away never send their `null`: start over; the
    // resubscription asks everyone still here to announce themselves again.
    if (state !== 'connected') {
      this.remote.clear();
      this.emit();
    }
  };

  constructor(
    private readonly connection: Connection,
    workspaceId: string,
    private readonly self: { clientId: string; name: string; color: string },
    private readonly onChange: (peers: Peer[]) => void,
  ) {
    this.presence = connection.getPresence(peopleChannel(workspaceId));
    // A bad value from a peer must never become an unhandled 'error' event.
    this.presence.on('error', () => {});
    this.presence.on('receive', (id: string, value: PeoplePresence | null) => {
      if (value) this.remote.set(id, value);
      else this.remote.delete(id);
      this.emit();
    });
    this.presence.subscribe();
    this.local = this.presence.create();
    connection.on('state', this.onState);
    this.publish();
  }

  /** The workspace's current file ids (from the live workspace doc); hides peers in deleted files. */
  setFiles(fileIds: Iterable<string>): void {
    this.files = new Set(fileIds);
    this.emit();
  }

  /** The file this tab has open (null for none); peers see it in their people list. */
  setOpenFile(fileId: string | null): void {
    if (fileId === this.openFileId) return;
    this.openFileId = fileId;
    this.publish();
  }

  dispose(): void {
    this.disposed = true;
    this.connection.off('state', this.onState);
    this.local.destroy();
    this.presence.unsubscribe();
  }

  /** Everyone but us, one entry per person (several tabs of one person count once). */
  peers(): Peer[] {
    const byClient = new Map<string, Peer>();
    for (const p of this.remote.values()) {
      if (p.clientId === this.self.clientId) continue;
      const fileId = p.fileId && (!this.files || this.files.has(p.fileId)) ? p.fileId : null;
      const known = byClient.get(p.clientId);
      if (!known || (!known.fileId && fileId)) byClient.set(p.clientId, { clientId: p.clientId, name: p.name, color: p.color, fileId });
    }
    return [...byClient.values()].sort((a, b) => a.name.localeCompare(b.name) || a.clientId.localeCompare(b.clientId));
  }

  private publish(): void {
    if (this.disposed) return;
    const value: PeoplePresence = { ...this.self, fileId: this.openFileId };
    // Submitted while offline, ShareDB sends it on reconnect.
    this.local.submit(value, () => {});
  }

  private emit(): void {
    if (!this.disposed) this.onChange(this.peers());
  }
}
