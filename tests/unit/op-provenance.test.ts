/**
 * [P-OP-PROV] Every op the editor binding submits says how it was made, as ShareDB's `x.source`:
 * `{binding, kind: 'typed' | 'pasted'}`. Bindings run against a real in-process ShareDB with
 * headless editors that label edits as Monaco 0.57 does (support/monaco-edit-sources.ts); the
 * server's shape check is a pure function.
 */
import type ShareDB from 'sharedb';
import type { Doc } from 'sharedb/lib/client';
import { MonacoBinding, type OpProvenance } from '../../lib/binding/monaco-binding';
import { isOpProvenance } from '../../lib/binding/op-source';
import { ErrorCode } from '../../lib/protocol';
import type { TextOp } from '../../lib/text/text-type';
import { checkClientMessage, checkOpExtra } from '../../server/collab/message-guards';
import { LabelledTextModel, LabellingEditor } from './support/monaco-edit-sources';
import { connect, createBackend, createFile, openFile, serverSnapshot, settle } from './support/sharedb-harness';

const FILE = 'wsp001:file01';

interface Tab {
  doc: Doc;
  model: LabelledTextModel;
  editor: LabellingEditor;
  binding: MonacoBinding;
}

/**
 * Every op the server receives, with its `x.source` (ShareDB moves `x` to `extra`). Each `x` also
 * goes through the server's check, so a shape the server would refuse fails the test.
 */
function captureSubmits(backend: ShareDB): Array<{ op: TextOp; source: unknown }> {
  const submits: Array<{ op: TextOp; source: unknown }> = [];
  backend.use('submit', (context, next) => {
    const { op } = context.op as { op?: TextOp };
    const extra = (context as unknown as { extra?: { source?: unknown } }).extra;
    if (op) submits.push({ op, source: extra?.source });
    try {
      checkOpExtra(extra);
      next();
    } catch (error) {
      next(error);
    }
  });
  return submits;
}

async function openTab(backend: ShareDB): Promise<Tab> {
  const doc = await openFile(connect(backend), FILE);
  const model = new LabelledTextModel(doc.data as string);
  const editor = new LabellingEditor(model);
  return { doc, model, editor, binding: new MonacoBinding({ doc, model, editor }) };
}

async function setup(text: string): Promise<{ backend: ShareDB; a: Tab; b: Tab; submits: Array<{ op: TextOp; source: unknown }> }> {
  const backend = createBackend();
  const submits = captureSubmits(backend);
  await createFile(backend, FILE, text);
  return { backend, a: await openTab(backend), b: await openTab(backend), submits };
}

const typed = (tab: Tab): OpProvenance => ({ binding: tab.binding.id, kind: 'typed' });
const pasted = (tab: Tab): OpProvenance => ({ binding: tab.binding.id, kind: 'pasted' });

async function settled(backend: ShareDB, tabs: Tab[]): Promise<string> {
  await settle(tabs.map((t) => t.doc));
  const { data } = await serverSnapshot(backend, FILE);
  for (const t of tabs) {
    expect(t.doc.data).toBe(data);
    expect(t.model.getValue()).toBe(data);
  }
  return data as string;
}

