/**
 * Chat-model providers of the AI review assistant (issue 5 §2). Everything here is plain data in,
 * LangChain model out, so it runs unchanged inside a review worker thread: no server singletons,
 * no logger.
 */
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { ChatAnthropic } from '@langchain/anthropic';
import { ChatOllama } from '@langchain/ollama';
import { ChatOpenAICompletions } from '@langchain/openai';

/** Plain data (it is posted to a worker thread). Mirrors `AiProviderSettings` in server/config.ts. */
export interface AiProviderConfig {
  kind: 'openai' | 'anthropic' | 'ollama';
  model: string;
  /** openai: the OpenAI-compatible base URL including `/v1`; ollama: the native API origin. */
  baseUrl: string | null;
  /** WARNING: a secret. Never put it in a log line, an error text, or anything sent to a browser. */
  apiKey: string | null;
  /** One attempt (HTTP request + reply) may take this long. */
  timeoutMs: number;
  /** Extra attempts after the first; done by runModelReview, never by LangChain or the SDK. */
  maxRetries: number;
  maxOutputTokens: number;
  structuredMethod: 'jsonSchema' | 'functionCalling' | 'jsonMode';
}

export const DEFAULT_OLLAMA_URL = 'http://127.0.0.1:11434';
const DEFAULT_HOSTS: Record<AiProviderConfig['kind'], string> = {
  openai: 'api.openai.com',
  anthropic: 'api.anthropic.com',
  ollama: '127.0.0.1:11434',
};

/** Low temperature: reviews should be repeatable, not creative. */
const TEMPERATURE = 0.2;

/**
 * The largest reply body read from the wire. The reply *text* cap lives in model-review.ts; the
 * body is JSON around that text (escaping can double it), so the wire cap is a generous multiple.
 * A bigger body is cut off unread, so neither the SDK nor LangChain ever parses it.
 */
export const MAX_REPLY_BODY_BYTES = 512 * 1024;

/** Thrown by the bounded fetch when a reply body is over MAX_REPLY_BODY_BYTES. */
export class ReplyTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`provider reply is larger than ${limitBytes} bytes`);
    this.name = 'ReplyTooLargeError';
  }
}

/** What came over the wire for one HTTP exchange (body as text, capped). */
export interface HttpReply {
  status: number;
  body: string;
}

export interface ChatModelHooks {
  /** Called with every reply body the model's client reads (used for the audit when parsing throws). */
  onHttpReply?: (reply: HttpReply) => void;
  /** Override the body cap (tests). */
  maxReplyBodyBytes?: number;
}

/**
 * A fetch for the provider SDKs that (1) bounds every request by `timeoutMs` even when the SDK
 * does not (ChatOllama only aborts between stream chunks), and (2) reads the body itself so an
 * oversized reply is dropped before anything parses it.
 */
