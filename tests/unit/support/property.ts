/**
 * Shared fast-check settings. Runs are seeded so a failure replays exactly: fast-check prints
 * `{ seed, path }` in the failure message; re-run with `TANDEM_SEED=<seed>` to reproduce, and pin
 * the seed in a regression test once it is fixed.
 */
import fc from 'fast-check';

/** The seed of this run: TANDEM_SEED if set, else a fixed default so CI is deterministic. */
export const SEED = process.env.TANDEM_SEED ? Number(process.env.TANDEM_SEED) : 20261128;

/** fast-check parameters with the run's seed. */
export function propertyConfig<T>(numRuns: number, extra: fc.Parameters<T> = {}): fc.Parameters<T> {
  return { seed: SEED, numRuns, ...extra };
}

/**
 * Characters that stress UTF-16 vs code point handling: ASCII, a precomposed and a combining
 * accent, CJK (BMP, 1 unit), astral letters and emoji (2 units, 1 code point), a ZWJ emoji
 * sequence, and newlines.
 */
export const TRICKY_CHARS = ['a', 'b', 'z', ' ', 'é', 'e\u0301', '\u0301', '世', '界', '😀', '𝔘', '👩‍💻', '\n', '{', '\t'];

/** Text made of TRICKY_CHARS (LF line endings). */
export const trickyText = (maxLength = 30): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...TRICKY_CHARS), { maxLength }).map((parts) => parts.join(''));

/** Like trickyText, but may also contain CRLF and lone CR line endings. */
export const trickyTextWithCr = (maxLength = 30): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...TRICKY_CHARS, '\r\n', '\r'), { maxLength }).map((parts) => parts.join(''));
