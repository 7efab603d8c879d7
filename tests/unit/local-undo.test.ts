import fc from 'fast-check';
import { LocalUndoManager } from '../../lib/binding/local-undo';
import { textType, type TextOp } from '../../lib/text/text-type';
import { propertyConfig } from './support/property';

/** A tiny shared document: my ops go through the manager, everyone else's are "remote". */
class Sim {
  doc: string;
  readonly undo: LocalUndoManager;
  clock = 0;

  constructor(doc: string, groupIntervalMs = 500) {
    this.doc = doc;
    this.undo = new LocalUndoManager({ now: () => this.clock, groupIntervalMs });
  }

  local(op: TextOp): void {
    this.undo.recordLocal(op, this.doc);
    this.doc = textType.apply(this.doc, op);
  }

  remote(op: TextOp): void {
    this.doc = textType.apply(this.doc, op);
    this.undo.transformRemote(op);
  }

  doUndo(): boolean {
    const op = this.undo.undo(this.doc);
    if (!op) return false;
    this.doc = textType.apply(this.doc, op);
    return true;
  }

  doRedo(): boolean {
    const op = this.undo.redo(this.doc);
    if (!op) return false;
    this.doc = textType.apply(this.doc, op);
    return true;
  }
}

const insertAt = (pos: number, text: string): TextOp => (pos ? [pos, text] : [text]);
const deleteAt = (pos: number, n: number): TextOp => (pos ? [pos, { d: n }] : [{ d: n }]);

