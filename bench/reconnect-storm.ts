import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SHUTDOWN_BUDGET_MS } from '../lib/limits';
import { BenchServer, ROOT } from './bench-server';
import { Histogram, type LatencySummary } from './histogram';
import { KEYSTROKE_POOL_SIZE } from './keystroke-chars';
import { formatProfileSummary, summarizeProfileWindow, type ProfileSummary } from './profile-summary';
import { RssSampler, cpuTimeMs, machineBusyPct, machineCpu, rssKb, schedStat } from './proc-stats';
import type {
  ClientReconnect,
  DriverToReconnectWorker,
  KeystrokeCheck,
  KeystrokeCount,
  ReconnectWorkerResult,
  ReconnectWorkerToDriver,
} from './reconnect-messages';
import { fmt, log } from './report';
import { machineFacts, waitForQuietMachine } from './machine';
import { forkWorker, killAll, nextMessage } from './worker-ipc';

/**
 * Reconnect storm (issue 6 goal: "10,000 clients reconnecting after a restart are all back within
 * 30 s with no lost edits"; one Tandem process, SQLite store).
 *
 *   npm run bench:reconnect -- --clients 10000 --per-doc 10 --signal kill --out bench/results/reconnect-10000.json
 *
 * Starts Tandem on a fresh data dir, creates one small file doc per `--per-doc` clients, and forks
 * reconnect-worker processes that open `--clients` TandemClients (the product's client and its
 * reconnection settings) and subscribe each to its doc. One client per doc (`--editors-per-doc`)
 * types unique characters for `--type-before` seconds. Then the server is killed (`--signal kill`,
 * a crash, or `term`, a graceful shutdown) while the editors keep typing, and after `--outage`
 * seconds a new server starts on the same port and data dir. Each editor types until its own
 * client is connected again. Measured from the new server's "listening": when every client is
 * connected, resubscribed and has nothing pending; each client's time, attempts, refusals
 * (load shedding), and where its time went; the server's CPU and RSS. Then every doc is checked on
 * every client and on a fresh fetch: equal everywhere, and every keystroke (acked before the kill,
 * unacked at the kill, typed during the outage) there exactly once. Results: a table on stdout and
 * JSON in `--out`.
 */

const WORKER = path.join(__dirname, 'reconnect-worker.js');
const GOAL = { clients: 10_000, backWithinMs: 30_000 };
const CHECK_TIMEOUT_MS = 120_000;
const SETTLE_BEFORE_TYPING_MS = 2000;
const TIMELINE_INTERVAL_MS = 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface StormOptions {
  clients: number;
  perDoc: number;
  editorsPerDoc: number;
  cps: number;
  typeBeforeS: number;
  outageS: number;
  signal: 'SIGKILL' | 'SIGTERM';
  workers: number;
  concurrency: number;
  stormTimeoutS: number;
  waitQuietS: number;
  seed: number;
  out: string;
  profile: boolean;
  serverNodeArgs: string[];
  serverEnv: Record<string, string>;
  dataRoot: string;
}

const USAGE = [
  'usage: npm run bench:reconnect -- [flags]',
  '  --clients 10000 --per-doc 10          clients, and clients subscribed to each doc',
  '  --editors-per-doc 1 --cps 1           clients of each doc that type, and their chars/s (Poisson)',
  '  --type-before 5                        seconds of typing before the kill',
  '  --signal kill|term                     SIGKILL (a crash; default) or SIGTERM (graceful shutdown)',
  '  --outage 2                             seconds between the old server\'s exit and the new one\'s start',
  '  --workers 4                            load-generator processes (each holds whole docs)',
  '  --concurrency 50                       connections each worker opens at once during setup (not in the storm)',
  '  --storm-timeout 120                    give up waiting for clients this many seconds after the restart',
  '  --wait-quiet 180                       before the run wait up to N s for the machine to be idle (0: do not wait)',
  '  --seed N                               keystroke stream seed (printed; random by default)',
  '  --out bench/results/<name>.json        where the JSON goes',
  '  --profile                              run the restarted server under --cpu-prof and summarise the storm',
  '  --server-node-args "..."               extra node flags for both server processes',
  '  --server-env KEY=VALUE                 extra env for both server processes (repeatable)',
  '  --data-root /tmp                       where the server data dir (SQLite files) is created',
].join('\n');

