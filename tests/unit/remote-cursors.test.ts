/**
 * RemoteCursors over real ShareDB presence (in-process backend, presence enabled) with headless
 * editors: publishing, rendering, transforming through ops, and leaving.
 */
import type ShareDB from 'sharedb';
import { colorForClient, RemoteCursors, type PeerSummary } from '../../lib/binding/remote-cursors';
import { COLLECTIONS } from '../../lib/protocol';
import { openPeer, type Peer } from './support/peers';
import { connect, createBackend, createFile, openFile, settle, ticks } from './support/sharedb-harness';

const FILE = 'wsp001:file01';

interface CursorPeer extends Peer {
  cursors: RemoteCursors;
  peerLists: PeerSummary[][];
}

async function openCursorPeer(backend: ShareDB, clientId: string, name: string): Promise<CursorPeer> {
  const peer = await openPeer(backend, FILE);
  const peerLists: PeerSummary[][] = [];
  const cursors = new RemoteCursors({
    connection: peer.connection,
    doc: peer.doc,
    model: peer.model,
    editor: peer.editor,
    self: { clientId, name },
    file: 'main.py',
    offsets: peer.binding,
    onPeersChange: (peers) => peerLists.push(peers),
    publishIntervalMs: 50,
  });
  return { ...peer, cursors, peerLists };
}

/** Waits until presence has travelled (timers for throttling, then the network). */
async function flush(peers: Peer[], ms = 80): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
  await settle(peers.map((p) => p.doc));
  await ticks(5);
}

/** The carets and selections one editor renders, as UTF-16 offsets with their classes. */
function rendered(peer: Peer): Array<{ start: number; end: number; className: string }> {
  return peer.editor.allDecorations().map((d) => ({
    start: peer.model.getOffsetAt({ lineNumber: d.range.startLineNumber, column: d.range.startColumn }),
    end: peer.model.getOffsetAt({ lineNumber: d.range.endLineNumber, column: d.range.endColumn }),
    className: (d.options.className ?? d.options.beforeContentClassName ?? '') as string,
  }));
}

