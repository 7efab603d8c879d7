import { performance } from 'node:perf_hooks';

export interface EventLoopFaultSpec {
  /** Each block holds the event loop this long (busy wait). */
  blockMs: number;
  /** Free time between blocks, so existing clients still get a turn. */
  gapMs: number;
  /** Stop by itself after this long, so a forgotten fault cannot outlive a test. */
  forMs: number;
}

/** Upper bounds of a fault, so even an admin cannot wedge the process for good. */
export const MAX_FAULT_BLOCK_MS = 5_000;
export const MAX_FAULT_DURATION_MS = 10 * 60_000;

/**
 * WARNING: test-only. Blocks the event loop on purpose, to prove the watchdog, shedding and
 * readiness work against a real process (P-OPS-7). It exists only when TANDEM_FAULT_INJECTION=1;
 * otherwise its routes are not mounted at all.
 */
export class EventLoopFault {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private until = 0;

  get active(): boolean {
    return this.timer !== null;
  }

  /** Start (or replace) a repeating block of the event loop. */
  start(spec: EventLoopFaultSpec): void {
    this.stop();
    this.until = Date.now() + spec.forMs;
    const tick = () => {
      if (Date.now() >= this.until) {
        this.timer = null;
        return;
      }
      const end = performance.now() + spec.blockMs;
      while (performance.now() < end) {
        // Busy wait: exactly what an accidental synchronous hot loop looks like to the process.
      }
      this.timer = setTimeout(tick, spec.gapMs);
      this.timer.unref();
    };
    this.timer = setTimeout(tick, 0);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
