import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Doc } from 'sharedb/lib/client';
import { COLLECTIONS } from '../lib/protocol';
import { openClient, subscribeText, whenConnected, type BenchClient } from './bench-client';
import { BenchServer, ROOT } from './bench-server';
import { cpuTimeMs, machineBusyPct, machineCpu } from './proc-stats';
import { fmt, log } from './report';
import { quantile, typeQuietly } from './room-flood-scenario';

/**
 * Does AI review move sync latency? (issue 5, benchmark)
 *
 *   npm run bench:ai -- [--rooms 20] [--editors 4] [--cps 5] [--reviews 20] [--concurrency N] [--duration 20]
 *     [--model-delay 3] [--out file.json]
 *
 * One Tandem server process (SQLite, no UI) with AI_PROVIDER pointing at a local fake
 * OpenAI-compatible model that answers after `--model-delay` s, and AI_CONCURRENCY = `--reviews`.
 * A steady classroom load — `--rooms` rooms × `--editors` typists × `--cps` chars/s — runs the
 * whole time; keystroke → peer latency is measured in five interleaved phases of `--duration` s
 * (after 10 s of unrecorded typing, the typists' own warm-up):
 *   A  no reviews;
 *   B  `--reviews` reviews kept running at once (each solo student's workspace gets a new file,
 *      then asks for feedback; when its review is stored it goes again): real ESLint, TypeScript
 *      and pyright on ~60-line files in the review host's worker threads, then the (fake) model;
 *   A B A in turn, so drift (JIT, caches) shows instead of passing for an effect.
 * Goal: mean p99 of the B phases ≤ 1.2 × mean p99 of the A phases.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Options {
  rooms: number;
  editors: number;
  cps: number;
  reviews: number;
  /** AI_CONCURRENCY of the server: reviews actually running at once (the rest wait in the queue). */
  concurrency: number;
  durationS: number;
  modelDelayS: number;
  out: string;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      rooms: { type: 'string', default: '20' },
      editors: { type: 'string', default: '4' },
      cps: { type: 'string', default: '5' },
      reviews: { type: 'string', default: '20' },
      concurrency: { type: 'string' },
      duration: { type: 'string', default: '20' },
      'model-delay': { type: 'string', default: '3' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log('usage: node dist/bench/ai-review-load.js [--rooms n] [--editors n] [--cps n] [--reviews n] [--concurrency n (default: --reviews)] [--duration s] [--model-delay s] [--out file]');
    process.exit(0);
  }
  const num = (name: string, value: string | undefined, min: number) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min}`);
    return n;
  };
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  return {
    rooms: num('rooms', values.rooms, 1),
    editors: num('editors', values.editors, 2),
    cps: num('cps', values.cps, 0.1),
    reviews: num('reviews', values.reviews, 1),
    concurrency: num('concurrency', values.concurrency ?? values.reviews, 1),
    durationS: num('duration', values.duration, 1),
    modelDelayS: num('model-delay', values['model-delay'], 0),
    out: path.resolve(values.out ?? path.join(ROOT, 'bench', 'results', `ai-review-load-${stamp}.json`)),
  };
}

/** A fake OpenAI-compatible model: a structured review of line 1 after `delayMs`. */
async function startFakeModel(delayMs: number): Promise<{ url: string; calls: () => number; close(): Promise<void> }> {
  let calls = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data: [{ id: 'bench', object: 'model' }] }));
        return;
      }
      calls++;
      const review = {
        findings: [{ file: 'main.py', startLine: 1, endLine: 1, severity: 'info', category: 'question', message: 'What does this line do?', hint: null }],
        summary: 'One question.',
      };
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            id: `chatcmpl-${calls}`,
            object: 'chat.completion',
            created: Math.floor(Date.now() / 1000),
            model: 'bench',
            choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: JSON.stringify(review) } }],
            usage: { prompt_tokens: Math.ceil(body.length / 4), completion_tokens: 40, total_tokens: Math.ceil(body.length / 4) + 40 },
          }),
        );
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    calls: () => calls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A small REST client with its own session cookie (one per account). */
class Account {
  cookie = '';
  constructor(private readonly base: string) {}
  async call<T>(method: string, pathname: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.base}${pathname}`, {
      method,
      headers: { 'content-type': 'application/json', ...(this.cookie ? { cookie: this.cookie } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const session = res.headers.getSetCookie().find((c) => c.startsWith('tandem_session='));
    if (session) this.cookie = session.split(';')[0]!;
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${pathname} → ${res.status}: ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : null) as T;
  }
}

/** ~60 lines of beginner Python with a couple of problems, and a JS helper: what analysers chew on. */
function starterFiles(): Array<{ name: string; content: string }> {
  const py: string[] = ['import math', '', ''];
  for (let i = 0; i < 8; i++) {
    py.push(`def step_${i}(values):`, '    total = 0', '    for v in values:', `        total += v * ${i + 1}`, '    return total / len(values)', '', '');
  }
  py.push('print(step_1([1, 2, 3]))', 'print(stepp_2([4, 5]))', 'print(math.sqrt(undefined_value))');
  const js = ['function area(w, h) {', '  const unused = 42;', '  return w * h;', '}', '', 'for (var i = 0; i < 3; i++) {', '  console.log(area(i, 2));', '}', ''];
  return [
    { name: 'main.py', content: `${py.join('\n')}\n` },
    { name: 'helper.js', content: js.join('\n') },
  ];
}