export function boundedFetch(timeoutMs: number, hooks: ChatModelHooks = {}): typeof fetch {
  const limit = hooks.maxReplyBodyBytes ?? MAX_REPLY_BODY_BYTES;
  return async (input, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    const res = await fetch(input, { ...init, signal });
    if (!res.body) return res;
    const reader = res.body.getReader();
    const parts: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => undefined);
        throw new ReplyTooLargeError(limit);
      }
      parts.push(value);
    }
    const bytes = Buffer.concat(parts);
    hooks.onHttpReply?.({ status: res.status, body: bytes.toString('utf8') });
    const nullBody = res.status === 204 || res.status === 304;
    return new Response(nullBody ? null : bytes, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

/**
 * The LangChain chat model for a provider. LangChain's and the SDKs' own retries are off
 * (maxRetries 0): runModelReview retries itself so that every attempt gets its own audit row.
 *
 * 'openai' uses ChatOpenAICompletions, i.e. ChatOpenAI pinned to /chat/completions: ChatOpenAI
 * switches to the Responses API for some model names (…codex…, …-pro), which vLLM, llama.cpp,
 * LM Studio and Ollama's /v1 do not all serve.
 */
export function createChatModel(cfg: AiProviderConfig, hooks: ChatModelHooks = {}): BaseChatModel {
  const fetchImpl = boundedFetch(cfg.timeoutMs, hooks);
  switch (cfg.kind) {
    case 'openai':
      return new ChatOpenAICompletions({
        model: cfg.model,
        // An explicit key (a dummy for servers that need none) keeps OPENAI_API_KEY from the
        // environment from being sent to a campus server.
        apiKey: cfg.apiKey ?? 'none',
        temperature: TEMPERATURE,
        maxTokens: cfg.maxOutputTokens,
        timeout: cfg.timeoutMs,
        maxRetries: 0,
        configuration: { ...(cfg.baseUrl ? { baseURL: cfg.baseUrl } : {}), fetch: fetchImpl, maxRetries: 0 },
      });
    case 'anthropic':
      return new ChatAnthropic({
        model: cfg.model,
        apiKey: cfg.apiKey ?? 'none',
        ...(cfg.baseUrl ? { anthropicApiUrl: cfg.baseUrl } : {}),
        temperature: TEMPERATURE,
        maxTokens: cfg.maxOutputTokens,
        maxRetries: 0,
        clientOptions: { timeout: cfg.timeoutMs, maxRetries: 0, fetch: fetchImpl },
      });
    case 'ollama':
      return new ChatOllama({
        model: cfg.model,
        baseUrl: cfg.baseUrl ?? DEFAULT_OLLAMA_URL,
        temperature: TEMPERATURE,
        numPredict: cfg.maxOutputTokens,
        maxRetries: 0,
        fetch: fetchImpl,
      });
  }
}

/** The structured-output method actually used (Anthropic has no JSON mode; LangChain would warn and switch). */
export function effectiveStructuredMethod(cfg: AiProviderConfig): AiProviderConfig['structuredMethod'] {
  return cfg.kind === 'anthropic' && cfg.structuredMethod === 'jsonMode' ? 'jsonSchema' : cfg.structuredMethod;
}

/** Safe to show on the admin page: never the key, never URL credentials or path. */
export function describeProvider(cfg: AiProviderConfig): { kind: AiProviderConfig['kind']; model: string; host: string } {
  let host = DEFAULT_HOSTS[cfg.kind];
  if (cfg.baseUrl) {
    try {
      host = new URL(cfg.baseUrl).host;
    } catch {
      host = '(invalid URL)';
    }
  }
  return { kind: cfg.kind, model: cfg.model, host };
}

/** Replaces every occurrence of the secret in a text (error messages echo headers surprisingly often). */
export function redactSecret(text: string, secret: string | null): string {
  if (!secret || secret.length < 4) return text;
  return text.split(secret).join('[redacted]');
}

export interface ProviderHealth {
  ok: boolean;
  /** 'configured': nothing was called (Anthropic has no cheap unauthenticated endpoint). */
  status: 'reachable' | 'unreachable' | 'configured';
  ms: number;
  error: string | null;
}

export const HEALTH_TIMEOUT_MS = 5000;

/**
 * A cheap reachability probe: GET {baseURL}/models (OpenAI-compatible) or GET /api/tags (Ollama).
 * It reads no body and costs no tokens. Anthropic is reported 'configured' without a call.
 */
export async function checkProviderHealth(cfg: AiProviderConfig, signal?: AbortSignal): Promise<ProviderHealth> {
  if (cfg.kind === 'anthropic') return { ok: true, status: 'configured', ms: 0, error: null };
  const base = (cfg.baseUrl ?? (cfg.kind === 'openai' ? 'https://api.openai.com/v1' : DEFAULT_OLLAMA_URL)).replace(/\/+$/, '');
  const url = cfg.kind === 'openai' ? `${base}/models` : `${base}/api/tags`;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (cfg.kind === 'openai' && cfg.apiKey) headers.authorization = `Bearer ${cfg.apiKey}`;
  const timeout = AbortSignal.timeout(HEALTH_TIMEOUT_MS);
  const started = Date.now();
  try {
    const res = await fetch(url, { headers, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    await res.body?.cancel().catch(() => undefined);
    const ms = Date.now() - started;
    if (res.ok) return { ok: true, status: 'reachable', ms, error: null };
    return { ok: false, status: 'unreachable', ms, error: `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}` };
  } catch (err) {
    const ms = Date.now() - started;
    const message = timeout.aborted ? `no answer within ${HEALTH_TIMEOUT_MS} ms` : describeFetchError(err);
    return { ok: false, status: 'unreachable', ms, error: redactSecret(message, cfg.apiKey) };
  }
}

function describeFetchError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  // undici hides the useful part (ECONNREFUSED, ENOTFOUND) in the cause of "fetch failed".
  if (cause instanceof Error && cause.message && cause.message !== err.message) return `${err.message}: ${cause.message}`;
  return err.message;
}
