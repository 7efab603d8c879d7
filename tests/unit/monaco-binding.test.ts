/**
 * MonacoBinding against a real in-process ShareDB backend, with headless Monaco models and
 * editors (tests/helpers/text-model.ts, checked against the real TextModel by
 * monaco-parity.test.ts).
 */
import type ShareDB from 'sharedb';
import { installUndoRedoKeybindings, MonacoBinding } from '../../lib/binding/monaco-binding';
import { MAX_FILE_BYTES, MAX_OP_BYTES } from '../../lib/limits';
import { COLLECTIONS, ErrorCode, TEXT_TYPE_URI } from '../../lib/protocol';
import type { TextOp } from '../../lib/text/text-type';
import { HeadlessEditor, HeadlessTextModel, KeyCode } from '../helpers/text-model';
import { expectInSync, openPeer, type Peer } from './support/peers';
import { connect, createBackend, createFile, openFile, serverSnapshot, settle, ticks } from './support/sharedb-harness';

const FILE = 'wsp001:file01';

/** Every op the server receives, as submitted. */
function captureOps(backend: ShareDB): TextOp[] {
  const ops: TextOp[] = [];
  backend.use('submit', (context, next) => {
    const op = (context.op as { op?: TextOp }).op;
    if (op) ops.push(op);
    next();
  });
  return ops;
}

async function setup(text: string, peers = 2, options: Parameters<typeof openPeer>[2] = {}): Promise<{ backend: ShareDB; peers: Peer[]; ops: TextOp[] }> {
  const backend = createBackend();
  const ops = captureOps(backend);
  await createFile(backend, FILE, text);
  const list: Peer[] = [];
  for (let i = 0; i < peers; i++) list.push(await openPeer(backend, FILE, options));
  return { backend, peers: list, ops };
}

async function settled(backend: ShareDB, peers: Peer[]): Promise<string> {
  await settle(peers.map((p) => p.doc));
  const snapshot = await serverSnapshot(backend, FILE);
  for (const p of peers) {
    expectInSync(p);
    expect(p.model.getValue()).toBe(snapshot.data);
  }
  return snapshot.data as string;
}

function caret(peer: Peer): number {
  const [s] = peer.editor.offsetSelections();
  expect(s?.anchor).toBe(s?.head);
  return s?.head ?? -1;
}

