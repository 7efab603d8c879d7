import { createHash, randomBytes } from 'node:crypto';
import type { RedisClientType } from 'redis';
import { ACTIVITY_WINDOW_MS, type ActivityDelta, type WorkspaceActivity } from '../classroom/activity-tracker';
import type { ActivityShare } from '../classroom/activity-feed';
import type { Logger } from '../logger';
import { answerWithin } from './answer-within';

const PREFIX = 'tandem:activity:';
const PROCESSES_KEY = `${PREFIX}processes`;
/** How long a grid push or load waits for Redis before falling back to this process's part. */
const ANSWER_TIMEOUT_MS = 1000;
/** A workspace's last edit is remembered this long after the last change to it. */
const WORKSPACE_TTL_MS = 24 * 3600_000;

/**
 * One workspace, atomically: apply this process's change, then merge every live process's part.
 * KEYS: 1 the workspace hash, 2 its code points per second plus their sum (~sum), 3 the process
 * heartbeats, 4 the set of workspaces the process named in ARGV[2] has users in, 5 the seconds
 * of 2 in order (a sorted set). The sum is kept as buckets come and go, so a call costs the same
 * after five minutes of typing as after one second: walking 300 buckets per call cost Redis
 * 0.47 ms (bench/shared-activity.ts), and Redis also carries every op between processes.
 * ARGV: 1 mode ('w' write own part, 'x' remove a gone process's part, 'r' read), 2 process id,
 * 3 workspace id, 4 online user ids as JSON ('' leaves them, '[]' removes them), 5 new edits as
 * "second:size,…", 6 last edit time ('' none), 7 last editor, 8 window ms, 9 stale ms, 10 ttl ms.
 * The workspace hash holds ~rev, ~lastAt, ~lastBy and one field per process (its online users).
 * Redis's clock decides what is stale, so processes need not agree on the time.
 */
const MERGE_LUA = `
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[10])
local rev = tonumber(redis.call('HGET', KEYS[1], '~rev') or '0') or 0
local cutoff = nowMs - tonumber(ARGV[8])
if not tonumber(redis.call('HGET', KEYS[2], '~sum') or '0') then redis.call('HSET', KEYS[2], '~sum', 0) end
if ARGV[1] ~= 'r' then
  if ARGV[1] == 'w' then redis.call('ZADD', KEYS[3], nowMs, ARGV[2]) end
  if ARGV[4] == '[]' or ARGV[1] == 'x' then
    redis.call('HDEL', KEYS[1], ARGV[2])
    redis.call('SREM', KEYS[4], ARGV[3])
  elseif ARGV[4] ~= '' then
    redis.call('HSET', KEYS[1], ARGV[2], ARGV[4])
    redis.call('SADD', KEYS[4], ARGV[3])
    redis.call('PEXPIRE', KEYS[4], ttl)
  end
  if ARGV[5] ~= '' then
    for second, size in string.gmatch(ARGV[5], '(%d+):(%d+)') do
      if tonumber(second) >= cutoff then
        if not tonumber(redis.call('HGET', KEYS[2], second) or '0') then redis.call('HDEL', KEYS[2], second) end
        redis.call('HINCRBY', KEYS[2], second, size)
        redis.call('HINCRBY', KEYS[2], '~sum', size)
        redis.call('ZADD', KEYS[5], second, second)
      end
    end
    redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[8]) + 60000)
    redis.call('PEXPIRE', KEYS[5], tonumber(ARGV[8]) + 60000)
  end
  if ARGV[6] ~= '' and tonumber(ARGV[6]) > (tonumber(redis.call('HGET', KEYS[1], '~lastAt') or '0') or 0) then
    redis.call('HSET', KEYS[1], '~lastAt', ARGV[6], '~lastBy', ARGV[7])
  end
  local nowUs = tonumber(t[1]) * 1000000 + tonumber(t[2])
  if nowUs > rev then rev = nowUs else rev = rev + 1 end
  redis.call('HSET', KEYS[1], '~rev', string.format('%.0f', rev))
  redis.call('PEXPIRE', KEYS[1], ttl)
end
local old = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', '(' .. string.format('%.0f', cutoff))
for _, second in ipairs(old) do
  redis.call('HINCRBY', KEYS[2], '~sum', -(tonumber(redis.call('HGET', KEYS[2], second) or '0') or 0))
  redis.call('HDEL', KEYS[2], second)
end
if #old > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', '(' .. string.format('%.0f', cutoff)) end
local recent = math.max(0, tonumber(redis.call('HGET', KEYS[2], '~sum') or '0') or 0)
local lastAt, lastBy, online = '', '', {}
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  local f = fields[i]
  if f == '~lastAt' then lastAt = fields[i + 1]
  elseif f == '~lastBy' then lastBy = fields[i + 1]
  elseif string.sub(f, 1, 1) ~= '~' then
    local seen = redis.call('ZSCORE', KEYS[3], f)
    if seen and tonumber(seen) >= nowMs - tonumber(ARGV[9]) then table.insert(online, fields[i + 1])
    else redis.call('HDEL', KEYS[1], f) end
  end
end
return { string.format('%.0f', rev), lastAt, lastBy, recent, online }
`;