interface PhaseResult {
  phase: string;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  samples: number;
  errors: number;
  serverCpuPct: number;
  machineBusyPct: number;
  reviewsCompleted: number;
  reviewMeanS: number;
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  log(`${o.rooms} rooms × ${o.editors} typists × ${o.cps} chars/s; ${o.reviews} reviews requested at once, AI_CONCURRENCY ${o.concurrency}; model delay ${o.modelDelayS} s; ${o.durationS} s per phase`);
  const model = await startFakeModel(o.modelDelayS * 1000);
  const server = await BenchServer.start('tandem', {
    nodeArgs: [],
    env: {
      AI_PROVIDER: 'openai',
      AI_BASE_URL: model.url,
      AI_MODEL: 'bench',
      AI_API_KEY: 'bench',
      AI_CONCURRENCY: String(o.concurrency),
      AI_TIMEOUT_SECONDS: '120',
    },
  });
  const clients: BenchClient[] = [];
  try {
    // Typing rooms: personal workspaces of the bench account.
    const docIds = await server.createRooms(o.rooms);
    const rooms: Array<Array<Doc<string>>> = [];
    for (const [r, docId] of docIds.entries()) {
      const docs: Array<Doc<string>> = [];
      for (let t = 0; t < o.editors; t++) {
        const client = openClient('tandem', server.url, `typist-${r}-${t}-${process.pid}`, server.cookie);
        clients.push(client);
        await whenConnected(client.connection, 20_000);
        docs.push(await subscribeText(client.connection, COLLECTIONS.files, docId));
      }
      rooms.push(docs);
    }

    // Review workload: one solo assignment, one student (and workspace) per concurrent review.
    const teacher = new Account(server.url);
    await teacher.call('POST', '/api/auth/signup', { email: `ai-bench-teacher-${process.pid}@example.edu`, password: 'bench-password-1', displayName: 'Bench Teacher' });
    const klass = await teacher.call<{ id: string; joinCode: string }>('POST', '/api/classes', { name: 'Bench class' });
    const assignment = await teacher.call<{ id: string }>('POST', `/api/classes/${klass.id}/assignments`, {
      title: 'Bench lab',
      instructions: 'Compute the averages.',
      language: 'python',
      starterFiles: starterFiles(),
      mode: 'solo',
      pairing: 'manual',
      strictRoles: false,
    });
    await teacher.call('PATCH', `/api/assignments/${assignment.id}`, { published: true });
    await teacher.call('PUT', `/api/assignments/${assignment.id}/ai-settings`, {
      helpLevel: 'hints',
      approvalRequired: true,
      guidance: '',
      hiddenNotes: '',
      onDemandPerHour: 1000,
    });
    const students: Array<{ account: Account; workspaceId: string }> = [];
    for (let i = 0; i < o.reviews; i++) {
      const account = new Account(server.url);
      await account.call('POST', '/api/auth/signup', {
        email: `ai-bench-${process.pid}-${i}@example.edu`,
        password: 'bench-password-1',
        displayName: `Student ${i}`,
        joinCode: klass.joinCode,
      });
      const opened = await account.call<{ workspaceId: string }>('POST', `/api/assignments/${assignment.id}/open`);
      students.push({ account, workspaceId: opened.workspaceId });
    }
    log(`${o.rooms * o.editors} typists connected; ${students.length} review workspaces ready`);

    let reviewing = false;
    const durations: number[] = [];
    let completedInPhase = 0;
    /** Ask for feedback on the workspace as it is and wait until that review is stored. */
    const askAndWait = async (st: { account: Account; workspaceId: string }, index: number) => {
      const started = Date.now();
      const before = (await st.account.call<{ awaitingApproval: number }>('GET', `/api/workspaces/${st.workspaceId}/ai-reviews`)).awaitingApproval;
      await st.account.call('POST', `/api/workspaces/${st.workspaceId}/ai-reviews`);
      for (;;) {
        // Polling once a second, like a browser tab would refresh (the push is what the UI uses).
        await sleep(1000);
        const now = await st.account.call<{ pending: number; awaitingApproval: number }>('GET', `/api/workspaces/${st.workspaceId}/ai-reviews`);
        if (now.pending === 0 && now.awaitingApproval > before) break;
        if (Date.now() - started > 300_000) throw new Error(`review ${index} took more than 5 minutes`);
      }
      return (Date.now() - started) / 1000;
    };
    /** One student's loop: change the workspace (a new file, so it is not the reviewed version), ask, wait, again. */
    const reviewLoop = async (st: { account: Account; workspaceId: string }, index: number) => {
      let n = 0;
      while (reviewing) {
        await st.account.call('POST', `/api/workspaces/${st.workspaceId}/files`, { name: `notes-${index}-${Date.now()}-${n++}.txt` });
        durations.push(await askAndWait(st, index));
        completedInPhase++;
      }
    };

    let keystroke = 0;
    const phase = async (name: string): Promise<PhaseResult> => {
      completedInPhase = 0;
      const durationsFrom = durations.length;
      const cpu0 = cpuTimeMs(server.pid);
      const machine0 = machineCpu();
      const started = performance.now();
      const perRoom = await Promise.all(
        rooms.map((docs, r) => typeQuietly(docs, { cps: o.cps, durationMs: o.durationS * 1000, firstKeystroke: keystroke, seed: 5005 + r })),
      );
      const elapsedMs = performance.now() - started;
      keystroke += Math.max(...perRoom.map((r) => r.keystrokes));
      const latencies = perRoom.flatMap((r) => r.latenciesMs);
      const phaseDurations = durations.slice(durationsFrom);
      return {
        phase: name,
        p50Ms: quantile(latencies, 0.5),
        p99Ms: quantile(latencies, 0.99),
        maxMs: quantile(latencies, 1),
        samples: latencies.length,
        errors: perRoom.reduce((n, r) => n + r.errors + r.missing, 0),
        serverCpuPct: ((cpuTimeMs(server.pid) - cpu0) * 100) / elapsedMs,
        machineBusyPct: machineBusyPct(machine0, machineCpu()) * os.availableParallelism(),
        reviewsCompleted: completedInPhase,
        reviewMeanS: phaseDurations.length ? phaseDurations.reduce((a, b) => a + b, 0) / phaseDurations.length : NaN,
      };
    };

    log('warm-up: one review per workspace (starts the worker threads and loads the analysers)');
    await Promise.all(students.map((st, i) => askAndWait(st, i)));
    await sleep(3000);

    const results: PhaseResult[] = [];
    // The typists' own warm-up (JIT, socket buffers), not recorded: the first phase is otherwise slower.
    log('typing warm-up, 10 s (not recorded)');
    const saved = o.durationS;
    o.durationS = 10;
    await phase('warm-up');
    o.durationS = saved;
    // Interleaved A B A B A, so a slow drift (JIT, caches, file growth) cannot pass for an effect.
    for (let round = 0; round < 5; round++) {
      if (round % 2 === 0) {
        log(`phase A${round / 2 + 1}: typing only, ${o.durationS} s`);
        results.push(await phase(`A${round / 2 + 1}: no reviews`));
        continue;
      }
      log(`phase B${(round + 1) / 2}: typing + ${o.reviews} concurrent reviews, ${o.durationS} s`);
      reviewing = true;
      // A failing loop must not crash the driver mid-phase (and orphan the server): kept, thrown after.
      let loopError: unknown = null;
      const loops = students.map((st, i) =>
        reviewLoop(st, i).catch((err: unknown) => {
          loopError ??= err;
          reviewing = false;
        }),
      );
      await sleep(2000); // every loop has its review running
      results.push(await phase(`B${(round + 1) / 2}: ${o.reviews} reviews running`));
      reviewing = false;
      await Promise.all(loops);
      if (loopError) throw loopError;
      await sleep(3000);
    }

    const pooled = (prefix: string) => results.filter((r) => r.phase.startsWith(prefix));
    const meanP99 = (rs: PhaseResult[]) => rs.reduce((n, r) => n + r.p99Ms, 0) / rs.length;
    const ratioB = meanP99(pooled('B')) / meanP99(pooled('A'));
    const rows = [['phase', 'p50 ms', 'p99 ms', 'max ms', 'samples', 'errors', 'server CPU %', 'machine busy %', 'reviews done', 'mean review s']];
    for (const r of results) {
      rows.push([r.phase, fmt(r.p50Ms), fmt(r.p99Ms), fmt(r.maxMs), String(r.samples), String(r.errors), fmt(r.serverCpuPct, 0), fmt(r.machineBusyPct, 0), String(r.reviewsCompleted), fmt(r.reviewMeanS)]);
    }
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length)));
    console.log(`\nkeystroke → peer latency with and without concurrent AI reviews (${os.availableParallelism()} cores, node ${process.version})`);
    console.log(rows.map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n'));
    console.log(`\nmean p99 of the B phases / mean p99 of the A phases = ${fmt(ratioB, 2)}× (goal ≤ 1.2×: ${ratioB <= 1.2 ? 'MET' : 'MISSED'}); model calls: ${model.calls()}`);
    fs.mkdirSync(path.dirname(o.out), { recursive: true });
    const machine = { nproc: os.availableParallelism(), cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version, date: new Date().toISOString() };
    fs.writeFileSync(o.out, `${JSON.stringify({ machine, options: { ...o, out: path.relative(ROOT, o.out) }, results, p99Ratio: ratioB }, null, 2)}\n`);
    console.log(`JSON: ${path.relative(process.cwd(), o.out)}`);
  } catch (err) {
    console.error(`--- last server output ---\n${server.logs.slice(-40).join('\n')}`);
    throw err;
  } finally {
    for (const c of clients) c.close();
    await server.stop();
    await model.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
