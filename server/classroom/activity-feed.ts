import { EventEmitter } from 'node:events';
import type { Logger } from '../logger';
import type { ActivityDelta, ActivityTracker, WorkspaceActivity } from './activity-tracker';

/**
 * Where processes pool their activity (server/scale/shared-activity.ts, through Redis). Each call
 * answers with the view merged over every live process.
 */
export interface ActivityShare {
  /** Add this process's part of one workspace; resolves to the merged view. */
  publish(delta: ActivityDelta): Promise<WorkspaceActivity>;
  /** The merged views of these workspaces. */
  read(workspaceIds: readonly string[]): Promise<Map<string, WorkspaceActivity>>;
  /** Views that changed without an edit here: a process stopped answering and its users were dropped. */
  onRepaired(listener: (activity: WorkspaceActivity) => void): void;
}

/**
 * The teacher's live grid (LV-1) reads here: `changed` for pushes, `snapshots` for the first load.
 * One process: the tracker's own view. Several (REDIS_URL): every process's tracker feeds the
 * share, and what leaves is the merged view, so a pair whose sockets landed on two processes is
 * shown whole. If Redis fails, the grid gets this process's part rather than nothing.
 */
export class ActivityFeed extends EventEmitter<{ changed: [activity: WorkspaceActivity] }> {
  private readonly onChanged = (activity: WorkspaceActivity, delta: ActivityDelta): void => {
    if (!this.share) {
      this.emit('changed', activity);
      return;
    }
    this.share.publish(delta).then(
      (merged) => this.emit('changed', merged),
      (err: unknown) => {
        this.logger.warn({ err, workspaceId: activity.workspaceId }, 'live activity not shared with other processes; pushing this process\'s part');
        this.emit('changed', activity);
      },
    );
  };

  constructor(
    private readonly tracker: ActivityTracker,
    private readonly share: ActivityShare | null,
    private readonly logger: Logger,
  ) {
    super();
    tracker.on('changed', this.onChanged);
    share?.onRepaired((activity) => this.emit('changed', activity));
  }

  async snapshots(workspaceIds: readonly string[]): Promise<Map<string, WorkspaceActivity>> {
    if (this.share && workspaceIds.length > 0) {
      try {
        return await this.share.read(workspaceIds);
      } catch (err) {
        this.logger.warn({ err }, 'live activity of other processes unavailable; answering with this process\'s part');
      }
    }
    return new Map(workspaceIds.map((id) => [id, this.tracker.snapshot(id)]));
  }

  close(): void {
    this.tracker.off('changed', this.onChanged);
  }
}