describe('MonacoBinding: local edits → ops', () => {
  test('[P-DOC-3] typing after an emoji sends code-point positions and reaches the peer', async () => {
    const { backend, peers, ops } = await setup('a😀b');
    const [a, b] = peers as [Peer, Peer];
    a.editor.select([{ anchor: 3, head: 3 }]); // UTF-16 offset 3 = after 😀 = code point 2
    a.editor.type('X');
    expectInSync(a);
    expect(await settled(backend, peers)).toBe('a😀Xb');
    expect(ops).toEqual([[2, 'X']]);
    expect(b.model.getValue()).toBe('a😀Xb');
  });

  test('a multi-cursor edit is one op (one version), with a region per cursor', async () => {
    const { backend, peers, ops } = await setup('x😀y\n世z\nw');
    const [a] = peers as [Peer, Peer];
    a.editor.select([
      { anchor: 1, head: 1 },
      { anchor: 5, head: 6 }, // selects 世
      { anchor: 9, head: 9 },
    ]);
    a.editor.type('🎉');
    expect(await settled(backend, peers)).toBe('x🎉😀y\n🎉z\nw🎉');
    expect(ops).toEqual([[1, '🎉', 3, '🎉', { d: 1 }, 3, '🎉']]);
    expect((await serverSnapshot(backend, FILE)).v).toBe(2);
  });

  test('no echo: one keystroke is one op, and applying a remote op submits nothing', async () => {
    const { backend, peers, ops } = await setup('abc');
    const [a, b] = peers as [Peer, Peer];
    a.editor.type('1');
    await settled(backend, peers);
    b.editor.type('2');
    await settled(backend, peers);
    expect(ops).toHaveLength(2);
    expect(a.model.nativeUndoStackSize).toBe(1); // only my own typing entered Monaco's stack
    expect(b.model.nativeUndoStackSize).toBe(1);
  });

  test('[P-OP-4] pasted CRLF and lone CR reach the doc and the ops as LF only', async () => {
    const { backend, peers, ops } = await setup('start');
    const [a] = peers as [Peer, Peer];
    a.editor.paste('l1\r\nl2\rl3\n');
    expectInSync(a);
    expect(await settled(backend, peers)).toBe('l1\nl2\nl3\nstart');
    expect(ops.flat().some((c) => typeof c === 'string' && c.includes('\r'))).toBe(false);
  });

  test('[P-OP-4] a model created with CRLF is switched to LF; switching it back to CRLF is undone without an op', async () => {
    const backend = createBackend();
    const ops = captureOps(backend);
    await createFile(backend, FILE, 'one\ntwo\n');
    const a = await openPeer(backend, FILE, { modelText: 'one\r\ntwo\r\n' });
    expect(a.model.getEOL()).toBe('\n');
    expectInSync(a);
    a.model.setEOL(1);
    await ticks(); // the binding repairs the model right after the event, not inside it
    expect(a.model.getEOL()).toBe('\n');
    expectInSync(a);
    a.editor.select([{ anchor: 3, head: 3 }]);
    a.editor.type('!');
    await settle([a.doc]);
    expect(ops).toEqual([[3, '!']]);
    expect((await serverSnapshot(backend, FILE)).data).toBe('one!\ntwo\n');
  });

  test('[P-DOC-3] a pasted lone surrogate becomes U+FFFD in the doc and the model, so positions stay exact', async () => {
    const { backend, peers } = await setup('ab');
    const [a] = peers as [Peer, Peer];
    a.editor.select([{ anchor: 1, head: 1 }]);
    a.editor.paste('\uD83D|');
    await ticks();
    expectInSync(a);
    expect(await settled(backend, peers)).toBe('a\uFFFD|b');
    a.editor.type('😀');
    expect(await settled(backend, peers)).toBe('a\uFFFD|😀b');
  });

  test('another component calling model.setValue produces a minimal op, not a rewrite of the file', async () => {
    const { backend, peers, ops } = await setup('line one\nline two\nline three\n');
    const [a] = peers as [Peer, Peer];
    a.model.setValue('line one\nline 2\nline three\n');
    expectInSync(a);
    expect(await settled(backend, peers)).toBe('line one\nline 2\nline three\n');
    expect(ops).toEqual([[14, '2', { d: 3 }]]);
  });
});