describe('[P-OP-PROV] the binding labels its ops', () => {
  test('typing is sent as typed and a paste as pasted, each with the binding id', async () => {
    const { backend, a, b, submits } = await setup('ab');
    a.editor.select([{ anchor: 1, head: 1 }]);
    a.editor.type('x');
    await settled(backend, [a, b]);
    a.editor.paste('one\ntwo');
    expect(await settled(backend, [a, b])).toBe('axone\ntwob');
    expect(submits).toEqual([
      { op: [1, 'x'], source: typed(a) },
      { op: [2, 'one\ntwo'], source: pasted(a) },
    ]);
    expect(a.binding.id).not.toBe(b.binding.id);
  });

  test('a paste of many characters and lines is one content event and one pasted op', async () => {
    const { backend, a, b, submits } = await setup('');
    const text = Array.from({ length: 40 }, (_, i) => `line ${i} 😀 ${'x'.repeat(i)}`).join('\n');
    a.editor.paste(text);
    expect(await settled(backend, [a, b])).toBe(text);
    expect(submits).toEqual([{ op: [text], source: pasted(a) }]);
  });

  test('typed ops compose with each other, never with a paste', async () => {
    const { backend, a, b, submits } = await setup('');
    // All in one tick: ShareDB queues them and composes before sending.
    a.editor.type('a');
    a.editor.type('b');
    a.editor.paste('PP');
    a.editor.paste('QQ');
    a.editor.type('c');
    a.editor.type('d');
    expect(await settled(backend, [a, b])).toBe('abPPQQcd');
    expect(submits).toEqual([
      { op: ['ab'], source: typed(a) },
      { op: [2, 'PPQQ'], source: pasted(a) },
      { op: [6, 'cd'], source: typed(a) },
    ]);
  });

  test('echo suppression: a binding never applies its own op again, and applies a peer\'s op once', async () => {
    const { backend, a, b } = await setup('--');
    // The binding edits the model only through applyEdits; the user's edits go through pushEditOperations.
    const applied = jest.spyOn(a.model, 'applyEdits');
    a.editor.paste('A');
    a.editor.type('!');
    expect(await settled(backend, [a, b])).toBe('A!--');
    expect(applied).not.toHaveBeenCalled();
    b.editor.select([{ anchor: 4, head: 4 }]);
    b.editor.paste('B');
    b.editor.type('?');
    expect(await settled(backend, [a, b])).toBe('A!--B?');
    expect(applied).toHaveBeenCalledTimes(2); // b's paste and b's typing: two ops of different kinds
  });

  test('text dropped on the editor is pasted; typing while the drop is pending stays typed', async () => {
    const { backend, a, b, submits } = await setup('ab');
    a.editor.dom.dispatchEvent(new Event('drop'));
    a.editor.select([{ anchor: 2, head: 2 }]);
    a.editor.type('t');
    await settled(backend, [a, b]);
    a.editor.insertAsDrop(0, 'DROP');
    await settled(backend, [a, b]);
    a.editor.insertAsDrop(0, '+'); // no drop pending any more
    expect(await settled(backend, [a, b])).toBe('+DROPabt');
    expect(submits.map((s) => s.source)).toEqual([typed(a), pasted(a), typed(a)]);
  });

  test('an undo is typed; redoing a paste is pasted again, so paste → undo → redo cannot launder it', async () => {
    const { backend, a, b, submits } = await setup('');
    a.editor.paste('P');
    await settled(backend, [a, b]);
    a.binding.undo();
    await settled(backend, [a, b]);
    a.binding.redo();
    expect(await settled(backend, [a, b])).toBe('P');
    a.binding.undo();
    await settled(backend, [a, b]);
    a.binding.redo();
    expect(await settled(backend, [a, b])).toBe('P');
    expect(submits.map((s) => s.source)).toEqual([pasted(a), typed(a), pasted(a), typed(a), pasted(a)]);
  });

  test('redoing typed text stays typed', async () => {
    const { backend, a, b, submits } = await setup('');
    a.editor.type('t');
    await settled(backend, [a, b]);
    a.binding.undo();
    await settled(backend, [a, b]);
    a.binding.redo();
    expect(await settled(backend, [a, b])).toBe('t');
    expect(submits.map((s) => s.source)).toEqual([typed(a), typed(a), typed(a)]);
  });

  test('submitSource is on while any binding is attached, and restored only after their queued ops are sent', async () => {
    const { backend, a, b, submits } = await setup('');
    expect(a.doc.submitSource).toBe(true);
    const model = new LabelledTextModel('');
    const second = new MonacoBinding({ doc: a.doc, model });
    a.binding.destroy();
    await settle([a.doc]);
    expect(a.doc.submitSource).toBe(true); // the second binding is still attached
    model.labelled({ source: 'cursor', kind: 'paste' }, () =>
      model.pushEditOperations([], [{ range: { startLineNumber: 1, startColumn: 1, endLineNumber: 1, endColumn: 1 }, text: 'late' }], () => null),
    );
    second.destroy(); // the paste is still queued: it must leave with its provenance
    await settle([a.doc, b.doc]);
    expect(await settled(backend, [b])).toBe('late');
    expect(submits).toEqual([{ op: ['late'], source: { binding: second.id, kind: 'pasted' } }]);
    expect(a.doc.submitSource).toBe(false);
  });
});

describe('[P-OP-PROV] the server accepts only client kinds in x.source', () => {
  const opMessage = (x: unknown) => ({ a: 'op', c: 'files', d: FILE, v: 1, seq: 1, op: ['x'], ...(x === undefined ? {} : { x }) });
  const refused = (x: unknown) => {
    try {
      checkClientMessage(opMessage(x));
    } catch (error) {
      return (error as { code?: unknown }).code;
    }
    return 'accepted';
  };

  test('absent x, empty x, and {binding, kind: typed | pasted} are accepted', () => {
    for (const x of [undefined, {}, { source: { binding: 'tandem-binding:1:abc', kind: 'typed' } }, { source: { kind: 'pasted', binding: 'b'.repeat(100) } }]) {
      expect(refused(x)).toBe('accepted');
      expect(() => checkOpExtra(x)).not.toThrow();
    }
  });

  test.each([
    ['a server-only kind', { source: { binding: 'b', kind: 'starter' } }],
    ['an ai kind', { source: { binding: 'b', kind: 'ai' } }],
    ['an unknown kind', { source: { binding: 'b', kind: 'TYPED' } }],
    ['no kind', { source: { binding: 'b' } }],
    ['no binding', { source: { kind: 'typed' } }],
    ['a binding that is not a string', { source: { binding: 7, kind: 'typed' } }],
    ['a binding over 100 characters', { source: { binding: 'b'.repeat(101), kind: 'typed' } }],
    ['a huge binding', { source: { binding: 'b'.repeat(200_000), kind: 'typed' } }],
    ['an extra key in source', { source: { binding: 'b', kind: 'typed', verdict: 'human' } }],
    ['a string source (what ShareDB sends for submitOp(op, {source: "s"}))', { source: 's' }],
    ['a true source (ShareDB default source)', { source: true }],
    ['a null source', { source: null }],
    ['an array source', { source: [] }],
    ['an extra key in x', { source: { binding: 'b', kind: 'typed' }, author: 'teacher' }],
    ['a __proto__ key in x', JSON.parse('{"__proto__": {"kind": "starter"}}') as unknown],
    ['a null x', null],
    ['a string x', 'typed'],
    ['an array x', [{ source: { binding: 'b', kind: 'typed' } }]],
  ])('%s is refused with ERR_TANDEM_INVALID_OP', (_name, x) => {
    expect(refused(x)).toBe(ErrorCode.InvalidOp);
  });

  test('the longest binding id the binding makes is accepted', () => {
    expect(isOpProvenance({ binding: `tandem-binding:${Number.MAX_SAFE_INTEGER}:abcdefgh`, kind: 'pasted' })).toBe(true);
  });
});
