// Drives MonacoBinding against Monaco 0.57's REAL TextModel (ESM, loaded in plain Node) and a real
// in-process ShareDB backend: random concurrent edits from three models, checking after every
// step that each model equals its doc and at the end that everything converged. Pastes carry the
// edit source Monaco's Cursor gives them (P-OP-PROV): each must be submitted as `pasted`, and every
// op must reach the server with an x.source it accepts. The TypeScript
// sources are transpiled on the fly. argv: seed, runs. Prints a JSON summary. Used by
// real-monaco-binding.test.ts.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import { createModel } from './real-monaco-model.mjs';

const require = createRequire(import.meta.url);
const ts = require('typescript');
require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: filename,
  });
  module._compile(outputText, filename);
};
require('sharedb/lib/logger').setMethods({ info() {}, warn() {}, error() {} });
const ShareDB = require('sharedb');
const { types } = require('sharedb/lib/client');
const { textType } = require('../../../lib/text/text-type.ts');
const { MonacoBinding } = require('../../../lib/binding/monaco-binding.ts');
const { isOpProvenance } = require('../../../lib/binding/op-source.ts');
// What Monaco's Cursor puts on the content event of a paste (common/cursor/cursor.js).
const { EditSources } = await import(new URL('../../../node_modules/monaco-editor/esm/vs/editor/common/textModelEditSource.js', import.meta.url).href);
ShareDB.types.register(textType);
types.register(textType);

const seed = Number(process.argv[2] ?? 1);
const runs = Number(process.argv[3] ?? 20);
let state = seed >>> 0 || 1;
const random = () => {
  // xorshift32: small, seedable, good enough to pick edits.
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state / 0x100000000;
};
const pick = (list) => list[Math.floor(random() * list.length)];
const CHUNKS = ['a', 'b', ' ', 'é', 'e\u0301', '世界', '😀', '𝔘', '👩‍💻', '\n', '\r\n', '\r', '{}', '\t'];
const text = (max) => Array.from({ length: Math.floor(random() * (max + 1)) }, () => pick(CHUNKS)).join('');
const tick = () => new Promise((r) => setTimeout(r, 0));

/** A code-point boundary offset in the model, chosen at random. */
function boundary(model) {
  const value = model.getValue();
  let o = Math.floor(random() * (value.length + 1));
  const c = value.charCodeAt(o - 1);
  if (o > 0 && c >= 0xd800 && c <= 0xdbff) o -= 1;
  return o;
}

function rangeOf(model, start, end) {
  const s = model.getPositionAt(start);
  const e = model.getPositionAt(end);
  return { startLineNumber: s.lineNumber, startColumn: s.column, endLineNumber: e.lineNumber, endColumn: e.column };
}

