import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import type { CodeFile, FindingDraft, FindingSeverity } from '../../../lib/ai/ai-types';

/**
 * The TypeScript checker over the workspace, in memory (issue 5). A custom CompilerHost serves
 * workspace files from a virtual root and the standard library .d.ts files from the typescript
 * package; nothing else on disk is visible, so a workspace cannot pull in the server's own
 * node_modules or files.
 *
 * WARNING: this is synchronous CPU work on the calling thread. The first call parses the lib
 * files (about a second); later calls reuse them and take tens of milliseconds for a classroom
 * sized workspace. Call it from the review worker, not from a request handler.
 */

/** Files whose diagnostics are reported. */
export const TYPESCRIPT_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts'] as const;

/** Files served to the program so imports of them resolve, but never reported on (checkJs off). */
const IMPORTABLE_EXTENSIONS = [...TYPESCRIPT_EXTENSIONS, '.js', '.jsx', '.mjs', '.cjs', '.json'];

/** Where workspace files live inside the virtual file system. Not a real directory. */
const VIRTUAL_ROOT = '/__tandem_workspace__';

const LIB_DIR = path.dirname(ts.getDefaultLibFilePath({}));

const COMPILER_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  // Bundler resolution accepts the extensionless `./util` students write, as well as `./util.ts`.
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  allowImportingTsExtensions: true,
  resolveJsonModule: true,
  esModuleInterop: true,
  // Every file is a module: two exercise files that both declare `const answer` are not a clash.
  moduleDetection: ts.ModuleDetectionKind.Force,
  lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  // No automatic @types lookup: there is no node_modules in the virtual file system.
  types: [],
  strict: true,
  noUnusedLocals: true,
  allowJs: true,
  checkJs: false,
  jsx: ts.JsxEmit.Preserve,
  noEmit: true,
  skipLibCheck: true,
};

/**
 * Diagnostics that describe the analyser's environment rather than the student's code: it has no
 * @types packages and a fixed lib set, and the student cannot change either. Reporting "do you
 * need to install @types/node?" would send them chasing something they cannot fix here.
 */
const ENVIRONMENT_CODES = new Set([
  2550, // Property does not exist; do you need to change your target library?
  2580, // Cannot find name 'require'; do you need to install type definitions for node?
  2581, // ... for jQuery?
  2582, // ... for a test runner?
  2583, // Cannot find name; do you need to change your target library?
  2591, // 2580 with a tsconfig "types" suggestion
  2592, // 2581 with a tsconfig "types" suggestion
  2593, // 2582 with a tsconfig "types" suggestion
  2875, // JSX tag requires the module path 'react/jsx-runtime'
  7026, // JSX element implicitly has type 'any' (no JSX typings without React's)
]);

/** "Cannot find module" and friends: kept for workspace-relative imports, dropped for packages. */
const MISSING_MODULE_CODES = new Set([2307, 2792, 7016]);

/** Unused-declaration diagnostics from noUnusedLocals: tidiness, not bugs. */
const UNUSED_CODES = new Set([6133, 6138, 6192, 6196, 6198, 6199, 6205]);

/**
 * Parsed lib .d.ts files, shared by every program this process builds. A SourceFile is immutable
 * once parsed (the language service shares them the same way), and lib.dom.d.ts alone is most of
 * a cold run's cost.
 */
const libCache = new Map<string, ts.SourceFile>();

export function isTypeScriptFile(name: string): boolean {
  return hasExtension(name, TYPESCRIPT_EXTENSIONS);
}

/**
 * Type-check the workspace's TypeScript files. JavaScript and JSON files are visible to imports
 * but not reported on. Returns syntactic and semantic diagnostics of workspace files only.
 * Files whose names would leave the workspace root ("../x.ts", "/etc/x.ts") are ignored.
 */
export function analyseTypeScript(files: CodeFile[]): FindingDraft[] {
  const workspace = new Map<string, CodeFile>();
  for (const file of files) {
    if (!hasExtension(file.name, IMPORTABLE_EXTENSIONS)) continue;
    const virtual = virtualPath(file.name);
    if (virtual) workspace.set(virtual, file);
  }
  const roots = [...workspace.entries()].filter(([, f]) => isTypeScriptFile(f.name)).map(([p]) => p);
  if (roots.length === 0) return [];

  const program = ts.createProgram({ rootNames: roots, options: COMPILER_OPTIONS, host: createHost(workspace) });
  const findings: FindingDraft[] = [];
  for (const root of roots) {
    const sourceFile = program.getSourceFile(root);
    const file = workspace.get(root);
    if (!sourceFile || !file) continue;
    const syntactic = program.getSyntacticDiagnostics(sourceFile);
    // Like tsc: semantic errors in a file that does not parse are mostly echoes of the parse
    // error, and the parse error is the lesson.
    const diagnostics = syntactic.length > 0 ? syntactic : program.getSemanticDiagnostics(sourceFile);
    for (const d of diagnostics) {
      if (isEnvironmentNoise(d, sourceFile)) continue;
      findings.push(toFinding(file.name, sourceFile, d));
    }
  }
  return findings;
}

