import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * The one place environment variables are read. `loadConfig` validates everything at boot and
 * throws a ConfigError naming each bad variable, so a misconfigured container stops with a clear
 * message instead of failing on the first request.
 */

const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'])
  .transform((v) => v === '1' || v === 'true' || v === 'yes' || v === 'on');

const originList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.url({ protocol: /^https?$/ }).transform((u) => new URL(u).origin)));

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('production'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  /** Directory of the embedded SQLite store. Relative paths resolve against the working directory. */
  DATA_DIR: z.string().min(1).default('./data'),
  /** When set, MongoDB (sharedb-mongo) is the store instead of embedded SQLite. */
  MONGODB_URL: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://')
    .optional(),
  /** WARNING: NORMAL survives a process crash but may lose the last commits on power loss. */
  SQLITE_SYNCHRONOUS: z.enum(['NORMAL', 'FULL']).default('NORMAL'),
  /** Extra browser origins allowed to open a socket; the server's own origin is always allowed. */
  ALLOWED_ORIGINS: originList.default([]),
  /** Serve the Next.js UI from this process. Off only for socket/API-only test and bench runs. */
  UI_ENABLED: bool.default(true),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Sustained ShareDB messages per second per socket before it is disconnected (P-LIM-4). */
  SOCKET_MESSAGES_PER_SECOND: z.coerce.number().int().min(1).max(100_000).optional(),
  /** Save a milestone snapshot every N versions of a doc, so old versions load fast. */
  MILESTONE_INTERVAL: z.coerce.number().int().min(10).max(100_000).default(500),
  /** A single insert of at least this many characters not found in the workspace is a paste signal for the teacher. */
  PASTE_SIGNAL_MIN_CHARS: z.coerce.number().int().min(10).max(1_000_000).default(120),
  /** How often to look for assignments whose keystroke history is due for compaction (op retention). */
  RETENTION_SWEEP_SECONDS: z.coerce.number().min(0.1).max(86_400).default(3600),
  /** The address people use to reach Tandem (links in logs, SSO redirect). Https turns on secure cookies. */
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).transform((u) => new URL(u).origin).optional(),
  /** Send the session cookie over HTTPS only. Defaults to on when PUBLIC_URL is https. */
  COOKIE_SECURE: bool.optional(),
  /** How long a sign-in lasts. */
  SESSION_TTL_HOURS: z.coerce.number().min(0.001).max(24 * 90).default(24 * 14),
  /** Who may create a teacher account without an admin: `open` (anyone) or `closed`. */
  TEACHER_SIGNUP: z.enum(['open', 'closed']).default('open'),
  /** Sign-in attempts per email+address per 15 minutes before a lockout. */
  LOGIN_ATTEMPTS_PER_15_MIN: z.coerce.number().int().min(1).max(10_000).default(10),
  /** Create this admin at start-up if no account with this email exists (first run). */
  ADMIN_EMAIL: z.email().optional(),
  /** Password of ADMIN_EMAIL (at least 10 characters); only used to create the account. */
  ADMIN_PASSWORD: z.string().min(10).max(200).optional(),
  /** Several processes share ShareDB pub/sub, Socket.io rooms and access invalidation through this Redis. */
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .optional(),
  /** Campus SSO (OpenID Connect): issuer URL; SSO is on when this and OIDC_CLIENT_ID are set. */
  OIDC_ISSUER_URL: z.url({ protocol: /^https?$/ }).optional(),
  OIDC_CLIENT_ID: z.string().min(1).max(500).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).max(2000).optional(),
  /** Label of the SSO button, e.g. "Campus login". */
  OIDC_LABEL: z.string().min(1).max(60).default('Campus sign-in'),
  /** Emails in these domains (comma-separated) become teachers on first SSO sign-in; others students. */
  OIDC_TEACHER_DOMAINS: z.string().max(2000).optional(),
});

export type Env = z.infer<typeof EnvSchema>;