describe('colorForClient', () => {
  test('is deterministic, always #rrggbb, and spreads clients over the whole palette', () => {
    expect(colorForClient('student-1')).toBe(colorForClient('student-1'));
    const colors = Array.from({ length: 200 }, (_, i) => colorForClient(`client-${i}`));
    for (const c of colors) expect(c).toMatch(/^#[0-9a-f]{6}$/);
    expect(new Set(colors).size).toBe(12);
    // Consecutive ids of a class mostly differ.
    const firstSix = new Set(Array.from({ length: 6 }, (_, i) => colorForClient(`student-${i + 1}`)));
    expect(firstSix.size).toBeGreaterThanOrEqual(4);
  });
});

describe('RemoteCursors [P-PRES-1..4]', () => {
  test('[P-PRES-1] my selections reach a peer with my name and colour and render at the right UTF-16 offsets', async () => {
    const backend = createBackend();
    await createFile(backend, FILE, 'a😀b 世界\nline');
    const a = await openCursorPeer(backend, 'client-ada', 'Ada');
    const b = await openCursorPeer(backend, 'client-bob', 'Bob');
    a.editor.select([
      { anchor: 3, head: 3 }, // after 😀
      { anchor: 5, head: 7 }, // 世界
    ]);
    await flush([a, b]);
    expect(b.cursors.peers()).toEqual([
      { presenceId: expect.any(String), clientId: 'client-ada', name: 'Ada', color: colorForClient('client-ada'), file: 'main.py' },
    ]);
    expect(b.peerLists[b.peerLists.length - 1]?.map((p) => p.name)).toEqual(['Ada']);
    const key = colorForClient('client-ada').slice(1);
    expect(rendered(b)).toEqual([
      { start: 3, end: 3, className: expect.stringMatching(new RegExp(`tandem-caret-${key} tandem-label`)) },
      { start: 5, end: 7, className: `tandem-selection tandem-selection-${key}` },
      { start: 7, end: 7, className: `tandem-caret tandem-caret-${key}` },
    ]);
    // And Bob shows up for Ada once Bob's cursor is published.
    expect(a.cursors.peers().map((p) => p.name)).toEqual(['Bob']);
  });

  test("a peer's caret moves with my edits at once, before the peer re-publishes (ShareDB transformPresence)", async () => {
    const backend = createBackend();
    await createFile(backend, FILE, 'xy');
    const a = await openCursorPeer(backend, 'client-ada', 'Ada');
    const b = await openCursorPeer(backend, 'client-bob', 'Bob');
    a.editor.select([{ anchor: 1, head: 1 }]);
    await flush([a, b]);
    expect(rendered(b).map((d) => d.start)).toEqual([1]);
    b.editor.select([{ anchor: 0, head: 0 }]);
    b.editor.type('😀😀');
    await Promise.resolve(); // one microtask: the render, no network round trip
    expect(rendered(b).map((d) => d.start)).toEqual([5]);
    // Typing exactly at the peer's caret does not drag it along.
    b.editor.select([{ anchor: 5, head: 5 }]);
    b.editor.type('!');
    await Promise.resolve();
    expect(rendered(b).map((d) => d.start)).toEqual([5]);
    await flush([a, b]);
    expect(rendered(b).map((d) => d.start)).toEqual([5]);
  });

  test('[P-PRES-4] a peer whose connection closes disappears: the server broadcasts null for it', async () => {
    const backend = createBackend();
    await createFile(backend, FILE, 'hello');
    const a = await openCursorPeer(backend, 'client-ada', 'Ada');
    const b = await openCursorPeer(backend, 'client-bob', 'Bob');
    a.editor.select([{ anchor: 2, head: 2 }]);
    await flush([a, b]);
    expect(b.cursors.peers()).toHaveLength(1);
    a.connection.close();
    await flush([b]);
    expect(b.cursors.peers()).toEqual([]);
    expect(rendered(b)).toEqual([]);
    expect(b.peerLists[b.peerLists.length - 1]).toEqual([]);
  });

  test('destroy() tells peers I left and removes my decorations and listeners', async () => {
    const backend = createBackend();
    await createFile(backend, FILE, 'hello');
    const a = await openCursorPeer(backend, 'client-ada', 'Ada');
    const b = await openCursorPeer(backend, 'client-bob', 'Bob');
    await flush([a, b]);
    expect(b.cursors.peers()).toHaveLength(1);
    expect(rendered(a)).not.toEqual([]);
    const listenersBefore = a.editor.selectionListenerCount;
    a.cursors.destroy();
    a.cursors.destroy();
    expect(rendered(a)).toEqual([]);
    expect(a.editor.selectionListenerCount).toBe(listenersBefore - 1);
    await flush([a, b]);
    expect(b.cursors.peers()).toEqual([]);
    expect(rendered(b)).toEqual([]);
  });

  test('publishing is throttled (≤ 20 messages per second at 50 ms) and the last position always arrives', async () => {
    const backend = createBackend();
    let messages = 0;
    backend.use('receivePresence', (_context, next) => {
      messages++;
      next();
    });
    await createFile(backend, FILE, 'x'.repeat(500));
    const a = await openCursorPeer(backend, 'client-ada', 'Ada');
    const b = await openCursorPeer(backend, 'client-bob', 'Bob');
    await flush([a, b]);
    messages = 0;
    const started = Date.now();
    for (let i = 0; i < 40; i++) {
      a.editor.select([{ anchor: i * 10, head: i * 10 }]);
      await new Promise((r) => setTimeout(r, 10));
    }
    const elapsed = Date.now() - started;
    await flush([a, b], 120);
    expect(messages).toBeGreaterThan(1);
    expect(messages).toBeLessThanOrEqual(Math.ceil(elapsed / 50) + 2);
    expect(rendered(b).map((d) => d.start)).toEqual([390]);
  });

  test("an idle peer sends no presence while someone else types (ShareDB moves its cursor for everyone)", async () => {
    const backend = createBackend();
    const sent: string[] = [];
    await createFile(backend, FILE, 'hello world');
    const a = await openCursorPeer(backend, 'client-ada', 'Ada');
    const b = await openCursorPeer(backend, 'client-bob', 'Bob');
    b.editor.select([{ anchor: 8, head: 8 }]);
    await flush([a, b]);
    backend.use('receivePresence', (context, next) => {
      sent.push((context.presence as { p?: { name?: string } }).p?.name ?? 'null');
      next();
    });
    for (const ch of 'abc') {
      a.editor.select([{ anchor: 0, head: 0 }]);
      a.editor.type(ch);
      await flush([a, b]);
    }
    expect(sent.filter((name) => name === 'Bob')).toEqual([]);
    // Yet Ada sees Bob's caret where Bob sees it.
    expect(rendered(a).map((d) => d.start)).toEqual([b.editor.offsetSelections()[0]?.head]);
  });

  test('when my own connection drops, all peers are cleared; after reconnecting they are announced again', async () => {
    const backend = createBackend();
    await createFile(backend, FILE, 'hello world');
    const a = await openCursorPeer(backend, 'client-ada', 'Ada');
    const b = await openCursorPeer(backend, 'client-bob', 'Bob');
    a.editor.select([{ anchor: 4, head: 4 }]);
    await flush([a, b]);
    expect(b.cursors.peers()).toHaveLength(1);
    (b.connection as unknown as { socket: { close(): void } }).socket.close();
    await ticks(3);
    expect(b.cursors.peers()).toEqual([]);
    expect(rendered(b)).toEqual([]);
    backend.connect(b.connection as never);
    await flush([a, b], 120);
    expect(b.cursors.peers().map((p) => p.name)).toEqual(['Ada']);
    expect(rendered(b).map((d) => d.start)).toEqual([4]);
  });

  test('malformed presence from a peer is ignored or sanitised; nothing throws', async () => {
    const backend = createBackend();
    await createFile(backend, FILE, 'hello');
    const b = await openCursorPeer(backend, 'client-bob', 'Bob');
    const rogue = connect(backend);
    await openFile(rogue, FILE);
    const presence = rogue.getDocPresence(COLLECTIONS.files, FILE);
    presence.on('error', () => undefined);
    const local = presence.create('rogue');
    const submit = (value: unknown): Promise<void> => new Promise((resolve) => local.submit(value, () => resolve()));
    await submit({ selections: 'nope' });
    await flush([b]);
    expect(b.cursors.peers()).toEqual([]);
    await submit({ clientId: 'r', name: 'R', color: 'red;}body{display:none', selections: [{ anchor: 1, head: 99 }, { anchor: -1, head: 0 }] });
    await flush([b]);
    expect(b.cursors.peers()).toEqual([expect.objectContaining({ name: 'R', color: colorForClient('r') })]);
    // Positions past the end are clamped to the text.
    expect(rendered(b).map((d) => [d.start, d.end])).toEqual([
      [1, 5],
      [5, 5],
    ]);
  });
});

describe('RemoteCursors styles', () => {
  const styles = new Map<string, { id: string; textContent: string | null; remove(): void }>();
  const fakeDocument = {
    head: {
      appendChild(node: { id: string; textContent: string | null; remove(): void }) {
        styles.set(node.id, node);
      },
    },
    createElement() {
      const node = {
        id: '',
        textContent: null as string | null,
        remove: () => {
          styles.delete(node.id);
        },
      };
      return node;
    },
    getElementById(id: string) {
      return styles.get(id) ?? null;
    },
  };

  afterEach(() => {
    delete (globalThis as { document?: unknown }).document;
    styles.clear();
  });

  test('inject one <style> per colour and per name label, escape names, and remove a label when its peer leaves', async () => {
    (globalThis as { document?: unknown }).document = fakeDocument;
    const backend = createBackend();
    await createFile(backend, FILE, 'hello');
    const a = await openCursorPeer(backend, 'client-ada', 'Ada "</style><script>x</script>');
    const b = await openCursorPeer(backend, 'client-bob', 'Bob');
    await flush([a, b]);
    const css = [...styles.values()].map((s) => s.textContent ?? '').join('\n');
    const label = [...styles.values()].find((s) => s.id.startsWith('tandem-label-style-') && (s.textContent ?? '').includes('Ada'));
    expect(label?.textContent).toContain('content:"Ada \\22 \\3c \\2f style\\3e \\3c script\\3e x\\3c \\2f script\\3e "');
    expect(css).not.toMatch(/<|Ada "/);
    expect(styles.has(`tandem-color-${colorForClient('client-ada').slice(1)}`)).toBe(true);
    a.cursors.destroy();
    await flush([a, b]);
    // Both tabs share this fake page: Ada's tab removed Bob's label on destroy, Bob's tab Ada's when she left.
    expect([...styles.keys()].filter((id) => id.startsWith('tandem-label-style-'))).toEqual([]);
    expect(styles.has(`tandem-color-${colorForClient('client-ada').slice(1)}`)).toBe(true);
  });

  test('without a document (Node) rendering still works and injects nothing', async () => {
    const backend = createBackend();
    await createFile(backend, FILE, 'hello');
    const a = await openCursorPeer(backend, 'client-ada', 'Ada');
    const b = await openCursorPeer(backend, 'client-bob', 'Bob');
    await flush([a, b]);
    expect(rendered(b)).toHaveLength(1);
    expect(styles.size).toBe(0);
  });
});
