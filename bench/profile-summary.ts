import fs from 'node:fs';
import path from 'node:path';

/**
 * Where a server's CPU time went, from a V8 `.cpuprofile` (`node --cpu-prof`): the top functions
 * by self time, self time per package / Tandem folder, and inclusive time per package (samples
 * whose stack passes through it). Optionally only samples inside a time window given in
 * CLOCK_MONOTONIC microseconds, the clock both V8's profiler and `process.hrtime` use.
 *
 * CLI: `node dist/bench/profile-summary.js <file.cpuprofile> [--top 25] [--from-us N --to-us N]`
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionTime {
  function: string;
  location: string;
  category: string;
  ms: number;
  /** Share of busy (non-idle) time in the window. */
  pct: number;
}

export interface CategoryTime {
  category: string;
  ms: number;
  pct: number;
}

export interface ProfileSummary {
  file: string;
  /** True when only samples inside the given window were counted. */
  windowed: boolean;
  sampledMs: number;
  idleMs: number;
  busyMs: number;
  topSelf: FunctionTime[];
  selfByCategory: CategoryTime[];
  inclusiveByCategory: CategoryTime[];
  /** Tandem's own functions (server/, lib/, prisma-free-db/) by inclusive time. */
  topTandemInclusive: FunctionTime[];
  /** Library functions (node_modules) by inclusive time: which code paths the time is under. */
  topLibraryInclusive: FunctionTime[];
}

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);
const ROOT = path.resolve(__dirname, '..', '..');

function categoryOf(frame: CallFrame): string {
  if (SPECIAL.has(frame.functionName) && !frame.url) return frame.functionName;
  const url = frame.url;
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? url);
  }
  if (url.startsWith('node:')) return 'node core';
  const project = /\/dist\/(server|lib|prisma-free-db|bench)\//.exec(url);
  if (project) return `tandem ${project[1]}/`;
  if (!url) return '(native / V8 builtins)';
  return 'other';
}

function locationOf(frame: CallFrame): string {
  if (!frame.url) return '';
  const file = frame.url.replace(/^file:\/\//, '');
  const relative = file.startsWith(ROOT) ? path.relative(ROOT, file) : file;
  return `${relative}:${frame.lineNumber + 1}`;
}

function sorted<T extends { ms: number }>(map: Map<string, T>, top: number): T[] {
  return [...map.values()].sort((a, b) => b.ms - a.ms).slice(0, top);
}

export function summarizeProfile(file: string, options: { top?: number; fromUs?: number; toUs?: number } = {}): ProfileSummary {
  const top = options.top ?? 25;
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  // A sample stands for the time until the next one.
  const times: number[] = [];
  let t = profile.startTime;
  for (const delta of profile.timeDeltas) {
    t += delta;
    times.push(t);
  }
  const from = options.fromUs ?? -Infinity;
  const to = options.toUs ?? Infinity;
  const overlaps = from < profile.endTime && to > profile.startTime;
  const windowed = Number.isFinite(from) && overlaps;

  const self = new Map<string, FunctionTime>();
  const selfCategory = new Map<string, CategoryTime>();
  const inclusiveCategory = new Map<string, CategoryTime>();
  const tandemInclusive = new Map<string, FunctionTime>();
  const libraryInclusive = new Map<string, FunctionTime>();
  let sampled = 0;
  let idle = 0;

  const keyOf = (frame: CallFrame) => `${frame.functionName}@${frame.url}:${frame.lineNumber}`;
  const fnEntry = (map: Map<string, FunctionTime>, frame: CallFrame): FunctionTime => {
    const key = keyOf(frame);
    let entry = map.get(key);
    if (!entry) {
      entry = { function: frame.functionName || '(anonymous)', location: locationOf(frame), category: categoryOf(frame), ms: 0, pct: 0 };
      map.set(key, entry);
    }
    return entry;
  };
  const catEntry = (map: Map<string, CategoryTime>, category: string): CategoryTime => {
    let entry = map.get(category);
    if (!entry) {
      entry = { category, ms: 0, pct: 0 };
      map.set(category, entry);
    }
    return entry;
  };

  profile.samples.forEach((nodeId, i) => {
    const at = times[i] ?? profile.endTime;
    if (windowed && (at < from || at >= to)) return;
    const ms = ((times[i + 1] ?? profile.endTime) - at) / 1000;
    if (ms <= 0) return;
    const node = byId.get(nodeId);
    if (!node) return;
    sampled += ms;
    if (node.callFrame.functionName === '(idle)') {
      idle += ms;
      return;
    }
    fnEntry(self, node.callFrame).ms += ms;
    catEntry(selfCategory, categoryOf(node.callFrame)).ms += ms;
    const seenCategories = new Set<string>();
    const seenFunctions = new Set<string>();
    for (let id: number | undefined = nodeId; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!.callFrame;
      const category = categoryOf(frame);
      if (!seenCategories.has(category)) {
        seenCategories.add(category);
        catEntry(inclusiveCategory, category).ms += ms;
      }
      const tandem = category.startsWith('tandem ') && category !== 'tandem bench/';
      const library = frame.url.includes('/node_modules/');
      if (tandem || library) {
        const key = keyOf(frame);
        if (!seenFunctions.has(key)) {
          seenFunctions.add(key);
          fnEntry(tandem ? tandemInclusive : libraryInclusive, frame).ms += ms;
        }
      }
    }
  });

  const busy = sampled - idle;
  const withPct = <T extends { ms: number; pct: number }>(list: T[]) => list.map((e) => ({ ...e, pct: busy ? (100 * e.ms) / busy : 0 }));
  inclusiveCategory.delete('(root)');
  return {
    file,
    windowed,
    sampledMs: sampled,
    idleMs: idle,
    busyMs: busy,
    topSelf: withPct(sorted(self, top)),
    selfByCategory: withPct(sorted(selfCategory, top)),
    inclusiveByCategory: withPct(sorted(inclusiveCategory, top)),
    topTandemInclusive: withPct(sorted(tandemInclusive, top)),
    topLibraryInclusive: withPct(sorted(libraryInclusive, top)),
  };
}

/** The newest `.cpuprofile` in `dir`, or null. */
export function newestProfile(dir: string): string | null {
  if (!fs.existsSync(dir)) return null;
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(dir, f))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  return files[0] ?? null;
}

