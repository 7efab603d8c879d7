/**
 * Fake chat-model servers for the AI review tests (issue 5): a real node:http server on
 * 127.0.0.1:0, so the LangChain clients run their real request/response code paths.
 *
 * - `startFakeOpenAi()` speaks the OpenAI-compatible subset Tandem uses: POST /v1/chat/completions
 *   (non-streaming) and GET /v1/models.
 * - `startFakeOllama()` speaks Ollama's native POST /api/chat (NDJSON stream, which is what
 *   ChatOllama always asks for) and GET /api/tags.
 *
 * A handler returns a FakeReply; `{ json }` is rendered in whatever shape the client asked for:
 * with `tools` in the request it becomes a tool call to the function the request names (the
 * functionCalling method), otherwise message content holding the JSON text (jsonSchema and
 * jsonMode methods).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeReply =
  /** A structured object, shaped as a tool call or as JSON content depending on the request. */
  | { json: object; usage?: FakeUsage }
  /** Raw message content (e.g. malformed JSON), never turned into a tool call. */
  | { content: string; usage?: FakeUsage }
  /** A tool call to the requested function whose arguments are this raw string (e.g. malformed). */
  | { toolArguments: string; usage?: FakeUsage }
  /** An HTTP error with an optional body (JSON or text, sent as is). */
  | { status: number; body?: string }
  | { delayMs: number; then: FakeReply }
  /** Never answers; the socket is destroyed by close(). */
  | { hang: true };

export interface FakeUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

export interface FakeRequest {
  /** The parsed JSON body (null when it did not parse). */
  body: any;
  raw: string;
  at: number;
  path: string;
  headers: http.IncomingHttpHeaders;
}

export type FakeHandler = (body: any) => FakeReply | Promise<FakeReply>;

export interface FakeOpenAi {
  /** Base URL: ends in /v1 for the OpenAI fake, is the bare origin for the Ollama fake. */
  url: string;
  /** Chat requests only (not the health-check GETs), oldest first. */
  requests: FakeRequest[];
  setHandler(fn: FakeHandler): void;
  close(): Promise<void>;
}

export type FakeOllama = FakeOpenAi;

type Dialect = 'openai' | 'ollama';

/** The file the default reply points at: the first file-looking name in the user prompt. */
export function firstFileNamed(prompt: string): string {
  const patterns = [
    /<file\s+[^>]*?(?:name|path)="([^"]+)"/i,
    /^(?:#{1,6}\s*)?(?:file|path)\s*:\s*`?([^\s`]+)`?\s*$/im,
    /^(?:={3,}|-{3,}|#{1,6})\s*`?([\w./-]+\.\w{1,8})`?\s*(?:={3,}|-{3,})?\s*$/m,
    /([\w-][\w./-]*\.(?:py|js|jsx|ts|tsx|java|c|h|cc|cpp|hpp|cs|go|rs|rb|php|kt|swift|scala|sql|sh|html|css|md|txt))\b/,
  ];
  for (const re of patterns) {
    const m = re.exec(prompt);
    if (m?.[1]) return m[1];
  }
  return 'main.py';
}

function userText(body: any): string {
  const messages: any[] = Array.isArray(body?.messages) ? body.messages : [];
  return messages
    .filter((m) => m?.role === 'user')
    .map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)))
    .join('\n');
}

/** A small valid ModelReview pointing at line 1 of the first file named in the prompt. */
export function defaultReview(body: any): { findings: object[]; summary: string } {
  return {
    findings: [
      {
        file: firstFileNamed(userText(body)),
        startLine: 1,
        endLine: 1,
        severity: 'info',
        category: 'question',
        message: 'What should this first line do?',
        hint: null,
      },
    ],
    summary: 'One question about the first line.',
  };
}

const estimateTokens = (text: string): number => Math.max(1, Math.ceil(text.length / 4));

/** The function name a tool-calling request asked for (tool_choice first, else the only tool). */
function requestedFunction(body: any): string | null {
  if (!Array.isArray(body?.tools) || body.tools.length === 0) return null;
  const forced = body.tool_choice?.function?.name;
  if (typeof forced === 'string') return forced;
  const first = body.tools[0];
  return first?.function?.name ?? first?.name ?? null;
}

interface Rendered {
  content: string;
  toolCall: { name: string; arguments: string } | null;
  usage: FakeUsage;
}

function render(reply: { json: object } | { content: string } | { toolArguments: string }, body: any, raw: string, usage?: FakeUsage): Rendered {
  const fn = requestedFunction(body);
  let content = '';
  let toolCall: Rendered['toolCall'] = null;
  if ('json' in reply) {
    const text = JSON.stringify(reply.json);
    if (fn) toolCall = { name: fn, arguments: text };
    else content = text;
  } else if ('toolArguments' in reply) {
    toolCall = { name: fn ?? 'review', arguments: reply.toolArguments };
  } else {
    content = reply.content;
  }
  return {
    content,
    toolCall,
    usage: usage ?? { prompt_tokens: estimateTokens(raw), completion_tokens: estimateTokens(content + (toolCall?.arguments ?? '')) },
  };
}