describe('LocalUndoManager', () => {
  test('rapid adjacent typing is one undo step; a pause, a jump or breakGroup starts a new one', () => {
    const sim = new Sim('');
    for (const [i, ch] of [...'hello'].entries()) {
      sim.clock = i * 100;
      sim.local(insertAt(i, ch));
    }
    sim.clock = 2000; // pause
    sim.local(insertAt(5, ' world'));
    sim.clock = 2100;
    sim.local(insertAt(0, '> ')); // jump to the start
    sim.clock = 2200;
    sim.undo.breakGroup();
    sim.local(insertAt(2, '!'));
    expect(sim.doc).toBe('> !hello world');
    expect(sim.doUndo()).toBe(true);
    expect(sim.doc).toBe('> hello world');
    expect(sim.doUndo()).toBe(true);
    expect(sim.doc).toBe('hello world');
    expect(sim.doUndo()).toBe(true);
    expect(sim.doc).toBe('hello');
    expect(sim.doUndo()).toBe(true);
    expect(sim.doc).toBe('');
    expect(sim.doUndo()).toBe(false);
    while (sim.doRedo());
    expect(sim.doc).toBe('> !hello world');
  });

  test('backspacing is grouped separately from the typing before it', () => {
    const sim = new Sim('');
    sim.local(insertAt(0, 'a'));
    sim.local(insertAt(1, 'b'));
    sim.local(insertAt(2, 'c'));
    sim.local(deleteAt(2, 1));
    sim.local(deleteAt(1, 1));
    expect(sim.doc).toBe('a');
    sim.doUndo();
    expect(sim.doc).toBe('abc');
    sim.doUndo();
    expect(sim.doc).toBe('');
  });

  test("undo never touches a peer's text: a peer's insert inside my word survives, a peer's delete shrinks my undo", () => {
    const sim = new Sim('');
    sim.local(insertAt(0, 'hello'));
    sim.remote(insertAt(2, 'PEER'));
    expect(sim.doc).toBe('hePEERllo');
    sim.doUndo();
    expect(sim.doc).toBe('PEER');
    sim.doRedo();
    expect(sim.doc).toBe('hePEERllo');

    const sim2 = new Sim('0123456789');
    sim2.local(deleteAt(2, 5)); // I delete 23456
    sim2.remote(insertAt(2, 'X')); // a peer types where the text was
    sim2.doUndo();
    expect(sim2.doc.replace('X', '')).toBe('0123456789');
    expect(sim2.doc).toContain('X');
  });

  test('a step whose text a peer already removed disappears instead of undoing nothing', () => {
    const sim = new Sim('');
    sim.local(insertAt(0, 'abc'));
    sim.clock = 10_000;
    sim.local(insertAt(3, 'xyz'));
    sim.remote(deleteAt(3, 3)); // peer deletes my "xyz"
    expect(sim.undo.canUndo).toBe(true);
    sim.doUndo(); // undoes "abc", the only step left
    expect(sim.doc).toBe('');
    expect(sim.undo.canUndo).toBe(false);
  });

  test('undo(accept) leaves the step in place when the caller refuses the op', () => {
    const sim = new Sim('');
    sim.local(insertAt(0, 'abc'));
    expect(sim.undo.undo(sim.doc, () => false)).toBeNull();
    expect(sim.undo.canUndo).toBe(true);
  });

  test('undoing all my ops (amid peers\' ops and my own undo/redo) leaves exactly the peers\' contributions; redo restores everything', () => {
    // Every inserted character is unique, so we can tell whose text survives. My text uses
    // astral letters (two UTF-16 units), peers' text Hangul, the initial text CJK.
    let nextChar = 0;
    const fresh = (base: number, n: number): string => {
      let s = '';
      for (let i = 0; i < n; i++) s += String.fromCodePoint(base + nextChar++);
      return s;
    };
    const MINE = 0x1d400;
    const PEER = 0xac00;
    const INIT = 0x4e00;
    const isMine = (c: string): boolean => (c.codePointAt(0) as number) >= MINE;
    const isPeer = (c: string): boolean => (c.codePointAt(0) as number) >= PEER && (c.codePointAt(0) as number) < PEER + 5000;
    const isInit = (c: string): boolean => (c.codePointAt(0) as number) >= INIT && (c.codePointAt(0) as number) < INIT + 5000;

    const action = fc.record({
      who: fc.constantFrom('me', 'peer'),
      kind: fc.constantFrom('insert', 'insert', 'delete', 'undo', 'redo'),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      n: fc.integer({ min: 1, max: 4 }),
      dt: fc.integer({ min: 0, max: 900 }),
    });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 12 }), fc.array(action, { maxLength: 40 }), (initLength, actions) => {
        nextChar = 0;
        const sim = new Sim(fresh(INIT, initLength));
        const deletedByPeer = new Set<string>();
        const insertedByPeer = new Set<string>();
        for (const a of actions) {
          sim.clock += a.dt;
          const chars = [...sim.doc];
          const pos = Math.floor(a.at * (chars.length + 1)) % (chars.length + 1);
          if (a.kind === 'undo' || a.kind === 'redo') {
            // Only I can undo; interleaving undo/redo with peers' ops must keep every op valid.
            if (a.who === 'me') {
              if (a.kind === 'undo') sim.doUndo();
              else sim.doRedo();
            }
            continue;
          }
          let op: TextOp;
          if (a.kind === 'insert' || chars.length === 0) {
            const text = fresh(a.who === 'me' ? MINE : PEER, a.n);
            if (a.who === 'peer') for (const c of text) insertedByPeer.add(c);
            op = insertAt(pos, text);
          } else {
            const start = Math.min(pos, chars.length - 1);
            const n = Math.min(a.n, chars.length - start);
            if (a.who === 'peer') for (const c of chars.slice(start, start + n)) deletedByPeer.add(c);
            op = deleteAt(start, n);
          }
          if (a.who === 'me') sim.local(op);
          else sim.remote(op);
        }
        const before = sim.doc;
        while (sim.doUndo());
        const after = [...sim.doc];
        // None of my text is left, and nothing a peer deleted came back.
        expect(after.filter(isMine)).toEqual([]);
        expect(after.filter((c) => deletedByPeer.has(c))).toEqual([]);
        // Exactly the peers' text is there: what they inserted and did not delete themselves
        // (my deletes of their text are undone too).
        expect(new Set(after.filter(isPeer))).toEqual(new Set([...insertedByPeer].filter((c) => !deletedByPeer.has(c))));
        // Undo never reorders text: characters present before and after keep their order.
        const afterSet = new Set(after);
        const beforeChars = [...before];
        const beforeSet = new Set(beforeChars);
        expect(beforeChars.filter((c) => afterSet.has(c))).toEqual(after.filter((c) => beforeSet.has(c)));
        // Initial text: everything no peer deleted is back, in its original order.
        const initial = Array.from({ length: initLength }, (_, i) => String.fromCodePoint(INIT + i));
        expect(after.filter(isInit)).toEqual(initial.filter((c) => !deletedByPeer.has(c)));
        // Redo brings back exactly the document as it was (if nothing was undone before the
        // final undo-all, the redo stack holds only those steps).
        if (!actions.some((a) => a.who === 'me' && (a.kind === 'undo' || a.kind === 'redo'))) {
          while (sim.doRedo());
          expect(sim.doc).toBe(before);
        }
      }),
      propertyConfig(300),
    );
  });
});
