import { z } from 'zod';

/**
 * Shared vocabulary of the AI review assistant (issue 5). Pure data and schemas only: the browser
 * renders these shapes, the server produces them, and the model's reply is validated against
 * ModelReviewSchema before anything else looks at it.
 */

/** What the teacher allows the model to say (enforced on the server by lib/ai/output-guard.ts). */
export const HELP_LEVELS = ['off', 'questions', 'hints', 'full'] as const;
export type HelpLevel = (typeof HELP_LEVELS)[number];
export const HelpLevelSchema = z.enum(HELP_LEVELS);

export const FINDING_SEVERITIES = ['info', 'warning', 'error'] as const;
export type FindingSeverity = (typeof FINDING_SEVERITIES)[number];

export const FINDING_CATEGORIES = ['correctness', 'style', 'design', 'performance', 'security', 'question', 'other'] as const;
export type FindingCategory = (typeof FINDING_CATEGORIES)[number];

/** Where a finding came from: a real analyser (labelled "static analysis" in the UI) or the model. */
export type FindingSource = 'static' | 'model';

/** A workspace file as the pipeline sees it. `name` is the path inside the workspace (e.g. "src/main.py"). */
export interface CodeFile {
  name: string;
  text: string;
}

/** A finding before it is stored. Lines are 1-based and inclusive, in the file named by `file`. */
export interface FindingDraft {
  file: string;
  startLine: number;
  endLine: number;
  severity: FindingSeverity;
  category: FindingCategory;
  message: string;
  hint: string | null;
  source: FindingSource;
  /** 'eslint' | 'typescript' | 'pyright' | 'model' */
  tool: string;
  /** The analyser's rule id (e.g. "no-unused-vars", "reportUndefinedVariable"), null for the model. */
  rule: string | null;
}

/** Caps keep one reply from flooding the store or the UI. */
export const MODEL_LIMITS = {
  maxFindings: 30,
  maxMessageChars: 1200,
  maxHintChars: 1200,
  maxSummaryChars: 3000,
  maxFileNameChars: 300,
} as const;

/** The structured output the chat model must return (LangChain withStructuredOutput). */
export const ModelFindingSchema = z.object({
  file: z.string().min(1).max(MODEL_LIMITS.maxFileNameChars).describe('Path of the file, exactly as given'),
  startLine: z.number().int().min(1).describe('First line (1-based)'),
  endLine: z.number().int().min(1).describe('Last line (1-based, inclusive)'),
  severity: z.enum(FINDING_SEVERITIES),
  category: z.enum(FINDING_CATEGORIES),
  message: z.string().min(1).max(MODEL_LIMITS.maxMessageChars).describe('What the student should look at'),
  hint: z.string().max(MODEL_LIMITS.maxHintChars).nullable().describe('A hint, or null'),
});
export const ModelReviewSchema = z.object({
  findings: z.array(ModelFindingSchema).max(MODEL_LIMITS.maxFindings),
  summary: z.string().max(MODEL_LIMITS.maxSummaryChars),
});
export type ModelFinding = z.infer<typeof ModelFindingSchema>;
export type ModelReview = z.infer<typeof ModelReviewSchema>;

/** One rubric criterion as the model sees it (points are informative; the model never grades). */
export interface RubricLine {
  title: string;
  points: number;
  description: string;
}

/**
 * Everything the model may see for one review, already pseudonymised. `hiddenNotes` is the
 * teacher's private notes / model solution: the model may use it, the output guard makes sure it
 * never comes back out.
 */
export interface ReviewMaterial {
  assignmentTitle: string;
  instructions: string;
  rubric: RubricLine[];
  guidance: string;
  hiddenNotes: string;
  files: CodeFile[];
  /** Unified diff of the files since the previous review of this workspace, or null. */
  diffSinceLastReview: string | null;
}
