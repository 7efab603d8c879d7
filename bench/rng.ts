/** mulberry32: a small seeded PRNG, so a run's keystroke stream can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Delay to the next event of a Poisson process with `ratePerSecond`, in ms. */
export function poissonDelayMs(rand: () => number, ratePerSecond: number): number {
  return (-Math.log(1 - rand()) / ratePerSecond) * 1000;
}
