import { randomBytes } from 'node:crypto';
import type ShareDB from 'sharedb';
import type { Server as IoServer } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient, type RedisClientType } from 'redis';
import type { Logger } from '../logger';

// sharedb-redis-pubsub ships no types; it is a ShareDB PubSub built from two node-redis clients.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const RedisPubSub = require('sharedb-redis-pubsub') as new (options: { client: unknown; observer: unknown }) => ShareDB.PubSub;

/** Channel on which processes tell each other that access decisions must be recomputed. */
const INVALIDATE_CHANNEL = 'tandem:access-invalidate';
/** A readiness probe waits this long for Redis before calling the process not ready. */
const PING_TIMEOUT_MS = 1000;

/**
 * What several Tandem processes share through Redis (issue 6 §1): ShareDB's op and presence
 * pub/sub (`sharedb-redis-pubsub`), Socket.io rooms (`@socket.io/redis-adapter`, so class events,
 * live views and "close this user's sockets" reach every process), and access-cache invalidation.
 * No home-made clustering: these two libraries are the engines. The command client also carries
 * the small shared state of shared-activity.ts (the live grid), claims.ts (retention sweep),
 * http/rate-limits.ts and auth/pending-logins.ts.
 */
export class RedisBus {
  readonly pubsub: ShareDB.PubSub;
  private readonly clients: RedisClientType[] = [];
  private readonly invalidateListeners = new Set<() => void>();
  /** Marks our own invalidation messages, so a process does not react to its own. */
  private readonly processId = randomBytes(8).toString('hex');
  private readonly command: RedisClientType;
  private readonly observer: RedisClientType;

  private constructor(
    private readonly url: string,
    private readonly logger: Logger,
  ) {
    const make = (role: string): RedisClientType => {
      const client = createClient({
        url,
        // Keep retrying with a capped back-off: a Redis restart must not take the process down.
        socket: { reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 3000), connectTimeout: 5000 },
      }) as RedisClientType;
      let down = false;
      client.on('error', (err: unknown) => {
        if (!down) logger.warn({ err: describe(err), role }, 'redis connection error');
        down = true;
      });
      client.on('ready', () => {
        if (down) logger.info({ role }, 'redis connection restored');
        down = false;
      });
      this.clients.push(client);
      return client;
    };
    this.command = make('command');
    this.observer = make('observer');
    this.pubsub = new RedisPubSub({ client: make('sharedb-publish'), observer: make('sharedb-subscribe') });
    (this.pubsub as unknown as NodeJS.EventEmitter).on('error', (err: unknown) => logger.warn({ err: describe(err) }, 'sharedb pubsub error'));
  }

  /** Connect every client; rejects (naming REDIS_URL) if Redis cannot be reached at start-up. */
  static async connect(url: string, logger: Logger): Promise<RedisBus> {
    const bus = new RedisBus(url, logger);
    try {
      await Promise.all([bus.command.connect(), bus.observer.connect()]);
      await bus.observer.subscribe(INVALIDATE_CHANNEL, (message) => {
        if (message === bus.processId) return;
        for (const l of bus.invalidateListeners) l();
      });
    } catch (err) {
      await bus.close();
      throw new Error(`Cannot reach Redis at REDIS_URL (${redactUrl(url)}): ${describe(err)}`);
    }
    return bus;
  }

  /** Route Socket.io rooms through Redis: emits and fetchSockets() see every process. */
  attach(io: IoServer): void {
    const pub = this.command.duplicate();
    const sub = this.command.duplicate();
    for (const [client, role] of [[pub, 'io-publish'], [sub, 'io-subscribe']] as const) {
      client.on('error', (err: unknown) => this.logger.warn({ err: describe(err), role }, 'redis connection error'));
      this.clients.push(client as RedisClientType);
    }
    void Promise.all([pub.connect(), sub.connect()]).catch((err: unknown) => this.logger.warn({ err: describe(err) }, 'socket.io redis adapter could not connect'));
    io.adapter(createAdapter(pub, sub));
  }

  /** A client for shared state of our own (server/scale/shared-activity.ts); closed with the bus. */
  get commandClient(): RedisClientType {
    return this.command;
  }

  /** Tell the other processes to drop their cached access decisions. */
  publishInvalidate(): void {
    this.command.publish(INVALIDATE_CHANNEL, this.processId).catch((err: unknown) => {
      // Other processes keep stale decisions until Redis is back; log loudly (issue 6 §4 makes it not-ready).
      this.logger.error({ err: describe(err) }, 'could not publish access invalidation');
    });
  }

  onRemoteInvalidate(listener: () => void): void {
    this.invalidateListeners.add(listener);
  }

  /** Readiness: Redis answers a PING within PING_TIMEOUT_MS. */
  async ping(): Promise<void> {
    if (!this.command.isReady) throw new Error('redis is not connected');
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.command.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('redis did not answer PING in time')), PING_TIMEOUT_MS);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.pubsub.close(() => resolve()));
    await Promise.all(
      this.clients.map(async (c) => {
        try {
          if (c.isOpen) await c.close();
          else c.destroy();
        } catch {
          // closing anyway
        }
      }),
    );
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Never log a Redis password. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'invalid url';
  }
}
