/**
 * Points a reviewer at large blocks of text that arrived in one op from outside the workspace
 * (pasted from elsewhere, or inserted by a tool). It is a hint for a human to look at, not a
 * verdict: moving or duplicating text already in the workspace is normal editing and is not
 * flagged, and neither is anything typed key by key.
 */
import { codePointLength, codePointToUtf16 } from '../text/offsets';
import { textType, type TextOp } from '../text/text-type';

/** Inserts shorter than this many code points (whitespace trimmed) are never paste signals. */
export const DEFAULT_PASTE_SIGNAL_MIN_CHARS = 120;

/** How many code points of a signal's text `preview` keeps. */
const PREVIEW_CHARS = 80;

/** One op of a file's history: the op that took the file from version `v` to `v + 1`. */
export interface PasteSignalOp {
  op: TextOp;
  v: number;
  author: string | null;
  source?: string;
  ts?: number;
}

/** Options of `findPasteSignals`. */
export interface PasteSignalOptions {
  /** Minimum length in code points of the inserted text, whitespace trimmed. Default 120. */
  minChars?: number;
  /**
   * Texts of the workspace's other files just before the op at version `v` of this file. Only
   * called for inserts that are long enough and not already in this file.
   */
  workspaceTextBefore?: (v: number) => string[];
}

/** A large insert whose text was not in the workspace when it was made. */
export interface PasteSignal {
  v: number;
  author: string | null;
  source: string | null;
  ts: number | null;
  /** Code-point offset of the inserted text in the file just after the op. */
  at: number;
  /** Length of the inserted text in code points, as inserted (whitespace included). */
  length: number;
  /** The first 80 code points of the inserted text, whitespace trimmed. */
  preview: string;
}

/** A run of inserted text, contiguous in the text after the op. */
interface InsertRun {
  at: number;
  text: string;
}

/**
 * The op's inserts as runs of the new text. Inserts separated only by deletes end up next to each
 * other, so they are one run: a paste over a selection must not dodge the threshold by being
 * split around the delete.
 */
function insertRuns(op: TextOp): InsertRun[] {
  const runs: InsertRun[] = [];
  let pos = 0;
  let current: InsertRun | null = null;
  for (const component of op) {
    if (typeof component === 'number') {
      pos += component;
      current = null;
    } else if (typeof component === 'string') {
      if (current) current.text += component;
      else {
        current = { at: pos, text: component };
        runs.push(current);
      }
      pos += codePointLength(component);
    }
  }
  return runs;
}

/**
 * Replays `ops` over `initial` (the file's text before the first of them) and returns, in order,
 * every insert of at least `minChars` code points (whitespace trimmed) whose trimmed text was
 * neither in the file just before the op nor in any text `workspaceTextBefore(v)` returns.
 * Typing one character per op is never flagged, however much is typed.
 */
export function findPasteSignals(
  ops: readonly PasteSignalOp[],
  initial: string,
  options: PasteSignalOptions = {},
): PasteSignal[] {
  const minChars = options.minChars ?? DEFAULT_PASTE_SIGNAL_MIN_CHARS;
  const signals: PasteSignal[] = [];
  let text = initial;
  for (const { op, v, author, source, ts } of ops) {
    let others: string[] | null = null;
    for (const run of insertRuns(op)) {
      // Cheap length test first: most ops are keystrokes, and the raw run is never shorter than its trimmed text.
      if (run.text.length < minChars) continue;
      const content = run.text.trim();
      if (content === '' || codePointLength(content) < minChars) continue;
      if (text.includes(content)) continue;
      others ??= options.workspaceTextBefore?.(v) ?? [];
      if (others.some((other) => other.includes(content))) continue;
      signals.push({
        v,
        author,
        source: source ?? null,
        ts: ts ?? null,
        at: run.at,
        length: codePointLength(run.text),
        preview: content.slice(0, codePointToUtf16(content, PREVIEW_CHARS)),
      });
    }
    text = textType.apply(text, op);
  }
  return signals;
}
