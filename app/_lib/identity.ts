import { MAX_DISPLAY_NAME_LENGTH } from '../../lib/limits';
import { ID_PATTERN } from '../../lib/protocol';

/** Who this browser profile is: a random, stable id and the name classmates see. */
export interface Identity {
  clientId: string;
  displayName: string;
}

const STORAGE_KEY = 'tandem.identity';

/** 16 random bytes as base64url: 22 characters, matching the handshake's `[A-Za-z0-9_-]{6,64}`. */
export function newClientId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Why a display name is unacceptable (shown under the input), or null when it is fine. */
export function displayNameProblem(name: string): string | null {
  const trimmed = name.trim();
  if (trimmed.length === 0) return 'Please enter a name.';
  if ([...trimmed].length > MAX_DISPLAY_NAME_LENGTH) return `Names are at most ${MAX_DISPLAY_NAME_LENGTH} characters.`;
  return null;
}

/**
 * The stored identity, or a fresh client id with no name yet (the page then asks for one).
 * The client id is written at once so it stays stable even if the name prompt is abandoned.
 */
export function loadIdentity(): { clientId: string; displayName: string | null } {
  let stored: Partial<Identity> = {};
  try {
    stored = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}') as Partial<Identity>;
  } catch {
    // A hand-edited or corrupt entry: start over with a new id.
  }
  const clientId = typeof stored.clientId === 'string' && ID_PATTERN.test(stored.clientId) ? stored.clientId : newClientId();
  const displayName =
    typeof stored.displayName === 'string' && displayNameProblem(stored.displayName) === null ? stored.displayName.trim() : null;
  saveIdentity({ clientId, displayName: displayName ?? '' });
  return { clientId, displayName };
}

export function saveIdentity(identity: Identity): void {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ clientId: identity.clientId, displayName: identity.displayName.trim() }));
  } catch {
    // Private mode or a full quota: the identity lasts for this tab only.
  }
}

/** Up to two initials for an avatar ("Ada Lovelace" → "AL"; "李雷" → "李雷"). */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return '?';
  if (words.length === 1) return [...words[0]!].slice(0, 2).join('').toUpperCase();
  return ([...words[0]!][0]! + [...words[words.length - 1]!][0]!).toUpperCase();
}
