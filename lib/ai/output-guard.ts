/**
 * The output guard (issue 5 §5): the model's reply is untrusted input. A prompt-injected or simply
 * careless model must not be able to leak the teacher's hidden notes or solution, exfiltrate data
 * through links or images, give code where the teacher allowed none, or act for the system. The
 * only effect a reply can ever have is a list of findings and a summary; grades and release have
 * no entry point here at all.
 *
 * Rejections (ok: false) are for replies that break a rule of the help level or leak a secret:
 * partly cleaning such a reply would still deliver what it was trying to say. Everything else is
 * repaired and every repair is listed in `notes` (written for the teacher; they never echo
 * model-controlled text, which could itself carry a link).
 */
import { MODEL_LIMITS, ModelReviewSchema, type HelpLevel, type ModelFinding, type ModelReview } from './ai-types';

export interface GuardContext {
  level: HelpLevel;
  /** Texts that must never come back out: hidden notes, model solution. */
  secrets: string[];
  /** The files the model was shown (pseudonymised names), with their line counts. */
  files: { name: string; lineCount: number }[];
  /**
   * Optional: texts the student can already see (their own files, the instructions). A run of
   * tokens that is also in one of these is not a leak, so quoting the student's own line that
   * happens to match the solution does not reject the reply.
   */
  publicTexts?: string[];
}

export type GuardResult = { ok: true; review: ModelReview; notes: string[] } | { ok: false; reason: string };

/**
 * A reply shares a run of this many consecutive tokens (words or single punctuation marks, after
 * normalising case, whitespace, invisible characters and compatibility forms; or words alone,
 * punctuation ignored) with a secret → leak. 8 tokens is about one line of code (`for i in range(len(xs)):` is 11) or half a
 * sentence; shorter runs are common phrasing ("the list is empty") that any review would use.
 */
export const LEAK_RUN_TOKENS = 8;
/** A secret line with at least this many non-space characters, found verbatim (spaces ignored) → leak. */
export const LEAK_LINE_CHARS = 25;

const FINDING_KEYS = new Set(['file', 'startLine', 'endLine', 'severity', 'category', 'message', 'hint']);
const REVIEW_KEYS = new Set(['findings', 'summary']);

// Zero-width characters, soft hyphen, word joiner, BOM and bidi controls: invisible, and used to
// hide a URL or a code fence from a pattern, or to reorder what the reader sees (Trojan Source).
const INVISIBLE = /[\u00AD\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;

/** Text as the checks see it: no invisible characters, NFKC (fullwidth `ｈｔｔｐ` → `http`). */
function normalise(text: string): string {
  return text.replace(INVISIBLE, '').normalize('NFKC').replace(INVISIBLE, '');
}

// ---------------------------------------------------------------------------------------------
// Exfiltration: links, images, HTML.

const MARKDOWN_IMAGE = /!\[[^\]\n]*\]\([^)\n]*\)?|!\[[^\]\n]*\]\[[^\]\n]*\]/g;
// Only links whose target could leave the page (a scheme, a path, a host): `fns[i](x)` in a code
// snippet is not a link.
const MARKDOWN_LINK = /\[([^\]\n]*)\]\(\s*<?\s*(?:[a-z][a-z0-9+.-]*:|\/|\\|www\.)[^)\n]*\)?/gi;
const HTML_TAG =
  /<\/?\s*(?:a|img|image|iframe|frame|frameset|script|style|link|meta|base|object|embed|video|audio|source|track|picture|svg|math|form|input|button|textarea|body|html|head|template|portal|applet|bgsound|marquee)\b[^>\n]*>?/gi;