describe('MonacoBinding: remote ops → model', () => {
  test('remote edits keep my caret where I expect, even when a peer types exactly at it', async () => {
    const { backend, peers } = await setup('hello 😀 world');
    const [a, b] = peers as [Peer, Peer];
    a.editor.select([{ anchor: 8, head: 8 }]); // after 😀
    // A peer inserts before my caret: it shifts by the inserted UTF-16 length.
    b.editor.select([{ anchor: 0, head: 0 }]);
    b.editor.type('𝔘𝔘 ');
    await settled(backend, peers);
    expect(caret(a)).toBe(13);
    // A peer types exactly at my caret: my caret stays before their text (the headless model, like
    // Monaco's markers, would have dragged it).
    b.editor.select([{ anchor: 13, head: 13 }]);
    b.editor.type('XYZ');
    await settled(backend, peers);
    expect(a.model.getValue()).toBe('𝔘𝔘 hello 😀XYZ world');
    expect(caret(a)).toBe(13);
    // A peer deletes a range around my caret: it lands where the range was.
    b.editor.select([{ anchor: 10, head: 16 }]); // " 😀XYZ"
    b.editor.backspace();
    await settled(backend, peers);
    expect(a.model.getValue()).toBe('𝔘𝔘 hello world');
    expect(caret(a)).toBe(10);
  });

  test('my selections (several, any direction) survive remote edits without growing at their edges', async () => {
    const { backend, peers } = await setup('0123456789');
    const [a, b] = peers as [Peer, Peer];
    a.editor.select([
      { anchor: 5, head: 2 },
      { anchor: 7, head: 9 },
    ]);
    b.editor.select([
      { anchor: 2, head: 2 },
      { anchor: 9, head: 9 },
    ]);
    b.editor.type('ab'); // at the start of my first selection and the end of my second
    await settled(backend, peers);
    expect(a.model.getValue()).toBe('01ab2345678ab9');
    expect(a.editor.offsetSelections()).toEqual([
      { anchor: 7, head: 4 },
      { anchor: 9, head: 11 },
    ]);
  });

  test('the viewport stays on the same text when lines are inserted or removed above it', async () => {
    const text = Array.from({ length: 100 }, (_, i) => `line ${i + 1}`).join('\n');
    const { backend, peers } = await setup(text);
    const [a, b] = peers as [Peer, Peer];
    a.editor.setScrollTop(49 * 20 + 7); // line 50 at the top, 7 px scrolled into it
    const firstVisible = (): string => a.model.getLineContent(a.editor.getVisibleRanges()[0]?.startLineNumber ?? 0);
    expect(firstVisible()).toBe('line 50');

    b.editor.select([{ anchor: 0, head: 0 }]);
    b.editor.type('new 1\nnew 2\nnew 3\n');
    await settled(backend, peers);
    expect(firstVisible()).toBe('line 50');
    expect(a.editor.getScrollTop()).toBe(52 * 20 + 7);

    b.editor.select([{ anchor: 0, head: 12 }]); // removes "new 1\nnew 2\n"
    b.editor.backspace();
    await settled(backend, peers);
    expect(firstVisible()).toBe('line 50');
    expect(a.editor.getScrollTop()).toBe(50 * 20 + 7);

    // A peer adds a line right at the start of the line I am reading: it goes above, out of view.
    const at = a.model.getOffsetAt({ lineNumber: 51, column: 1 });
    b.editor.select([{ anchor: at, head: at }]);
    b.editor.type('inserted\n');
    await settled(backend, peers);
    expect(firstVisible()).toBe('line 50');

    // Edits below the viewport do not scroll.
    const before = a.editor.getScrollTop();
    const end = b.model.getValueLength();
    b.editor.select([{ anchor: end, head: end }]);
    b.editor.type('\nmore\nlines');
    await settled(backend, peers);
    expect(a.editor.getScrollTop()).toBe(before);
  });

  test('an editor showing another model is left alone', async () => {
    const { backend, peers } = await setup('abc');
    const [a, b] = peers as [Peer, Peer];
    const other = new HeadlessTextModel('other file');
    a.editor.setModel(other);
    a.editor.select([{ anchor: 3, head: 3 }]);
    b.editor.type('zz');
    await settled(backend, peers);
    expect(a.editor.offsetSelections()).toEqual([{ anchor: 3, head: 3 }]);
    expect(other.getValue()).toBe('other file');
  });
});

describe('MonacoBinding: undo and redo', () => {
  test("undo reverts only my edits; a peer's text, even inside my word, survives; redo restores", async () => {
    const { backend, peers } = await setup('');
    const [a, b] = peers as [Peer, Peer];
    for (const ch of 'hello') a.editor.type(ch);
    await settled(backend, peers);
    b.editor.select([{ anchor: 5, head: 5 }]);
    b.editor.type(' world');
    b.editor.select([{ anchor: 2, head: 2 }]);
    b.editor.type('😀');
    expect(await settled(backend, peers)).toBe('he😀llo world');

    expect(a.binding.undo()).toBe(true);
    expect(await settled(backend, peers)).toBe('😀 world');
    expect(a.binding.undo()).toBe(false); // nothing else of mine
    expect(b.model.getValue()).toBe('😀 world');

    expect(a.binding.redo()).toBe(true);
    expect(await settled(backend, peers)).toBe('he😀llo world');
    expect(a.binding.redo()).toBe(false);
  });

  test('undo puts my caret at the change', async () => {
    const { backend, peers } = await setup('abc\ndef');
    const [a] = peers as [Peer, Peer];
    a.editor.select([{ anchor: 7, head: 7 }]);
    a.editor.type('!!');
    a.editor.select([{ anchor: 0, head: 0 }]);
    a.binding.undo();
    expect(a.model.getValue()).toBe('abc\ndef');
    expect(caret(a)).toBe(7);
    await settled(backend, peers);
  });

  test("Ctrl/Cmd+Z, Ctrl/Cmd+Shift+Z and Ctrl/Cmd+Y drive the binding; Monaco's own undo never runs", async () => {
    const { backend, peers } = await setup('');
    const [a] = peers as [Peer, Peer];
    const keys = installUndoRedoKeybindings({ KeyCode }, a.editor, a.binding);
    a.editor.type('x');
    a.editor.pressKey({ keyCode: KeyCode.KeyZ, ctrlKey: true });
    expect(a.model.getValue()).toBe('');
    a.editor.pressKey({ keyCode: KeyCode.KeyZ, metaKey: true, shiftKey: true });
    expect(a.model.getValue()).toBe('x');
    a.editor.pressKey({ keyCode: KeyCode.KeyZ, metaKey: true });
    a.editor.pressKey({ keyCode: KeyCode.KeyY, ctrlKey: true });
    expect(a.model.getValue()).toBe('x');
    a.editor.pressKey({ keyCode: KeyCode.KeyZ, ctrlKey: true }); // nothing left to undo: still swallowed
    a.editor.pressKey({ keyCode: KeyCode.KeyZ, ctrlKey: true });
    expect(a.editor.nativeUndoCount).toBe(0);
    await settled(backend, peers);
    keys.dispose();
    expect(a.editor.keyListenerCount).toBe(0);
    a.editor.pressKey({ keyCode: KeyCode.KeyZ, ctrlKey: true });
    expect(a.editor.nativeUndoCount).toBe(1);
  });
});

