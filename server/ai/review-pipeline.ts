import { randomBytes } from 'node:crypto';
import type { FindingDraft, HelpLevel, ReviewMaterial } from '../../lib/ai/ai-types';
import { guardModelReview } from '../../lib/ai/output-guard';
import { findPii, pseudonymiseMaterial, type Roster } from '../../lib/ai/pseudonymise';
import type { AiProviderSettings } from '../config';
import { runModelReview, type ModelCallResult, type ProviderCall } from './model-review';
import { buildReviewPrompt } from './review-prompt';
import { runStaticTools } from './static-tools';

/**
 * One review, start to finish, as plain data in and out, so it can run in a worker thread
 * (review-worker.ts) and never on the editing event loop. Order (issue 5 §2): real analysers
 * first (LangChain tools), then — only when a model is allowed — the pseudonymised prompt, one
 * structured call with retries, and the output guard. Nothing here touches a store: the caller
 * persists the result, writes the audit rows and pushes the views.
 */

// LangSmith tracing would send prompts (student code) to a third party: never on, whatever the
// environment says (workers inherit the process environment).
for (const key of ['LANGCHAIN_TRACING_V2', 'LANGCHAIN_TRACING', 'LANGSMITH_TRACING', 'LANGSMITH_TRACING_V2']) process.env[key] = 'false';

export interface ReviewJob {
  material: ReviewMaterial;
  /** Who must not be identifiable in anything sent out (names, emails, ids of the class). */
  roster: Roster;
  level: HelpLevel;
  /** null: static analysis only, for the reason in `staticOnlyReason`. */
  provider: AiProviderSettings | null;
  staticOnlyReason: string | null;
}

export interface ReviewJobResult {
  findings: FindingDraft[];
  summary: string;
  staticOnly: boolean;
  /** Why the model did not contribute, in words a teacher understands; null when it did. */
  note: string | null;
  /** Analysers that could not run (their findings are missing, the others are kept). */
  staticFailed: Array<{ tool: string; error: string }>;
  prompt: string | null;
  reply: string | null;
  /** One entry per provider request (each becomes an audit row). */
  calls: ProviderCall[];
  /** The provider failed (circuit breaker input); a guard rejection is not a provider failure. */
  providerFailed: boolean;
  /** How many roster strings pseudonymisation replaced. */
  pseudonymised: number;
}

export async function runReviewPipeline(job: ReviewJob): Promise<ReviewJobResult> {
  const files = job.material.files;
  const stat = await runStaticTools(files);
  const staticFindings = stat.findings;
  const base: ReviewJobResult = {
    findings: staticFindings,
    summary: staticSummary(staticFindings, stat.ran),
    staticOnly: true,
    note: job.staticOnlyReason,
    staticFailed: stat.failed,
    prompt: null,
    reply: null,
    calls: [],
    providerFailed: false,
    pseudonymised: 0,
  };
  if (!job.provider) return base;
  if (job.level === 'off') return { ...base, note: 'The help level is off: static analysis only, no model was asked.' };

  // Static messages quote the code (identifiers, strings): they are scrubbed in the same pass as
  // the files, as extra pseudo-files, so one person gets one placeholder everywhere.
  const findingTexts = staticFindings.map((f, i) => ({ name: `finding-${i}`, text: `${f.message}\n${f.hint ?? ''}` }));
  const scrubbed = pseudonymiseMaterial({ ...job.material, files: [...files, ...findingTexts] }, job.roster);
  const material: ReviewMaterial = { ...scrubbed.material, files: scrubbed.material.files.slice(0, files.length) };
  const scrubbedStatic: FindingDraft[] = staticFindings.map((f, i) => {
    const [message = '', ...hint] = (scrubbed.material.files[files.length + i]?.text ?? '').split('\n');
    const index = files.findIndex((file) => file.name === f.file);
    return { ...f, file: material.files[index]?.name ?? f.file, message, hint: f.hint === null ? null : hint.join('\n') };
  });
  const nonce = randomBytes(9).toString('base64url');
  const prompt = buildReviewPrompt(material, scrubbedStatic, job.level, nonce);
  const promptText = `${prompt.system}\n\n${prompt.user}`;
  // Last line of defence: if anything of the roster is still in the text, nothing is sent.
  const leftovers = findPii(promptText, job.roster);
  if (leftovers.length > 0) {
    return {
      ...base,
      pseudonymised: scrubbed.replacements,
      note: `Personal data could not be removed from the code (${leftovers.length} item(s)); nothing was sent to the model.`,
    };
  }
  const call: ModelCallResult = await runModelReview(job.provider, prompt);
  const withCall = { ...base, prompt: call.promptText, reply: call.rawReply, calls: call.calls, pseudonymised: scrubbed.replacements };
  if (call.parsed === null) {
    return { ...withCall, providerFailed: true, note: `The model did not answer usably (${call.error ?? 'no reply'}); static analysis only.` };
  }
  const guarded = guardModelReview(call.parsed, {
    level: job.level,
    secrets: [job.material.hiddenNotes].filter((s) => s.trim().length > 0),
    // The student's own code and the instructions are not leaks when quoted back.
    publicTexts: [...material.files.map((f) => f.text), material.instructions],
    files: material.files.map((f) => ({ name: f.name, lineCount: f.text.split('\n').length })),
  });
  if (!guarded.ok) {
    return { ...withCall, note: `The model's reply was rejected by the output guard (${guarded.reason}); static analysis only.` };
  }
  // Pseudonymisation may rename a file (a name in a file name); map the model's names back.
  const realName = new Map(material.files.map((f, i) => [f.name, files[i]!.name]));
  const modelFindings: FindingDraft[] = guarded.review.findings.map((f) => ({
    file: realName.get(f.file) ?? f.file,
    startLine: f.startLine,
    endLine: f.endLine,
    severity: f.severity,
    category: f.category,
    message: f.message,
    hint: f.hint,
    source: 'model',
    tool: 'model',
    rule: null,
  }));
  return {
    ...withCall,
    findings: [...staticFindings, ...modelFindings],
    summary: guarded.review.summary,
    staticOnly: false,
    note: guarded.notes.length ? `Output guard: ${guarded.notes.join('; ')}` : null,
  };
}

function staticSummary(findings: FindingDraft[], ran: string[]): string {
  if (ran.length === 0) return 'No static analyser applies to these files.';
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.filter((f) => f.severity === 'warning').length;
  if (findings.length === 0) return `Static analysis (${ran.join(', ')}) found nothing to report.`;
  return `Static analysis (${ran.join(', ')}) found ${errors} error(s) and ${warnings} warning(s).`;
}
