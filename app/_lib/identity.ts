import { MAX_DISPLAY_NAME_LENGTH } from '../../lib/limits';

/** Why a display name is unacceptable (shown under the input), or null when it is fine. */
export function displayNameProblem(name: string): string | null {
  const trimmed = name.trim();
  if (trimmed.length === 0) return 'Please enter your name.';
  if ([...trimmed].length > MAX_DISPLAY_NAME_LENGTH) return `Names are at most ${MAX_DISPLAY_NAME_LENGTH} characters.`;
  return null;
}

/** Up to two initials for an avatar ("Ada Lovelace" → "AL"; "李雷" → "李雷"). */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return '?';
  if (words.length === 1) return [...words[0]!].slice(0, 2).join('').toUpperCase();
  return ([...words[0]!][0]! + [...words[words.length - 1]!][0]!).toUpperCase();
}