function openAiCompletion(r: Rendered, body: any, seq: number): object {
  return {
    id: `chatcmpl-fake-${seq}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: typeof body?.model === 'string' ? body.model : 'fake-model',
    choices: [
      {
        index: 0,
        message: r.toolCall
          ? {
              role: 'assistant',
              content: null,
              tool_calls: [{ id: `call_${seq}`, type: 'function', function: { name: r.toolCall.name, arguments: r.toolCall.arguments } }],
            }
          : { role: 'assistant', content: r.content },
        finish_reason: r.toolCall ? 'tool_calls' : 'stop',
        logprobs: null,
      },
    ],
    usage: { ...r.usage, total_tokens: r.usage.prompt_tokens + r.usage.completion_tokens },
  };
}

/** Ollama's /api/chat stream: one content chunk, then the final chunk with the token counts. */
function ollamaChunks(r: Rendered, body: any): object[] {
  const model = typeof body?.model === 'string' ? body.model : 'fake';
  const createdAt = new Date().toISOString();
  let args: unknown = r.toolCall?.arguments;
  if (r.toolCall) {
    // Ollama returns tool arguments as an object; keep a malformed string as is.
    try {
      args = JSON.parse(r.toolCall.arguments);
    } catch {
      /* malformed on purpose */
    }
  }
  const message = r.toolCall
    ? { role: 'assistant', content: '', tool_calls: [{ function: { name: r.toolCall.name, arguments: args } }] }
    : { role: 'assistant', content: r.content };
  return [
    { model, created_at: createdAt, message, done: false },
    {
      model,
      created_at: createdAt,
      message: { role: 'assistant', content: '' },
      done: true,
      done_reason: 'stop',
      total_duration: 1_000_000,
      prompt_eval_count: r.usage.prompt_tokens,
      eval_count: r.usage.completion_tokens,
    },
  ];
}

async function startFake(dialect: Dialect): Promise<FakeOpenAi> {
  const requests: FakeRequest[] = [];
  let handler: FakeHandler = (body) => ({ json: defaultReview(body) });
  let seq = 0;
  const sleepers = new Set<NodeJS.Timeout>();
  let closed = false;

  const chatPath = dialect === 'openai' ? '/v1/chat/completions' : '/api/chat';
  const listPath = dialect === 'openai' ? '/v1/models' : '/api/tags';

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        sleepers.delete(t);
        resolve();
      }, ms);
      sleepers.add(t);
    });

  async function answer(reply: FakeReply, body: any, raw: string, res: http.ServerResponse): Promise<void> {
    if ('hang' in reply) return; // the socket stays open until close()
    if ('delayMs' in reply) {
      await wait(reply.delayMs);
      if (closed || res.destroyed) return;
      return answer(reply.then, body, raw, res);
    }
    if ('status' in reply) {
      const text = reply.body ?? JSON.stringify({ error: { message: `fake error ${reply.status}`, type: 'server_error' } });
      const isJson = /^\s*[[{]/.test(text);
      res.writeHead(reply.status, { 'content-type': isJson ? 'application/json' : 'text/plain' });
      res.end(text);
      return;
    }
    const rendered = render(reply, body, raw, reply.usage);
    seq += 1;
    if (dialect === 'openai') {
      if (body?.stream === true) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'the fake server does not stream', type: 'invalid_request_error' } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(openAiCompletion(rendered, body, seq)));
      return;
    }
    const chunks = ollamaChunks(rendered, body);
    if (body?.stream === false) {
      res.writeHead(200, { 'content-type': 'application/json' });
      const [first, last] = chunks as [any, any];
      res.end(JSON.stringify({ ...last, message: first.message }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    res.end(chunks.map((c) => JSON.stringify(c)).join('\n') + '\n');
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      if (req.method === 'GET' && path === listPath) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(
            dialect === 'openai'
              ? { object: 'list', data: [{ id: 'fake-model', object: 'model', created: 0, owned_by: 'tandem-tests' }] }
              : { models: [{ name: 'fake:latest', model: 'fake:latest', size: 1, digest: 'fake' }] },
          ),
        );
        return;
      }
      if (req.method !== 'POST' || path !== chatPath) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `no route ${req.method} ${path}` } }));
        return;
      }
      let body: any = null;
      try {
        body = JSON.parse(raw);
      } catch {
        /* recorded as null */
      }
      requests.push({ body, raw, at: Date.now(), path, headers: req.headers });
      Promise.resolve()
        .then(() => handler(body))
        .then((reply) => answer(reply, body, raw, res))
        .catch((err: unknown) => {
          if (res.headersSent || res.destroyed) return;
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`fake handler threw: ${String(err)}`);
        });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  return {
    url: dialect === 'openai' ? `${origin}/v1` : origin,
    requests,
    setHandler(fn) {
      handler = fn;
    },
    async close() {
      closed = true;
      for (const t of sleepers) clearTimeout(t);
      sleepers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An OpenAI-compatible chat server on 127.0.0.1:0; `url` ends in /v1. */
export function startFakeOpenAi(): Promise<FakeOpenAi> {
  return startFake('openai');
}

/** An Ollama native-API chat server on 127.0.0.1:0; `url` is the origin (ChatOllama's baseUrl). */
export function startFakeOllama(): Promise<FakeOllama> {
  return startFake('ollama');
}
