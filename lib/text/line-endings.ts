/** CRLF and lone CR → LF. Line endings are normalised once, at the edge (P-DOC-3). */
export function normalizeLineEndings(text: string): string {
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}