function parseStormOptions(argv: string[]): StormOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      clients: { type: 'string', default: '10000' },
      'per-doc': { type: 'string', default: '10' },
      'editors-per-doc': { type: 'string', default: '1' },
      cps: { type: 'string', default: '1' },
      'type-before': { type: 'string', default: '5' },
      signal: { type: 'string', default: 'kill' },
      outage: { type: 'string', default: '2' },
      workers: { type: 'string', default: '4' },
      concurrency: { type: 'string', default: '50' },
      'storm-timeout': { type: 'string', default: '120' },
      'wait-quiet': { type: 'string', default: '180' },
      seed: { type: 'string' },
      out: { type: 'string' },
      profile: { type: 'boolean', default: false },
      'server-node-args': { type: 'string', default: '' },
      'server-env': { type: 'string', multiple: true, default: [] },
      'data-root': { type: 'string', default: os.tmpdir() },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const num = (name: string, value: string | undefined, min: number): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min} (got ${value})`);
    return n;
  };
  const signal = values.signal === 'kill' ? 'SIGKILL' : values.signal === 'term' ? 'SIGTERM' : null;
  if (!signal) throw new Error('--signal must be kill or term');
  const serverEnv: Record<string, string> = {};
  for (const pair of values['server-env'] ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--server-env expects KEY=VALUE (got ${pair})`);
    serverEnv[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const options: StormOptions = {
    clients: num('clients', values.clients, 1),
    perDoc: num('per-doc', values['per-doc'], 1),
    editorsPerDoc: num('editors-per-doc', values['editors-per-doc'], 0),
    cps: num('cps', values.cps, 0.01),
    typeBeforeS: num('type-before', values['type-before'], 0),
    outageS: num('outage', values.outage, 0),
    signal,
    workers: num('workers', values.workers, 1),
    concurrency: num('concurrency', values.concurrency, 1),
    stormTimeoutS: num('storm-timeout', values['storm-timeout'], 1),
    waitQuietS: num('wait-quiet', values['wait-quiet'], 0),
    seed: values.seed !== undefined ? num('seed', values.seed, 0) : Math.floor(Math.random() * 2 ** 31),
    out: '',
    profile: values.profile ?? false,
    serverNodeArgs: (values['server-node-args'] ?? '').split(/\s+/).filter(Boolean),
    serverEnv,
    dataRoot: path.resolve(values['data-root'] ?? os.tmpdir()),
  };
  if (options.clients % options.perDoc !== 0) throw new Error('--clients must be a multiple of --per-doc');
  if (options.editorsPerDoc > options.perDoc) throw new Error('--editors-per-doc must be at most --per-doc');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  options.out = path.resolve(ROOT, values.out ?? path.join('bench', 'results', `reconnect-${options.clients}-${stamp}.json`));
  // An editor types until its client is back, at worst until the storm times out.
  const perDoc = options.editorsPerDoc * options.cps * (options.typeBeforeS + options.outageS + options.stormTimeoutS + 30) * 1.5 + 100;
  if (perDoc > KEYSTROKE_POOL_SIZE) throw new Error(`about ${Math.round(perDoc)} keystrokes per doc exceed the ${KEYSTROKE_POOL_SIZE} unique characters available`);
  return options;
}



/** Epoch ms of the server's "tandem listening" log line (pino's own timestamp), if found. */
function listeningEpochMs(server: BenchServer): number | null {
  for (const line of server.logs) {
    if (!line.includes('"tandem listening"')) continue;
    const time = (JSON.parse(line) as { time?: unknown }).time;
    const ms = typeof time === 'number' ? time : typeof time === 'string' ? Date.parse(time) : NaN;
    return Number.isFinite(ms) ? ms : null;
  }
  return null;
}

/**
 * Kernel TCP counters (/proc/net/netstat TcpExt, /proc/net/snmp Tcp). They count every socket in
 * this network namespace, other engineers' loopback traffic included; deltas over a window show
 * whether connection attempts met a full accept queue (ListenOverflows: the server's listen
 * backlog, 511 in Node by default, was full) or were refused.
 */
const TCP_COUNTERS = [
  'TcpExt.ListenOverflows',
  'TcpExt.ListenDrops',
  'TcpExt.SyncookiesSent',
  'TcpExt.SyncookiesRecv',
  'TcpExt.SyncookiesFailed',
  'TcpExt.TCPReqQFullDoCookies',
  'TcpExt.TCPReqQFullDrop',
  'TcpExt.TCPTimeouts',
  'TcpExt.TCPSynRetrans',
  'Tcp.ActiveOpens',
  'Tcp.PassiveOpens',
  'Tcp.AttemptFails',
  'Tcp.EstabResets',
  'Tcp.OutRsts',
  'Tcp.RetransSegs',
];

function tcpCounters(): Record<string, number> {
  const values: Record<string, number> = {};
  for (const file of ['/proc/net/netstat', '/proc/net/snmp']) {
    let lines: string[];
    try {
      lines = fs.readFileSync(file, 'utf8').split('\n');
    } catch {
      continue;
    }
    // Pairs of lines: "Prefix: name name …" then "Prefix: value value …".
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const names = lines[i]!.trim().split(/\s+/);
      const numbers = lines[i + 1]!.trim().split(/\s+/);
      const prefix = names[0]?.replace(/:$/, '');
      if (!prefix || numbers[0] !== names[0]) continue;
      names.slice(1).forEach((name, j) => {
        const key = `${prefix}.${name}`;
        if (TCP_COUNTERS.includes(key)) values[key] = Number(numbers[j + 1]);
      });
    }
  }
  return values;
}

function counterDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((key) => [key, after[key]! - (before[key] ?? 0)]));
}

/** `name{labels} value` lines of a Prometheus scrape, keyed by the label text ('' without labels). */
function metricValues(text: string, name: string): Record<string, number> {
  const values: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^(\w+)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (match && match[1] === name) values[match[2] ?? ''] = Number(match[3]);
  }
  return values;
}

async function scrapeMetrics(server: BenchServer): Promise<Record<string, Record<string, number>> | null> {
  try {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const names = [
      'tandem_handshakes_shed_total',
      'tandem_anomalies_total',
      'tandem_event_loop_overloaded',
      'tandem_load_shedding',
      'tandem_sockets_active',
      'tandem_doc_subscriptions',
    ];
    return Object.fromEntries(names.map((name) => [name, metricValues(text, name)]));
  } catch (err) {
    log(`metrics scrape failed: ${(err as Error).message}`);
    return null;
  }
}

interface TimelinePoint {
  /** Seconds since the new server's "listening". */
  tS: number;
  back: number;
  connected: number;
  serverCpuPct: number;
  serverRssMb: number;
}

interface Distribution extends LatencySummary {
  /** Clients without a value (never back, or never needed it). */
  missing: number;
}

function distribution(values: Array<number | null>): Distribution {
  const histogram = new Histogram();
  let missing = 0;
  for (const v of values) {
    if (v === null) missing++;
    else histogram.record(v);
  }
  return { ...histogram.summary(), missing };
}

