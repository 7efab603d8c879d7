import { EventLoopDelaySampler, EventLoopWatchdog } from '../../server/observability/event-loop-watchdog';

describe('EventLoopWatchdog (P-OPS-2)', () => {
  function watchdog() {
    let t = 0;
    const dog = new EventLoopWatchdog({ limitMs: 200, sustainMs: 3000, clock: () => t });
    const flips: boolean[] = [];
    dog.onChange((overloaded) => flips.push(overloaded));
    /** One sample per second. */
    const feed = (...p99s: number[]) => {
      for (const p of p99s) {
        t += 1000;
        dog.observe(p);
      }
    };
    return { dog, flips, feed };
  }

  test('[P-OPS-2] overloaded only when the p99 stays over the limit for the sustained window', () => {
    const { dog, flips, feed } = watchdog();
    feed(10, 10, 500, 500);
    expect(dog.overloaded).toBe(false);
    feed(500);
    expect(dog.overloaded).toBe(true);
    expect(dog.p99Ms).toBe(500);
    expect(flips).toEqual([true]);
  });

  test('[P-OPS-2] a short burst (one slow GC) does not flip readiness', () => {
    const { dog, flips, feed } = watchdog();
    feed(10, 900, 900, 10, 900, 900, 10, 900);
    expect(dog.overloaded).toBe(false);
    expect(flips).toEqual([]);
  });

  test('[P-OPS-2] recovers only after the p99 stays under the limit for the sustained window', () => {
    const { dog, flips, feed } = watchdog();
    feed(10, 500, 500, 500);
    expect(dog.overloaded).toBe(true);
    feed(10, 10, 500, 10, 10);
    expect(dog.overloaded).toBe(true);
    feed(10);
    expect(dog.overloaded).toBe(false);
    expect(flips).toEqual([true, false]);
  });

  test('[P-OPS-2] the sampler reports a blocked loop (histogram p99 and timer drift)', async () => {
    const samples: number[] = [];
    const sampler = new EventLoopDelaySampler(20, (p) => samples.push(p));
    sampler.start();
    try {
      await new Promise((r) => setTimeout(r, 60));
      const end = Date.now() + 150;
      while (Date.now() < end) {
        // block the loop
      }
      await new Promise((r) => setTimeout(r, 60));
    } finally {
      sampler.stop();
    }
    expect(samples.length).toBeGreaterThan(1);
    expect(Math.max(...samples)).toBeGreaterThanOrEqual(100);
  });
});
