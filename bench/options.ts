import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Target } from './bench-client';
import { ROOT } from './bench-server';
import { KEYSTROKE_POOL_SIZE } from './keystroke-chars';

/** The bench's command line (`npm run bench -- --help`), validated. */
export interface BenchOptions {
  rooms: number;
  editors: number;
  cps: number;
  durationS: number;
  warmupS: number;
  targets: Target[];
  rounds: number;
  /** Wait up to this many seconds for other jobs on the machine to go quiet before each run. */
  waitQuietS: number;
  idle: number;
  idlePerDoc: number;
  workers: number;
  idleWorkers: number;
  seed: number;
  out: string;
  profile: boolean;
  serverNodeArgs: string[];
  serverEnv: Record<string, string>;
  dataRoot: string;
}

/** Parse and check argv; prints the usage and exits for `--help`. */
export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      rooms: { type: 'string', default: '50' },
      editors: { type: 'string', default: '10' },
      cps: { type: 'string', default: '5' },
      duration: { type: 'string', default: '30' },
      warmup: { type: 'string', default: '5' },
      target: { type: 'string', default: 'both' },
      rounds: { type: 'string', default: '1' },
      'wait-quiet': { type: 'string', default: '180' },
      idle: { type: 'string', default: '5000' },
      'idle-per-doc': { type: 'string', default: '10' },
      workers: { type: 'string', default: '2' },
      'idle-workers': { type: 'string', default: '4' },
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
    console.log(
      [
        'usage: npm run bench -- [flags]',
        '  --rooms 50 --editors 10 --cps 5     workload (rooms × editors × chars/s); --rooms 0 skips the load run',
        '  --duration 30 --warmup 5           measured seconds, after warmup seconds',
        '  --target both|tandem|raw           servers to run against (same workload for each)',
        '  --rounds 1                         load runs per target, alternating targets; the table shows the least disturbed round',
        '  --wait-quiet 180                   before each run wait up to N s for the machine to be idle (0: do not wait)',
        '  --idle 5000 --idle-per-doc 10      idle-connection run (0 skips it); connections per doc',
        '  --workers 2 --idle-workers 4       load-generator processes',
        '  --seed N                           keystroke stream seed (printed; random by default)',
        '  --out bench/results/<ts>.json      where the JSON goes',
        '  --profile                          run servers under --cpu-prof and summarise the load window',
        '  --server-node-args "..."           extra node flags for the server processes',
        '  --server-env KEY=VALUE             extra env for the Tandem server (repeatable)',
        '  --data-root /tmp                   where the server data dir (SQLite file) is created; /dev/shm takes the disk out',
      ].join('\n'),
    );
    process.exit(0);
  }
  const int = (name: string, value: string | undefined, min: number): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min} (got ${value})`);
    return n;
  };
  const target = values.target;
  if (target !== 'both' && target !== 'tandem' && target !== 'raw') throw new Error('--target must be tandem, raw or both');
  const serverEnv: Record<string, string> = {};
  for (const pair of values['server-env'] ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--server-env expects KEY=VALUE (got ${pair})`);
    serverEnv[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const options: BenchOptions = {
    rooms: int('rooms', values.rooms, 0),
    editors: int('editors', values.editors, 2),
    cps: int('cps', values.cps, 0.01),
    durationS: int('duration', values.duration, 1),
    warmupS: int('warmup', values.warmup, 0),
    targets: target === 'both' ? ['tandem', 'raw'] : [target],
    rounds: int('rounds', values.rounds, 1),
    waitQuietS: int('wait-quiet', values['wait-quiet'], 0),
    idle: int('idle', values.idle, 0),
    idlePerDoc: int('idle-per-doc', values['idle-per-doc'], 1),
    workers: int('workers', values.workers, 1),
    idleWorkers: int('idle-workers', values['idle-workers'], 1),
    seed: values.seed !== undefined ? int('seed', values.seed, 0) : Math.floor(Math.random() * 2 ** 31),
    out: path.resolve(ROOT, values.out ?? path.join('bench', 'results', `${stamp}.json`)),
    profile: values.profile ?? false,
    serverNodeArgs: (values['server-node-args'] ?? '').split(/\s+/).filter(Boolean),
    serverEnv,
    dataRoot: path.resolve(values['data-root'] ?? os.tmpdir()),
  };
  // Generous: Poisson bursts can exceed the mean rate; the pool must never run out mid-run.
  const perRoom = options.editors * options.cps * (options.durationS + options.warmupS) * 1.5 + 100;
  if (perRoom > KEYSTROKE_POOL_SIZE) {
    throw new Error(`about ${Math.round(perRoom)} keystrokes per room exceed the ${KEYSTROKE_POOL_SIZE} unique characters available`);
  }
  return options;
}

/** `--name N` from this process's arguments: a whole number from 1 to max, or the fallback (small benches). */
export function intArg(name: string, fallback: number, max: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1 || v > max) throw new Error(`--${name} must be a whole number from 1 to ${max}`);
  return v;
}
