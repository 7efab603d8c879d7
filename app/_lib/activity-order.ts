import type { WorkspaceActivity } from './api';

/**
 * Whether a pushed view of a workspace should replace the one shown. With several server
 * processes each pushes the merged view it computed, and two pushes can overtake each other on
 * the way; the one with the lower rev was computed earlier and is dropped.
 */
export function replacesShown(shown: WorkspaceActivity | null | undefined, pushed: WorkspaceActivity): boolean {
  return !shown || pushed.rev >= shown.rev;
}
