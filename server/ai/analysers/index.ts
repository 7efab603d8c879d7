import type { CodeFile, FindingDraft, FindingSeverity } from '../../../lib/ai/ai-types';
import { analyseJavaScript, isJavaScriptFile } from './eslint-analyser';
import { analysePython, isPythonFile } from './pyright-analyser';
import { analyseTypeScript, isTypeScriptFile } from './typescript-analyser';

export { analyseJavaScript, isJavaScriptFile } from './eslint-analyser';
export { analyseTypeScript, isTypeScriptFile } from './typescript-analyser';
export { analysePython, isPythonFile, StaticAnalysisError, unsafeFileNameReason } from './pyright-analyser';
export type { PyrightOptions, StaticAnalysisErrorCode } from './pyright-analyser';

/**
 * Most static findings one review keeps. The worst come first, so a workspace with hundreds of
 * warnings still shows its errors; the model and the UI never see an unbounded list.
 */
export const MAX_STATIC_FINDINGS = 200;

export interface StaticAnalysisResult {
  /** Deduplicated, sorted (errors first, then file and line) and capped at MAX_STATIC_FINDINGS. */
  findings: FindingDraft[];
  /** Tools that ran to completion, in the order eslint, typescript, pyright. */
  ran: string[];
  /** Tools that had files to check but could not; their absence of findings means nothing. */
  failed: { tool: string; error: string }[];
}

interface Analyser {
  tool: string;
  applies: (name: string) => boolean;
  run: (files: CodeFile[]) => FindingDraft[] | Promise<FindingDraft[]>;
}

const ANALYSERS: Analyser[] = [
  { tool: 'eslint', applies: isJavaScriptFile, run: analyseJavaScript },
  { tool: 'typescript', applies: isTypeScriptFile, run: analyseTypeScript },
  { tool: 'pyright', applies: isPythonFile, run: (files) => analysePython(files) },
];

const SEVERITY_RANK: Record<FindingSeverity, number> = { error: 0, warning: 1, info: 2 };

/**
 * Run every analyser that has files to look at. Each gets the whole workspace (the TypeScript
 * checker needs JavaScript files to resolve imports) and picks its own files. An analyser that
 * throws is reported in `failed`; the others' findings are kept.
 */
export async function runStaticAnalysis(files: CodeFile[]): Promise<StaticAnalysisResult> {
  const applicable = ANALYSERS.filter((a) => files.some((f) => a.applies(f.name)));
  // ESLint and TypeScript are synchronous; pyright is a child process, so start-up overlaps a little.
  const outcomes = await Promise.all(
    applicable.map(async (a) => {
      try {
        return { tool: a.tool, findings: await a.run(files), error: null };
      } catch (err) {
        return { tool: a.tool, findings: [] as FindingDraft[], error: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
  const failed = outcomes.filter((o) => o.error !== null).map((o) => ({ tool: o.tool, error: o.error ?? '' }));
  const ran = outcomes.filter((o) => o.error === null).map((o) => o.tool);
  return { findings: capFindings(outcomes.flatMap((o) => o.findings)), ran, failed };
}

/** Drop exact duplicates, sort worst-first then by position, keep at most `max`. */
export function capFindings(findings: FindingDraft[], max = MAX_STATIC_FINDINGS): FindingDraft[] {
  const seen = new Set<string>();
  const unique: FindingDraft[] = [];
  for (const f of findings) {
    const key = JSON.stringify([f.file, f.startLine, f.endLine, f.severity, f.tool, f.rule, f.message]);
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(f);
  }
  unique.sort(
    (a, b) =>
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      compareText(a.file, b.file) ||
      a.startLine - b.startLine ||
      a.endLine - b.endLine ||
      compareText(a.tool, b.tool) ||
      compareText(a.rule ?? '', b.rule ?? ''),
  );
  return unique.slice(0, max);
}

// Code-unit order, not locale order: the same findings sort the same on every server.
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
