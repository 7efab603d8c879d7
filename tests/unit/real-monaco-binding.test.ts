/**
 * MonacoBinding on Monaco 0.57's real TextModel (not the headless double): three models edited
 * concurrently through pushEditOperations (emoji, CJK, combining marks, CRLF and lone CR,
 * multi-range edits, deletes, undo/redo, a model switched to CRLF mid-session, pastes labelled
 * with the edit source Monaco's Cursor gives them) against a real in-process ShareDB. Runs in a
 * child Node process because Jest's CommonJS runtime cannot load Monaco's ESM build; see
 * support/real-monaco-binding.mjs. No editor view exists there, so carets and scrolling are
 * covered by the headless tests only.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { SEED } from './support/property';

test('[P-DOC-3][P-OP-4][P-OP-PROV] real Monaco models stay equal to their docs, send pastes as pasted and converge with the server', () => {
  const script = path.join(__dirname, 'support', 'real-monaco-binding.mjs');
  const out = execFileSync(process.execPath, [script, String(SEED), '40'], { maxBuffer: 16 * 1024 * 1024, timeout: 120_000 });
  const result = JSON.parse(out.toString('utf8')) as { seed: number; runs: number; ok: number; error?: string };
  if (result.error) throw new Error(`seed ${result.seed}: ${result.error}`);
  expect(result.ok).toBe(result.runs);
}, 150_000);
