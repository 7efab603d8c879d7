import { createHash, randomBytes } from 'node:crypto';

/** 32 random bytes: the bearer secret in the session cookie or a reset link. */
export function newSecretToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Only this hash is stored, so a leaked database does not leak live sessions. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** 16 random bytes → 22 URL-safe characters; ids are unguessable. */
export function newId(): string {
  return randomBytes(16).toString('base64url');
}

/** Join codes people type: 8 characters without look-alikes (0/O, 1/I/L). */
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export function newJoinCode(): string {
  const bytes = randomBytes(8);
  let code = '';
  for (const b of bytes) code += CODE_ALPHABET[b % CODE_ALPHABET.length];
  return code;
}
