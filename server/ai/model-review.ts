/**
 * The structured model call of an AI review (issue 5 §3): one prompt in, the model's structured
 * reply out, with retries, per-attempt timeouts and one audit entry per attempt.
 *
 * Runs inside a review worker thread: it imports no server singletons and logs nothing; the
 * caller writes one audit row per `calls[]` entry and passes `parsed` to the output guard.
 */
import { createHash } from 'node:crypto';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { HumanMessage, SystemMessage, type BaseMessage } from '@langchain/core/messages';
import { ModelReviewSchema } from '../../lib/ai/ai-types';
import {
  createChatModel,
  describeProvider,
  effectiveStructuredMethod,
  redactSecret,
  ReplyTooLargeError,
  type AiProviderConfig,
  type HttpReply,
} from './providers';

/** One provider attempt, as audited. */
export interface ProviderCall {
  /** Provider kind and host, e.g. "openai@vllm.campus.example:8000" (never the key). */
  provider: string;
  model: string;
  startedAt: number;
  durationMs: number;
  inputTokens: number | null;
  outputTokens: number | null;
  /** sha256 (hex) of the exact request messages; see `requestMessages`. */
  payloadSha256: string;
  outcome: 'ok' | 'error' | 'timeout' | 'invalid';
  error: string | null;
}

export interface ModelCallResult {
  /** The structured object as the model returned it, NOT yet guarded; null when every attempt failed. */
  parsed: unknown | null;
  /** The reply text of the successful attempt, else of the last attempt that got a reply (capped). */
  rawReply: string | null;
  /** Exactly what was sent, system and user part, for the teacher. */
  promptText: string;
  calls: ProviderCall[];
  error: string | null;
}

export interface ModelReviewPrompt {
  system: string;
  user: string;
}

export interface RunModelReviewOptions {
  /** Cancels the whole call (no further attempts); the current attempt is recorded as 'error'. */
  signal?: AbortSignal;
  /** A ready model instead of createChatModel(cfg) (tests). */
  model?: BaseChatModel;
  /** Backoff before attempt n+1 is base · 2^n (capped), scaled by a jitter in [0.5, 1). */
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** Reply text longer than this is 'invalid' without being used. */
  maxReplyChars?: number;
  random?: () => number;
  now?: () => number;
}

export const MODEL_CALL_DEFAULTS = {
  backoffBaseMs: 500,
  backoffCapMs: 8000,
  maxReplyChars: 64 * 1024,
} as const;

/** The function / schema name the model sees for the structured reply. */
export const REVIEW_OUTPUT_NAME = 'review';

/**
 * The request messages in OpenAI chat form. Their JSON is what `payloadSha256` hashes; for an
 * OpenAI-compatible provider it is byte for byte the `messages` field of the request body.
 */
export function requestMessages(prompt: ModelReviewPrompt): Array<{ role: 'system' | 'user'; content: string }> {
  return [
    { role: 'system', content: prompt.system },
    { role: 'user', content: prompt.user },
  ];
}

export function payloadSha256(prompt: ModelReviewPrompt): string {
  return createHash('sha256').update(JSON.stringify(requestMessages(prompt))).digest('hex');
}

/** The prompt as shown to the teacher. */
export function promptTextOf(prompt: ModelReviewPrompt): string {
  return `--- system ---\n${prompt.system}\n--- user ---\n${prompt.user}`;
}

/** HTTP statuses that another attempt cannot fix (bad request, key, model name). */
const NON_RETRYABLE_STATUS = new Set([400, 401, 403, 404, 413, 422]);

interface Attempt {
  call: ProviderCall;
  parsed: unknown | null;
  replyText: string | null;
  retryable: boolean;
}

/**
 * Asks the model for a structured review. Up to 1 + cfg.maxRetries attempts with exponential
 * backoff; each attempt is bounded by cfg.timeoutMs. Never throws for provider trouble: the result
 * carries the error text (with the API key redacted) and one ProviderCall per attempt.
 */
export async function runModelReview(cfg: AiProviderConfig, prompt: ModelReviewPrompt, opts: RunModelReviewOptions = {}): Promise<ModelCallResult> {
  const base = opts.backoffBaseMs ?? MODEL_CALL_DEFAULTS.backoffBaseMs;
  const cap = opts.backoffCapMs ?? MODEL_CALL_DEFAULTS.backoffCapMs;
  const random = opts.random ?? Math.random;
  const promptText = promptTextOf(prompt);
  const calls: ProviderCall[] = [];
  let rawReply: string | null = null;
  const attempts = 1 + Math.max(0, Math.floor(cfg.maxRetries));

  for (let n = 0; n < attempts; n++) {
    if (n > 0) {
      const delay = Math.min(cap, base * 2 ** (n - 1)) * (0.5 + random() / 2);
      if (!(await sleep(delay, opts.signal))) break;
    }
    if (opts.signal?.aborted) break;
    const attempt = await runAttempt(cfg, prompt, opts);
    calls.push(attempt.call);
    if (attempt.replyText !== null) rawReply = attempt.replyText;
    if (attempt.call.outcome === 'ok') return { parsed: attempt.parsed, rawReply, promptText, calls, error: null };
    if (!attempt.retryable || opts.signal?.aborted) break;
  }

  const last = calls[calls.length - 1];
  const error =
    last === undefined
      ? 'cancelled before the first attempt'
      : `${calls.length} attempt${calls.length === 1 ? '' : 's'} failed; last: ${last.outcome}${last.error ? `: ${last.error}` : ''}`;
  return { parsed: null, rawReply, promptText, calls, error };
}

