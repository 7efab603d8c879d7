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
  /**
   * Orders views of one workspace: a later view has a higher rev, even when it was computed by
   * another process and its push overtook an earlier one on the way (a µs clock reading, bumped
   * to stay strictly increasing). The grid drops a view older than the one it shows.
   */
  rev: number;
}

/**
 * What changed in one workspace on this process since the last `changed` event: what the other
 * processes need to merge this process's part into the shared view (server/scale/shared-activity.ts).
 */
export interface ActivityDelta {
  workspaceId: string;
  /** New edits as [start of their second in ms, code points], oldest first. */
  edits: Array<[second: number, size: number]>;
  lastEditAt: number | null;
  lastEditBy: string | null;
  /** Everyone with the workspace open through this process (the whole list, not a change). */
  online: string[];
}

export const ACTIVITY_WINDOW_MS = 5 * 60_000;
/** At most one update per workspace per second reaches the grid: a typing pair is not a flood. */
const EMIT_INTERVAL_MS = 1000;

interface Entry {
  lastEditAt: number | null;
  lastEditBy: string | null;
  /** Code points per second of the last ACTIVITY_WINDOW_MS, as [second, size], oldest first. */
  edits: Array<[number, number]>;
  /** The same, for edits not yet reported in a `changed` event. */
  unreported: Array<[number, number]>;
  online: Map<string, number>;
  timer: NodeJS.Timeout | null;
  dirtyAt: number;
  rev: number;
}

/**
 * In-memory activity per workspace, fed by committed ops and by who has a workspace open through
 * this process. It is a view, not a record: after a restart the grid starts empty and fills as
 * people type. With several processes each has its own tracker and
 * server/classroom/activity-feed.ts merges them.
 */
export class ActivityTracker extends EventEmitter<{ changed: [activity: WorkspaceActivity, delta: ActivityDelta] }> {
  private readonly entries = new Map<string, Entry>();

  private entry(workspaceId: string): Entry {
    let e = this.entries.get(workspaceId);
    if (!e) {
      e = { lastEditAt: null, lastEditBy: null, edits: [], unreported: [], online: new Map(), timer: null, dirtyAt: 0, rev: 0 };
      this.entries.set(workspaceId, e);
    }
    return e;
  }

  recordEdit(workspaceId: string, userId: string, size: number, now = Date.now()): void {
    const e = this.entry(workspaceId);
    e.lastEditAt = now;
    e.lastEditBy = userId;
    const second = now - (now % 1000);
    addToBucket(e.edits, second, size);
    addToBucket(e.unreported, second, size);
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

  /** Workspaces someone has open through this process right now. */
  openWorkspaces(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.online.size > 0) n++;
    return n;
  }

  /** Who has which workspace open through this process: what a heartbeat re-announces. */
  *presence(): IterableIterator<{ workspaceId: string; online: string[] }> {
    for (const [workspaceId, e] of this.entries) if (e.online.size > 0) yield { workspaceId, online: [...e.online.keys()] };
  }

  snapshot(workspaceId: string, now = Date.now()): WorkspaceActivity {
    const e = this.entries.get(workspaceId);
    if (!e) return { workspaceId, lastEditAt: null, lastEditBy: null, recentChange: 0, online: [], rev: 0 };
    while (e.edits.length && e.edits[0]![0] < now - ACTIVITY_WINDOW_MS) e.edits.shift();
    return {
      workspaceId,
      lastEditAt: e.lastEditAt,
      lastEditBy: e.lastEditBy,
      recentChange: e.edits.reduce((sum, [, size]) => sum + size, 0),
      online: [...e.online.keys()],
      rev: e.rev,
    };
  }

  private schedule(workspaceId: string, e: Entry): void {
    if (e.timer) return;
    const wait = Math.max(0, e.dirtyAt + EMIT_INTERVAL_MS - Date.now());
    e.timer = setTimeout(() => {
      e.timer = null;
      e.dirtyAt = Date.now();
      e.rev = Math.max(e.dirtyAt * 1000, e.rev + 1);
      const delta: ActivityDelta = {
        workspaceId,
        edits: e.unreported,
        lastEditAt: e.lastEditAt,
        lastEditBy: e.lastEditBy,
        online: [...e.online.keys()],
      };
      e.unreported = [];
      this.emit('changed', this.snapshot(workspaceId), delta);
    }, wait);
    e.timer.unref();
  }

  close(): void {
    for (const e of this.entries.values()) if (e.timer) clearTimeout(e.timer);
  }
}

function addToBucket(buckets: Array<[number, number]>, second: number, size: number): void {
  const last = buckets[buckets.length - 1];
  if (last && last[0] === second) last[1] += size;
  else buckets.push([second, size]);
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