async function oneRun(run) {
  const backend = new ShareDB({ presence: true, doNotForwardSendPresenceErrorsToClient: true });
  const sources = [];
  backend.use('submit', (ctx, next) => {
    if ('op' in ctx.op) sources.push(ctx.extra?.source); // not the server's create
    next();
  });
  const server = backend.connect();
  const id = 'wsp001:real01';
  const initial = text(10).replace(/\r\n?/g, '\n');
  await new Promise((res, rej) => server.get('files', id).create(initial, textType.uri, (e) => (e ? rej(e) : res())));
  const tabs = [];
  for (let i = 0; i < 3; i++) {
    const connection = backend.connect();
    connection.on('error', () => {});
    const doc = connection.get('files', id);
    doc.on('error', () => {});
    await new Promise((res, rej) => doc.subscribe((e) => (e ? rej(e) : res())));
    // Half the tabs start from a CRLF copy, as a model created from pasted Windows text would.
    const model = createModel(i === 1 ? doc.data.replace(/\n/g, '\r\n') : doc.data);
    const errors = [];
    const binding = new MonacoBinding({ doc, model, onError: (e) => errors.push(e) });
    tabs.push({ doc, model, binding, errors });
  }
  const check = (where) => {
    for (const [i, t] of tabs.entries()) {
      if (t.model.getValue() !== t.doc.data) {
        throw new Error(`run ${run} ${where}: tab ${i} model ${JSON.stringify(t.model.getValue())} != doc ${JSON.stringify(t.doc.data)}`);
      }
      if (t.model.getEOL() !== '\n') throw new Error(`run ${run} ${where}: tab ${i} EOL is not LF`);
    }
  };
  check('start');
  const steps = 10 + Math.floor(random() * 40);
  for (let step = 0; step < steps; step++) {
    const t = pick(tabs);
    const kind = pick(['type', 'type', 'multi', 'delete', 'replace', 'paste', 'undo', 'redo', 'deliver', 'eol']);
    if (kind === 'deliver') {
      for (let i = Math.floor(random() * 3); i > 0; i--) await tick();
    } else if (kind === 'undo') {
      t.binding.undo();
    } else if (kind === 'redo') {
      t.binding.redo();
    } else if (kind === 'eol') {
      t.model.setEOL(1); // someone switches the model to CRLF: the binding must switch it back
    } else if (kind === 'paste') {
      const at = boundary(t.model);
      const reason = EditSources.cursor({ kind: 'paste', detailedSource: 'keyboard' });
      t.model.pushEditOperations([], [{ range: rangeOf(t.model, at, at), text: text(6) + 'p' }], () => null, undefined, reason);
      const queued = t.doc.pendingOps[t.doc.pendingOps.length - 1];
      if (queued?.source?.kind !== 'pasted' || queued.source.binding !== t.binding.id) {
        throw new Error(`run ${run} step ${step}: a paste was queued with source ${JSON.stringify(queued?.source)}`);
      }
      t.pastes = (t.pastes ?? 0) + 1;
    } else {
      const edits = [];
      const count = kind === 'multi' ? 2 + Math.floor(random() * 3) : 1;
      const offsets = Array.from({ length: count * 2 }, () => boundary(t.model)).sort((x, y) => x - y);
      for (let i = 0; i < count; i++) {
        const start = offsets[2 * i];
        const end = kind === 'delete' || kind === 'replace' ? offsets[2 * i + 1] : start;
        if (i > 0 && start < edits[edits.length - 1].end) continue;
        edits.push({ start, end, text: kind === 'delete' ? '' : text(3) });
      }
      // User typing goes through pushEditOperations, like Monaco's own typing commands.
      t.model.pushEditOperations(
        [],
        edits.map((e) => ({ range: rangeOf(t.model, e.start, e.end), text: e.text })),
        () => null,
      );
    }
    await Promise.resolve();
    check(`step ${step} (${kind})`);
  }
  for (let i = 0; i < 500; i++) {
    await tick();
    if (tabs.every((t) => !t.doc.hasPending()) && new Set(tabs.map((t) => t.doc.version)).size === 1 && i > 5) break;
  }
  check('end');
  const snapshot = server.get('files', id);
  await new Promise((res) => snapshot.fetch(res));
  for (const [i, t] of tabs.entries()) {
    if (t.model.getValue() !== snapshot.data) throw new Error(`run ${run}: tab ${i} did not converge to the server`);
    if (t.errors.length) throw new Error(`run ${run}: tab ${i} errors ${JSON.stringify(t.errors)}`);
  }
  if (snapshot.data.includes('\r')) throw new Error(`run ${run}: CR reached the server`);
  const ids = new Set(tabs.map((t) => t.binding.id));
  for (const source of sources) {
    if (!isOpProvenance(source) || !ids.has(source.binding)) throw new Error(`run ${run}: op sent with x.source ${JSON.stringify(source)}`);
  }
  const pastes = tabs.reduce((n, t) => n + (t.pastes ?? 0), 0);
  if (pastes > 0 && !sources.some((s) => s.kind === 'pasted')) throw new Error(`run ${run}: ${pastes} pastes, no pasted op`);
  for (const t of tabs) t.binding.destroy();
}

let ok = 0;
try {
  for (let run = 0; run < runs; run++) {
    await oneRun(run);
    ok++;
  }
  process.stdout.write(JSON.stringify({ seed, runs, ok }));
} catch (error) {
  process.stdout.write(JSON.stringify({ seed, runs, ok, error: String(error && error.stack) }));
}
process.exit(0);