function createHost(workspace: Map<string, CodeFile>): ts.CompilerHost {
  // Only the lib folder itself: a `/// <reference path>` cannot reach the rest of the disk.
  const isLibPath = (p: string) => p.startsWith(LIB_DIR + '/') && path.posix.normalize(p) === p;
  const readLib = (p: string): string | undefined => {
    try {
      return fs.readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  };
  return {
    getSourceFile(fileName, languageVersion) {
      const file = workspace.get(fileName);
      if (file) return ts.createSourceFile(fileName, file.text, languageVersion, true);
      if (!isLibPath(fileName)) return undefined;
      let cached = libCache.get(fileName);
      if (!cached) {
        const text = readLib(fileName);
        if (text === undefined) return undefined;
        cached = ts.createSourceFile(fileName, text, languageVersion, false);
        libCache.set(fileName, cached);
      }
      return cached;
    },
    getDefaultLibFileName: (options) => path.join(LIB_DIR, ts.getDefaultLibFileName(options)),
    getDefaultLibLocation: () => LIB_DIR,
    writeFile: () => {},
    getCurrentDirectory: () => VIRTUAL_ROOT,
    getCanonicalFileName: (fileName) => fileName,
    useCaseSensitiveFileNames: () => true,
    getNewLine: () => '\n',
    fileExists: (fileName) => workspace.has(fileName) || (isLibPath(fileName) && fs.existsSync(fileName)),
    readFile: (fileName) => workspace.get(fileName)?.text ?? (isLibPath(fileName) ? readLib(fileName) : undefined),
    directoryExists: (dir) => {
      if (dir === LIB_DIR || isLibPath(dir)) return true;
      const prefix = dir.endsWith('/') ? dir : dir + '/';
      for (const key of workspace.keys()) if (key.startsWith(prefix)) return true;
      return false;
    },
    getDirectories: () => [],
  };
}

/** The virtual path of a workspace file, or null when its name would escape the root. */
function virtualPath(name: string): string | null {
  if (name.length === 0 || name.includes('\0') || name.includes('\\')) return null;
  if (name.startsWith('/') || /^[a-zA-Z]:/.test(name)) return null;
  const joined = path.posix.normalize(`${VIRTUAL_ROOT}/${name}`);
  return joined.startsWith(VIRTUAL_ROOT + '/') ? joined : null;
}

function isEnvironmentNoise(d: ts.Diagnostic, sourceFile: ts.SourceFile): boolean {
  if (ENVIRONMENT_CODES.has(d.code)) return true;
  if (MISSING_MODULE_CODES.has(d.code) && d.start !== undefined && d.length !== undefined) {
    // The diagnostic spans the module specifier, quotes included. Packages cannot exist here;
    // a missing relative import is a real mistake (a typo, a file not created yet).
    const specifier = sourceFile.text.slice(d.start, d.start + d.length).replace(/^['"`]|['"`]$/g, '');
    return !specifier.startsWith('.') && !specifier.startsWith('/');
  }
  return false;
}

function toFinding(file: string, sourceFile: ts.SourceFile, d: ts.Diagnostic): FindingDraft {
  const start = d.start ?? 0;
  // The last character of the span, so a span ending in a newline does not claim the next line.
  const last = start + Math.max((d.length ?? 0) - 1, 0);
  const startLine = sourceFile.getLineAndCharacterOfPosition(start).line + 1;
  const endLine = Math.max(startLine, sourceFile.getLineAndCharacterOfPosition(last).line + 1);
  const unused = UNUSED_CODES.has(d.code);
  return {
    file,
    startLine,
    endLine,
    severity: unused ? 'warning' : severityOf(d.category),
    category: unused ? 'style' : 'correctness',
    message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
    hint: null,
    source: 'static',
    tool: 'typescript',
    rule: `TS${d.code}`,
  };
}

function severityOf(category: ts.DiagnosticCategory): FindingSeverity {
  if (category === ts.DiagnosticCategory.Error) return 'error';
  if (category === ts.DiagnosticCategory.Warning) return 'warning';
  return 'info';
}

function hasExtension(name: string, extensions: readonly string[]): boolean {
  const lower = name.toLowerCase();
  return extensions.some((ext) => lower.endsWith(ext));
}
