/**
 * Tandem stores text with `\n` line endings only (P-DOC-3, P-OP-4). Line endings are normalised
 * once, at the edge where text enters the system: the editor binding and the REST API. The server
 * rejects ops whose inserts contain `\r`, so nothing downstream has to think about CR again.
 */

const CR = /\r\n?/g;

/** Converts CRLF and lone CR line endings to LF. Returns `text` itself when it has no CR. */
export function normalizeLineEndings(text: string): string {
  return text.includes('\r') ? text.replace(CR, '\n') : text;
}

/** True if `text` contains a carriage return (and so must not go into an op as is). */
export function hasCarriageReturn(text: string): boolean {
  return text.includes('\r');
}