/**
 * Summary of the newest `.cpuprofile` in `dir` for the window between two `process.hrtime.bigint()`
 * readings (the profiler's clock), or null if the server wrote none.
 */
export function summarizeProfileWindow(dir: string, hr0: bigint, hr1: bigint): ProfileSummary | null {
  const file = newestProfile(dir);
  if (!file) {
    console.error(`no .cpuprofile was written in ${dir}`);
    return null;
  }
  return summarizeProfile(file, { top: 30, fromUs: Number(hr0 / 1000n), toUs: Number(hr1 / 1000n) });
}

export function formatProfileSummary(summary: ProfileSummary, top = 15): string {
  const ms = (v: number) => v.toFixed(0).padStart(7);
  const pct = (v: number) => `${v.toFixed(1).padStart(5)}%`;
  const lines = [
    `profile ${path.relative(process.cwd(), summary.file)}${summary.windowed ? ' (measurement window only)' : ' (whole run)'}`,
    `  sampled ${summary.sampledMs.toFixed(0)} ms: busy ${summary.busyMs.toFixed(0)} ms, idle ${summary.idleMs.toFixed(0)} ms`,
    '  top self time (% of busy):',
    ...summary.topSelf.slice(0, top).map((f) => `  ${ms(f.ms)} ms ${pct(f.pct)}  ${f.function}  [${f.category}] ${f.location}`),
    '  self time by package / folder:',
    ...summary.selfByCategory.slice(0, top).map((c) => `  ${ms(c.ms)} ms ${pct(c.pct)}  ${c.category}`),
    '  inclusive time by package / folder (stack passes through it):',
    ...summary.inclusiveByCategory.slice(0, top).map((c) => `  ${ms(c.ms)} ms ${pct(c.pct)}  ${c.category}`),
    "  Tandem's own functions by inclusive time:",
    ...summary.topTandemInclusive.slice(0, top).map((f) => `  ${ms(f.ms)} ms ${pct(f.pct)}  ${f.function}  ${f.location}`),
    '  library functions by inclusive time:',
    ...summary.topLibraryInclusive.slice(0, top).map((f) => `  ${ms(f.ms)} ms ${pct(f.pct)}  ${f.function}  [${f.category}] ${f.location}`),
  ];
  return lines.join('\n');
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const file = args[0]?.startsWith('--') ? undefined : args[0];
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : undefined;
  };
  if (!file) {
    console.error('usage: node dist/bench/profile-summary.js <file.cpuprofile> [--top 25] [--from-us N --to-us N]');
    process.exit(2);
  }
  const top = flag('--top') ?? 25;
  console.log(formatProfileSummary(summarizeProfile(file, { top, fromUs: flag('--from-us'), toUs: flag('--to-us') }), top));
}