/**
 * Mark this process alive and claim the processes that stopped doing so: each gone process is
 * returned to exactly one caller (ZREM decides), which then removes its users from the grid.
 * KEYS: 1 the process heartbeats. ARGV: 1 process id, 2 stale ms.
 */
const HEARTBEAT_LUA = `
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], nowMs, ARGV[1])
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', nowMs - tonumber(ARGV[2]))
for _, p in ipairs(gone) do redis.call('ZREM', KEYS[1], p) end
return gone
`;

interface Script {
  text: string;
  sha: string;
}

function script(text: string): Script {
  return { text, sha: createHash('sha1').update(text).digest('hex') };
}

const MERGE = script(MERGE_LUA);
const HEARTBEAT = script(HEARTBEAT_LUA);

export interface SharedActivityOptions {
  /** How often this process says it is alive and re-announces who it serves. */
  heartbeatMs: number;
  /** How far back edits count toward recentChange; ACTIVITY_WINDOW_MS unless a test shortens it. */
  windowMs?: number;
  /** Who has which workspace open through this process (ActivityTracker.presence). */
  presence: () => Iterable<{ workspaceId: string; online: string[] }>;
  logger: Logger;
}

/**
 * The live grid across processes (issue 6 §1, "live views"): every process adds its part of a
 * workspace's activity to Redis and pushes the merged view. Edits are facts and add up; who is
 * online is each process's own list, kept only while that process keeps beating. A process
 * that stops (SIGKILL, lost host) is noticed by the others within three heartbeats, and its
 * users leave the grid; a restarted Redis is refilled by the next heartbeat.
 */
export class SharedActivity implements ActivityShare {
  private readonly processId = randomBytes(8).toString('hex');
  private readonly repairedListeners = new Set<(activity: WorkspaceActivity) => void>();
  private timer: NodeJS.Timeout | null = null;
  private beating: Promise<void> | null = null;

  constructor(
    private readonly client: RedisClientType,
    private readonly options: SharedActivityOptions,
  ) {}

  private get staleMs(): number {
    return this.options.heartbeatMs * 3;
  }

  /** First heartbeat now, then every heartbeatMs. */
  async start(): Promise<void> {
    await this.heartbeat();
    this.timer = setInterval(() => {
      this.beating ??= this.heartbeat()
        .catch((err: unknown) => this.options.logger.warn({ err: describe(err) }, 'live activity heartbeat failed'))
        .finally(() => {
          this.beating = null;
        });
    }, this.options.heartbeatMs);
    this.timer.unref();
  }

  onRepaired(listener: (activity: WorkspaceActivity) => void): void {
    this.repairedListeners.add(listener);
  }

  async publish(delta: ActivityDelta): Promise<WorkspaceActivity> {
    return this.merge('w', this.processId, delta.workspaceId, {
      online: JSON.stringify(delta.online),
      edits: delta.edits.map(([second, size]) => `${second}:${size}`).join(','),
      lastEditAt: delta.lastEditAt,
      lastEditBy: delta.lastEditBy,
    });
  }

  async read(workspaceIds: readonly string[]): Promise<Map<string, WorkspaceActivity>> {
    // node-redis sends these in one pipeline.
    const views = await Promise.all(workspaceIds.map((id) => this.merge('r', this.processId, id, {})));
    return new Map(views.map((v) => [v.workspaceId, v]));
  }