async function runAttempt(cfg: AiProviderConfig, prompt: ModelReviewPrompt, opts: RunModelReviewOptions): Promise<Attempt> {
  const now = opts.now ?? Date.now;
  const maxReplyChars = opts.maxReplyChars ?? MODEL_CALL_DEFAULTS.maxReplyChars;
  const method = effectiveStructuredMethod(cfg);
  const { kind, host } = describeProvider(cfg);
  const startedAt = now();
  const call: ProviderCall = {
    provider: `${kind}@${host}`,
    model: cfg.model,
    startedAt,
    durationMs: 0,
    inputTokens: null,
    outputTokens: null,
    payloadSha256: payloadSha256(prompt),
    outcome: 'error',
    error: null,
  };
  const finish = (outcome: ProviderCall['outcome'], error: string | null, parsed: unknown | null, replyText: string | null, retryable: boolean): Attempt => {
    call.durationMs = Math.max(0, now() - startedAt);
    call.outcome = outcome;
    call.error = error === null ? null : redactSecret(error, cfg.apiKey).slice(0, 2000);
    return { call, parsed, replyText: replyText === null ? null : capText(redactSecret(replyText, cfg.apiKey), maxReplyChars), retryable };
  };

  let wire: HttpReply | null = null;
  let structured;
  try {
    const model = opts.model ?? createChatModel(cfg, { onHttpReply: (r) => (wire = r) });
    structured = model.withStructuredOutput(ModelReviewSchema, { name: REVIEW_OUTPUT_NAME, method, includeRaw: true });
  } catch (err) {
    // A configuration problem (e.g. a method the model does not support): no attempt can fix it.
    return finish('error', `cannot set up the model: ${errorText(err)}`, null, null, false);
  }

  // One controller per attempt: the timeout and the caller's signal both end this attempt only.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error(`no reply within ${cfg.timeoutMs} ms`));
  }, cfg.timeoutMs);
  const onCallerAbort = () => controller.abort(new Error('cancelled by the caller'));
  opts.signal?.addEventListener('abort', onCallerAbort, { once: true });

  try {
    const out = await structured.invoke([new SystemMessage(prompt.system), new HumanMessage(prompt.user)], { signal: controller.signal });
    const usage = usageOf(out.raw);
    call.inputTokens = usage.input;
    call.outputTokens = usage.output;
    const text = replyTextOf(out.raw, method);
    if (text.length > maxReplyChars) {
      return finish('invalid', `reply is ${text.length} characters, over the ${maxReplyChars} cap`, null, text, true);
    }
    if (out.parsed === null || out.parsed === undefined) {
      return finish('invalid', describeInvalid(text), null, text, true);
    }
    return finish('ok', null, out.parsed, text, false);
  } catch (err) {
    if (opts.signal?.aborted) return finish('error', 'cancelled by the caller', null, null, false);
    if (timedOut || isTimeoutError(err)) return finish('timeout', `no reply within ${cfg.timeoutMs} ms`, null, null, true);
    if (findInChain(err, (e) => e instanceof ReplyTooLargeError || (e as Error).name === 'ReplyTooLargeError')) {
      return finish('invalid', errorText(err), null, null, true);
    }
    if (isParseError(err)) {
      // The SDK parses json_schema replies itself and throws before LangChain sees the message:
      // recover the text and token counts from the wire so the teacher can still see them.
      const fromWire = wire ? wireReply(cfg.kind, wire as HttpReply) : null;
      if (fromWire) {
        call.inputTokens = fromWire.input;
        call.outputTokens = fromWire.output;
      }
      const syntax = findInChain(err, (e) => e instanceof SyntaxError) as SyntaxError | null;
      const detail = syntax ? ` (${syntax.message})` : '';
      return finish('invalid', `${describeInvalid(fromWire?.text ?? null)}${detail}`, null, fromWire?.text ?? null, true);
    }
    const status = httpStatusOf(err);
    return finish('error', errorText(err), null, null, status === null || !NON_RETRYABLE_STATUS.has(status));
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onCallerAbort);
  }
}