describe('MonacoBinding: limits [P-OP-3][P-LIM-2]', () => {
  test('[P-OP-3] a paste larger than MAX_OP_BYTES is refused locally and the model shows the doc again', async () => {
    const { backend, peers, ops } = await setup('keep me');
    const [a] = peers as [Peer, Peer];
    a.editor.select([{ anchor: 4, head: 4 }]);
    a.editor.paste('x'.repeat(MAX_OP_BYTES));
    expect(a.errors.map((e) => e.code)).toEqual([ErrorCode.OpTooLarge]);
    await ticks();
    expect(a.model.getValue()).toBe('keep me');
    expect(caret(a)).toBe(4);
    expectInSync(a);
    expect(ops).toHaveLength(0);
    a.editor.type('!');
    expect(await settled(backend, peers)).toBe('keep! me');
  });

  test('[P-LIM-2] an edit that would make the file larger than MAX_FILE_BYTES is refused', async () => {
    const big = 'é'.repeat(MAX_FILE_BYTES / 2 - 2); // 2 bytes each: 4 bytes below the limit
    const { backend, peers, ops } = await setup(big);
    const [a] = peers as [Peer, Peer];
    a.editor.type('1234');
    expect(a.errors).toHaveLength(0);
    a.editor.type('5');
    expect(a.errors.map((e) => e.code)).toEqual([ErrorCode.FileTooLarge]);
    await settled(backend, peers);
    expect(ops).toHaveLength(1);
    // Deleting is always allowed, and then typing fits again.
    a.editor.backspace();
    a.editor.type('Z');
    expect(a.errors).toHaveLength(1);
    await settled(backend, peers);
  });

  test('ops queued behind an in-flight op are not composed past MAX_OP_BYTES', async () => {
    const { backend, peers } = await setup('', 1, { maxOpBytes: 2000 });
    const [a] = peers as [Peer];
    const pending = (): number => (a.doc as unknown as { pendingOps: unknown[] }).pendingOps.length;
    a.editor.paste('a'.repeat(1500));
    a.editor.type('c');
    a.editor.type('d'); // same tick, small: composed into the queued op as usual
    expect(pending()).toBe(1);
    a.editor.paste('b'.repeat(1500)); // would compose into an op over the limit: queued separately
    expect(pending()).toBe(2);
    await settled(backend, peers);
    expect(a.model.getValue()).toBe(`${'a'.repeat(1500)}cd${'b'.repeat(1500)}`);
  });
});

