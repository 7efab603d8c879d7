import { EventEmitter } from 'node:events';

/** Live activity of one workspace, as the teacher's grid shows it (LV-1). */
export interface WorkspaceActivity {
  workspaceId: string;
  lastEditAt: number | null;
  lastEditBy: string | null;
  /** Code points inserted + deleted in the last ACTIVITY_WINDOW_MS. */
  recentChange: number;
  /** User ids with the workspace open right now. */
  online: string[];
}

export const ACTIVITY_WINDOW_MS = 5 * 60_000;
/** At most one update per workspace per second reaches the grid: a typing pair is not a flood. */
const EMIT_INTERVAL_MS = 1000;

interface Entry {
  lastEditAt: number | null;
  lastEditBy: string | null;
  /** [time, size] of recent edits, oldest first. */
  edits: Array<[number, number]>;
  online: Map<string, number>;
  timer: NodeJS.Timeout | null;
  dirtyAt: number;
}

/**
 * In-memory activity per workspace, fed by committed ops and by who has a workspace open. It is
 * a view, not a record: after a restart the grid starts empty and fills as people type.
 */
export class ActivityTracker extends EventEmitter<{ changed: [activity: WorkspaceActivity] }> {
  private readonly entries = new Map<string, Entry>();

  private entry(workspaceId: string): Entry {
    let e = this.entries.get(workspaceId);
    if (!e) {
      e = { lastEditAt: null, lastEditBy: null, edits: [], online: new Map(), timer: null, dirtyAt: 0 };
      this.entries.set(workspaceId, e);
    }
    return e;
  }

  recordEdit(workspaceId: string, userId: string, size: number, now = Date.now()): void {
    const e = this.entry(workspaceId);
    e.lastEditAt = now;
    e.lastEditBy = userId;
    e.edits.push([now, size]);
    if (e.edits.length > 5000) e.edits.splice(0, e.edits.length - 5000);
    this.schedule(workspaceId, e);
  }

  entered(workspaceId: string, userId: string): void {
    const e = this.entry(workspaceId);
    e.online.set(userId, (e.online.get(userId) ?? 0) + 1);
    this.schedule(workspaceId, e);
  }

  left(workspaceId: string, userId: string): void {
    const e = this.entries.get(workspaceId);
    if (!e) return;
    const n = (e.online.get(userId) ?? 1) - 1;
    if (n <= 0) e.online.delete(userId);
    else e.online.set(userId, n);
    this.schedule(workspaceId, e);
  }

  /** Workspaces someone has open right now. */
  openWorkspaces(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.online.size > 0) n++;
    return n;
  }

  snapshot(workspaceId: string, now = Date.now()): WorkspaceActivity {
    const e = this.entries.get(workspaceId);
    if (!e) return { workspaceId, lastEditAt: null, lastEditBy: null, recentChange: 0, online: [] };
    while (e.edits.length && e.edits[0]![0] < now - ACTIVITY_WINDOW_MS) e.edits.shift();
    return {
      workspaceId,
      lastEditAt: e.lastEditAt,
      lastEditBy: e.lastEditBy,
      recentChange: e.edits.reduce((sum, [, size]) => sum + size, 0),
      online: [...e.online.keys()],
    };
  }

  private schedule(workspaceId: string, e: Entry): void {
    if (e.timer) return;
    const wait = Math.max(0, e.dirtyAt + EMIT_INTERVAL_MS - Date.now());
    e.timer = setTimeout(() => {
      e.timer = null;
      e.dirtyAt = Date.now();
      this.emit('changed', this.snapshot(workspaceId));
    }, wait);
    e.timer.unref();
  }

  close(): void {
    for (const e of this.entries.values()) if (e.timer) clearTimeout(e.timer);
  }
}

/** Size of a text-unicode op: code points inserted plus deleted. */
export function textOpSize(op: unknown): number {
  if (!Array.isArray(op)) return 0;
  let size = 0;
  for (const c of op) {
    if (typeof c === 'string') size += [...c].length;
    else if (c && typeof c === 'object' && typeof (c as { d?: unknown }).d === 'number') size += (c as { d: number }).d;
    else if (c && typeof c === 'object' && typeof (c as { d?: unknown }).d === 'string') size += [...(c as { d: string }).d].length;
  }
  return size;
}