function countBy(values: number[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[String(v)] = (counts[String(v)] ?? 0) + 1;
  return counts;
}

function addCounts(a: KeystrokeCount, b: KeystrokeCount): KeystrokeCount {
  return { typed: a.typed + b.typed, intact: a.intact + b.intact, lost: a.lost + b.lost, duplicated: a.duplicated + b.duplicated };
}

function profileArgs(options: StormOptions): { args: string[]; dir: string | null } {
  if (!options.profile) return { args: options.serverNodeArgs, dir: null };
  const dir = path.join(path.dirname(options.out), 'profiles', `${path.basename(options.out, '.json')}-restarted`);
  fs.mkdirSync(dir, { recursive: true });
  return { args: [...options.serverNodeArgs, '--cpu-prof', `--cpu-prof-dir=${dir}`], dir };
}

/** Wait for every worker's `back`, logging progress; gives up at `deadline` (epoch ms). */
function watchStorm(
  workers: ChildProcess[],
  deadline: number,
  progress: Array<{ back: number; connected: number }>,
  onTick: () => void,
): Promise<{ lastBackEpochMs: number | null }> {
  return new Promise((resolve) => {
    const backAt: Array<number | null> = workers.map(() => null);
    const listeners = workers.map((worker, w) => {
      const listener = (message: ReconnectWorkerToDriver) => {
        if (message.type === 'progress') progress[w] = { back: message.back, connected: message.connected };
        else if (message.type === 'back') backAt[w] = message.lastBackEpochMs;
        if (backAt.every((t) => t !== null)) finish();
      };
      worker.on('message', listener);
      return listener;
    });
    const tick = setInterval(onTick, TIMELINE_INTERVAL_MS);
    const timer = setTimeout(() => finish(), Math.max(0, deadline - Date.now()));
    let done = false;
    function finish(): void {
      if (done) return;
      done = true;
      clearInterval(tick);
      clearTimeout(timer);
      workers.forEach((worker, w) => worker.off('message', listeners[w]!));
      const all = backAt.every((t) => t !== null);
      resolve({ lastBackEpochMs: all ? Math.max(...(backAt as number[])) : null });
    }
  });
}

async function runStorm(options: StormOptions) {
  const profiling = profileArgs(options);
  const docCount = options.clients / options.perDoc;
  const first = await BenchServer.start('tandem', { nodeArgs: options.serverNodeArgs, env: options.serverEnv, dataRoot: options.dataRoot });
  let second: BenchServer | null = null;
  const workers: ChildProcess[] = [];
  try {
    const docIds = await first.createRooms(docCount);
    log(`server 1 on port ${first.port} (data ${first.dataDir}); ${docCount} docs created`);

    // Each worker holds whole docs, so it can compare every client of a doc.
    const workerCount = Math.min(options.workers, docCount);
    const setupStarted = Date.now();
    const readies = [];
    for (let w = 0; w < workerCount; w++) {
      const from = Math.floor((w * docCount) / workerCount);
      const to = Math.floor(((w + 1) * docCount) / workerCount);
      const worker = forkWorker(WORKER);
      workers.push(worker);
      worker.send({
        type: 'setup',
        url: first.url,
        cookie: first.cookie,
        docs: docIds.slice(from, to).map((docId, i) => ({ index: from + i, docId })),
        firstClient: from * options.perDoc,
        perDoc: options.perDoc,
        editorsPerDoc: options.editorsPerDoc,
        cps: options.cps,
        seed: options.seed,
        concurrency: options.concurrency,
      } satisfies DriverToReconnectWorker);
      readies.push(nextMessage<ReconnectWorkerToDriver, 'ready'>(worker, 'ready', 900_000));
    }
    const ready = await Promise.all(readies);
    const connected = ready.reduce((n, r) => n + r.connected, 0);
    const setupMs = Date.now() - setupStarted;
    log(`${connected}/${options.clients} clients connected and subscribed in ${(setupMs / 1000).toFixed(1)} s`);
    if (connected < options.clients) log(`first setup error: ${ready.find((r) => r.firstError)?.firstError ?? '?'}`);
    const serverRssBeforeKillKb = rssKb(first.pid);
    await sleep(SETTLE_BEFORE_TYPING_MS);

    const typeStart = Date.now() + 200;
    for (const worker of workers) worker.send({ type: 'type', startEpochMs: typeStart } satisfies DriverToReconnectWorker);
    await sleep(typeStart + options.typeBeforeS * 1000 - Date.now());

    // The kill. Editors keep typing; each stops once its own client is connected again.
    const tcpAtKill = tcpCounters();
    const killEpochMs = Date.now();
    for (const worker of workers) worker.send({ type: 'killing', killEpochMs } satisfies DriverToReconnectWorker);
    const exited = new Promise<void>((resolve) => (first.child.exitCode !== null ? resolve() : first.child.once('exit', () => resolve())));
    first.child.kill(options.signal);
    const hardStop = setTimeout(() => first.child.kill('SIGKILL'), SHUTDOWN_BUDGET_MS + 5000);
    await exited;
    clearTimeout(hardStop);
    const exitEpochMs = Date.now();
    log(`server 1 ${options.signal} → exited in ${exitEpochMs - killEpochMs} ms; restarting in ${options.outageS} s on port ${first.port}`);
    await sleep(options.outageS * 1000);

    const spawnEpochMs = Date.now();
    second = await BenchServer.start('tandem', {
      nodeArgs: profiling.args,
      env: { ...options.serverEnv, PORT: String(first.port) },
      dataDir: first.dataDir,
    });
    const listening = listeningEpochMs(second) ?? Date.now();
    const tcpAtListening = tcpCounters();
    const cpu0 = cpuTimeMs(second.pid);
    const sched0 = schedStat(second.pid);
    const machine0 = machineCpu();
    const hr0 = process.hrtime.bigint();
    const workerCpu0 = workers.map((w) => cpuTimeMs(w.pid!));
    const rss = new RssSampler(second.pid, 250).start();
    const rssAtListeningKb = rssKb(second.pid);
    for (const worker of workers) worker.send({ type: 'restarted', listeningEpochMs: listening } satisfies DriverToReconnectWorker);
    log(`server 2 listening ${listening - spawnEpochMs} ms after spawn; storm clock started`);

    const progress = workers.map(() => ({ back: 0, connected: 0 }));
    const timeline: TimelinePoint[] = [];
    let lastCpu = cpu0;
    let lastAt = Date.now();
    const serverPid = second.pid;
    const storm = await watchStorm(workers, listening + options.stormTimeoutS * 1000, progress, () => {
      const now = Date.now();
      const cpu = cpuTimeMs(serverPid);
      const point: TimelinePoint = {
        tS: (now - listening) / 1000,
        back: progress.reduce((n, p) => n + p.back, 0),
        connected: progress.reduce((n, p) => n + p.connected, 0),
        serverCpuPct: (100 * (cpu - lastCpu)) / (now - lastAt),
        serverRssMb: rssKb(serverPid) / 1024,
      };
      timeline.push(point);
      lastCpu = cpu;
      lastAt = now;
      if (timeline.length % 5 === 0) {
        log(`t+${point.tS.toFixed(0)} s: ${point.back}/${connected} back, ${point.connected} connected; server CPU ${fmt(point.serverCpuPct, 0)} %`);
      }
    });
    const stormEnd = Date.now();
    const tcpAtStormEnd = tcpCounters();
    const cpu1 = cpuTimeMs(second.pid);
    const sched1 = schedStat(second.pid);
    const machine1 = machineCpu();
    const hr1 = process.hrtime.bigint();
    const workerCpu1 = workers.map((w) => cpuTimeMs(w.pid!));
    rss.stop();
    const metrics = await scrapeMetrics(second);
    log(storm.lastBackEpochMs !== null ? `all back ${storm.lastBackEpochMs - listening} ms after listening; checking every doc…` : `storm timed out; checking every doc…`);

    const results = workers.map((worker) => nextMessage<ReconnectWorkerToDriver, 'result'>(worker, 'result', CHECK_TIMEOUT_MS + 60_000));
    for (const worker of workers) worker.send({ type: 'check', timeoutMs: CHECK_TIMEOUT_MS } satisfies DriverToReconnectWorker);
    const finished = await Promise.all(results);
    for (const worker of workers) worker.send({ type: 'close' } satisfies DriverToReconnectWorker);
    const selfHealingLog = second.logs.filter((line) => line.includes('self-healing'));
    await second.stop();
    const profile = profiling.dir ? summarizeProfileWindow(profiling.dir, hr0, hr1) : null;

    const windowMs = stormEnd - listening;
    const serverCpuMs = cpu1 - cpu0;
    const loadGenCpuMs = workerCpu1.reduce((n, c, i) => n + c - workerCpu0[i]!, 0);
    const machinePct = machineBusyPct(machine0, machine1);
    return summarize(options, finished, {
      machineBusyPct: machinePct,
      otherProcessesCpuPct: Math.max(0, machinePct * os.availableParallelism() - (100 * (serverCpuMs + loadGenCpuMs)) / windowMs),
      docCount,
      workerCount,
      connected,
      setupFailed: ready.reduce((n, r) => n + r.failed, 0),
      setupMs,
      port: first.port,
      killEpochMs,
      killToExitMs: exitEpochMs - killEpochMs,
      exitToSpawnMs: spawnEpochMs - exitEpochMs,
      startupMs: listening - spawnEpochMs,
      allBackMs: storm.lastBackEpochMs !== null ? storm.lastBackEpochMs - listening : null,
      windowMs,
      serverCpuMs,
      serverOnCpuMs: (sched1.onCpuNs - sched0.onCpuNs) / 1e6,
      serverRunQueueMs: (sched1.runQueueNs - sched0.runQueueNs) / 1e6,
      loadGenCpuMs,
      serverRssBeforeKillKb,
      rssAtListeningKb,
      rssPeakKb: rss.peakKb,
      rssEndKb: rss.lastKb,
      metrics,
      selfHealingLog: selfHealingLog.slice(-20),
      tcp: { outage: counterDelta(tcpAtKill, tcpAtListening), storm: counterDelta(tcpAtListening, tcpAtStormEnd) },
      timeline,
      profile,
    });
  } catch (err) {
    for (const [name, server] of [['server 1', first], ['server 2', second]] as const) {
      if (server) console.error(`--- ${name} output (last lines) ---\n${server.logs.slice(-30).join('\n')}`);
    }
    throw err;
  } finally {
    killAll(workers);
    await second?.stop();
    // Server 1 made the data dir; its stop removes it (the process itself is long gone).
    await first.stop();
  }
}

interface StormSide {
  machineBusyPct: number;
  otherProcessesCpuPct: number;
  docCount: number;
  workerCount: number;
  connected: number;
  setupFailed: number;
  setupMs: number;
  port: number;
  killEpochMs: number;
  killToExitMs: number;
  exitToSpawnMs: number;
  startupMs: number;
  allBackMs: number | null;
  windowMs: number;
  serverCpuMs: number;
  serverOnCpuMs: number;
  serverRunQueueMs: number;
  loadGenCpuMs: number;
  serverRssBeforeKillKb: number;
  rssAtListeningKb: number;
  rssPeakKb: number;
  rssEndKb: number;
  metrics: Record<string, Record<string, number>> | null;
  selfHealingLog: string[];
  /** Kernel TCP counter deltas from the kill to "listening", and over the storm (whole namespace). */
  tcp: { outage: Record<string, number>; storm: Record<string, number> };
  timeline: TimelinePoint[];
  profile: ProfileSummary | null;
}

function summarize(options: StormOptions, results: ReconnectWorkerResult[], side: StormSide) {
  const clients: ClientReconnect[] = results.flatMap((r) => r.clients);
  const back = clients.filter((c) => c.backMs !== null).length;
  const keystrokes: KeystrokeCheck = results.reduce<KeystrokeCheck>(
    (sum, r) => ({
      ackedBeforeKill: addCounts(sum.ackedBeforeKill, r.keystrokes.ackedBeforeKill),
      unackedAtKill: addCounts(sum.unackedAtKill, r.keystrokes.unackedAtKill),
      typedDuringOutage: addCounts(sum.typedDuringOutage, r.keystrokes.typedDuringOutage),
    }),
    {
      ackedBeforeKill: { typed: 0, intact: 0, lost: 0, duplicated: 0 },
      unackedAtKill: { typed: 0, intact: 0, lost: 0, duplicated: 0 },
      typedDuringOutage: { typed: 0, intact: 0, lost: 0, duplicated: 0 },
    },
  );
  const classes = Object.values(keystrokes);
  const lostEdits = classes.reduce((n, k) => n + k.lost, 0);
  const duplicatedEdits = classes.reduce((n, k) => n + k.duplicated, 0);
  const docsConverged = results.reduce((n, r) => n + r.docsConverged, 0);
  const refusalsByReason: Record<string, number> = {};
  for (const r of results) for (const [reason, n] of Object.entries(r.refusalsByReason)) refusalsByReason[reason] = (refusalsByReason[reason] ?? 0) + n;
  const windowMs = side.windowMs;
  const storm = {
    clients: clients.length,
    back,
    allBack: side.allBackMs !== null,
    allBackMs: side.allBackMs,
    backMs: distribution(clients.map((c) => c.backMs)),
    firstAttemptMs: distribution(clients.map((c) => c.firstAttemptMs)),
    handshakeMs: distribution(clients.map((c) => c.handshakeMs)),
    resyncMs: distribution(clients.map((c) => c.resyncMs)),
    sharedbHandshakeMs: distribution(clients.map((c) => c.sharedbHandshakeMs)),
    resubscribeMs: distribution(clients.map((c) => c.resubscribeMs)),
    editorBackMs: distribution(clients.filter((c) => c.editor).map((c) => c.backMs)),
    watcherBackMs: distribution(clients.filter((c) => !c.editor).map((c) => c.backMs)),
    /** The slowest clients with their whole breakdown (never-back ones first). */
    slowest: [...clients].sort((a, b) => (b.backMs ?? Number.MAX_SAFE_INTEGER) - (a.backMs ?? Number.MAX_SAFE_INTEGER)).slice(0, 10),
    attempts: countBy(clients.map((c) => c.attempts)),
    clientsNeedingMoreThanOneAttempt: clients.filter((c) => c.attempts > 1).length,
    attemptsDuringOutage: countBy(clients.map((c) => c.attemptsDuringOutage)),
    refusals: { clients: clients.filter((c) => c.refusals > 0).length, total: clients.reduce((n, c) => n + c.refusals, 0), byReason: refusalsByReason },
    connectErrors: {
      clients: clients.filter((c) => c.connectErrors > 0).length,
      total: clients.reduce((n, c) => n + c.connectErrors, 0),
      samples: [...new Set(results.flatMap((r) => r.connectErrorSamples))].slice(0, 10),
    },
    dropsAfterBack: clients.reduce((n, c) => n + c.dropsAfterBack, 0),
    server: {
      cpuPct: (100 * side.serverCpuMs) / windowMs,
      cpuMs: side.serverCpuMs,
      mainThreadOnCpuPct: (100 * side.serverOnCpuMs) / windowMs,
      mainThreadRunQueuePct: (100 * side.serverRunQueueMs) / windowMs,
      rssKbBeforeKill: side.serverRssBeforeKillKb,
      rssKbAtListening: side.rssAtListeningKb,
      rssKbPeak: side.rssPeakKb,
      rssKbEnd: side.rssEndKb,
      metrics: side.metrics,
      selfHealingLog: side.selfHealingLog,
    },
    loadGenerator: {
      cpuPct: (100 * side.loadGenCpuMs) / windowMs,
      loopDelayP99Ms: Math.max(...results.map((r) => r.loopDelayP99Ms)),
      loopDelayMaxMs: Math.max(...results.map((r) => r.loopDelayMaxMs)),
    },
    windowMs,
    machineBusyPct: side.machineBusyPct,
    otherProcessesCpuPct: side.otherProcessesCpuPct,
    tcp: side.tcp,
    timeline: side.timeline,
    traces: results.flatMap((r) => r.traces),
  };
  const edits = {
    keystrokes,
    lostEdits,
    duplicatedEdits,
    docsChecked: results.reduce((n, r) => n + r.docsChecked, 0),
    docsConverged,
    converged: docsConverged === side.docCount && lostEdits === 0 && duplicatedEdits === 0,
    ackErrors: results.reduce((n, r) => n + r.ackErrors, 0),
    firstAckError: results.find((r) => r.firstAckError)?.firstAckError ?? null,
    problems: results.flatMap((r) => r.problems).slice(0, 20),
    settleMs: Math.max(...results.map((r) => r.settleMs)),
  };
  const atGoalSize = options.clients >= GOAL.clients;
  const withinGoal = storm.allBackMs !== null && storm.allBackMs <= GOAL.backWithinMs;
  const setupComplete = side.connected === options.clients;
  const goal = {
    goal: `${GOAL.clients.toLocaleString('en')} clients back within ${GOAL.backWithinMs / 1000} s of a restart with no lost edits (Tandem, SQLite)`,
    met: atGoalSize ? setupComplete && withinGoal && edits.converged : null,
    detail:
      (setupComplete ? '' : `only ${side.connected}/${options.clients} clients connected before the restart; `) +
      `${back}/${clients.length} back` +
      (storm.allBackMs !== null ? ` in ${fmt(storm.allBackMs / 1000)} s` : ` (not all within the ${options.stormTimeoutS} s timeout)`) +
      `; ${lostEdits} lost, ${duplicatedEdits} duplicated of ${classes.reduce((n, k) => n + k.typed, 0)} keystrokes; ` +
      `${docsConverged}/${side.docCount} docs converged` +
      (atGoalSize ? '' : ` (${options.clients} clients: not the goal size)`),
  };
  return {
    setup: {
      clients: options.clients,
      connected: side.connected,
      failed: side.setupFailed,
      docs: side.docCount,
      workers: side.workerCount,
      connectMs: side.setupMs,
    },
    restart: {
      signal: options.signal,
      port: side.port,
      killEpochMs: side.killEpochMs,
      killToExitMs: side.killToExitMs,
      exitToSpawnMs: side.exitToSpawnMs,
      startupMs: side.startupMs,
    },
    storm,
    edits,
    goal,
    profile: side.profile,
  };
}

type StormReport = Awaited<ReturnType<typeof runStorm>>;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

function distributionTable(report: StormReport): string {
  const { storm } = report;
  const rows: string[][] = [['per client (ms after the new server listened)', 'n', 'p50', 'p90', 'p99', 'max']];
  const add = (label: string, d: Distribution) => rows.push([label, String(d.count), fmt(d.p50Ms, 0), fmt(d.p90Ms, 0), fmt(d.p99Ms, 0), fmt(d.maxMs, 0)]);
  add('back (connected, resubscribed, nothing pending)', storm.backMs);
  add('  waiting in backoff until the first attempt', storm.firstAttemptMs);
  add('  winning attempt → Socket.io connect', storm.handshakeMs);
  add('  Socket.io connect → ShareDB resynced', storm.resyncMs);
  add('    Socket.io connect → ShareDB handshake done', storm.sharedbHandshakeMs);
  add('    ShareDB handshake → resubscribed, nothing pending', storm.resubscribeMs);
  add('back: editors (had pending ops)', storm.editorBackMs);
  add('back: watchers', storm.watcherBackMs);
  return table(rows);
}

function summaryTable(report: StormReport): string {
  const { storm, restart, edits } = report;
  const rows: string[][] = [['', 'value']];
  const add = (label: string, value: string) => rows.push([label, value]);
  add('clients back / clients', `${storm.back} / ${storm.clients}`);
  add('all back after (s)', storm.allBackMs !== null ? fmt(storm.allBackMs / 1000, 2) : 'NOT ALL');
  add('kill → exit (ms)', String(restart.killToExitMs));
  add('spawn → listening (ms)', String(restart.startupMs));
  add('clients needing > 1 attempt', String(storm.clientsNeedingMoreThanOneAttempt));
  add('attempts after restart (attempts: clients)', Object.entries(storm.attempts).map(([k, v]) => `${k}: ${v}`).join(', '));
  add('attempts during outage (attempts: clients)', Object.entries(storm.attemptsDuringOutage).map(([k, v]) => `${k}: ${v}`).join(', '));
  add('handshakes refused (clients / total)', `${storm.refusals.clients} / ${storm.refusals.total}`);
  const shed = storm.server.metrics?.tandem_handshakes_shed_total;
  add('server: handshakes shed (metrics)', shed ? Object.entries(shed).map(([k, v]) => `${k.replace(/[{}"]/g, '')} ${v}`).join(', ') : '–');
  add('other connect errors (clients / total)', `${storm.connectErrors.clients} / ${storm.connectErrors.total}`);
  add('drops after being back', String(storm.dropsAfterBack));
  add('server CPU % during storm (100 = 1 core)', fmt(storm.server.cpuPct));
  add('  event loop on CPU %', fmt(storm.server.mainThreadOnCpuPct));
  add('  event loop waiting for a CPU %', fmt(storm.server.mainThreadRunQueuePct));
  add('server RSS before kill / at listening (MB)', `${fmt(storm.server.rssKbBeforeKill / 1024)} / ${fmt(storm.server.rssKbAtListening / 1024)}`);
  add('server RSS peak / end of storm (MB)', `${fmt(storm.server.rssKbPeak / 1024)} / ${fmt(storm.server.rssKbEnd / 1024)}`);
  add('load-gen CPU % (all workers)', fmt(storm.loadGenerator.cpuPct));
  add('load-gen loop delay p99 / max (ms)', `${fmt(storm.loadGenerator.loopDelayP99Ms, 0)} / ${fmt(storm.loadGenerator.loopDelayMaxMs, 0)}`);
  add('machine busy % / other processes CPU %', `${fmt(storm.machineBusyPct)} / ${fmt(storm.otherProcessesCpuPct)}`);
  const tcp = (window: Record<string, number>) =>
    `${window['TcpExt.ListenOverflows'] ?? '–'} / ${window['Tcp.AttemptFails'] ?? '–'} / ${window['TcpExt.TCPSynRetrans'] ?? '–'}`;
  add('kernel: listen overflows / failed opens / SYN retransmits, outage', tcp(storm.tcp.outage));
  add('kernel: listen overflows / failed opens / SYN retransmits, storm', tcp(storm.tcp.storm));
  const k = edits.keystrokes;
  const line = (c: KeystrokeCount) => `${c.typed} typed, ${c.intact} intact, ${c.lost} lost, ${c.duplicated} duplicated`;
  add('keystrokes acked before the kill', line(k.ackedBeforeKill));
  add('keystrokes unacked at the kill', line(k.unackedAtKill));
  add('keystrokes typed during the outage', line(k.typedDuringOutage));
  add('docs converged (clients + fresh fetch)', `${edits.docsConverged} / ${edits.docsChecked}`);
  add('ack errors', String(edits.ackErrors));
  return table(rows);
}

function timelineTable(report: StormReport): string {
  const rows: string[][] = [['t (s)', 'back', 'connected', 'server CPU %', 'server RSS MB']];
  const points = report.storm.timeline;
  // Keep the table short on long storms: every point up to 40, then every few.
  const step = Math.max(1, Math.ceil(points.length / 40));
  points.forEach((p, i) => {
    if (i % step === 0 || i === points.length - 1) rows.push([fmt(p.tS), String(p.back), String(p.connected), fmt(p.serverCpuPct, 0), fmt(p.serverRssMb, 0)]);
  });
  return table(rows);
}

async function main(): Promise<void> {
  const options = parseStormOptions(process.argv.slice(2));
  const machine = machineFacts();
  log(
    `${options.clients} clients, ${options.perDoc} per doc, ${options.editorsPerDoc} editor(s) per doc at ${options.cps} chars/s; ` +
      `${options.typeBeforeS} s typing, then ${options.signal}, ${options.outageS} s outage; ${options.workers} workers; seed ${options.seed}; ulimit -n ${String(machine.ulimitN)}; ` +
      `listen backlog ${String(machine.listenBacklog)} (net.core.somaxconn caps it)`,
  );
  const ulimit = Number(machine.ulimitN);
  if (Number.isFinite(ulimit) && options.clients + 200 > ulimit) {
    log(`WARNING: ulimit -n ${ulimit} is below the ${options.clients} connections the server must hold; raise it`);
  }
  await waitForQuietMachine(options.waitQuietS);
  const report = await runStorm(options);

  fs.mkdirSync(path.dirname(options.out), { recursive: true });
  fs.writeFileSync(options.out, `${JSON.stringify({ machine, options: { ...options, out: path.relative(ROOT, options.out) }, ...report }, null, 2)}\n`);

  console.log('');
  console.log(
    `machine: ${String(machine.nproc)} cores (${String(machine.cpuModel)}), ${String(machine.memGiB)} GiB, node ${process.version}, ${String(machine.date)}`,
  );
  console.log(
    `\nRECONNECT STORM ${options.clients} clients (${report.setup.docs} docs × ${options.perDoc}), ${options.signal}, ${options.outageS} s outage, ` +
      `product client settings (seed ${options.seed}); setup: ${report.setup.connected} connected in ${fmt(report.setup.connectMs / 1000)} s`,
  );
  console.log(summaryTable(report));
  console.log('');
  console.log(distributionTable(report));
  console.log('\ntimeline (from the new server\'s "listening")');
  console.log(timelineTable(report));
  // Two stories: a typical client, and the slowest one.
  const traces = report.storm.traces;
  const slowestTrace = [...traces].sort((a, b) => (b.events.at(-1)?.[0] ?? 0) - (a.events.at(-1)?.[0] ?? 0))[0];
  for (const trace of [traces[0], slowestTrace]) {
    if (!trace) continue;
    const steps = trace.events.map(([ms, event]) => `${fmt(ms / 1000, 2)} s ${event}`).join('; ');
    console.log(`\nclient ${trace.client}${trace.editor ? ' (editor)' : ''}, s after "listening": ${steps}`);
  }
  console.log('');
  for (const problem of report.edits.problems) console.log(`  doc ${problem.docId}: ${problem.problem}`);
  if (report.edits.firstAckError) console.log(`  first ack error: ${report.edits.firstAckError}`);
  for (const sample of report.storm.connectErrors.samples) console.log(`  connect error: ${sample}`);
  for (const line of report.storm.server.selfHealingLog) console.log(`  server: ${line}`);
  console.log('\nGOAL');
  console.log(`  [${report.goal.met === null ? 'n/a' : report.goal.met ? 'met' : 'MISSED'}] ${report.goal.goal}: ${report.goal.detail}`);
  if (report.profile) console.log(`\nRESTARTED SERVER DURING THE STORM ${formatProfileSummary(report.profile)}`);
  console.log(`\nJSON: ${path.relative(process.cwd(), options.out)}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