describe('MonacoBinding: doc lifecycle', () => {
  test('a rejected insert is rolled back (soft rollback) and reported', async () => {
    const { backend, peers } = await setup('abc');
    const [a, b] = peers as [Peer, Peer];
    let reject = true;
    backend.use('submit', (_context, next) => {
      if (reject) {
        reject = false;
        next({ code: ErrorCode.InvalidOp, message: 'nope' } as unknown as Error);
      } else next();
    });
    a.editor.select([{ anchor: 3, head: 3 }]);
    a.editor.type('!');
    expect(await settled(backend, peers)).toBe('abc');
    expect(a.errors.map((e) => e.code)).toEqual([ErrorCode.InvalidOp]);
    expect(caret(a)).toBe(3);
    a.editor.type('?');
    expect(await settled(backend, peers)).toBe('abc?');
    expect(b.model.getValue()).toBe('abc?');
  });

  test('a rejected delete forces a hard rollback: the doc reloads and the model follows, keeping the caret near', async () => {
    const { backend, peers } = await setup('hello world');
    const [a, b] = peers as [Peer, Peer];
    let reject = true;
    backend.use('submit', (_context, next) => {
      if (reject) {
        reject = false;
        next({ code: ErrorCode.InvalidOp, message: 'nope' } as unknown as Error);
      } else next();
    });
    let loads = 0;
    a.doc.on('load', () => loads++);
    a.editor.select([{ anchor: 5, head: 11 }]);
    a.editor.backspace(); // {d: 6} cannot be inverted locally → hard rollback
    a.editor.type('!'); // typed while the rollback is in flight: discarded with it
    expect(await settled(backend, peers)).toBe('hello world');
    expect(loads).toBe(1);
    expect(a.errors.length).toBeGreaterThanOrEqual(1);
    expect(caret(a)).toBeLessThanOrEqual(11);
    a.editor.select([{ anchor: 0, head: 0 }]);
    a.editor.type('> ');
    expect(await settled(backend, peers)).toBe('> hello world');
    expect(b.model.getValue()).toBe('> hello world');
  });

  test('[P-OP-1] deleting the doc stops the binding; creating it again resumes with the new text', async () => {
    const { backend, peers, ops } = await setup('old text');
    const [a] = peers as [Peer, Peer];
    const server = connect(backend);
    const doc = await openFile(server, FILE);
    await new Promise<void>((resolve, reject) => doc.del((e) => (e ? reject(e) : resolve())));
    await settle(peers.map((p) => p.doc));
    expect(a.deleted).toBe(1);
    expect(a.binding.isActive).toBe(false);
    a.editor.type('lost');
    await ticks(5);
    expect(ops.filter((o) => o.length > 0)).toHaveLength(0);

    await new Promise<void>((resolve, reject) => doc.create('new text', TEXT_TYPE_URI, (e) => (e ? reject(e) : resolve())));
    await settle([...peers.map((p) => p.doc), doc]);
    expect(a.binding.isActive).toBe(true);
    expect(a.model.getValue()).toBe('new text');
    a.editor.select([{ anchor: 0, head: 0 }]);
    a.editor.type('>');
    expect(await settled(backend, peers)).toBe('>new text');
  });

  test('a binding made before the doc exists waits, then syncs when it is created', async () => {
    const backend = createBackend();
    const connection = connect(backend);
    const doc = connection.get(COLLECTIONS.files, FILE);
    doc.on('error', () => undefined);
    await new Promise<void>((resolve) => doc.subscribe(() => resolve()));
    const model = new HeadlessTextModel('');
    const binding = new MonacoBinding({ doc, model });
    expect(binding.isActive).toBe(false);
    await createFile(backend, FILE, 'created later');
    await settle([doc]);
    expect(binding.isActive).toBe(true);
    expect(model.getValue()).toBe('created later');
  });

  test('destroy() removes every listener it added, and the model keeps its text', async () => {
    const backend = createBackend();
    await createFile(backend, FILE, 'abc');
    const connection = connect(backend);
    const doc = await openFile(connection, FILE);
    const events = ['op', 'load', 'create', 'del', 'destroy'] as const;
    const before = events.map((e) => doc.listenerCount(e));
    const model = new HeadlessTextModel('abc');
    const editor = new HeadlessEditor(model);
    const a = { model, editor, binding: new MonacoBinding({ doc, model, editor }) };
    expect(a.model.contentListenerCount).toBeGreaterThan(1);
    a.binding.destroy();
    a.binding.destroy();
    expect(events.map((e) => doc.listenerCount(e))).toEqual(before);
    expect(a.model.contentListenerCount).toBe(1); // the editor's own
    expect(a.editor.selectionListenerCount).toBe(0);
    a.editor.type('x');
    expect(doc.data).toBe('abc');
    expect(a.model.getValue()).toBe('xabc');
  });

  test('disposing the model destroys the binding', async () => {
    const { peers } = await setup('abc', 1);
    const [a] = peers as [Peer];
    a.model.dispose();
    expect(a.binding.isActive).toBe(false);
    expect(a.doc.listenerCount('op')).toBe(0);
  });
});
