import { ACTIVITY_WINDOW_MS, ActivityTracker, type ActivityDelta, type WorkspaceActivity } from '../../server/classroom/activity-tracker';

/** LV-1 with issue 6 §1: the tracker's view, and the deltas other processes merge. */
describe('ActivityTracker', () => {
  const T0 = 1_800_000_000_000;
  let tracker: ActivityTracker;
  let events: Array<[WorkspaceActivity, ActivityDelta]>;

  beforeEach(() => {
    jest.useFakeTimers({ now: T0 });
    tracker = new ActivityTracker();
    events = [];
    tracker.on('changed', (a, d) => events.push([a, d]));
  });
  afterEach(() => {
    tracker.close();
    jest.useRealTimers();
  });

  test('edits are counted per second; each change event carries only the edits not reported before', () => {
    tracker.entered('ws1', 'ann');
    tracker.recordEdit('ws1', 'ann', 3, T0 + 100);
    tracker.recordEdit('ws1', 'ann', 4, T0 + 900);
    tracker.recordEdit('ws1', 'bob', 5, T0 + 1200);
    jest.advanceTimersByTime(0);
    expect(events).toHaveLength(1);
    const [a, d] = events[0]!;
    expect(a).toMatchObject({ workspaceId: 'ws1', recentChange: 12, online: ['ann'], lastEditBy: 'bob', lastEditAt: T0 + 1200 });
    expect(d).toEqual({ workspaceId: 'ws1', edits: [[T0, 7], [T0 + 1000, 5]], lastEditAt: T0 + 1200, lastEditBy: 'bob', online: ['ann'] });

    tracker.recordEdit('ws1', 'ann', 2, T0 + 1300);
    jest.advanceTimersByTime(999);
    expect(events).toHaveLength(1); // at most one event per second
    jest.advanceTimersByTime(1);
    expect(events).toHaveLength(2);
    expect(events[1]![0].recentChange).toBe(14);
    expect(events[1]![1].edits).toEqual([[T0 + 1000, 2]]);
  });

  test('rev grows strictly with every event, even when the clock steps back', () => {
    tracker.entered('ws1', 'ann');
    jest.advanceTimersByTime(0);
    tracker.left('ws1', 'ann');
    jest.advanceTimersByTime(1000);
    tracker.entered('ws1', 'ann'); // due in 1 s of timer time…
    jest.setSystemTime(T0 - 60_000); // …while the wall clock is set back a minute
    jest.advanceTimersByTime(1000);
    const revs = events.map(([a]) => a.rev);
    expect(revs).toEqual([T0 * 1000, (T0 + 1000) * 1000, (T0 + 1000) * 1000 + 1]);
    expect(tracker.snapshot('ws1').rev).toBe(revs[2]);
  });

  test('edits leave the window after five minutes; presence lists who has what open here', () => {
    tracker.entered('ws1', 'ann');
    tracker.entered('ws1', 'ann'); // two tabs
    tracker.entered('ws2', 'bob');
    tracker.recordEdit('ws1', 'ann', 10, T0);
    tracker.left('ws1', 'ann');
    expect([...tracker.presence()]).toEqual([
      { workspaceId: 'ws1', online: ['ann'] },
      { workspaceId: 'ws2', online: ['bob'] },
    ]);
    expect(tracker.snapshot('ws1', T0 + ACTIVITY_WINDOW_MS - 1).recentChange).toBe(10);
    expect(tracker.snapshot('ws1', T0 + ACTIVITY_WINDOW_MS + 1000).recentChange).toBe(0);
    tracker.left('ws1', 'ann');
    tracker.left('ws2', 'bob');
    expect([...tracker.presence()]).toEqual([]);
    expect(tracker.openWorkspaces()).toBe(0);
    expect(tracker.snapshot('never-seen')).toEqual({ workspaceId: 'never-seen', lastEditAt: null, lastEditBy: null, recentChange: 0, online: [], rev: 0 });
  });
});
