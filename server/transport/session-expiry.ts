/**
 * Sweeps after this long at the earliest once a sweep has closed sockets, so sessions that end
 * close together (a class that signed in at 8:00) cost one pass over the sockets a second, not
 * one per session.
 */
const MIN_SWEEP_GAP_MS = 1000;
/** setTimeout's longest delay; a later expiry is re-armed for when this one fires. */
const MAX_DELAY_MS = 2 ** 31 - 1;

export interface SessionExpiryOptions<S> {
  /** This process's connected sockets. */
  sockets: () => Iterable<S>;
  /** When the session behind `socket` ends (epoch ms). */
  expiresAt: (socket: S) => number;
  /** Close `socket`: its session has ended. */
  expire: (socket: S) => void;
  /** Epoch ms; `Date.now` by default. */
  now?: () => number;
}

/**
 * AU-4 (a socket does not outlive its session) for every socket of the process with one timer.
 * The timer is armed for the earliest session end among the sockets it was told about; when it
 * fires it closes every connected socket whose session has ended and re-arms for the next one.
 * A sweep never closes a socket early; after a sweep that closed something the next one waits
 * `MIN_SWEEP_GAP_MS`, so a socket can then be closed up to that much late.
 *
 * One timer per socket cost about 250 bytes per idle connection: the Timeout, its closure and a
 * timer list of its own (Node groups timers by delay, and every session ends at another
 * millisecond). A disconnected socket needs no clean-up here: sweeps only see connected ones.
 */
export class SessionExpiry<S> {
  private timer: NodeJS.Timeout | null = null;
  /** When the armed timer fires (epoch ms); Infinity when none is armed. */
  private armedFor = Infinity;
  /** No sweep before this (epoch ms): the gap after a sweep that closed sockets. */
  private quietUntil = 0;
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly options: SessionExpiryOptions<S>) {
    this.now = options.now ?? Date.now;
  }

  /** A socket whose session ends at `expiresAt` has connected. */
  track(expiresAt: number): void {
    this.arm(expiresAt);
  }

  /** Stop (shutdown). */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.armedFor = Infinity;
  }

  private arm(expiresAt: number): void {
    const at = Math.max(expiresAt, this.quietUntil);
    if (this.closed || at >= this.armedFor) return;
    if (this.timer) clearTimeout(this.timer);
    this.armedFor = at;
    this.timer = setTimeout(() => this.sweep(), Math.min(Math.max(0, at - this.now()), MAX_DELAY_MS));
    // Sockets keep the process alive, not their sessions' ends.
    this.timer.unref();
  }

  private sweep(): void {
    this.timer = null;
    this.armedFor = Infinity;
    if (this.closed) return;
    const now = this.now();
    let next = Infinity;
    const ended: S[] = [];
    for (const socket of this.options.sockets()) {
      const expiresAt = this.options.expiresAt(socket);
      if (expiresAt <= now) ended.push(socket);
      else if (expiresAt < next) next = expiresAt;
    }
    // Closed after the pass: closing a socket may remove it from the collection being iterated.
    for (const socket of ended) this.options.expire(socket);
    if (ended.length > 0) this.quietUntil = now + MIN_SWEEP_GAP_MS;
    if (next !== Infinity) this.arm(next);
  }
}
