/**
 * Seeded fuzz of the whole local stack: three tabs on one file, each a headless Monaco editor
 * bound to its own ShareDB connection to a real in-process backend, typing concurrently (emoji,
 * CJK, combining marks, newlines, CRLF pastes, multi-cursor edits, deletes, undo and redo) with
 * messages delivered in random partial batches. After every action each tab's model must equal
 * its doc; at the end all tabs and the server must hold the same text.
 */
import fc from 'fast-check';
import { codePointLength, codePointToUtf16 } from '../../lib/text/offsets';
import { expectInSync, openPeer, type Peer } from './support/peers';
import { createBackend, createFile, serverSnapshot, settle, ticks } from './support/sharedb-harness';
import { propertyConfig, trickyText, trickyTextWithCr } from './support/property';

const FILE = 'wsp001:fuzz01';

type Action =
  | { kind: 'type'; peer: number; at: number; text: string }
  | { kind: 'multi'; peer: number; ats: number[]; text: string }
  | { kind: 'replace'; peer: number; at: number; length: number; text: string }
  | { kind: 'backspace'; peer: number; at: number; times: number }
  | { kind: 'paste'; peer: number; at: number; text: string }
  | { kind: 'undo' | 'redo'; peer: number }
  | { kind: 'deliver'; turns: number };

const peerIndex = fc.nat(2);
const fraction = fc.double({ min: 0, max: 1, noNaN: true });
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('type' as const), peer: peerIndex, at: fraction, text: trickyText(4).filter((t) => t.length > 0) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('multi' as const), peer: peerIndex, ats: fc.array(fraction, { minLength: 2, maxLength: 4 }), text: trickyText(3).filter((t) => t.length > 0) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('replace' as const), peer: peerIndex, at: fraction, length: fc.integer({ min: 1, max: 6 }), text: trickyText(4) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('backspace' as const), peer: peerIndex, at: fraction, times: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('paste' as const), peer: peerIndex, at: fraction, text: trickyTextWithCr(8) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('undo' as const, 'redo' as const), peer: peerIndex }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('deliver' as const), turns: fc.integer({ min: 0, max: 3 }) }) },
);

/** A UTF-16 offset on a code-point boundary, `fraction` of the way through the model's text. */
function offsetAt(peer: Peer, f: number): number {
  const text = peer.model.getValue();
  const cps = codePointLength(text);
  return codePointToUtf16(text, Math.min(cps, Math.floor(f * (cps + 1))));
}

async function run(initial: string, actions: Action[]): Promise<void> {
  const backend = createBackend();
  await createFile(backend, FILE, initial);
  const peers: Peer[] = [];
  for (let i = 0; i < 3; i++) peers.push(await openPeer(backend, FILE));
  for (const a of actions) {
    if (a.kind === 'deliver') {
      await ticks(a.turns);
    } else {
      const p = peers[a.peer] as Peer;
      switch (a.kind) {
        case 'type':
          p.editor.select([{ anchor: offsetAt(p, a.at), head: offsetAt(p, a.at) }], 'keyboard');
          p.editor.type(a.text);
          break;
        case 'multi':
          p.editor.select(a.ats.map((f) => ({ anchor: offsetAt(p, f), head: offsetAt(p, f) })), 'keyboard');
          p.editor.type(a.text);
          break;
        case 'replace': {
          const start = offsetAt(p, a.at);
          const text = p.model.getValue();
          const end = codePointToUtf16(text, Math.min(codePointLength(text), codePointLength(text.slice(0, start)) + a.length));
          p.editor.select([{ anchor: start, head: end }], 'mouse');
          p.editor.type(a.text);
          break;
        }
        case 'backspace':
          p.editor.select([{ anchor: offsetAt(p, a.at), head: offsetAt(p, a.at) }], 'keyboard');
          for (let i = 0; i < a.times; i++) p.editor.backspace();
          break;
        case 'paste':
          p.editor.select([{ anchor: offsetAt(p, a.at), head: offsetAt(p, a.at) }], 'mouse');
          p.editor.paste(a.text);
          break;
        case 'undo':
          p.binding.undo();
          break;
        case 'redo':
          p.binding.redo();
          break;
      }
    }
    // Repairs (normalisation) happen right after the content event; let them run, then check.
    await Promise.resolve();
    for (const p of peers) expectInSync(p);
  }
  await settle(peers.map((p) => p.doc));
  const snapshot = await serverSnapshot(backend, FILE);
  for (const p of peers) {
    expectInSync(p);
    expect(p.model.getValue()).toBe(snapshot.data);
    expect(p.errors).toEqual([]);
  }
  expect(snapshot.data).not.toMatch(/\r/);
  for (const p of peers) p.connection.close();
}

describe('binding convergence (seeded fuzz)', () => {
  test('[P-DOC-3][P-OP-4] three tabs editing concurrently converge to the server snapshot, with every model equal to its doc throughout', async () => {
    await fc.assert(
      fc.asyncProperty(trickyText(20), fc.array(action, { minLength: 1, maxLength: 60 }), run),
      propertyConfig(150, { interruptAfterTimeLimit: 150_000 }),
    );
  }, 180_000);
});
