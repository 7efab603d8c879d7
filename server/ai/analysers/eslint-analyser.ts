import js from '@eslint/js';
import { Linter } from 'eslint';
import { builtinRules } from 'eslint/use-at-your-own-risk';
import globals from 'globals';
import type { CodeFile, FindingCategory, FindingDraft } from '../../../lib/ai/ai-types';

/**
 * ESLint over the workspace's JavaScript files, entirely in memory (issue 5). The `Linter` class
 * never touches the file system: no .eslintrc / eslint.config lookup, no plugins, so a student
 * cannot influence what runs by adding a config file to their workspace.
 *
 * TypeScript files are left to the TypeScript analyser: its checker sees everything these rules
 * would, with types.
 */

/** Extensions this analyser lints. */
export const JAVASCRIPT_EXTENSIONS = ['.js', '.mjs', '.cjs', '.jsx'] as const;

/**
 * Beginner rule set: ESLint's recommended "likely bug" rules plus a few that catch classic
 * classroom mistakes. Unused things are warnings, not errors: half-written code is normal while
 * a student works, and an error badge for it drowns out the real bugs.
 */
const RULES: Linter.RulesRecord = {
  ...js.configs.recommended.rules,
  'no-unused-vars': ['warn', { args: 'after-used', ignoreRestSiblings: true, caughtErrors: 'none' }],
  'no-redeclare': 'error',
  // `==` coerces; 'smart' still allows the idiomatic `x == null`.
  eqeqeq: ['warn', 'smart'],
  // `x == 1;` or `a + b;` as a statement is almost always a forgotten assignment or return.
  'no-unused-expressions': ['warn', { allowShortCircuit: true, allowTernary: true }],
  // `.map(x => { x * 2 })` forgets the return.
  'array-callback-return': 'error',
  // "Hello ${name}" in plain quotes prints the braces.
  'no-template-curly-in-string': 'warn',
  'no-self-compare': 'error',
  'no-unreachable-loop': 'error',
};

/**
 * Browser and Node globals together: a classroom workspace can be either, and a false "'document'
 * is not defined" teaches the wrong lesson.
 */
const GLOBALS: Linter.Globals = { ...globals.browser, ...globals.node };

const CONFIG: Linter.Config[] = [
  {
    files: ['**/*.js', '**/*.mjs', '**/*.jsx'],
    languageOptions: {
      ecmaVersion: 'latest',
      sourceType: 'module',
      globals: GLOBALS,
      parserOptions: { ecmaFeatures: { jsx: true } },
    },
    rules: RULES,
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { ecmaVersion: 'latest', sourceType: 'commonjs', globals: GLOBALS },
    rules: RULES,
  },
];

/** Rules whose meta says "problem" but that read as tidiness to a student. */
const STYLE_OVERRIDES = new Set(['no-unused-vars']);

// One linter for the process: it is stateless between verify() calls, and building it is not free.
let linter: Linter | null = null;

export function isJavaScriptFile(name: string): boolean {
  return extensionOf(name) !== null;
}

/**
 * Lint every JavaScript file in `files`; other files are ignored. A file that does not parse
 * yields one error finding (rule null) instead of throwing.
 */
export function analyseJavaScript(files: CodeFile[]): FindingDraft[] {
  linter ??= new Linter({ configType: 'flat' });
  const findings: FindingDraft[] = [];
  for (const file of files) {
    const ext = extensionOf(file.name);
    if (!ext) continue;
    // The virtual file name only selects the config block; the student's name never reaches
    // ESLint, so odd names ("../x.js", absolute paths) cannot change which rules apply.
    const messages = linter.verify(file.text, CONFIG, { filename: `workspace-file${ext}` });
    for (const m of messages) findings.push(toFinding(file.name, m));
  }
  return findings;
}

function toFinding(file: string, m: Linter.LintMessage): FindingDraft {
  const startLine = Math.max(1, m.line || 1);
  const endLine = Math.max(startLine, m.endLine ?? startLine);
  return {
    file,
    startLine,
    endLine,
    severity: m.fatal || m.severity === 2 ? 'error' : 'warning',
    category: m.fatal ? 'correctness' : categoryOf(m.ruleId),
    message: m.message,
    hint: null,
    source: 'static',
    tool: 'eslint',
    rule: m.ruleId,
  };
}

/** ESLint's own rule metadata decides: "problem" rules flag likely bugs, the rest are style. */
function categoryOf(ruleId: string | null): FindingCategory {
  if (!ruleId) return 'correctness';
  if (STYLE_OVERRIDES.has(ruleId)) return 'style';
  return builtinRules.get(ruleId)?.meta?.type === 'problem' ? 'correctness' : 'style';
}

function extensionOf(name: string): (typeof JAVASCRIPT_EXTENSIONS)[number] | null {
  const lower = name.toLowerCase();
  return JAVASCRIPT_EXTENSIONS.find((ext) => lower.endsWith(ext)) ?? null;
}
