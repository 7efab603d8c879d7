/**
 * runModelReview and the providers (issue 5 §2–§3), through the real LangChain clients to a fake
 * OpenAI-compatible (and Ollama-native) server on 127.0.0.1. No network beyond localhost.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChatAnthropic } from '@langchain/anthropic';
import { ChatOllama } from '@langchain/ollama';
import { ChatOpenAICompletions } from '@langchain/openai';
import { ModelReviewSchema } from '../../lib/ai/ai-types';
import { payloadSha256, promptTextOf, runModelReview, type ModelReviewPrompt } from '../../server/ai/model-review';
import { checkProviderHealth, createChatModel, describeProvider, type AiProviderConfig } from '../../server/ai/providers';
import { defaultReview, startFakeOllama, startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai';

const API_KEY = 'sk-tandem-test-0123456789abcdef';
const FAST = { backoffBaseMs: 5, backoffCapMs: 20 };

const prompt: ModelReviewPrompt = {
  system: 'You review student code. Answer with the review object only.',
  user: 'Assignment: FizzBuzz\n\nFile: src/fizz.py\n```\nfor i in range(10):\n    print(i)\n```',
};

function openAiCfg(fake: FakeOpenAi, over: Partial<AiProviderConfig> = {}): AiProviderConfig {
  return {
    kind: 'openai',
    model: 'campus-coder-7b',
    baseUrl: fake.url,
    apiKey: API_KEY,
    timeoutMs: 5000,
    maxRetries: 2,
    maxOutputTokens: 800,
    structuredMethod: 'jsonSchema',
    ...over,
  };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function expectNoKey(result: { error: string | null; calls: Array<{ error: string | null }>; rawReply: string | null }) {
  expect(result.error ?? '').not.toContain(API_KEY);
  expect(result.rawReply ?? '').not.toContain(API_KEY);
  for (const call of result.calls) expect(call.error ?? '').not.toContain(API_KEY);
}

describe('runModelReview against an OpenAI-compatible server', () => {
  let fake: FakeOpenAi;
  const afterTest: Array<() => void> = [];
  beforeEach(async () => {
    fake = await startFakeOpenAi();
  });
  afterEach(async () => {
    for (const undo of afterTest.splice(0)) undo();
    await fake.close();
  });

  test('jsonSchema: response_format json_schema, JSON content parses into findings', async () => {
    const result = await runModelReview(openAiCfg(fake), prompt, FAST);
    expect(result.error).toBeNull();
    expect(result.calls).toHaveLength(1);
    expect(result.calls[0]).toMatchObject({ outcome: 'ok', error: null, model: 'campus-coder-7b' });
    expect(result.calls[0]?.provider).toBe(`openai@${new URL(fake.url).host}`);
    const review = ModelReviewSchema.parse(result.parsed);
    expect(review.findings[0]).toMatchObject({ file: 'src/fizz.py', startLine: 1, endLine: 1 });
    expect(JSON.parse(result.rawReply ?? '')).toEqual(review);

    const body = fake.requests[0]?.body;
    expect(body.stream).toBe(false);
    expect(body.response_format.type).toBe('json_schema');
    expect(body.response_format.json_schema.name).toBe('review');
    expect(body.tools).toBeUndefined();
    expect(body.temperature).toBe(0.2);
    expect(body.max_tokens).toBe(800);
    expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
  });

  test('functionCalling: a forced tool call named "review", arguments parse into findings', async () => {
    const result = await runModelReview(openAiCfg(fake, { structuredMethod: 'functionCalling' }), prompt, FAST);
    expect(result.error).toBeNull();
    expect(result.calls.map((c) => c.outcome)).toEqual(['ok']);
    expect(ModelReviewSchema.parse(result.parsed).findings[0]?.file).toBe('src/fizz.py');
    const body = fake.requests[0]?.body;
    expect(body.response_format).toBeUndefined();
    expect(body.tools[0].function.name).toBe('review');
    expect(body.tool_choice).toEqual({ type: 'function', function: { name: 'review' } });
    // The raw reply is the tool-call arguments as sent.
    expect(JSON.parse(result.rawReply ?? '')).toEqual(result.parsed);
  });

  test('jsonMode: response_format json_object, JSON content parses', async () => {
    const result = await runModelReview(openAiCfg(fake, { structuredMethod: 'jsonMode' }), prompt, FAST);
    expect(result.calls.map((c) => c.outcome)).toEqual(['ok']);
    expect(fake.requests[0]?.body.response_format).toEqual({ type: 'json_object' });
    expect(ModelReviewSchema.safeParse(result.parsed).success).toBe(true);
  });

  test('token counts come from the reply usage; payloadSha256 is the sha256 of the request messages', async () => {
    fake.setHandler((body) => ({ json: defaultReview(body), usage: { prompt_tokens: 321, completion_tokens: 45 } }));
    const result = await runModelReview(openAiCfg(fake), prompt, FAST);
    expect(result.calls[0]).toMatchObject({ inputTokens: 321, outputTokens: 45 });
    const sent = fake.requests[0]?.body.messages;
    expect(sent).toEqual([
      { role: 'system', content: prompt.system },
      { role: 'user', content: prompt.user },
    ]);
    expect(result.calls[0]?.payloadSha256).toBe(sha256(JSON.stringify(sent)));
    expect(result.calls[0]?.payloadSha256).toBe(payloadSha256(prompt));
    expect(result.promptText).toBe(promptTextOf(prompt));
    expect(result.promptText).toContain(prompt.system);
    expect(result.promptText).toContain(prompt.user);
  });

  test.each(['jsonSchema', 'functionCalling', 'jsonMode'] as const)('malformed JSON (%s) is retried, every attempt "invalid"', async (method) => {
    const malformed = '{"findings": [ {"file": "src/fizz.py", "startLine": 1,';
    // LangChain warns on console when a tool call's arguments do not parse; that is the point here.
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    afterTest.push(() => warn.mockRestore());
    fake.setHandler(() => (method === 'functionCalling' ? { toolArguments: malformed } : { content: malformed }));
    const result = await runModelReview(openAiCfg(fake, { structuredMethod: method }), prompt, FAST);
    expect(fake.requests).toHaveLength(3);
    expect(result.calls.map((c) => c.outcome)).toEqual(['invalid', 'invalid', 'invalid']);
    expect(result.parsed).toBeNull();
    expect(result.error).toMatch(/3 attempts failed; last: invalid/);
    // The teacher still sees what came back, and what it cost.
    expect(result.rawReply).toBe(malformed);
    expect(result.calls[0]?.inputTokens).toEqual(expect.any(Number));
    expectNoKey(result);
  });

  test.each(['jsonSchema', 'functionCalling', 'jsonMode'] as const)('valid JSON that breaks the schema (%s) is "invalid" with the offending field named', async (method) => {
    const bad = { findings: [{ file: 'src/fizz.py', startLine: 0, endLine: 1, severity: 'info', category: 'style', message: 'x', hint: null }], summary: '' };
    fake.setHandler(() => ({ json: bad }));
    const result = await runModelReview(openAiCfg(fake, { structuredMethod: method, maxRetries: 0 }), prompt, FAST);
    expect(result.calls.map((c) => c.outcome)).toEqual(['invalid']);
    expect(result.calls[0]?.error).toMatch(/^reply does not match the review schema \(findings\.0\.startLine: .*\)$/);
    expect(result.parsed).toBeNull();
  });

  test('a bad reply followed by a good one: invalid, then ok', async () => {
    let n = 0;
    fake.setHandler((body) => (n++ === 0 ? { content: 'Sure! Here is my review: it looks fine.' } : { json: defaultReview(body) }));
    const result = await runModelReview(openAiCfg(fake), prompt, FAST);
    expect(result.calls.map((c) => c.outcome)).toEqual(['invalid', 'ok']);
    expect(result.error).toBeNull();
    expect(ModelReviewSchema.safeParse(result.parsed).success).toBe(true);
  });

  test('HTTP 500 is retried; a later success wins', async () => {
    let n = 0;
    fake.setHandler((body) => (n++ < 2 ? { status: 500 } : { json: defaultReview(body) }));
    const result = await runModelReview(openAiCfg(fake), prompt, FAST);
    expect(result.calls.map((c) => c.outcome)).toEqual(['error', 'error', 'ok']);
    expect(result.calls[0]?.error).toMatch(/500/);
    expect(result.error).toBeNull();
  });

  test('HTTP 500 every time: all attempts fail, nothing thrown', async () => {
    fake.setHandler(() => ({ status: 503, body: 'upstream overloaded' }));
    const result = await runModelReview(openAiCfg(fake, { maxRetries: 1 }), prompt, FAST);
    expect(fake.requests).toHaveLength(2);
    expect(result.calls.map((c) => c.outcome)).toEqual(['error', 'error']);
    expect(result.parsed).toBeNull();
    expect(result.error).toMatch(/2 attempts failed; last: error: .*503/);
  });

  test('HTTP 401 is not retried, and the API key the server echoes back is redacted', async () => {
    fake.setHandler(() => ({ status: 401, body: JSON.stringify({ error: { message: `Incorrect API key provided: ${API_KEY}`, type: 'invalid_request_error' } }) }));
    const result = await runModelReview(openAiCfg(fake), prompt, FAST);
    expect(fake.requests).toHaveLength(1);
    expect(result.calls.map((c) => c.outcome)).toEqual(['error']);
    expect(result.calls[0]?.error).toMatch(/401/);
    expect(result.calls[0]?.error).toBe('401 Incorrect API key provided: [redacted]');
    expectNoKey(result);
  });

  test('a connection refused is an "error", retried, without the key in the text', async () => {
    const closed = await startFakeOpenAi();
    const url = closed.url;
    await closed.close();
    const result = await runModelReview(openAiCfg(fake, { baseUrl: url, maxRetries: 1 }), prompt, FAST);
    expect(result.calls.map((c) => c.outcome)).toEqual(['error', 'error']);
    expect(result.calls[0]?.error).toMatch(/ECONNREFUSED/);
    expectNoKey(result);
  });

  test('a reply slower than timeoutMs is a "timeout"; the call ends in about timeout × attempts', async () => {
    fake.setHandler((body) => ({ delayMs: 5000, then: { json: defaultReview(body) } }));
    const started = Date.now();
    const result = await runModelReview(openAiCfg(fake, { timeoutMs: 300, maxRetries: 1 }), prompt, FAST);
    const elapsed = Date.now() - started;
    expect(result.calls.map((c) => c.outcome)).toEqual(['timeout', 'timeout']);
    expect(result.calls[0]?.error).toMatch(/300 ms/);
    for (const call of result.calls) expect(call.durationMs).toBeLessThan(1500);
    expect(elapsed).toBeGreaterThanOrEqual(2 * 300 - 20);
    // Waiting for the replies would take 2 × 5 s; the bound leaves room for a loaded CI machine.
    expect(elapsed).toBeLessThan(3000);
  });

  test('a server that never answers cannot hang the call', async () => {
    fake.setHandler(() => ({ hang: true }));
    const started = Date.now();
    const result = await runModelReview(openAiCfg(fake, { timeoutMs: 250, maxRetries: 2 }), prompt, FAST);
    expect(result.calls.map((c) => c.outcome)).toEqual(['timeout', 'timeout', 'timeout']);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  test('an oversized reply is "invalid" even when it would parse', async () => {
    // A valid review padded with whitespace: valid JSON, valid schema, 70 000 characters.
    fake.setHandler((body) => ({ content: JSON.stringify(defaultReview(body)) + ' '.repeat(70_000) }));
    const result = await runModelReview(openAiCfg(fake, { maxRetries: 1 }), prompt, FAST);
    expect(result.calls.map((c) => c.outcome)).toEqual(['invalid', 'invalid']);
    expect(result.calls[0]?.error).toMatch(/over the 65536 cap/);
    expect(result.parsed).toBeNull();
    expect((result.rawReply ?? '').length).toBeLessThan(70_000);
  });

  test('a reply body over the wire cap is dropped unread ("invalid")', async () => {
    fake.setHandler(() => ({ content: 'x'.repeat(600 * 1024) }));
    const result = await runModelReview(openAiCfg(fake, { maxRetries: 0 }), prompt, FAST);
    expect(result.calls.map((c) => c.outcome)).toEqual(['invalid']);
    expect(result.calls[0]?.error).toMatch(/larger than \d+ bytes/);
    expect(result.rawReply).toBeNull();
  });

  test('the caller\'s signal ends the call at once, with no further attempts', async () => {
    fake.setHandler(() => ({ hang: true }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    const started = Date.now();
    const result = await runModelReview(openAiCfg(fake, { timeoutMs: 10_000, maxRetries: 3 }), prompt, { ...FAST, signal: controller.signal });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(result.calls.map((c) => c.outcome)).toEqual(['error']);
    expect(result.calls[0]?.error).toMatch(/cancelled/);
    expect(result.parsed).toBeNull();
  });

  test('a method the model cannot do is a setup error, not retried', async () => {
    // LangChain refuses json_schema for gpt-4-* models before any request is made.
    const result = await runModelReview(openAiCfg(fake, { model: 'gpt-4-0613' }), prompt, FAST);
    expect(fake.requests).toHaveLength(0);
    expect(result.calls.map((c) => c.outcome)).toEqual(['error']);
    expect(result.calls[0]?.error).toMatch(/^cannot set up the model: JSON Schema is not supported/);
  });

  test('backoff grows exponentially between attempts (base · 2^n, jittered)', async () => {
    fake.setHandler(() => ({ status: 500 }));
    await runModelReview(openAiCfg(fake, { maxRetries: 2 }), prompt, { backoffBaseMs: 100, backoffCapMs: 10_000, random: () => 1 });
    const at = fake.requests.map((r) => r.at);
    expect(at).toHaveLength(3);
    // random 1 → factor 1: waits of 100 ms then 200 ms.
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(90);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(190);
  });
});

describe('runModelReview against Ollama\'s native API', () => {
  test.each(['jsonSchema', 'functionCalling'] as const)('%s end to end, with token counts', async (method) => {
    const ollama = await startFakeOllama();
    try {
      ollama.setHandler((body) => ({ json: defaultReview(body), usage: { prompt_tokens: 111, completion_tokens: 22 } }));
      const cfg: AiProviderConfig = {
        kind: 'ollama',
        model: 'qwen2.5-coder:7b',
        baseUrl: ollama.url,
        apiKey: null,
        timeoutMs: 5000,
        maxRetries: 0,
        maxOutputTokens: 600,
        structuredMethod: method,
      };
      const result = await runModelReview(cfg, prompt, FAST);
      expect(result.error).toBeNull();
      expect(result.calls[0]).toMatchObject({ outcome: 'ok', inputTokens: 111, outputTokens: 22, provider: `ollama@${new URL(ollama.url).host}` });
      expect(ModelReviewSchema.parse(result.parsed).findings[0]?.file).toBe('src/fizz.py');
      const body = ollama.requests[0]?.body;
      expect(ollama.requests[0]?.path).toBe('/api/chat');
      expect(body.options.temperature).toBe(0.2);
      expect(body.options.num_predict).toBe(600);
      if (method === 'jsonSchema') expect(body.format).toMatchObject({ type: 'object' });
      else expect(body.tools[0].function.name).toBe('review');
    } finally {
      await ollama.close();
    }
  });

  test('malformed content and a hung server are handled like the OpenAI kind', async () => {
    const ollama = await startFakeOllama();
    try {
      const cfg: AiProviderConfig = {
        kind: 'ollama',
        model: 'llama3.1:8b',
        baseUrl: ollama.url,
        apiKey: null,
        timeoutMs: 300,
        maxRetries: 1,
        maxOutputTokens: 600,
        structuredMethod: 'jsonSchema',
      };
      ollama.setHandler(() => ({ content: 'not json at all' }));
      const bad = await runModelReview(cfg, prompt, FAST);
      expect(bad.calls.map((c) => c.outcome)).toEqual(['invalid', 'invalid']);
      expect(bad.rawReply).toBe('not json at all');

      ollama.setHandler(() => ({ hang: true }));
      const started = Date.now();
      const hung = await runModelReview(cfg, prompt, FAST);
      expect(hung.calls.map((c) => c.outcome)).toEqual(['timeout', 'timeout']);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await ollama.close();
    }
  });
});

describe('providers', () => {
  const base: Omit<AiProviderConfig, 'kind'> = {
    model: 'm',
    baseUrl: null,
    apiKey: API_KEY,
    timeoutMs: 1000,
    maxRetries: 2,
    maxOutputTokens: 512,
    structuredMethod: 'jsonSchema',
  };

  test('createChatModel constructs each kind, with LangChain retries off', () => {
    const openai = createChatModel({ ...base, kind: 'openai', baseUrl: 'http://127.0.0.1:9/v1' });
    expect(openai).toBeInstanceOf(ChatOpenAICompletions);
    const anthropic = createChatModel({ ...base, kind: 'anthropic', model: 'claude-sonnet-4-5', baseUrl: 'http://127.0.0.1:9' });
    expect(anthropic).toBeInstanceOf(ChatAnthropic);
    const ollama = createChatModel({ ...base, kind: 'ollama', apiKey: null });
    expect(ollama).toBeInstanceOf(ChatOllama);
    expect((ollama as ChatOllama).baseUrl).toBe('http://127.0.0.1:11434');
    for (const model of [openai, anthropic, ollama]) expect((model.caller as unknown as { maxRetries: number }).maxRetries).toBe(0);
    expect((openai as ChatOpenAICompletions).temperature).toBe(0.2);
    expect((openai as ChatOpenAICompletions).maxTokens).toBe(512);
    expect((anthropic as ChatAnthropic).apiUrl).toBe('http://127.0.0.1:9');
    // Each kind accepts every configured structured-output method.
    for (const model of [openai, anthropic, ollama]) {
      for (const method of ['jsonSchema', 'functionCalling'] as const) {
        expect(() => model.withStructuredOutput(ModelReviewSchema, { name: 'review', method, includeRaw: true })).not.toThrow();
      }
    }
  });

  test('an openai provider without a key sends a dummy, never OPENAI_API_KEY from the environment', async () => {
    const fake = await startFakeOpenAi();
    const saved = process.env.OPENAI_API_KEY;
    process.env.OPENAI_API_KEY = 'sk-from-the-environment';
    try {
      const result = await runModelReview({ ...base, kind: 'openai', baseUrl: fake.url, apiKey: null }, prompt, FAST);
      expect(result.error).toBeNull();
      expect(fake.requests[0]?.headers.authorization).toBe('Bearer none');
    } finally {
      if (saved === undefined) delete process.env.OPENAI_API_KEY;
      else process.env.OPENAI_API_KEY = saved;
      await fake.close();
    }
  });

  test('describeProvider shows kind, model and host only', () => {
    const d = describeProvider({ ...base, kind: 'openai', baseUrl: 'https://user:pw@llm.campus.example:8443/v1' });
    expect(d).toEqual({ kind: 'openai', model: 'm', host: 'llm.campus.example:8443' });
    expect(JSON.stringify(d)).not.toContain(API_KEY);
    expect(describeProvider({ ...base, kind: 'anthropic' }).host).toBe('api.anthropic.com');
    expect(describeProvider({ ...base, kind: 'ollama' }).host).toBe('127.0.0.1:11434');
  });

  test('checkProviderHealth: GET /models (openai), GET /api/tags (ollama), no call for anthropic', async () => {
    const fake = await startFakeOpenAi();
    const ollama = await startFakeOllama();
    try {
      const okOpenAi = await checkProviderHealth({ ...base, kind: 'openai', baseUrl: fake.url });
      expect(okOpenAi).toMatchObject({ ok: true, status: 'reachable', error: null });
      const okOllama = await checkProviderHealth({ ...base, kind: 'ollama', baseUrl: ollama.url });
      expect(okOllama).toMatchObject({ ok: true, status: 'reachable' });
      // Health checks cost no tokens: no chat request was made.
      expect(fake.requests).toHaveLength(0);
      expect(ollama.requests).toHaveLength(0);
      expect(await checkProviderHealth({ ...base, kind: 'anthropic' })).toEqual({ ok: true, status: 'configured', ms: 0, error: null });
      const notFound = await checkProviderHealth({ ...base, kind: 'openai', baseUrl: `${fake.url}/nope` });
      expect(notFound).toMatchObject({ ok: false, status: 'unreachable', error: expect.stringMatching(/404/) });
    } finally {
      await fake.close();
      await ollama.close();
    }
  });

  test('checkProviderHealth reports a refused connection and a silent server without the key', async () => {
    const closed = await startFakeOpenAi();
    const url = closed.url;
    await closed.close();
    const refused = await checkProviderHealth({ ...base, kind: 'openai', baseUrl: url });
    expect(refused.ok).toBe(false);
    expect(refused.error).toMatch(/ECONNREFUSED|fetch failed/);
    expect(refused.error).not.toContain(API_KEY);

    // A server that accepts and never answers: aborted by the caller's signal.
    const silent = http.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    try {
      const { port } = silent.address() as AddressInfo;
      const started = Date.now();
      const health = await checkProviderHealth({ ...base, kind: 'ollama', baseUrl: `http://127.0.0.1:${port}` }, AbortSignal.timeout(200));
      expect(health.ok).toBe(false);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
