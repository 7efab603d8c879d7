import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './bench-server';
import { KEYSTROKE_POOL_SIZE } from './keystroke-chars';

/**
 * How the editors of the workload are placed:
 * - `single`: one Tandem process, no Redis (the baseline);
 * - `single-redis`: one process with REDIS_URL (every op still makes a round trip through Redis);
 * - `split`: every room's editors round-robin over the processes (every op crosses Redis to reach
 *   most peers: the worst case, what no load-balancer affinity gives);
 * - `affinity`: each room entirely on one process, rooms spread over the processes (what the
 *   documented consistent hash on the workspace id gives).
 */
export const SCALE_OUT_MODES = ['single', 'single-redis', 'split', 'affinity'] as const;
export type ScaleOutMode = (typeof SCALE_OUT_MODES)[number];

/** The scale-out bench's command line (`node dist/bench/scale-out.js --help`), validated. */
export interface ScaleOutOptions {
  modes: ScaleOutMode[];
  processes: number;
  rooms: number;
  editors: number;
  cps: number;
  durationS: number;
  warmupS: number;
  workers: number;
  waitQuietS: number;
  seed: number;
  out: string;
  profile: boolean;
  serverNodeArgs: string[];
  serverEnv: Record<string, string>;
  dataRoot: string;
}

/** Parse and check argv; prints the usage and exits for `--help`. */
export function parseScaleOutOptions(argv: string[]): ScaleOutOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      modes: { type: 'string', default: 'single,single-redis,split,affinity' },
      processes: { type: 'string', default: '3' },
      rooms: { type: 'string', default: '20' },
      editors: { type: 'string', default: '10' },
      cps: { type: 'string', default: '5' },
      duration: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '5' },
      workers: { type: 'string', default: '2' },
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
    console.log(
      [
        'usage: npm run bench:scale -- [flags]',
        '  --modes single,single-redis,split,affinity   runs, in this order, same workload and seed',
        '                                     single: 1 process, no Redis; single-redis: 1 process with Redis;',
        '                                     split: each room\'s editors round-robin over the processes;',
        '                                     affinity: each room on one process, rooms spread over the processes',
        '  --processes 3                      Tandem processes in split and affinity (one SQLite file, one Redis)',
        '  --rooms 20 --editors 10 --cps 5    workload (rooms × editors × chars/s)',
        '  --duration 20 --warmup 5           measured seconds, after warmup seconds',
        '  --workers 2                        load-generator processes (bench/load-worker.ts)',
        '  --wait-quiet 180                   before each run wait up to N s for the machine to be idle (0: do not wait)',
        '  --seed N                           keystroke stream seed (printed; random by default)',
        '  --out bench/results/scale-out-<ts>.json   where the JSON goes',
        '  --profile                          run every server under --cpu-prof and summarise its window',
        '  --server-node-args "..."           extra node flags for every server process',
        '  --server-env KEY=VALUE             extra env for every server process (repeatable)',
        '  --data-root /tmp                   where the shared data dir (SQLite file) is created',
      ].join('\n'),
    );
    process.exit(0);
  }
  const int = (name: string, value: string | undefined, min: number): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min} (got ${value})`);
    return n;
  };
  const modes = (values.modes ?? '').split(',').map((m) => m.trim()).filter(Boolean);
  for (const mode of modes) {
    if (!(SCALE_OUT_MODES as readonly string[]).includes(mode)) throw new Error(`--modes: unknown mode ${mode} (${SCALE_OUT_MODES.join(', ')})`);
  }
  if (!modes.length) throw new Error('--modes: name at least one mode');
  const serverEnv: Record<string, string> = {};
  for (const pair of values['server-env'] ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--server-env expects KEY=VALUE (got ${pair})`);
    serverEnv[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const options: ScaleOutOptions = {
    modes: modes as ScaleOutMode[],
    processes: int('processes', values.processes, 2),
    rooms: int('rooms', values.rooms, 1),
    editors: int('editors', values.editors, 2),
    cps: int('cps', values.cps, 0.01),
    durationS: int('duration', values.duration, 1),
    warmupS: int('warmup', values.warmup, 0),
    workers: int('workers', values.workers, 1),
    waitQuietS: int('wait-quiet', values['wait-quiet'], 0),
    seed: values.seed !== undefined ? int('seed', values.seed, 0) : Math.floor(Math.random() * 2 ** 31),
    out: path.resolve(ROOT, values.out ?? path.join('bench', 'results', `scale-out-${stamp}.json`)),
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
