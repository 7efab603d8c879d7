import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import type { CodeFile, FindingCategory, FindingDraft, FindingSeverity } from '../../../lib/ai/ai-types';

/**
 * Pyright over the workspace's Python files (issue 5). Pyright only reads real files, so the
 * files are written to a fresh temporary folder (subfolders kept, so `from pkg.util import f`
 * resolves), checked by the pyright npm package in a child Node process, and the folder is
 * removed afterwards whatever happens. Pyright needs no Python and no network; when a Python
 * interpreter is on PATH it is asked for its site-packages, so installed libraries resolve.
 */

export const PYTHON_EXTENSIONS = ['.py', '.pyi'] as const;

/** How long one pyright run may take before it is killed. A cold run of a small workspace takes ~1.5 s. */
export const PYRIGHT_TIMEOUT_MS = 30_000;

/** Pyright's JSON for a large, broken workspace is big but bounded; past this something is wrong. */
const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;

/**
 * Basic checking finds real bugs without demanding annotations from beginners. Missing imports
 * are warnings: the analyser cannot tell a typo in a local module from a package the classroom's
 * own Python has installed. Stub-only packages ("could not be resolved from source") are not the
 * student's concern at all.
 */
const PYRIGHT_CONFIG = {
  include: ['.'],
  typeCheckingMode: 'basic',
  pythonVersion: '3.12',
  reportMissingImports: 'warning',
  reportMissingModuleSource: 'none',
};

/** Unused-name rules read as tidiness to a student; everything else pyright reports is a likely bug. */
const STYLE_RULES = new Set(['reportUnusedImport', 'reportUnusedVariable', 'reportUnusedClass', 'reportUnusedFunction']);

export type StaticAnalysisErrorCode = 'ERR_ANALYSER_TIMEOUT' | 'ERR_ANALYSER_FAILED' | 'ERR_ANALYSER_UNAVAILABLE';

/** An analyser that could not produce findings (as opposed to one that found problems). */
export class StaticAnalysisError extends Error {
  constructor(
    public readonly code: StaticAnalysisErrorCode,
    public readonly tool: string,
    message: string,
  ) {
    super(message);
    this.name = 'StaticAnalysisError';
  }
}

export interface PyrightOptions {
  /** Kill pyright and throw ERR_ANALYSER_TIMEOUT after this long. Default PYRIGHT_TIMEOUT_MS. */
  timeoutMs?: number;
}

