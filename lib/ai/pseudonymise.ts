/**
 * Pseudonymisation of review material (issue 5 §4): nothing that identifies a student may leave
 * the server. Every text the model could see (file texts and names, instructions, rubric,
 * guidance, hidden notes, diff) goes through one scrubber built from the class roster:
 *
 * - roster names → a stable placeholder per person (`Student A`, `Student B`, …), the full name
 *   and each part of it (first and last name separately);
 * - roster emails → `student@example.invalid`, roster ids → `[id]`, everywhere;
 * - any email-looking string, phone numbers and long digit runs (student numbers) → replaced
 *   too, but in code files only inside comments and string literals, because in code they are
 *   far more likely to be an operator (`inputs@self.weights`) or a constant (`10000000`).
 *
 * Replacements never add or remove a newline, so line numbers (which findings cite) still match
 * the original files. Files keep their order, so `material.files[i]` is the scrubbed
 * `original.files[i]`; a name that becomes equal to an earlier one gets a `-2` suffix.
 *
 * Known limits (documented, not bugs): a name inside a camelCase identifier (`annaScore`) is not
 * found, because word boundaries are letters; a name written with invisible characters in it is
 * not found; parts of names that are common identifiers (see NAME_DENY_LIST) are kept on their
 * own, so a student called "Max" alone is not replaced, while "Max Müller" and "Müller" are.
 */
import type { CodeFile, ReviewMaterial, RubricLine } from './ai-types';

/** Who must not be identifiable: display names, emails and user/group/workspace/class ids. */
export interface Roster {
  names: string[];
  emails: string[];
  ids: string[];
}

export const PSEUDONYM_EMAIL = 'student@example.invalid';
export const PSEUDONYM_ID = '[id]';
export const PSEUDONYM_NUMBER = '[number]';

/** Names and name parts shorter than this (in letters) are never replaced: too many false hits. */
export const MIN_NAME_LETTERS = 3;
/** Ids shorter than this are ignored: real ids are 22-char random strings, short ones hit code. */
export const MIN_ID_CHARS = 6;
/** Digit runs at least this long (in comments, strings and prose) look like student numbers. */
export const MIN_STUDENT_NUMBER_DIGITS = 7;
/** Digit groups with separators (phone numbers) are replaced from this many digits on. */
const MIN_PHONE_DIGITS = 8;

/**
 * Name parts that are never replaced on their own (case-insensitive), because they are common
 * identifiers, keywords or words in code and in this prompt: replacing `max(` or `list` would
 * break the code the model reviews. A full multi-word name is still replaced ("Max Weber"), and
 * so is every other part of it. Also here: the words of our own placeholders and delimiters, so a
 * scrubbed text never "contains" a name again, and English words that double as given names
 * (may, will, can, don) or name particles (van, von, de la …), which identify nobody alone.
 */
export const NAME_DENY_LIST: ReadonlySet<string> = new Set(
  [
    // Keywords (Python, JavaScript/TypeScript, Java, C/C++).
    'and as assert async await break case catch class const continue def default del delete do elif else enum except',
    'export extends false final finally for from function global goto if implements import in instanceof interface is',
    'lambda let match new none nonlocal not null or package pass private protected public raise return static struct',
    'super switch this throw throws true try typeof undefined union var void while with yield self cls',
    // Types and builtins.
    'abs all any bin bool boolean byte bytes char chr dict dir double enumerate eval exec filter float format frozenset',
    'hash help hex id input int integer iter len list long map max min next number object oct open ord pow print range',
    'repr reversed round set short signed slice sorted str string sum tuple type unsigned vars vector zip',
    'append extend insert remove pop clear copy count index keys values items get update split join strip replace lower',
    'upper find sort reduce math console log error warn info debug document window require module exports promise then',
    'main printf scanf cout cin endl std include define sizeof typedef',
    // Common identifier words.
    'test tests data value val key item node tree graph root head tail left right top bottom first last prev start end',
    'stop step size length width height total temp tmp name names text line lines word words num result results answer',
    'avg mean score grade point points file files path dir time date year month day hour minute second random seed',
    'array matrix grid row col column cell counter flag done found state status user users read write close load save',
    'run exit output code color colour',
    // Our placeholders, delimiters and prompt vocabulary.
    'student students teacher example invalid hint hints question questions summary finding findings level note notes',
    'hidden diff rubric guidance instructions assignment title static nonce',
    // English words that are also given names, and name particles.
    'may will can don van von der den del della les los bin ibn',
  ]
    .join(' ')
    .split(' '),
);

