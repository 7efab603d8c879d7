import { ErrorCode, type ConnectRefusal } from '../../lib/protocol';

/** Why new sockets are refused right now (a bounded set: it is also a metrics label). */
export type ShedReason = ConnectRefusal['reason'];

export interface LoadShedderOptions {
  /**
   * LOAD_SHEDDING: act on overload and anomalies (refuse new sockets, report not ready). Off,
   * they are only measured, exported and announced. A drain is an operator's order and always acts.
   */
  enabled: boolean;
  /** Refused handshakes are told to retry after a delay uniform in [base, 2·base) (SHED_RETRY_AFTER_SECONDS). */
  retryAfterMs: number;
  /** Injected for tests. */
  random?: () => number;
}

/**
 * P-OPS-4: the one place that decides whether a new socket may join. Causes are named
 * (`event-loop`, `commit-latency`, `error-rate`, …) and switched on and off by the watchdog and
 * the anomaly detector; `draining` is switched on by the drain endpoint. Existing sockets are
 * never touched here: only handshakes and readiness consult the shedder.
 */
export class LoadShedder {
  private readonly causes = new Set<string>();
  private drainingValue = false;
  private readonly random: () => number;

  constructor(private readonly options: LoadShedderOptions) {
    this.random = options.random ?? Math.random;
  }

  /** Turn a named cause of overload on or off. */
  set(cause: string, active: boolean): void {
    if (active) this.causes.add(cause);
    else this.causes.delete(cause);
  }

  /** From now on refuse every new socket and report not ready; there is no way back but a restart. */
  startDraining(): void {
    this.drainingValue = true;
  }

  get draining(): boolean {
    return this.drainingValue;
  }

  /** New sockets are being refused (for any reason). */
  get shedding(): boolean {
    return this.drainingValue || (this.options.enabled && this.causes.size > 0);
  }

  /** Causes that make `/readyz` answer 503, as names for its `down` list (P-OPS-1). */
  notReadyCauses(): string[] {
    return this.options.enabled ? [...this.causes].sort() : [];
  }

  /** Active causes whether or not shedding is enabled (logs, metrics). */
  activeCauses(): string[] {
    return [...this.causes].sort();
  }

  /** `null` when a new socket may join; otherwise why not and when to try again. */
  admit(): ConnectRefusal | null {
    if (!this.shedding) return null;
    const base = this.options.retryAfterMs;
    return {
      code: ErrorCode.Unavailable,
      reason: this.drainingValue ? 'draining' : 'overloaded',
      retryAfterMs: Math.floor(base + this.random() * base),
    };
  }
}

/**
 * The error a Socket.io `io.use` middleware passes to `next()` for a refused handshake: the client
 * gets a `connect_error` whose message starts with `unavailable` and whose `data` is the refusal.
 */
export function refusalError(refusal: ConnectRefusal): Error & { data: ConnectRefusal } {
  const what = refusal.reason === 'draining' ? 'this server is draining' : 'the server is busy';
  const seconds = Math.max(1, Math.round(refusal.retryAfterMs / 1000));
  return Object.assign(new Error(`unavailable: ${what}; retry in ${seconds} s`), { data: refusal });
}