const HTML_WITH_URL_ATTRIBUTE = /<[a-z][\w-]*\s[^<>\n]*\b(?:src|href|srcset|action|formaction|poster|background|style|on[a-z]+)\s*=[^<>\n]*>?/gi;
// No \b before a scheme or www: `_https://` must not slip through.
const URL =
  /(?:[a-z][a-z0-9+.-]*:\/\/|www\.|(?<![\w:/])\/\/(?=[^\s/]+\.[^\s/]+)|\b(?:data|javascript|vbscript|mailto|file):(?=\S))[^\s<>"'`)\]]*/gi;

/** Removes everything that could load or link to another origin. Markers keep neighbours apart. */
function stripExfiltration(text: string): { text: string; stripped: number } {
  let stripped = 0;
  const removed =
    (marker: string) =>
    (): string => {
      stripped += 1;
      return marker;
    };
  const out = text
    .replace(INVISIBLE, removed(''))
    .replace(MARKDOWN_IMAGE, removed('[image removed]'))
    .replace(MARKDOWN_LINK, (_match: string, label: string) => {
      stripped += 1;
      return `${label} [link removed]`;
    })
    .replace(HTML_TAG, removed('[html removed]'))
    .replace(HTML_WITH_URL_ATTRIBUTE, removed('[html removed]'))
    .replace(URL, removed('[link removed]'));
  return { text: out, stripped };
}

/** A URL that survived stripping only in a disguise (fullwidth letters and the like). */
function hasDisguisedUrl(text: string): boolean {
  return /[a-z][a-z0-9+.-]*:\/\/|www\.|\b(?:data|javascript|vbscript):(?=\S)/i.test(normalise(text));
}

// ---------------------------------------------------------------------------------------------
// Code at the 'questions' and 'hints' levels.

/**
 * What counts as code where the teacher allowed none. Deliberately simple, case-sensitive
 * (keywords are lowercase) and aimed at statements, not at prose that mentions code:
 * "Look at how `total` changes inside the loop" and "What does `len(xs) - 1` give?" pass,
 * `total = 0`, `def f(x):` and a fenced block do not. Each rule has a name the reason repeats.
 */
const CODE_RULES: ReadonlyArray<{ rule: string; re: RegExp }> = [
  { rule: 'fenced code block', re: /```|~~~/ },
  { rule: 'HTML code element', re: /<\s*(?:pre|code)\b/i },
  { rule: 'function or class definition', re: /\b(?:def|class)\s+[A-Za-z_]\w*\s*[(:]/ },
  { rule: 'function definition', re: /\bfunction\b\s*[\w$]*\s*\([^)\n]*\)\s*\{/ },
  { rule: 'arrow function', re: /\)\s*=>|\b[A-Za-z_$][\w$]*\s*=>\s*\S/ },
  { rule: 'lambda', re: /\blambda\b[\w\s,*]*:/ },
  { rule: 'return statement', re: /^\s*return\b(?:[^\n]*[;(){}[\]]|\s*\w*\s*$)|\breturn\b[^\n]*;\s*$/m },
  { rule: 'assignment statement', re: /^\s*[A-Za-z_][\w.]*(?:\[[^\]\n]*\])?\s*(?:[+\-*/%]|\/\/|\*\*)?=(?!=)\s*\S/m },
  { rule: 'assignment with a call or index', re: /\b[A-Za-z_]\w*\s*(?:[+\-*/%]?=)(?!=)\s*[\w.]*[[(]/ },
  { rule: 'statement ending in ;', re: /[=(][^\n]*;\s*$/m },
  {
    rule: 'block header',
    re: /^\s*(?:(?:if|elif|while)\s+[^\n:]*(?:[<>]=?|[=!]=|\w\(|\w\[)[^\n]*:|for\s+\w+\s+in\s+[^\n]*:|(?:else|try|finally)\s*:|(?:if|for|while)\s*\([^\n]*\)\s*\{?)\s*$/m,
  },
  { rule: 'brace block', re: /^\s*[{}]\s*;?\s*$|\)\s*\{\s*$/m },
  { rule: 'call statement', re: /^\s*[A-Za-z_][\w.]*\([^\n]*\)\s*;?\s*$/m },
  { rule: 'comprehension', re: /\[[^\]\n]*\bfor\s+\w+\s+in\b[^\]\n]*\]/ },
  { rule: 'import statement', re: /^\s*(?:import\s+[\w.]+(?:\s+as\s+\w+)?\s*;?\s*$|from\s+[\w.]+\s+import\s+\w|#include\s*[<"])/m },
];

/** Markdown's indented code block: 4+ spaces or a tab after a blank line (or at the start). */
function hasIndentedCodeBlock(text: string): boolean {
  const lines = text.split('\n');
  return lines.some((line, i) => /^(?: {4}|\t)\s*\S/.test(line) && (i === 0 || (lines[i - 1] ?? '').trim() === ''));
}

/** The name of the first code rule `text` breaks, or null. Inline code spans are checked alone too. */
export function findCode(text: string): string | null {
  const t = normalise(text);
  if (hasIndentedCodeBlock(t)) return 'indented code block';
  const spans = Array.from(t.matchAll(/`([^`\n]+)`/g), (m) => m[1]!);
  for (const candidate of [t, ...spans]) {
    const hit = CODE_RULES.find((r) => r.re.test(candidate));
    if (hit) return hit.rule;
  }
  // A long inline span is a statement, not a mention of an identifier.
  if (spans.some((s) => s.length > 40 || /[;{}]/.test(s))) return 'inline code statement';
  return null;
}

// ---------------------------------------------------------------------------------------------
// Solution leakage.

/** Tokens for leak detection: words, or single punctuation marks; markdown escapes dropped. */
function tokens(text: string): string[] {
  const t = normalise(text)
    .toLowerCase()
    .replace(/\\(?=[!-/:-@[-`{-~])/g, '');
  return t.match(/[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu) ?? [];
}

function runs(toks: string[], n: number): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i + n <= toks.length; i += 1) out.add(toks.slice(i, i + n).join('\u0001'));
  return out;
}

const squash = (text: string): string => normalise(text).toLowerCase().replace(/\s+/g, '');

/**
 * Why `text` leaks one of `secrets`, or null: a shared run of LEAK_RUN_TOKENS tokens, or a secret
 * line of LEAK_LINE_CHARS+ non-space characters found verbatim. Runs and lines that also occur in
 * `publicTexts` (what the student already sees) do not count.
 */
export function findSolutionLeak(text: string, secrets: string[], publicTexts: string[] = []): string | null {
  // Two views of the same text: with punctuation (so a short code line counts), and words only
  // (so "beta, gamma; delta" cannot dodge the rule by sprinkling punctuation between words).
  const views = (t: string): Set<string> => {
    const all = tokens(t);
    const wordsOnly = all.filter((tok) => /[\p{L}\p{N}_]/u.test(tok));
    return new Set([...runs(all, LEAK_RUN_TOKENS), ...[...runs(wordsOnly, LEAK_RUN_TOKENS)].map((r) => `w${r}`)]);
  };
  const outRuns = views(text);
  const publicRuns = new Set(publicTexts.flatMap((p) => [...views(p)]));
  const squashedOut = squash(text);
  const squashedPublic = publicTexts.map(squash);
  for (const secret of secrets) {
    for (const r of views(secret)) {
      if (outRuns.has(r) && !publicRuns.has(r)) return `shares a run of ${LEAK_RUN_TOKENS} tokens with the hidden notes or solution`;
    }
    for (const line of secret.split('\n')) {
      const s = squash(line);
      if (s.length >= LEAK_LINE_CHARS && squashedOut.includes(s) && !squashedPublic.some((p) => p.includes(s))) {
        return 'contains a line of the hidden notes or solution';
      }
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Text that speaks for the system.

/** Claims a reply cannot make true: grading and release are never done by the model. */
const SYSTEM_CLAIMS = [
  /\bfull\s+marks\b/i,
  /\b(?:grade|score|mark|points)\s*[:=]/i,
  /\bscore\s+of\s+\d+/i,
  /\b\d+\s*\/\s*100\b|\b100\s*%/,
  /\b(?:i|we)\s+(?:have\s+|'ve\s+)?(?:released|graded|approved|published|submitted)\b/i,
  /\b(?:feedback|grades?)\s+(?:has|have)\s+been\s+(?:released|published|approved)\b/i,
];

// ---------------------------------------------------------------------------------------------

function unexpectedKeys(raw: unknown): string[] {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return [];
  const extra = new Set(Object.keys(raw).filter((k) => !REVIEW_KEYS.has(k)));
  const findings = (raw as { findings?: unknown }).findings;
  if (Array.isArray(findings)) {
    for (const f of findings) {
      if (f && typeof f === 'object') for (const k of Object.keys(f)) if (!FINDING_KEYS.has(k)) extra.add(`findings[].${k}`);
    }
  }
  return [...extra].map((k) => k.slice(0, 40).replace(/[^\w.[\]-]/g, '?'));
}

/** The rejection reason for these texts (leak at any level, code at 'questions'/'hints'), or null. */
function textRule(texts: string[], ctx: GuardContext): string | null {
  // Joined, so a secret split across consecutive fields is still one run.
  const leak = findSolutionLeak(texts.join('\n'), ctx.secrets, ctx.publicTexts);
  if (leak) return `solution leakage: the reply ${leak}`;
  if (ctx.level === 'hints' || ctx.level === 'questions') {
    for (const text of texts) {
      const rule = findCode(text);
      if (rule) return `code at help level '${ctx.level}' (${rule})`;
    }
  }
  return null;
}

const clamp = (n: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, n));

/**
 * Validates and cleans a model reply for the teacher's help level. See the module comment for
 * what is rejected and what is repaired; the rules in order:
 *
 * 1. level 'off' → rejected; the reply must match ModelReviewSchema (a JSON string is parsed
 *    first), extra fields ("grade", "release", …) are dropped;
 * 2. any text (message, hint, summary) leaking a secret → rejected (LEAK_RUN_TOKENS, LEAK_LINE_CHARS);
 * 3. 'hints' and 'questions': any text containing code (findCode) → rejected;
 * 4. findings on unknown files are dropped, line ranges are clamped to the file;
 * 5. links, images, URLs, HTML and invisible characters are removed at every level;
 *    a URL that survives only in disguise → rejected;
 * 6. 'questions': hints are removed, findings whose message is not a question are dropped;
 * 7. text claiming a grade or a release is kept as text, with a note.
 */
export function guardModelReview(review: unknown, ctx: GuardContext): GuardResult {
  if (ctx.level === 'off') return { ok: false, reason: 'help level off' };
  let raw = review;
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch {
      return { ok: false, reason: 'the reply is not JSON' };
    }
  }
  const parsed = ModelReviewSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'reply';
    return { ok: false, reason: `the reply does not match the review schema (${where}: ${issue?.message ?? 'invalid'})` };
  }
  const notes: string[] = [];
  const extra = unexpectedKeys(raw);
  if (extra.length) notes.push(`dropped fields the reply may not set: ${extra.join(', ')}`);

  const reply = parsed.data;
  // Checked as sent, because a reply that tries is compromised even if cleaning would defuse it.
  const rejection = textRule([...reply.findings.flatMap((f) => [f.message, f.hint ?? '']), reply.summary], ctx);
  if (rejection) return { ok: false, reason: rejection };

  const lineCounts = new Map(ctx.files.map((f) => [f.name, Math.max(1, Math.floor(f.lineCount))]));
  let unknownFiles = 0;
  let clamped = 0;
  let removedHints = 0;
  let notQuestions = 0;
  let strippedLinks = 0;
  let empty = 0;
  // Markers can make a text longer than the schema allows: cut back to the limit.
  const clean = (text: string, maxChars: number): string => {
    const r = stripExfiltration(text);
    strippedLinks += r.stripped;
    return r.text.slice(0, maxChars);
  };

  const findings: ModelFinding[] = [];
  for (const f of reply.findings) {
    const lineCount = lineCounts.get(f.file);
    if (lineCount === undefined) {
      unknownFiles += 1;
      continue;
    }
    const lo = Math.min(f.startLine, f.endLine);
    const hi = Math.max(f.startLine, f.endLine);
    const startLine = clamp(lo, 1, lineCount);
    const endLine = clamp(hi, 1, lineCount);
    if (startLine !== f.startLine || endLine !== f.endLine) clamped += 1;
    const message = clean(f.message, MODEL_LIMITS.maxMessageChars);
    let hint = f.hint === null ? null : clean(f.hint, MODEL_LIMITS.maxHintChars);
    if (!message.trim()) {
      empty += 1;
      continue;
    }
    if (ctx.level === 'questions') {
      if (hint !== null) removedHints += 1;
      hint = null;
      if (!message.includes('?')) {
        notQuestions += 1;
        continue;
      }
    }
    findings.push({ ...f, startLine, endLine, message, hint });
  }
  const summary = clean(reply.summary, MODEL_LIMITS.maxSummaryChars);

  // And checked as delivered: cleaning joins text (`[= 0](/x)` → `= 0`), so it could create one.
  const delivered = [...findings.flatMap((f) => [f.message, f.hint ?? '']), summary];
  const after = textRule(delivered, ctx);
  if (after) return { ok: false, reason: after };
  if (delivered.some(hasDisguisedUrl)) return { ok: false, reason: 'a link disguised with look-alike characters' };

  if (unknownFiles) notes.push(`dropped ${unknownFiles} finding(s) naming a file that is not in the workspace`);
  if (empty) notes.push(`dropped ${empty} finding(s) whose message was empty once cleaned`);
  if (clamped) notes.push(`clamped the lines of ${clamped} finding(s) to the file`);
  if (strippedLinks) notes.push(`removed ${strippedLinks} link(s), image(s), HTML tag(s) or invisible character(s)`);
  if (removedHints) notes.push(`removed ${removedHints} hint(s): help level 'questions' allows questions only`);
  if (notQuestions) notes.push(`dropped ${notQuestions} finding(s) that were not phrased as a question`);
  if (delivered.some((t) => SYSTEM_CLAIMS.some((re) => re.test(normalise(t))))) {
    notes.push('the reply claims a grade or a release; kept as text only, nothing was graded or released');
  }
  return { ok: true, review: { findings, summary }, notes };
}