/** A roster name part the scrubber looks for, and the person it stands for. */
interface NameTerm {
  text: string;
  person: number;
}

interface RosterTerms {
  emails: string[];
  ids: string[];
  names: NameTerm[];
}

type PlaceholderStyle = 'prose' | 'identifier';

/** `Student A` … `Student Z`, `Student AA` …; `Student_A` where it must stay one identifier. */
export function studentPlaceholder(person: number, style: PlaceholderStyle = 'prose'): string {
  let n = person + 1;
  let letters = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    letters = String.fromCharCode(65 + r) + letters;
    n = Math.floor((n - 1) / 26);
  }
  return `Student${style === 'identifier' ? '_' : ' '}${letters}`;
}

const nameKey = (s: string): string => s.normalize('NFC').toLowerCase().replace(/\s+/g, ' ').trim();
const letterCount = (s: string): number => (s.match(/\p{L}/gu) ?? []).length;
// `-` is not escaped: under the `u` flag `\-` is a syntax error outside a character class.
const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** The roster as search terms; people are numbered in roster order so placeholders are stable. */
function rosterTerms(roster: Roster): RosterTerms {
  const names: NameTerm[] = [];
  const seen = new Set<string>();
  const add = (text: string, person: number): void => {
    const key = nameKey(text);
    if (seen.has(key)) return;
    seen.add(key);
    names.push({ text: text.normalize('NFC'), person });
  };
  const people: string[] = [];
  for (const raw of roster.names) {
    const full = raw.normalize('NFC').replace(/\s+/g, ' ').trim();
    if (full && !people.some((p) => nameKey(p) === nameKey(full))) people.push(full);
  }
  people.forEach((full, person) => {
    const multiWord = full.includes(' ');
    if (letterCount(full) >= MIN_NAME_LETTERS && (multiWord || !NAME_DENY_LIST.has(nameKey(full)))) add(full, person);
  });
  // Parts after full names, so a part shared by two people maps to the first of them.
  people.forEach((full, person) => {
    // "Jean-Luc O'Brien" → Jean-Luc, O'Brien, Jean, Luc, Brien: a typographic apostrophe in the
    // text (O’Brien) must not keep "Brien" readable.
    const parts = full.split(/\s+/).concat(full.split(/[\s\-'\u2018\u2019\u02BC]+/));
    for (const rawPart of parts) {
      const part = rawPart.replace(/^[^\p{L}\p{M}]+|[^\p{L}\p{M}]+$/gu, '');
      if (letterCount(part) >= MIN_NAME_LETTERS && !NAME_DENY_LIST.has(nameKey(part))) add(part, person);
    }
  });
  const emails = [...new Set(roster.emails.map((e) => e.trim()).filter((e) => e.includes('@') && e.length >= 3))];
  const ids = [...new Set(roster.ids.map((i) => i.trim()).filter((i) => i.length >= MIN_ID_CHARS))];
  return { emails, ids, names };
}

/** Regex source of one name term: whitespace between words may be any run of spaces or tabs. */
function namePattern(text: string): string {
  const variants = new Set([text.normalize('NFC'), text.normalize('NFD')]);
  return [...variants].map((v) => v.split(' ').map(escapeRegExp).join('[^\\S\\r\\n]+')).join('|');
}

const byLengthDesc = (a: string, b: string): number => b.length - a.length;

// Boundaries: a name is not glued to another letter (digits and `_` count as boundaries, so
// `anna_2` is found); an id is not glued to a letter or digit.
const NAME_BEFORE = '(?<![\\p{L}\\p{M}])';
const NAME_AFTER = '(?![\\p{L}\\p{M}])';
const ID_BEFORE = '(?<![\\p{L}\\p{N}])';
const ID_AFTER = '(?![\\p{L}\\p{N}])';
const GENERIC_EMAIL = '[\\p{L}\\p{N}._%+-]+@[\\p{L}\\p{N}-]+(?:\\.[\\p{L}\\p{N}-]+)*\\.\\p{L}{2,}';
// Digit groups joined by single separators, optionally with +country and (area) prefixes. Whether
// it is a phone number is decided on the match (looksLikePhone).
const PHONE = '(?<![\\p{L}\\p{N}])(?:\\+\\d{1,3}[ .-]?)?(?:\\(\\d{1,5}\\)[ .-]?)?\\d{2,8}(?:[ .\\-/]\\d{2,8}){0,5}(?!\\d)';
const DIGIT_RUN = `(?<!\\d)\\d{${MIN_STUDENT_NUMBER_DIGITS},}(?!\\d)`;
const DIGIT_RUN_ONLY = new RegExp(DIGIT_RUN, 'g');
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Digit groups are a phone number when they have at least MIN_PHONE_DIGITS digits, are not an ISO
 * date, and look dialled: a `+`, `(` or `0` prefix, a `-` or `/` separator, or no group shorter
 * than 3 digits. So "0176 1234 5678" and "555-123-4567" go, "10 20 30 40" (test data) stays.
 */
function looksLikePhone(match: string): boolean {
  const digits = (match.match(/\d/g) ?? []).length;
  if (digits < MIN_PHONE_DIGITS || ISO_DATE.test(match)) return false;
  const groups = match.split(/[^\d]+/).filter(Boolean);
  return /^[+(0]/.test(match) || /[-/]/.test(match) || groups.every((g) => g.length >= 3);
}

/** One combined, single-pass regex: a placeholder is never scanned again. */
function buildRegex(terms: RosterTerms, generic: boolean): RegExp | null {
  const alts: string[] = [];
  if (terms.emails.length) alts.push(`(?<remail>${[...terms.emails].sort(byLengthDesc).map(escapeRegExp).join('|')})`);
  if (generic) alts.push(`(?<email>${GENERIC_EMAIL})`);
  if (terms.ids.length) alts.push(`(?<id>${ID_BEFORE}(?:${[...terms.ids].sort(byLengthDesc).map(escapeRegExp).join('|')})${ID_AFTER})`);
  if (terms.names.length) {
    const names = terms.names.map((t) => t.text).sort(byLengthDesc);
    alts.push(`(?<name>${NAME_BEFORE}(?:${names.map(namePattern).join('|')})${NAME_AFTER})`);
  }
  if (generic) alts.push(`(?<phone>${PHONE})`, `(?<digits>${DIGIT_RUN})`);
  return alts.length ? new RegExp(alts.join('|'), 'giu') : null;
}

/** Comment and string syntax of a language family, enough to tell code from comments/strings. */
interface Syntax {
  lineComments: string[];
  blockComments: Array<[string, string]>;
  quotes: string[];
  tripleQuotes: boolean;
}

const HASH_SYNTAX: Syntax = { lineComments: ['#'], blockComments: [], quotes: ['"', "'"], tripleQuotes: false };
const PYTHON_SYNTAX: Syntax = { ...HASH_SYNTAX, tripleQuotes: true };
const C_SYNTAX: Syntax = { lineComments: ['//'], blockComments: [['/*', '*/']], quotes: ['"', "'", '`'], tripleQuotes: false };
const DASH_SYNTAX: Syntax = { lineComments: ['--'], blockComments: [['/*', '*/']], quotes: ['"', "'"], tripleQuotes: false };

const SYNTAX_BY_EXTENSION: Record<string, Syntax> = {};
for (const ext of ['py', 'pyw', 'pyi']) SYNTAX_BY_EXTENSION[ext] = PYTHON_SYNTAX;
for (const ext of ['rb', 'sh', 'bash', 'zsh', 'r', 'pl', 'yaml', 'yml', 'toml', 'jl', 'ex', 'exs', 'nim', 'ps1']) {
  SYNTAX_BY_EXTENSION[ext] = HASH_SYNTAX;
}
for (const ext of 'js jsx mjs cjs ts tsx mts cts java c h cc cpp cxx hpp hh cs go rs kt kts swift scala dart php groovy json css scss'.split(' ')) {
  SYNTAX_BY_EXTENSION[ext] = C_SYNTAX;
}
for (const ext of ['sql', 'lua', 'hs', 'elm']) SYNTAX_BY_EXTENSION[ext] = DASH_SYNTAX;

/** null: not a known code file (txt, md, csv, no extension): treated as prose, scrubbed fully. */
function syntaxOf(fileName: string): Syntax | null {
  const m = /\.([A-Za-z0-9]+)$/.exec(fileName);
  return m ? (SYNTAX_BY_EXTENSION[m[1]!.toLowerCase()] ?? null) : null;
}

interface Segment {
  text: string;
  /** Code outside comments and strings. */
  code: boolean;
}

/**
 * Splits code into code and comment/string segments. A small lexer, not a parser: where it
 * guesses wrong (a regex literal with a quote, a Rust lifetime) it errs towards treating code as
 * a string, which only means more scrubbing there.
 */
function splitCode(text: string, syntax: Syntax): Segment[] {
  const segments: Segment[] = [];
  let codeStart = 0;
  let i = 0;
  const flush = (end: number): void => {
    if (end > codeStart) segments.push({ text: text.slice(codeStart, end), code: true });
  };
  const other = (start: number, end: number): void => {
    flush(start);
    segments.push({ text: text.slice(start, end), code: false });
    codeStart = end;
    i = end;
  };
  const endOf = (from: number, close: string, fallback: number): number => {
    const at = text.indexOf(close, from);
    return at < 0 ? fallback : at + close.length;
  };
  while (i < text.length) {
    const triple = syntax.tripleQuotes ? ['"""', "'''"].find((q) => text.startsWith(q, i)) : undefined;
    if (triple) {
      other(i, endOf(i + 3, triple, text.length));
      continue;
    }
    const block = syntax.blockComments.find(([open]) => text.startsWith(open, i));
    if (block) {
      other(i, endOf(i + block[0].length, block[1], text.length));
      continue;
    }
    if (syntax.lineComments.some((c) => text.startsWith(c, i))) {
      const nl = text.indexOf('\n', i);
      other(i, nl < 0 ? text.length : nl);
      continue;
    }
    const quote = text[i]!;
    if (syntax.quotes.includes(quote)) {
      let j = i + 1;
      while (j < text.length) {
        const c = text[j]!;
        if (c === '\\') j += 2;
        else if (c === quote) {
          j += 1;
          break;
        } else if (c === '\n' && quote !== '`') break;
        else j += 1;
      }
      other(i, Math.min(j, text.length));
      continue;
    }
    i += 1;
  }
  flush(text.length);
  return segments;
}

/** The scrubber for one roster, counting what it replaced. */
class Scrubber {
  replacements = 0;
  private readonly personByKey = new Map<string, number>();
  private readonly termMatchers: Array<{ re: RegExp; person: number }>;
  private readonly full: RegExp | null;
  private readonly rosterOnly: RegExp | null;

  constructor(roster: Roster) {
    const terms = rosterTerms(roster);
    for (const t of terms.names) this.personByKey.set(nameKey(t.text), t.person);
    this.termMatchers = terms.names.map((t) => ({ re: new RegExp(`^(?:${namePattern(t.text)})$`, 'iu'), person: t.person }));
    this.full = buildRegex(terms, true);
    this.rosterOnly = buildRegex(terms, false);
  }

  /** Scrubs prose (and files of unknown type) with every rule. */
  prose(text: string, style: PlaceholderStyle = 'prose'): string {
    return this.apply(text, this.full, style);
  }

  /** Scrubs a file: in code files, the generic rules apply only to comments and strings. */
  file(file: CodeFile): string {
    const syntax = syntaxOf(file.name);
    if (!syntax) return this.prose(file.text);
    const scrubbed = splitCode(file.text, syntax)
      .map((s) => (s.code ? this.apply(s.text, this.rosterOnly, 'identifier') : this.apply(s.text, this.full, 'prose')))
      .join('');
    // Safety net for a roster term that straddles a segment boundary.
    return this.apply(scrubbed, this.rosterOnly, 'identifier');
  }

  private apply(text: string, re: RegExp | null, style: PlaceholderStyle): string {
    if (!re || !text) return text;
    return text.replace(re, (match: string, ...rest: unknown[]) => {
      const groups = rest[rest.length - 1] as Record<string, string | undefined>;
      const out = this.replacementFor(match, groups, style);
      if (out !== match) this.replacements += 1;
      return out;
    });
  }

  private replacementFor(match: string, groups: Record<string, string | undefined>, style: PlaceholderStyle): string {
    if (groups.remail !== undefined || groups.email !== undefined) return PSEUDONYM_EMAIL;
    if (groups.id !== undefined) return PSEUDONYM_ID;
    if (groups.name !== undefined) return studentPlaceholder(this.personOf(match), style);
    if (groups.phone !== undefined) {
      // Not dialled-looking, but a student number may still sit among the groups ("no. 12345678").
      return looksLikePhone(match) ? PSEUDONYM_NUMBER : match.replace(DIGIT_RUN_ONLY, PSEUDONYM_NUMBER);
    }
    return PSEUDONYM_NUMBER;
  }

  private personOf(match: string): number {
    const known = this.personByKey.get(nameKey(match));
    if (known !== undefined) return known;
    // Case folding the regex accepted but toLowerCase spells differently (rare): test each term.
    return this.termMatchers.find((t) => t.re.test(match))?.person ?? 0;
  }

  /** Every roster term in `text`, as found. */
  leftovers(text: string): string[] {
    if (!this.rosterOnly || !text) return [];
    return [...new Set(Array.from(text.matchAll(this.rosterOnly), (m) => m[0]))];
  }
}

/** Makes file names unique again after scrubbing, keeping their order and extensions. */
function uniqueNames(names: string[]): string[] {
  const taken = new Set<string>();
  return names.map((name) => {
    let candidate = name;
    for (let n = 2; taken.has(candidate); n += 1) {
      const dot = name.lastIndexOf('.');
      candidate = dot > 0 ? `${name.slice(0, dot)}-${n}${name.slice(dot)}` : `${name}-${n}`;
    }
    taken.add(candidate);
    return candidate;
  });
}

/**
 * Replaces every roster name, email and id (and generic emails, phone numbers and student
 * numbers) in everything the model could see. Same person → same placeholder within one call,
 * and across calls with the same roster order.
 */
export function pseudonymiseMaterial(material: ReviewMaterial, roster: Roster): { material: ReviewMaterial; replacements: number } {
  const s = new Scrubber(roster);
  const names = uniqueNames(material.files.map((f) => s.prose(f.name, 'identifier')));
  const files: CodeFile[] = material.files.map((f, i) => ({ name: names[i]!, text: s.file(f) }));
  const rubric: RubricLine[] = material.rubric.map((r) => ({ ...r, title: s.prose(r.title), description: s.prose(r.description) }));
  const scrubbed: ReviewMaterial = {
    assignmentTitle: s.prose(material.assignmentTitle),
    instructions: s.prose(material.instructions),
    rubric,
    guidance: s.prose(material.guidance),
    hiddenNotes: s.prose(material.hiddenNotes),
    files,
    diffSinceLastReview: material.diffSinceLastReview === null ? null : s.prose(material.diffSinceLastReview),
  };
  return { material: scrubbed, replacements: s.replacements };
}

/**
 * Every roster name (or name part), email or id still in `text`, as found; [] when clean. The
 * terms are exactly the ones pseudonymiseMaterial replaces, so scrubbed material is always clean:
 * the pipeline uses this as the last check before anything is sent to a provider.
 */
export function findPii(text: string, roster: Roster): string[] {
  return new Scrubber(roster).leftovers(text);
}