function capText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n… [${text.length - max} more characters not kept]`;
}

/** Resolves true after `ms`, false at once when the signal aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function usageOf(message: BaseMessage): { input: number | null; output: number | null } {
  const usage = (message as { usage_metadata?: { input_tokens?: number; output_tokens?: number } }).usage_metadata;
  return {
    input: typeof usage?.input_tokens === 'number' ? usage.input_tokens : null,
    output: typeof usage?.output_tokens === 'number' ? usage.output_tokens : null,
  };
}

/** The reply as text: the tool-call arguments for function calling, else the message content. */
export function replyTextOf(message: BaseMessage, method: AiProviderConfig['structuredMethod']): string {
  const content = contentText(message.content);
  if (method !== 'functionCalling') return content;
  const m = message as {
    additional_kwargs?: { tool_calls?: Array<{ function?: { arguments?: unknown } }> };
    tool_calls?: Array<{ args?: unknown }>;
    invalid_tool_calls?: Array<{ args?: unknown }>;
  };
  // The wire string first: it is what the model actually produced, even when it does not parse.
  const wireArgs = m.additional_kwargs?.tool_calls?.[0]?.function?.arguments;
  if (typeof wireArgs === 'string') return wireArgs;
  const args = m.tool_calls?.[0]?.args ?? m.invalid_tool_calls?.[0]?.args;
  if (typeof args === 'string') return args;
  if (args !== undefined) return JSON.stringify(args);
  return content;
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((block) => {
      if (typeof block === 'string') return block;
      const b = block as { type?: string; text?: unknown; input?: unknown };
      if (b.type === 'text' && typeof b.text === 'string') return b.text;
      if (b.type === 'tool_use' && b.input !== undefined) return JSON.stringify(b.input);
      return '';
    })
    .join('');
}

/** Why a reply is not a review, in words for the teacher. */
function describeInvalid(text: string | null): string {
  if (text === null) return 'reply is not a valid review';
  if (!text.trim()) return 'reply is empty';
  let value: unknown;
  try {
    value = JSON.parse(stripCodeFence(text));
  } catch {
    return 'reply is not JSON';
  }
  const result = ModelReviewSchema.safeParse(value);
  if (result.success) return 'reply could not be read as a review';
  const issues = result.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
  return `reply does not match the review schema (${issues})`;
}

function stripCodeFence(text: string): string {
  const m = /^\s*```(?:json)?\s*([\s\S]*?)\s*```\s*$/.exec(text);
  return m?.[1] ?? text;
}

/** Text and token counts from a raw HTTP reply body, per provider wire format. */
function wireReply(kind: AiProviderConfig['kind'], reply: HttpReply): { text: string; input: number | null; output: number | null } | null {
  const num = (v: unknown) => (typeof v === 'number' ? v : null);
  try {
    if (kind === 'ollama') {
      let text = '';
      let input: number | null = null;
      let output: number | null = null;
      for (const line of reply.body.split('\n')) {
        if (!line.trim()) continue;
        const chunk = JSON.parse(line);
        text += typeof chunk?.message?.content === 'string' ? chunk.message.content : '';
        const args = chunk?.message?.tool_calls?.[0]?.function?.arguments;
        if (args !== undefined) text += typeof args === 'string' ? args : JSON.stringify(args);
        input = num(chunk?.prompt_eval_count) ?? input;
        output = num(chunk?.eval_count) ?? output;
      }
      return { text, input, output };
    }
    const body = JSON.parse(reply.body);
    if (kind === 'anthropic') {
      return { text: contentText(body?.content), input: num(body?.usage?.input_tokens), output: num(body?.usage?.output_tokens) };
    }
    const message = body?.choices?.[0]?.message;
    const args = message?.tool_calls?.[0]?.function?.arguments;
    const text = typeof args === 'string' ? args : typeof message?.content === 'string' ? message.content : '';
    return { text, input: num(body?.usage?.prompt_tokens), output: num(body?.usage?.completion_tokens) };
  } catch {
    return { text: reply.body, input: null, output: null };
  }
}

function findInChain(err: unknown, test: (e: unknown) => boolean): unknown {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    if (test(current)) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

function isTimeoutError(err: unknown): boolean {
  return Boolean(
    findInChain(err, (e) => {
      const name = (e as Error).name;
      return name === 'TimeoutError' || name === 'APIConnectionTimeoutError';
    }),
  );
}

/** JSON or schema failures while the SDK or LangChain read the reply. */
function isParseError(err: unknown): boolean {
  return Boolean(
    findInChain(err, (e) => {
      const name = (e as Error).name;
      return e instanceof SyntaxError || name === 'ZodError' || name === '$ZodError' || name === 'OutputParserException';
    }),
  );
}

function httpStatusOf(err: unknown): number | null {
  const e = err as { status?: unknown; response?: { status?: unknown } } | null;
  const status = e?.status ?? e?.response?.status;
  return typeof status === 'number' ? status : null;
}

/**
 * The error message with its causes ("Connection error.: fetch failed: connect ECONNREFUSED …"),
 * without LangChain's troubleshooting links.
 */
function errorText(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current; depth++) {
    const text = current instanceof Error ? current.message || current.name : String(current);
    const clean = text.replace(/\s*Troubleshooting URL: \S+/g, '').trim();
    if (clean && !parts.some((p) => p.includes(clean))) parts.push(clean);
    current = current instanceof Error ? (current as { cause?: unknown }).cause : null;
  }
  return parts.join(': ') || 'unknown error';
}
