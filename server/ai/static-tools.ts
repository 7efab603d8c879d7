import { tool } from '@langchain/core/tools';
import { z } from 'zod';
import { MODEL_LIMITS, type CodeFile, type FindingDraft } from '../../lib/ai/ai-types';
import { MAX_FILES_PER_WORKSPACE, MAX_FILE_BYTES } from '../../lib/limits';
import {
  analyseJavaScript,
  analysePython,
  analyseTypeScript,
  capFindings,
  isJavaScriptFile,
  isPythonFile,
  isTypeScriptFile,
  type StaticAnalysisResult,
} from './analysers';

/**
 * The static analysers as LangChain tools (issue 5). The review pipeline calls them directly with
 * `tool.invoke({ files })`; an agent-style model may call them too. Each returns a JSON array of
 * FindingDraft (worst first, capped like runStaticAnalysis), so a model reads the same findings the
 * pipeline stores. An analyser that cannot run throws (StaticAnalysisError for pyright).
 */

/** The workspace as a tool argument. Limits mirror what a workspace can hold (lib/limits.ts). */
export const StaticToolInputSchema = z.object({
  files: z
    .array(
      z.object({
        name: z.string().min(1).max(MODEL_LIMITS.maxFileNameChars).describe('Path of the file inside the workspace, e.g. "src/main.py"'),
        // Characters, not bytes: a 2 MB file never has more characters than bytes.
        text: z.string().max(MAX_FILE_BYTES).describe('Full text of the file'),
      }),
    )
    .max(MAX_FILES_PER_WORKSPACE)
    .describe('Workspace files; each tool picks the files in its language and ignores the rest'),
});

const toJson = (findings: FindingDraft[]): string => JSON.stringify(capFindings(findings));

export const eslintTool = tool(async ({ files }: { files: CodeFile[] }) => toJson(analyseJavaScript(files)), {
  name: 'eslint_diagnostics',
  description:
    'Run ESLint (recommended rules for beginners) on the JavaScript files (.js, .mjs, .cjs, .jsx). Returns a JSON array of findings with file, 1-based lines, severity, category, message and rule.',
  schema: StaticToolInputSchema,
});

export const typescriptTool = tool(async ({ files }: { files: CodeFile[] }) => toJson(analyseTypeScript(files)), {
  name: 'typescript_diagnostics',
  description:
    'Type-check the TypeScript files (.ts, .tsx) in strict mode; imports between workspace files resolve. Returns a JSON array of findings with file, 1-based lines, severity, category, message and rule (TS error code).',
  schema: StaticToolInputSchema,
});

export const pyrightTool = tool(async ({ files }: { files: CodeFile[] }) => toJson(await analysePython(files)), {
  name: 'pyright_diagnostics',
  description:
    'Type-check the Python files (.py) with pyright (basic mode, Python 3.12); imports between workspace files resolve. Returns a JSON array of findings with file, 1-based lines, severity, category, message and rule.',
  schema: StaticToolInputSchema,
});

/** All static-analysis tools, for binding to a model or listing in the pipeline. */
export function staticAnalysisTools() {
  return [eslintTool, typescriptTool, pyrightTool];
}

const TOOL_RUNS = [
  { tool: 'eslint', applies: isJavaScriptFile, lc: eslintTool },
  { tool: 'typescript', applies: isTypeScriptFile, lc: typescriptTool },
  { tool: 'pyright', applies: isPythonFile, lc: pyrightTool },
] as const;

/**
 * The pipeline's static pass: every tool with files in its language, invoked through LangChain
 * (so what is stored is exactly what a model calling the tools would read). Same result shape and
 * guarantees as runStaticAnalysis: one tool failing is reported in `failed`, the others' findings
 * are kept, and the total is deduplicated, sorted worst-first and capped.
 */
export async function runStaticTools(files: CodeFile[]): Promise<StaticAnalysisResult> {
  const input = { files: files.map((f) => ({ name: f.name, text: f.text })) };
  const outcomes = await Promise.all(
    TOOL_RUNS.filter((t) => files.some((f) => t.applies(f.name))).map(async (t) => {
      try {
        const json: unknown = await t.lc.invoke(input);
        return { tool: t.tool, findings: JSON.parse(String(json)) as FindingDraft[], error: null };
      } catch (err) {
        return { tool: t.tool, findings: [] as FindingDraft[], error: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
  return {
    findings: capFindings(outcomes.flatMap((o) => o.findings)),
    ran: outcomes.filter((o) => o.error === null).map((o) => o.tool),
    failed: outcomes.filter((o) => o.error !== null).map((o) => ({ tool: o.tool, error: o.error ?? '' })),
  };
}
