import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { MAX_EDITORS_PER_ROOM, ROOM_OPS_PER_SECOND, ROOM_QUEUED_OPS } from '../lib/limits';

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

/**
 * Self-healing defaults (issue 6 §3–4, docs/protocol.md P-OPS-*). Each is overridable by the env
 * variable named in its comment.
 */
export const SELF_HEALING = {
  /** How often the event loop, commit latency and error rate are sampled (SELF_HEALING_SAMPLE_SECONDS). */
  sampleSeconds: 1,
  /** p99 event-loop delay that counts as overloaded (EVENT_LOOP_DELAY_LIMIT_MS). */
  eventLoopDelayLimitMs: 200,
  /** How long the p99 must stay over (or back under) the limit to flip readiness (EVENT_LOOP_OVERLOAD_SECONDS). */
  eventLoopOverloadSeconds: 10,
  /** Weight of a new sample in each EWMA baseline: ≈ the last 20 samples dominate. */
  baselineAlpha: 0.05,
  /** While a signal is anomalous its baseline still adapts, this much slower, so a lasting new level ends the anomaly. */
  adaptWhileAnomalous: 0.1,
  /** Anomalous = above baseline mean + this many standard deviations… (ANOMALY_SIGMAS) */
  anomalySigmas: 4,
  /** …for this many samples in a row; as many normal samples end it (ANOMALY_SAMPLES). */
  anomalySamples: 5,
  /** Samples before a baseline is trusted (ANOMALY_WARMUP_SAMPLES). */
  anomalyWarmupSamples: 60,
  /** Absolute floors: below these nothing is an anomaly, whatever the baseline. */
  eventLoopFloorMs: 100, // ANOMALY_EVENT_LOOP_FLOOR_MS
  commitLatencyFloorMs: 250, // ANOMALY_COMMIT_LATENCY_FLOOR_MS
  errorRateFloorPerSecond: 1, // ANOMALY_ERROR_RATE_FLOOR
  /** Refused handshakes retry after a delay uniform in [base, 2·base) (SHED_RETRY_AFTER_SECONDS). */
  shedRetryAfterSeconds: 5,
  /** A drain spreads reconnects over this window (DRAIN_WINDOW_SECONDS)… */
  drainWindowSeconds: 30,
  /** …disconnecting sockets in batches this far apart (DRAIN_BATCH_SECONDS). */
  drainBatchSeconds: 1,
} as const;

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
  /**
   * Proxies in front of Tandem whose X-Forwarded-For to believe (Express "trust proxy"): a hop
   * count, or addresses/subnets (comma-separated, e.g. `loopback,10.0.0.0/8`). Unset: none, and
   * WARNING: behind a proxy every rate limit then sees the proxy's address for everyone.
   */
  TRUST_PROXY: z
    .string()
    .trim()
    .regex(/^(\d{1,2}|[0-9A-Za-z.:/_,\s-]+)$/, 'a hop count or comma-separated addresses/subnets')
    .optional(),
  /** Sustained ShareDB messages per second per socket before it is disconnected (P-LIM-4). */
  SOCKET_MESSAGES_PER_SECOND: z.coerce.number().int().min(1).max(100_000).optional(),
  /** Sockets subscribed to one workspace at once; one more is refused with ERR_TANDEM_ROOM_FULL (P-LIM-5). */
  ROOM_MAX_EDITORS: z.coerce.number().int().min(1).max(100_000).default(MAX_EDITORS_PER_ROOM),
  /** Sustained ops per second over one workspace's docs; more wait their turn (P-LIM-6). */
  ROOM_OPS_PER_SECOND: z.coerce.number().int().min(1).max(1_000_000).default(ROOM_OPS_PER_SECOND),
  /** Ops of one workspace that may wait for its budget; more are refused with ERR_TANDEM_RATE_LIMITED (P-LIM-7). */
  ROOM_QUEUED_OPS: z.coerce.number().int().min(0).max(1_000_000).default(ROOM_QUEUED_OPS),
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
  /**
   * With REDIS_URL: how often each process tells the others it is alive. A process silent for
   * three times this long is taken as gone, and the students it served leave the live grid.
   */
  SCALE_HEARTBEAT_SECONDS: z.coerce.number().min(0.1).max(300).default(10),
  /** Campus SSO (OpenID Connect): issuer URL; SSO is on when this and OIDC_CLIENT_ID are set. */
  OIDC_ISSUER_URL: z.url({ protocol: /^https?$/ }).optional(),
  OIDC_CLIENT_ID: z.string().min(1).max(500).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).max(2000).optional(),
  /** Label of the SSO button, e.g. "Campus login". */
  OIDC_LABEL: z.string().min(1).max(60).default('Campus sign-in'),
  /** Emails in these domains (comma-separated) become teachers on first SSO sign-in; others students. */
  OIDC_TEACHER_DOMAINS: z.string().max(2000).optional(),
  /** Self-healing (P-OPS-*): see SELF_HEALING above for what each one means. */
  SELF_HEALING_SAMPLE_SECONDS: z.coerce.number().min(0.05).max(60).default(SELF_HEALING.sampleSeconds),
  EVENT_LOOP_DELAY_LIMIT_MS: z.coerce.number().int().min(10).max(60_000).default(SELF_HEALING.eventLoopDelayLimitMs),
  EVENT_LOOP_OVERLOAD_SECONDS: z.coerce.number().min(0.1).max(3600).default(SELF_HEALING.eventLoopOverloadSeconds),
  /** Act on overload and anomalies (refuse new sockets, report not ready); off = measure and notify only. */
  LOAD_SHEDDING: bool.default(true),
  ANOMALY_SIGMAS: z.coerce.number().min(1).max(50).default(SELF_HEALING.anomalySigmas),
  ANOMALY_SAMPLES: z.coerce.number().int().min(1).max(10_000).default(SELF_HEALING.anomalySamples),
  ANOMALY_WARMUP_SAMPLES: z.coerce.number().int().min(1).max(1_000_000).default(SELF_HEALING.anomalyWarmupSamples),
  ANOMALY_EVENT_LOOP_FLOOR_MS: z.coerce.number().min(0).max(60_000).default(SELF_HEALING.eventLoopFloorMs),
  ANOMALY_COMMIT_LATENCY_FLOOR_MS: z.coerce.number().min(0).max(600_000).default(SELF_HEALING.commitLatencyFloorMs),
  ANOMALY_ERROR_RATE_FLOOR: z.coerce.number().min(0).max(1_000_000).default(SELF_HEALING.errorRateFloorPerSecond),
  SHED_RETRY_AFTER_SECONDS: z.coerce.number().min(0.1).max(3600).default(SELF_HEALING.shedRetryAfterSeconds),
  DRAIN_WINDOW_SECONDS: z.coerce.number().min(0).max(3600).default(SELF_HEALING.drainWindowSeconds),
  DRAIN_BATCH_SECONDS: z.coerce.number().min(0.05).max(3600).default(SELF_HEALING.drainBatchSeconds),
  /** WARNING: a bearer token that may drain this process (POST /api/admin/drain); keep it secret. */
  DRAIN_TOKEN: z.string().min(32, 'must be at least 32 characters').max(512).optional(),
  /** WARNING: test-only endpoints that block the event loop and throw on purpose (P-OPS-7). Never in production. */
  TANDEM_FAULT_INJECTION: bool.default(false),
  /**
   * AI review assistant (issue 5, docs/ai-review.md). Unset: static analysis only. `openai` is any
   * OpenAI-compatible endpoint (a campus vLLM, Ollama's /v1, llama.cpp server, LM Studio) at AI_BASE_URL.
   */
  AI_PROVIDER: z.enum(['none', 'openai', 'anthropic', 'ollama']).default('none'),
  AI_MODEL: z.string().trim().min(1).max(200).optional(),
  AI_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** WARNING: a secret. Never logged or shown; the admin page shows only the provider, model and host. */
  AI_API_KEY: z.string().min(1).max(1000).optional(),
  /** How long one provider call may take before it counts as failed (and is retried). */
  AI_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(600).default(60),
  AI_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  AI_MAX_OUTPUT_TOKENS: z.coerce.number().int().min(64).max(32_000).default(2000),
  /** How the model is asked for structured output: json_schema response format, tool calling, or JSON mode. */
  AI_STRUCTURED_OUTPUT: z.enum(['jsonSchema', 'functionCalling', 'jsonMode']).default('jsonSchema'),
  /** Reviews running at once (each in a worker thread, off the editing event loop). */
  AI_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  /** Attempts of a review task before it is failed for the teacher to see. */
  AI_TASK_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(4),
  /** A running task whose process stops renewing it is taken over after this long. */
  AI_TASK_LEASE_SECONDS: z.coerce.number().min(1).max(3600).default(120),
  /** Default on-demand feedback requests per student per hour (teachers override per class/assignment). */
  AI_ON_DEMAND_PER_HOUR: z.coerce.number().int().min(0).max(1000).default(5),
  /** Consecutive provider failures that open the circuit (static-only reviews) … */
  AI_CIRCUIT_FAILURES: z.coerce.number().int().min(1).max(1000).default(3),
  /** … for this long before one trial call. */
  AI_CIRCUIT_COOLDOWN_SECONDS: z.coerce.number().min(0.1).max(86_400).default(300),
  /**
   * Reviews run at idle CPU priority; when the machine is so busy that the review process gets no
   * CPU for this long, its reviews move to normal priority so they still finish.
   */
  AI_STARVATION_SECONDS: z.coerce.number().min(1).max(3600).default(10),
  /** Server-side grading of a submission against the teacher's tests (issue 7): wall-clock limit … */
  GRADE_TIME_LIMIT_SECONDS: z.coerce.number().min(1).max(600).default(20),
  /** … and heap limit of the isolated grading worker. */
  GRADE_MEMORY_MB: z.coerce.number().int().min(256).max(8192).default(512),
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
  /** Express "trust proxy" value; null when no proxy is trusted. */
  trustProxy: number | string | null;
  socketMessagesPerSecond: number | undefined;
  /** Per-workspace limits (P-LIM-5..7). */
  roomMaxEditors: number;
  roomOpsPerSecond: number;
  roomQueuedOps: number;
  milestoneInterval: number;
  pasteSignalMinChars: number;
  retentionSweepMs: number;
  publicUrl: string | null;
  redisUrl: string | null;
  scaleHeartbeatMs: number;
  cookieSecure: boolean;
  sessionTtlMs: number;
  teacherSignup: 'open' | 'closed';
  loginAttemptsPer15Min: number;
  firstAdmin: { email: string; password: string } | null;
  oidc: OidcConfig | null;
  /** Event-loop watchdog, anomaly detection, load shedding and drain (P-OPS-*). */
  selfHealing: SelfHealingConfig;
  /** AI review assistant (issue 5). */
  ai: AiConfig;
  /** Server-side grading against teacher tests (issue 7). */
  grading: { timeLimitMs: number; memoryMb: number };
  /** Repository root: where `.next/` and `package.json` live. */
  rootDir: string;
}

