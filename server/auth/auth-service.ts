import { EventEmitter } from 'node:events';
import type { ClassroomStore, User, UserRole } from '../../prisma-free-db';
import { ErrorCode } from '../../lib/protocol';
import { TandemError } from '../errors';
import type { Logger } from '../logger';
import { dummyPasswordHash, hashPassword, verifyPassword } from './passwords';
import { hashToken, newId, newSecretToken } from './session-tokens';

export interface AuthServiceOptions {
  store: ClassroomStore;
  logger: Logger;
  sessionTtlMs: number;
  resetTtlMs: number;
  /** Public origin used to print password-reset links, e.g. https://tandem.campus.edu */
  publicUrl: string | null;
}

/** What the rest of the server knows about a signed-in request or socket. */
export interface AuthContext {
  user: User;
  tokenHash: string;
  expiresAt: number;
}

export interface AuthEvents {
  /** These sessions ended (logout, password change, account disabled): close their sockets. */
  sessionsEnded: [tokenHashes: string[], reason: 'signed-out' | 'access-changed'];
}

export interface NewAccount {
  email: string;
  password: string | null;
  displayName: string;
  role: UserRole;
  oidcSubject?: string | null;
}

/**
 * Accounts, sessions and password resets. Sessions are random bearer tokens in an httpOnly cookie;
 * the store keeps only their SHA-256. Errors never tell whether an email exists.
 */
export class AuthService extends EventEmitter<AuthEvents> {
  private readonly store: ClassroomStore;
  private readonly logger: Logger;

  constructor(private readonly options: AuthServiceOptions) {
    super();
    this.store = options.store;
    this.logger = options.logger;
  }

  async createAccount(account: NewAccount): Promise<User> {
    const email = normalizeEmail(account.email);
    const existing = await this.store.getUserByEmail(email);
    if (existing) throw new TandemError(ErrorCode.Conflict, 'That email already has an account. Sign in instead.');
    return this.store.createUser({
      id: newId(),
      email,
      displayName: account.displayName.trim(),
      role: account.role,
      passwordHash: account.password === null ? null : await hashPassword(account.password),
      oidcSubject: account.oidcSubject ?? null,
      createdAt: Date.now(),
    });
  }

  /** Email + password → user, or a deliberately vague error. Timing is the same for unknown emails. */
  async checkPassword(email: string, password: string): Promise<User> {
    const user = await this.store.getUserByEmail(normalizeEmail(email));
    const ok = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), password);
    if (!user || !user.passwordHash || !ok) {
      throw new TandemError(ErrorCode.Unauthenticated, 'Wrong email or password.');
    }
    if (user.disabledAt !== null) throw new TandemError(ErrorCode.Forbidden, 'This account is disabled. Ask your administrator.');
    return user;
  }

  /** Start a session; returns the cookie token (shown to nobody else). */
  async startSession(user: User): Promise<{ token: string; expiresAt: number }> {
    const token = newSecretToken();
    const now = Date.now();
    const expiresAt = now + this.options.sessionTtlMs;
    await this.store.createSession({ tokenHash: hashToken(token), userId: user.id, createdAt: now, expiresAt });
    return { token, expiresAt };
  }

  /** The session behind a cookie token, or null when missing, expired, or its user is disabled. */
  async resolveSession(token: string | undefined): Promise<AuthContext | null> {
    if (!token || token.length > 100) return null;
    const tokenHash = hashToken(token);
    const session = await this.store.getSession(tokenHash);
    if (!session) return null;
    if (session.expiresAt <= Date.now()) {
      await this.store.deleteSession(tokenHash);
      return null;
    }
    const user = await this.store.getUser(session.userId);
    if (!user || user.disabledAt !== null) return null;
    return { user, tokenHash, expiresAt: session.expiresAt };
  }

  async endSession(tokenHash: string): Promise<void> {
    await this.store.deleteSession(tokenHash);
    this.emit('sessionsEnded', [tokenHash], 'signed-out');
  }

  /** End every session of a user (password changed, account disabled). */
  async endAllSessions(userId: string): Promise<void> {
    const hashes = await this.store.deleteUserSessions(userId);
    if (hashes.length) this.emit('sessionsEnded', hashes, 'access-changed');
  }

  /**
   * A one-time reset link, valid for resetTtlMs. With no mail configured the link goes to the
   * server log, where the campus admin can pass it on; it is also returned to an admin caller.
   */
  async createResetLink(userId: string): Promise<string> {
    const token = newSecretToken();
    await this.store.createPasswordReset({
      tokenHash: hashToken(token),
      userId,
      expiresAt: Date.now() + this.options.resetTtlMs,
      usedAt: null,
    });
    const link = `${this.options.publicUrl ?? ''}/reset-password?token=${token}`;
    this.logger.info({ userId, link }, 'password reset link (no mail configured: pass it to the user)');
    return link;
  }

  /** Request a reset by email; silent when the email is unknown (no account enumeration). */
  async requestReset(email: string): Promise<void> {
    const user = await this.store.getUserByEmail(normalizeEmail(email));
    if (user && user.disabledAt === null) await this.createResetLink(user.id);
  }

  async resetPassword(token: string, password: string): Promise<User> {
    const userId = await this.store.consumePasswordReset(hashToken(token), Date.now());
    if (!userId) throw new TandemError(ErrorCode.InvalidRequest, 'This reset link is invalid, used or expired. Ask for a new one.');
    const user = await this.store.updateUser(userId, { passwordHash: await hashPassword(password) });
    if (!user) throw new TandemError(ErrorCode.NotFound, 'No such account.');
    await this.endAllSessions(userId);
    return user;
  }

  async setDisabled(userId: string, disabled: boolean): Promise<User> {
    const user = await this.store.updateUser(userId, { disabledAt: disabled ? Date.now() : null });
    if (!user) throw new TandemError(ErrorCode.NotFound, 'No such account.');
    if (disabled) await this.endAllSessions(userId);
    return user;
  }
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** The parts of a user any signed-in client may see. */
export function publicUser(user: User): { id: string; email: string; displayName: string; role: UserRole } {
  return { id: user.id, email: user.email, displayName: user.displayName, role: user.role };
}
