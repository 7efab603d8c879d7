import { createClient, type RedisClientType } from 'redis';
import { loadConfig } from '../../server/config';
import { createLogger } from '../../server/logger';
import { SharedActivity } from '../../server/scale/shared-activity';
import { ActivityFeed } from '../../server/classroom/activity-feed';
import { ActivityTracker, type WorkspaceActivity } from '../../server/classroom/activity-tracker';
import { RedisProcess, describeWithRedis } from '../helpers/redis-server';
import { waitFor } from '../helpers/clients';

/**
 * Issue 6 §1, live views across processes, against a real Redis: each SharedActivity here stands
 * for one process. Their parts merge (online users unite, edits add up, the newest edit wins), a
 * process that stops beating loses its users, a restarted Redis is refilled, and what Redis
 * holds is never trusted blindly.
 */
describeWithRedis('SharedActivity on a real Redis', () => {
  const logger = createLogger('silent');
  let redis: RedisProcess;
  const clients: RedisClientType[] = [];
  const shares: SharedActivity[] = [];

  const connect = async (): Promise<RedisClientType> => {
    const c = createClient({ url: redis.url }) as RedisClientType;
    c.on('error', () => {});
    await c.connect();
    clients.push(c);
    return c;
  };
  /** One "process": its own client, heartbeat and presence. */
  const processWith = async (presence: Array<{ workspaceId: string; online: string[] }>, heartbeatMs = 60_000, start = true, windowMs?: number) => {
    const share = new SharedActivity(await connect(), { heartbeatMs, presence: () => presence, logger, ...(windowMs ? { windowMs } : {}) });
    if (start) await share.start();
    shares.push(share);
    return share;
  };

  beforeAll(async () => {
    redis = await RedisProcess.start();
  });
  afterEach(async () => {
    for (const s of shares.splice(0)) await s.close().catch(() => {});
    for (const c of clients.splice(0)) await c.close().catch(() => {});
  });
  afterAll(async () => {
    await redis?.stop();
  });

  test('two processes\' parts merge: online users unite, edits add up, the newest edit wins, rev orders the views', async () => {
    const a = await processWith([]);
    const b = await processWith([]);
    const t = Date.now();
    const s = t - (t % 1000);
    const v1 = await a.publish({ workspaceId: 'w-merge', edits: [[s, 5]], lastEditAt: t, lastEditBy: 'ann', online: ['ann'] });
    expect(v1).toMatchObject({ workspaceId: 'w-merge', online: ['ann'], recentChange: 5, lastEditAt: t, lastEditBy: 'ann' });
    const v2 = await b.publish({ workspaceId: 'w-merge', edits: [[s, 7]], lastEditAt: t - 10, lastEditBy: 'bob', online: ['bob', 'ann'] });
    expect(v2.online.sort()).toEqual(['ann', 'bob']);
    expect(v2).toMatchObject({ recentChange: 12, lastEditAt: t, lastEditBy: 'ann' }); // bob's edit was older
    expect(v2.rev).toBeGreaterThan(v1.rev);
    // Ann closes her tab on process a: bob is still online through b, and so is ann (second tab on b).
    const v3 = await a.publish({ workspaceId: 'w-merge', edits: [], lastEditAt: t, lastEditBy: 'ann', online: [] });
    expect(v3.online.sort()).toEqual(['ann', 'bob']);
    expect(v3.rev).toBeGreaterThan(v2.rev);
    const read = await a.read(['w-merge', 'w-unknown']);
    expect(read.get('w-merge')).toEqual({ ...v3, rev: v3.rev }); // a read does not move rev
    expect(read.get('w-unknown')).toMatchObject({ online: [], recentChange: 0, lastEditAt: null, lastEditBy: null });
  });

  test('edits older than five minutes leave the sum', async () => {
    const a = await processWith([]);
    const now = Date.now();
    const old = now - 6 * 60_000;
    const v = await a.publish({ workspaceId: 'w-window', edits: [[old - (old % 1000), 100], [now - (now % 1000), 3]], lastEditAt: now, lastEditBy: 'ann', online: ['ann'] });
    expect(v.recentChange).toBe(3);
  });

  test('the running sum follows buckets as they leave the window, whichever process wrote them', async () => {
    // A 1.5 s window: edits written now must be out of the sum two seconds later.
    const a = await processWith([], 60_000, true, 1500);
    const b = await processWith([], 60_000, true, 1500);
    const second = () => {
      const now = Date.now();
      return now - (now % 1000);
    };
    const s0 = second();
    await a.publish({ workspaceId: 'w-sum', edits: [[s0, 5]], lastEditAt: Date.now(), lastEditBy: 'ann', online: ['ann'] });
    expect((await b.publish({ workspaceId: 'w-sum', edits: [[s0, 2]], lastEditAt: Date.now(), lastEditBy: 'bob', online: ['bob'] })).recentChange).toBe(7);
    await new Promise((r) => setTimeout(r, 2600));
    const s1 = second();
    expect((await a.publish({ workspaceId: 'w-sum', edits: [[s1, 4]], lastEditAt: Date.now(), lastEditBy: 'ann', online: ['ann'] })).recentChange).toBe(4);
    await new Promise((r) => setTimeout(r, 2600));
    expect((await b.read(['w-sum'])).get('w-sum')!.recentChange).toBe(0); // a read prunes too
    const raw = await connect();
    expect(await raw.zCard('tandem:activity:edit-seconds:w-sum')).toBe(0);
    expect(await raw.hGetAll('tandem:activity:edits:w-sum')).toEqual({ '~sum': '0' });
  });

  test('a process that stops beating loses its users from the grid, pushed as a repaired view', async () => {
    // "b" publishes once and then dies without a word (it never starts its heartbeat).
    const b = await processWith([], 60_000, false);
    await b.publish({ workspaceId: 'w-gone', edits: [], lastEditAt: null, lastEditBy: null, online: ['bob'] });
    const repaired: WorkspaceActivity[] = [];
    const a = await processWith([{ workspaceId: 'w-gone', online: ['ann'] }], 100, false);
    a.onRepaired((v) => repaired.push(v));
    expect((await a.read(['w-gone'])).get('w-gone')!.online).toEqual(['bob']);
    await a.start(); // stale after 3 × 100 ms
    await waitFor(() => repaired.some((v) => v.workspaceId === 'w-gone'), 'a repaired view', 5000);
    const view = repaired.find((v) => v.workspaceId === 'w-gone')!;
    expect(view.online).toEqual(['ann']);
    expect((await a.read(['w-gone'])).get('w-gone')!.online).toEqual(['ann']);
  });

  test('a graceful close takes the process\'s users off at once; a restarted Redis is refilled by the next heartbeat', async () => {
    const a = await processWith([{ workspaceId: 'w-restart', online: ['ann'] }], 100);
    const b = await processWith([{ workspaceId: 'w-restart', online: ['bob'] }], 100);
    expect((await a.read(['w-restart'])).get('w-restart')!.online.sort()).toEqual(['ann', 'bob']);
    await clients[0]!.flushAll();
    expect((await a.read(['w-restart'])).get('w-restart')!.online).toEqual([]);
    const until = Date.now() + 5000;
    while ((await a.read(['w-restart'])).get('w-restart')!.online.length !== 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect((await a.read(['w-restart'])).get('w-restart')!.online.sort()).toEqual(['ann', 'bob']);
    await b.close();
    expect((await a.read(['w-restart'])).get('w-restart')!.online).toEqual(['ann']);
  });

  test('a stop while Redis is gone does not wait for it', async () => {
    const a = await processWith([{ workspaceId: 'w-stop', online: ['ann'] }], 60_000);
    await a.publish({ workspaceId: 'w-stop', edits: [], lastEditAt: null, lastEditBy: null, online: ['ann'] });
    await redis.stop();
    try {
      const started = Date.now();
      await a.close();
      expect(Date.now() - started).toBeLessThan(4000);
    } finally {
      await redis.start();
    }
  });

  test('malformed data in Redis adds no one and breaks nothing', async () => {
    const a = await processWith([]);
    const raw = await connect();
    await raw.zAdd('tandem:activity:processes', { score: Date.now() + 60_000, value: 'bogus' });
    await raw.hSet('tandem:activity:ws:w-bad', { bogus: 'not json', '~lastAt': 'soon', '~rev': 'x' });
    const second = Date.now() - (Date.now() % 1000);
    await raw.hSet('tandem:activity:edits:w-bad', { '~sum': 'lots', [String(second)]: 'many' });
    const v = (await a.read(['w-bad'])).get('w-bad')!;
    expect(v).toMatchObject({ online: [], lastEditAt: null, rev: 0 });
    const after = await a.publish({ workspaceId: 'w-bad', edits: [[second, 6]], lastEditAt: 5, lastEditBy: 'ann', online: ['ann'] });
    expect(after).toMatchObject({ online: ['ann'], recentChange: 6 });
  });

  test('the feed pushes merged views, and falls back to this process\'s part when Redis is gone', async () => {
    const tracker = new ActivityTracker();
    const a = await processWith([]);
    const b = await processWith([]);
    await b.publish({ workspaceId: 'w-feed', edits: [], lastEditAt: null, lastEditBy: null, online: ['bob'] });
    const feed = new ActivityFeed(tracker, a, logger);
    const pushed: WorkspaceActivity[] = [];
    feed.on('changed', (v) => pushed.push(v));
    tracker.entered('w-feed', 'ann');
    await waitFor(() => pushed.length === 1, 'a merged push', 5000);
    expect(pushed[0]!.online.sort()).toEqual(['ann', 'bob']);
    expect((await feed.snapshots(['w-feed'])).get('w-feed')!.online.sort()).toEqual(['ann', 'bob']);

    await redis.stop();
    try {
      tracker.recordEdit('w-feed', 'ann', 4);
      await waitFor(() => pushed.length === 2, 'a local push while Redis is down', 5000);
      expect(pushed[1]).toMatchObject({ online: ['ann'], recentChange: 4 });
      expect((await feed.snapshots(['w-feed'])).get('w-feed')).toMatchObject({ online: ['ann'], recentChange: 4 });
    } finally {
      feed.close();
      tracker.close();
      await redis.start();
    }
  });
});

describe('SCALE_HEARTBEAT_SECONDS', () => {
  test('defaults to 10 s, takes fractions, and nonsense is refused at boot naming the variable', () => {
    expect(loadConfig({}).scaleHeartbeatMs).toBe(10_000);
    expect(loadConfig({ SCALE_HEARTBEAT_SECONDS: '0.5' }).scaleHeartbeatMs).toBe(500);
    expect(() => loadConfig({ SCALE_HEARTBEAT_SECONDS: '0' })).toThrow(/SCALE_HEARTBEAT_SECONDS/);
    expect(() => loadConfig({ SCALE_HEARTBEAT_SECONDS: 'often' })).toThrow(/SCALE_HEARTBEAT_SECONDS/);
  });
});