  /** Stop beating and take this process's users off the grid (graceful stop). */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.beating;
    try {
      await this.removeProcess(this.processId);
      await answerWithin(this.client.zRem(PROCESSES_KEY, this.processId), ANSWER_TIMEOUT_MS);
    } catch (err) {
      // The others drop this process's users once it has missed three heartbeats.
      this.options.logger.warn({ err: describe(err) }, 'live activity: could not withdraw this process');
    }
  }

  private async heartbeat(): Promise<void> {
    const gone = await this.run(HEARTBEAT, [PROCESSES_KEY], [this.processId, String(this.staleMs)]);
    // Re-announce: refreshes expiry, and refills a Redis that restarted empty.
    await Promise.all([...this.options.presence()].map((p) => this.merge('w', this.processId, p.workspaceId, { online: JSON.stringify(p.online) })));
    for (const processId of Array.isArray(gone) ? gone : []) {
      if (typeof processId !== 'string') continue;
      this.options.logger.info({ process: processId }, 'live activity: a process stopped beating; removing its users from the grid');
      await this.removeProcess(processId);
    }
  }

  /** Remove one process's users from every workspace it had, pushing each corrected view. */
  private async removeProcess(processId: string): Promise<void> {
    const key = processKey(processId);
    const workspaceIds = await answerWithin(this.client.sMembers(key), ANSWER_TIMEOUT_MS);
    const views = await Promise.all(workspaceIds.map((id) => this.merge('x', processId, id, {})));
    await answerWithin(this.client.del(key), ANSWER_TIMEOUT_MS);
    for (const view of views) for (const l of this.repairedListeners) l(view);
  }

  private async merge(
    mode: 'w' | 'x' | 'r',
    processId: string,
    workspaceId: string,
    change: { online?: string; edits?: string; lastEditAt?: number | null; lastEditBy?: string | null },
  ): Promise<WorkspaceActivity> {
    const reply = await this.run(
      MERGE,
      [`${PREFIX}ws:${workspaceId}`, `${PREFIX}edits:${workspaceId}`, PROCESSES_KEY, processKey(processId), `${PREFIX}edit-seconds:${workspaceId}`],
      [
        mode,
        processId,
        workspaceId,
        change.online ?? '',
        change.edits ?? '',
        change.lastEditAt == null ? '' : String(change.lastEditAt),
        change.lastEditBy ?? '',
        String(this.options.windowMs ?? ACTIVITY_WINDOW_MS),
        String(this.staleMs),
        String(WORKSPACE_TTL_MS),
      ],
    );
    return parseMerged(workspaceId, reply);
  }

  /**
   * Every call to Redis here is bounded by ANSWER_TIMEOUT_MS: the feed then shows this process's
   * part, and a stop does not wait for a Redis that is gone.
   */
  private async run(script: Script, keys: string[], args: string[]): Promise<unknown> {
    const call = async (): Promise<unknown> => {
      try {
        return await this.client.evalSha(script.sha, { keys, arguments: args });
      } catch (err) {
        if (!describe(err).startsWith('NOSCRIPT')) throw err;
        return this.client.eval(script.text, { keys, arguments: args });
      }
    };
    return answerWithin(call(), ANSWER_TIMEOUT_MS);
  }
}

function processKey(processId: string): string {
  return `${PREFIX}process:${processId}`;
}

/** What Redis returned is input too: anything malformed counts as absent. */
function parseMerged(workspaceId: string, reply: unknown): WorkspaceActivity {
  const [rev, lastAt, lastBy, recent, onlineLists] = Array.isArray(reply) ? (reply as unknown[]) : [];
  const online = new Set<string>();
  for (const list of Array.isArray(onlineLists) ? onlineLists : []) {
    try {
      const ids: unknown = JSON.parse(String(list));
      if (Array.isArray(ids)) for (const id of ids) if (typeof id === 'string') online.add(id);
    } catch {
      // a malformed part adds no one
    }
  }
  const lastEditAt = Number(lastAt);
  return {
    workspaceId,
    lastEditAt: lastAt !== '' && Number.isFinite(lastEditAt) ? lastEditAt : null,
    lastEditBy: typeof lastBy === 'string' && lastBy !== '' ? lastBy : null,
    recentChange: typeof recent === 'number' && Number.isFinite(recent) ? recent : 0,
    online: [...online].sort(),
    rev: Number.isFinite(Number(rev)) ? Number(rev) : 0,
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