export interface Config {
  env: Env['NODE_ENV'];
  port: number;
  host: string;
  dataDir: string;
  mongodbUrl: string | undefined;
  sqliteSynchronous: Env['SQLITE_SYNCHRONOUS'];
  allowedOrigins: string[];
  uiEnabled: boolean;
  logLevel: Env['LOG_LEVEL'];
  socketMessagesPerSecond: number | undefined;
  milestoneInterval: number;
  pasteSignalMinChars: number;
  retentionSweepMs: number;
  publicUrl: string | null;
  redisUrl: string | null;
  cookieSecure: boolean;
  sessionTtlMs: number;
  teacherSignup: 'open' | 'closed';
  loginAttemptsPer15Min: number;
  firstAdmin: { email: string; password: string } | null;
  oidc: OidcConfig | null;
  /** Repository root: where `.next/` and `package.json` live. */
  rootDir: string;
}

export interface OidcConfig {
  issuerUrl: string;
  clientId: string;
  clientSecret: string | undefined;
  label: string;
  teacherDomains: string[];
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Validate `env` (process.env by default). Empty strings count as unset, as in most .env tooling. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const cleaned: Record<string, string> = {};
  for (const key of Object.keys(EnvSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') cleaned[key] = value;
  }
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  if ((e.ADMIN_EMAIL === undefined) !== (e.ADMIN_PASSWORD === undefined)) {
    problems.push('ADMIN_EMAIL and ADMIN_PASSWORD: set both or neither');
  }
  if ((e.OIDC_ISSUER_URL === undefined) !== (e.OIDC_CLIENT_ID === undefined)) {
    problems.push('OIDC_ISSUER_URL and OIDC_CLIENT_ID: set both or neither');
  }
  if (problems.length) throw new ConfigError(problems);
  const rootDir = findRepositoryRoot(__dirname);
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.DATA_DIR),
    mongodbUrl: e.MONGODB_URL,
    sqliteSynchronous: e.SQLITE_SYNCHRONOUS,
    allowedOrigins: e.ALLOWED_ORIGINS,
    uiEnabled: e.UI_ENABLED,
    logLevel: e.LOG_LEVEL,
    socketMessagesPerSecond: e.SOCKET_MESSAGES_PER_SECOND,
    milestoneInterval: e.MILESTONE_INTERVAL,
    pasteSignalMinChars: e.PASTE_SIGNAL_MIN_CHARS,
    retentionSweepMs: Math.round(e.RETENTION_SWEEP_SECONDS * 1000),
    publicUrl: e.PUBLIC_URL ?? null,
    redisUrl: e.REDIS_URL ?? null,
    cookieSecure: e.COOKIE_SECURE ?? (e.PUBLIC_URL?.startsWith('https:') ?? false),
    sessionTtlMs: Math.round(e.SESSION_TTL_HOURS * 3600_000),
    teacherSignup: e.TEACHER_SIGNUP,
    loginAttemptsPer15Min: e.LOGIN_ATTEMPTS_PER_15_MIN,
    firstAdmin: e.ADMIN_EMAIL && e.ADMIN_PASSWORD ? { email: e.ADMIN_EMAIL, password: e.ADMIN_PASSWORD } : null,
    oidc:
      e.OIDC_ISSUER_URL && e.OIDC_CLIENT_ID
        ? {
            issuerUrl: e.OIDC_ISSUER_URL,
            clientId: e.OIDC_CLIENT_ID,
            clientSecret: e.OIDC_CLIENT_SECRET,
            label: e.OIDC_LABEL,
            teacherDomains: (e.OIDC_TEACHER_DOMAINS ?? '')
              .split(',')
              .map((d) => d.trim().toLowerCase())
              .filter(Boolean),
          }
        : null,
    rootDir,
  };
}

/** The directory holding package.json: `server/` in tests, `dist/server/` when compiled. */
function findRepositoryRoot(start: string): string {
  let dir = start;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}
