import { replacesShown } from '../../app/_lib/activity-order';
import type { WorkspaceActivity } from '../../app/_lib/api';

const view = (rev: number, online: string[]): WorkspaceActivity => ({ workspaceId: 'w', lastEditAt: null, lastEditBy: null, recentChange: 0, online, rev });

describe('live grid: which pushed view is shown', () => {
  test('a newer (or equal) rev replaces what is shown; an older one, overtaken on the way, does not', () => {
    expect(replacesShown(undefined, view(1, ['ann']))).toBe(true);
    expect(replacesShown(null, view(0, []))).toBe(true);
    expect(replacesShown(view(5, ['ann', 'bob']), view(6, ['ann']))).toBe(true);
    expect(replacesShown(view(5, ['ann']), view(5, ['ann']))).toBe(true);
    expect(replacesShown(view(6, ['ann']), view(5, ['ann', 'bob']))).toBe(false);
  });
});