export function isPythonFile(name: string): boolean {
  const lower = name.toLowerCase();
  return PYTHON_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/**
 * Why a workspace file name cannot be written under a temp folder, or null when it can. Refuses
 * anything that could land outside it: absolute paths (POSIX or Windows), `..` segments, NUL and
 * backslashes (a separator on Windows, a confusing character everywhere else).
 */
export function unsafeFileNameReason(name: string): string | null {
  if (name.length === 0) return 'empty name';
  if (name.includes('\0')) return 'NUL in name';
  if (name.includes('\\')) return 'backslash in name';
  if (path.posix.isAbsolute(name) || path.win32.isAbsolute(name) || /^[a-zA-Z]:/.test(name)) return 'absolute path';
  if (name.split('/').some((segment) => segment === '..')) return '".." in path';
  return null;
}

/**
 * Type-check the workspace's Python files with pyright. Files with unsafe names (see
 * unsafeFileNameReason) are skipped, never written. Throws StaticAnalysisError when pyright
 * cannot run, times out or prints something that is not its JSON report; finding errors in the
 * code is not a failure.
 */
export async function analysePython(files: CodeFile[], opts: PyrightOptions = {}): Promise<FindingDraft[]> {
  // Normalised relative path → the name the workspace uses, for mapping diagnostics back.
  const byPath = new Map<string, CodeFile>();
  for (const file of files) {
    if (!isPythonFile(file.name) || unsafeFileNameReason(file.name)) continue;
    byPath.set(path.posix.normalize(file.name), file);
  }
  if (byPath.size === 0) return [];

  const entry = pyrightEntry();
  // realpath: on macOS the temp folder is behind a symlink and pyright reports resolved paths.
  const dir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'tandem-pyright-')));
  try {
    const written = new Map<string, string>();
    for (const [relative, file] of byPath) {
      const target = path.resolve(dir, ...relative.split('/'));
      // Belt and braces after unsafeFileNameReason: nothing is written outside the temp folder.
      const back = path.relative(dir, target);
      if (back === '' || back.startsWith('..') || path.isAbsolute(back)) continue;
      try {
        await mkdir(path.dirname(target), { recursive: true });
        // 'wx': never follow or overwrite something already there (e.g. "a.py" and "a.py/b.py").
        await writeFile(target, file.text, { flag: 'wx' });
        written.set(target, file.name);
      } catch {
        continue;
      }
    }
    await writeFile(path.join(dir, 'pyrightconfig.json'), JSON.stringify(PYRIGHT_CONFIG));
    const stdout = await runPyright(entry, dir, opts.timeoutMs ?? PYRIGHT_TIMEOUT_MS);
    return parseReport(stdout, written);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function pyrightEntry(): string {
  try {
    return path.join(path.dirname(require.resolve('pyright/package.json')), 'index.js');
  } catch {
    throw new StaticAnalysisError('ERR_ANALYSER_UNAVAILABLE', 'pyright', 'The pyright package is not installed.');
  }
}

function runPyright(entry: string, dir: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [entry, '--outputjson', '--project', dir],
      { cwd: dir, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: MAX_OUTPUT_BYTES, windowsHide: true },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        if (err.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
          return reject(new StaticAnalysisError('ERR_ANALYSER_FAILED', 'pyright', 'pyright printed more output than allowed.'));
        }
        // Node sets `killed` when it killed the child itself, which here means the timeout fired.
        if (err.killed) {
          return reject(new StaticAnalysisError('ERR_ANALYSER_TIMEOUT', 'pyright', `pyright did not finish within ${timeoutMs} ms.`));
        }
        // Exit code 1 means "found errors", which is what we asked for.
        if (err.code === 1) return resolve(stdout);
        const detail = String(stderr || err.message).trim().slice(0, 500);
        reject(new StaticAnalysisError('ERR_ANALYSER_FAILED', 'pyright', `pyright exited with ${String(err.code)}: ${detail}`));
      },
    );
  });
}

const PositionSchema = z.object({ line: z.number().int().min(0), character: z.number().int().min(0) });
const ReportSchema = z.object({
  generalDiagnostics: z.array(
    z.object({
      file: z.string(),
      severity: z.string(),
      message: z.string(),
      range: z.object({ start: PositionSchema, end: PositionSchema }).optional(),
      rule: z.string().optional(),
    }),
  ),
});

function parseReport(stdout: string, written: Map<string, string>): FindingDraft[] {
  let report: z.infer<typeof ReportSchema>;
  try {
    report = ReportSchema.parse(JSON.parse(stdout));
  } catch {
    throw new StaticAnalysisError('ERR_ANALYSER_FAILED', 'pyright', 'pyright printed something that is not its JSON report.');
  }
  const findings: FindingDraft[] = [];
  for (const d of report.generalDiagnostics) {
    // Diagnostics about anything but a workspace file (the config, a stub) are not the student's.
    const file = written.get(path.resolve(d.file));
    if (!file) continue;
    const start = d.range?.start.line ?? 0;
    const end = d.range?.end ?? { line: start, character: 1 };
    // An end at column 0 of a later line means "up to the end of the previous line".
    const endLine = end.character === 0 && end.line > start ? end.line : end.line + 1;
    findings.push({
      file,
      startLine: start + 1,
      endLine: Math.max(start + 1, endLine),
      severity: severityOf(d.severity),
      category: categoryOf(d.rule),
      message: d.message,
      hint: null,
      source: 'static',
      tool: 'pyright',
      rule: d.rule ?? null,
    });
  }
  return findings;
}

function severityOf(severity: string): FindingSeverity {
  if (severity === 'error') return 'error';
  if (severity === 'warning') return 'warning';
  return 'info';
}

function categoryOf(rule: string | undefined): FindingCategory {
  return rule && STYLE_RULES.has(rule) ? 'style' : 'correctness';
}