/** Plain data: the provider part is handed to review worker threads. */
export interface AiProviderSettings {
  kind: 'openai' | 'anthropic' | 'ollama';
  model: string;
  baseUrl: string | null;
  apiKey: string | null;
  timeoutMs: number;
  maxRetries: number;
  maxOutputTokens: number;
  structuredMethod: 'jsonSchema' | 'functionCalling' | 'jsonMode';
}

export interface AiConfig {
  /** null: no model, static analysis only. */
  provider: AiProviderSettings | null;
  concurrency: number;
  taskAttempts: number;
  taskLeaseMs: number;
  onDemandPerHour: number;
  circuitFailures: number;
  circuitCooldownMs: number;
  /** Background review host silent this long with work → its reviews move to normal priority. */
  starvationMs: number;
}

export interface OidcConfig {
  issuerUrl: string;
  clientId: string;
  clientSecret: string | undefined;
  label: string;
  teacherDomains: string[];
}

export interface SelfHealingConfig {
  sampleMs: number;
  eventLoopDelayLimitMs: number;
  eventLoopOverloadMs: number;
  loadShedding: boolean;
  baselineAlpha: number;
  adaptWhileAnomalous: number;
  anomalySigmas: number;
  anomalySamples: number;
  anomalyWarmupSamples: number;
  eventLoopFloorMs: number;
  commitLatencyFloorMs: number;
  errorRateFloorPerSecond: number;
  shedRetryAfterMs: number;
  drainWindowMs: number;
  drainBatchMs: number;
  drainToken: string | null;
  faultInjection: boolean;
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
  if (e.AI_PROVIDER !== 'none' && !e.AI_MODEL) problems.push(`AI_MODEL: required when AI_PROVIDER is ${e.AI_PROVIDER}`);
  if (e.AI_PROVIDER === 'anthropic' && !e.AI_API_KEY) problems.push('AI_API_KEY: required when AI_PROVIDER is anthropic');
  if (e.AI_PROVIDER === 'openai' && !e.AI_BASE_URL && !e.AI_API_KEY) {
    problems.push('AI_BASE_URL or AI_API_KEY: an OpenAI-compatible provider needs a base URL (campus server) or a key (api.openai.com)');
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
    trustProxy: e.TRUST_PROXY === undefined ? null : /^\d+$/.test(e.TRUST_PROXY) ? Number(e.TRUST_PROXY) : e.TRUST_PROXY,
    socketMessagesPerSecond: e.SOCKET_MESSAGES_PER_SECOND,
    roomMaxEditors: e.ROOM_MAX_EDITORS,
    roomOpsPerSecond: e.ROOM_OPS_PER_SECOND,
    roomQueuedOps: e.ROOM_QUEUED_OPS,
    milestoneInterval: e.MILESTONE_INTERVAL,
    pasteSignalMinChars: e.PASTE_SIGNAL_MIN_CHARS,
    retentionSweepMs: Math.round(e.RETENTION_SWEEP_SECONDS * 1000),
    publicUrl: e.PUBLIC_URL ?? null,
    redisUrl: e.REDIS_URL ?? null,
    scaleHeartbeatMs: Math.round(e.SCALE_HEARTBEAT_SECONDS * 1000),
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
    selfHealing: {
      sampleMs: Math.round(e.SELF_HEALING_SAMPLE_SECONDS * 1000),
      eventLoopDelayLimitMs: e.EVENT_LOOP_DELAY_LIMIT_MS,
      eventLoopOverloadMs: Math.round(e.EVENT_LOOP_OVERLOAD_SECONDS * 1000),
      loadShedding: e.LOAD_SHEDDING,
      baselineAlpha: SELF_HEALING.baselineAlpha,
      adaptWhileAnomalous: SELF_HEALING.adaptWhileAnomalous,
      anomalySigmas: e.ANOMALY_SIGMAS,
      anomalySamples: e.ANOMALY_SAMPLES,
      anomalyWarmupSamples: e.ANOMALY_WARMUP_SAMPLES,
      eventLoopFloorMs: e.ANOMALY_EVENT_LOOP_FLOOR_MS,
      commitLatencyFloorMs: e.ANOMALY_COMMIT_LATENCY_FLOOR_MS,
      errorRateFloorPerSecond: e.ANOMALY_ERROR_RATE_FLOOR,
      shedRetryAfterMs: Math.round(e.SHED_RETRY_AFTER_SECONDS * 1000),
      drainWindowMs: Math.round(e.DRAIN_WINDOW_SECONDS * 1000),
      drainBatchMs: Math.round(e.DRAIN_BATCH_SECONDS * 1000),
      drainToken: e.DRAIN_TOKEN ?? null,
      faultInjection: e.TANDEM_FAULT_INJECTION,
    },
    ai: {
      provider:
        e.AI_PROVIDER === 'none' || !e.AI_MODEL
          ? null
          : {
              kind: e.AI_PROVIDER,
              model: e.AI_MODEL,
              baseUrl: e.AI_BASE_URL ?? null,
              apiKey: e.AI_API_KEY ?? null,
              timeoutMs: Math.round(e.AI_TIMEOUT_SECONDS * 1000),
              maxRetries: e.AI_MAX_RETRIES,
              maxOutputTokens: e.AI_MAX_OUTPUT_TOKENS,
              structuredMethod: e.AI_STRUCTURED_OUTPUT,
            },
      concurrency: e.AI_CONCURRENCY,
      taskAttempts: e.AI_TASK_ATTEMPTS,
      taskLeaseMs: Math.round(e.AI_TASK_LEASE_SECONDS * 1000),
      onDemandPerHour: e.AI_ON_DEMAND_PER_HOUR,
      circuitFailures: e.AI_CIRCUIT_FAILURES,
      circuitCooldownMs: Math.round(e.AI_CIRCUIT_COOLDOWN_SECONDS * 1000),
      starvationMs: Math.round(e.AI_STARVATION_SECONDS * 1000),
    },
    grading: { timeLimitMs: Math.round(e.GRADE_TIME_LIMIT_SECONDS * 1000), memoryMb: e.GRADE_MEMORY_MB },
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
