import type { Connection, Doc, LocalPresence, Presence } from 'sharedb/lib/client';
import { MAX_DISPLAY_NAME_LENGTH, MAX_PRESENCE_SELECTIONS } from '../limits';
import type { CursorPresence } from '../protocol';
import { CodePointIndex } from '../text/offsets';
import type { CodePointSelection } from '../text/transform-position';
import {
  BINDING_SELECTION_SOURCE,
  type CodeEditorPort,
  type DecorationLike,
  type DecorationsCollectionLike,
  type Disposable,
  type PositionLike,
  type TextModelPort,
} from './editor-port';

/**
 * Colours for peers: mid-tone and saturated, so a 2 px caret and a 25 % selection tint read on
 * both the light and the dark Monaco themes and white label text stays legible on them. Ordered
 * so that neighbours differ in hue.
 */
const PEER_COLORS = [
  '#e5484d', // red
  '#0d74ce', // blue
  '#2f9e5b', // green
  '#8e4ec6', // purple
  '#e5661b', // orange
  '#0797b9', // cyan
  '#d6409f', // pink
  '#5f8f1c', // olive
  '#5b5bd6', // indigo
  '#b8860b', // dark gold
  '#12a594', // teal
  '#a0714f', // brown
] as const;

const HEX_COLOR = /^#[0-9a-fA-F]{6}$/;

/**
 * A deterministic colour for a client id: the same person gets the same colour in every tab and
 * on every classmate's screen. Always `#rrggbb` (what the server's presence check accepts).
 */
export function colorForClient(clientId: string): string {
  // FNV-1a: cheap, and spreads similar ids ("student-1", "student-2") across the palette.
  let hash = 0x811c9dc5;
  for (let i = 0; i < clientId.length; i++) {
    hash ^= clientId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return PEER_COLORS[(hash >>> 0) % PEER_COLORS.length] as string;
}

/** One peer in the presence list. */
export interface PeerSummary {
  /** ShareDB presence id: one per tab, so one person in two tabs appears twice (same clientId). */
  presenceId: string;
  clientId: string;
  name: string;
  color: string;
  /** The file the peer is in (the `file` option, or the doc id). */
  file: string;
}

/** A peer's cursor state as rendered. */
interface PeerCursor extends PeerSummary {
  selections: CodePointSelection[];
}

/** Converts between model offsets and doc code points. `MonacoBinding` implements it. */
export interface OffsetConverter {
  toCodePoint(offset: number): number;
  toUtf16(codePoint: number): number;
}

/** Who I am, as shown to peers. The server overwrites `clientId` and `name` with my handshake identity (P-PRES-1). */
export interface LocalIdentity {
  clientId: string;
  name: string;
  /** Defaults to `colorForClient(clientId)`. */
  color?: string;
}

/** Options for `RemoteCursors`. */
export interface RemoteCursorsOptions {
  connection: Connection;
  /** The file's doc; its collection and id name the presence channel. */
  doc: Doc;
  model: TextModelPort;
  editor: CodeEditorPort;
  self: LocalIdentity;
  /** Label for this file in the peer list; defaults to the doc id. */
  file?: string;
  /** Pass the `MonacoBinding` of this model: O(log n) conversions instead of indexing `doc.data`. */
  offsets?: OffsetConverter;
  /** Called with the full peer list whenever someone arrives, leaves or changes name or colour. */
  onPeersChange?: (peers: PeerSummary[]) => void;
  /** Presence errors (e.g. a presence value the server refused). */
  onError?: (error: unknown) => void;
  /** Minimum time between two presence messages; default 50 ms (at most 20 per second). */
  publishIntervalMs?: number;
}

/** The few DOM members used to inject styles; declared here because lib/ also compiles without the DOM lib. */
interface StyleElement {
  id: string;
  textContent: string | null;
  remove(): void;
}
interface StyleDocument {
  head: { appendChild(node: StyleElement): unknown } | null;
  createElement(tag: 'style'): StyleElement;
  getElementById(id: string): StyleElement | null;
}

/** Monaco TrackedRangeStickiness.NeverGrowsWhenTypingAtEdges: my typing next to a peer's selection does not extend it. */
const NEVER_GROWS = 1;

/**
 * Shows where everyone else is in one file and tells them where I am, over ShareDB presence
 * on the file's doc (P-PRES-1..4).
 *
 * - My selections are published as a `CursorPresence` in code points, throttled (at most one
 *   message per `publishIntervalMs`, the first one immediately) after every selection change and
 *   every edit. ShareDB itself moves the published value through later ops until it is re-sent.
 * - Peers' carets and selections are rendered as editor decorations in their colour, the primary
 *   caret with their name. The CSS lives in one small `<style>` per colour and per name label,
 *   injected only when a `document` exists (a no-op in Node).
 * - A peer disappears when it sends `null` — including the `null` the server broadcasts when its
 *   socket closes (P-PRES-4) — and all peers are cleared while my own connection is down (they
 *   are re-announced when presence resubscribes).
 *
 * It takes over the doc's presence channel on this connection: `destroy()` destroys it, which
 * also tells peers that I left.
 */
export class RemoteCursors {
  private readonly options: RemoteCursorsOptions;
  private readonly presence: Presence;
  private readonly local: LocalPresence;
  private readonly decorations: DecorationsCollectionLike;
  private readonly disposables: Disposable[] = [];
  private readonly peerMap = new Map<string, PeerCursor>();
  private readonly publishIntervalMs: number;
  private readonly color: string;
  private publishTimer: ReturnType<typeof setTimeout> | null = null;
  private lastPublishAt = -Infinity;
  private renderQueued = false;
  private lastPeerListKey = '';
  private destroyed = false;

  constructor(options: RemoteCursorsOptions) {
    this.options = options;
    this.publishIntervalMs = options.publishIntervalMs ?? 50;
    this.color = options.self.color && HEX_COLOR.test(options.self.color) ? options.self.color : colorForClient(options.self.clientId);
    this.presence = options.connection.getDocPresence(options.doc.collection, options.doc.id);
    // An 'error' event with no listener would throw out of ShareDB's message handling.
    this.presence.on('error', this.handleError);
    this.presence.on('receive', this.handleReceive);
    this.presence.subscribe((error) => {
      if (error) this.handleError(error);
    });
    this.local = this.presence.create();
    this.local.on('error', this.handleError);
    options.connection.on('state', this.handleConnectionState);
    this.decorations = options.editor.createDecorationsCollection();
    this.disposables.push(
      options.editor.onDidChangeCursorSelection((e) => {
        // Carets the binding moved through a peer's op: ShareDB moves my published value through
        // the same op with the same rule, so peers already see this; re-sending is pure traffic.
        if (e.source !== BINDING_SELECTION_SOURCE) this.schedulePublish();
      }),
    );
    this.disposables.push(options.model.onDidChangeContent(() => this.schedulePublish()));
    // ShareDB resets my presence to null when the doc reloads or is re-created; announce again.
    options.doc.on('load', this.handleDocReset);
    options.doc.on('create', this.handleDocReset);
    // Peers who are already here re-send their presence when our subscription reaches the server.
    this.schedulePublish();
  }

  /** Everyone else currently in this file, sorted by name. */
  peers(): PeerSummary[] {
    return [...this.peerMap.values()]
      .map(({ presenceId, clientId, name, color, file }) => ({ presenceId, clientId, name, color, file }))
      .sort((a, b) => a.name.localeCompare(b.name) || a.presenceId.localeCompare(b.presenceId));
  }

  /** Publishes my selections now (still asynchronously, after the current edit is submitted). */
  publishNow(): void {
    if (this.publishTimer) clearTimeout(this.publishTimer);
    this.publishTimer = null;
    this.lastPublishAt = -Infinity;
    this.schedulePublish();
  }

  /** Stops publishing and rendering, removes decorations and styles, and tells peers I left. Idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.publishTimer) clearTimeout(this.publishTimer);
    this.publishTimer = null;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.options.connection.removeListener('state', this.handleConnectionState);
    this.options.doc.removeListener('load', this.handleDocReset);
    this.options.doc.removeListener('create', this.handleDocReset);
    this.presence.removeListener('receive', this.handleReceive);
    this.decorations.clear();
    for (const peer of this.peerMap.values()) removeStyle(labelStyleId(peer.presenceId));
    this.peerMap.clear();
    this.emitPeers();
    // Keep the error listener: destroy() answers asynchronously and may still report.
    this.presence.destroy((error) => {
      if (error) this.handleError(error);
    });
  }

  // ── publishing my cursor ───────────────────────────────────────────────────────────────────

  private schedulePublish(): void {
    if (this.destroyed || this.publishTimer) return;
    // Never publish synchronously: the edit that triggered this may not be submitted yet.
    const wait = Math.max(0, this.lastPublishAt + this.publishIntervalMs - Date.now());
    this.publishTimer = setTimeout(() => {
      this.publishTimer = null;
      this.publish();
    }, wait);
  }

  private publish(): void {
    if (this.destroyed) return;
    const value = this.currentValue();
    if (sameSelections(value, this.local.value as CursorPresence | null)) return;
    this.lastPublishAt = Date.now();
    // Fails harmlessly while the doc does not exist (deleted, or reloading after a rollback).
    this.local.submit(value, (error) => {
      if (error && (error as unknown as { code?: unknown }).code !== 'ERR_DOC_DOES_NOT_EXIST') this.handleError(error);
    });
  }

  /** My presence value, or null when the editor is not showing this file. */
  private currentValue(): CursorPresence | null {
    const { editor, model, self } = this.options;
    if (editor.getModel() !== model || model.isDisposed()) return null;
    const selections = editor.getSelections();
    if (!selections || selections.length === 0) return null;
    const offsets = this.converter();
    return {
      clientId: self.clientId,
      name: [...self.name].slice(0, MAX_DISPLAY_NAME_LENGTH).join(''),
      color: this.color,
      selections: selections.slice(0, MAX_PRESENCE_SELECTIONS).map((s) => ({
        anchor: offsets.toCodePoint(model.getOffsetAt({ lineNumber: s.selectionStartLineNumber, column: s.selectionStartColumn })),
        head: offsets.toCodePoint(model.getOffsetAt({ lineNumber: s.positionLineNumber, column: s.positionColumn })),
      })),
    };
  }

  private converter(): OffsetConverter {
    if (this.options.offsets) return this.options.offsets;
    const data: unknown = this.options.doc.data;
    return CodePointIndex.fromText(typeof data === 'string' ? data : '');
  }

  // ── peers ──────────────────────────────────────────────────────────────────────────────────

  private readonly handleReceive = (presenceId: string, value: unknown): void => {
    if (this.destroyed) return;
    const peer = value === null ? null : toPeer(presenceId, value, this.options.file ?? this.options.doc.id);
    if (peer) this.peerMap.set(presenceId, peer);
    else if (this.peerMap.delete(presenceId)) removeStyle(labelStyleId(presenceId));
    this.queueRender();
    this.emitPeers();
  };

  private readonly handleConnectionState = (state: string): void => {
    if (state === 'connected' || this.peerMap.size === 0) return;
    // Peers that leave while I am offline never reach me; forget everyone until they re-announce.
    for (const id of this.peerMap.keys()) removeStyle(labelStyleId(id));
    this.peerMap.clear();
    this.queueRender();
    this.emitPeers();
  };

  private readonly handleDocReset = (): void => {
    this.schedulePublish();
  };

  private readonly handleError = (error: unknown): void => {
    this.options.onError?.(error);
  };

  private emitPeers(): void {
    const peers = this.peers();
    // 'receive' fires for every op that moves a cursor; tell the UI only about real list changes.
    const key = JSON.stringify(peers);
    if (key === this.lastPeerListKey) return;
    this.lastPeerListKey = key;
    this.options.onPeersChange?.(peers);
  }

  // ── rendering ──────────────────────────────────────────────────────────────────────────────

  private queueRender(): void {
    if (this.renderQueued) return;
    this.renderQueued = true;
    // ShareDB reports a moved cursor from inside the doc's 'op' event, possibly before the
    // binding has applied that op to the model; render once every listener has run.
    queueMicrotask(() => {
      this.renderQueued = false;
      this.render();
    });
  }

  private render(): void {
    if (this.destroyed) return;
    const { editor, model } = this.options;
    if (editor.getModel() !== model || model.isDisposed()) {
      this.decorations.clear();
      return;
    }
    const offsets = this.converter();
    const length = model.getValueLength();
    const position = (cp: number): PositionLike => model.getPositionAt(Math.min(length, offsets.toUtf16(cp)));
    const decorations: DecorationLike[] = [];
    for (const peer of this.peerMap.values()) {
      const colorClass = ensureColorStyle(peer.color);
      ensureLabelStyle(peer);
      peer.selections.forEach((selection, i) => {
        const anchor = position(selection.anchor);
        const head = position(selection.head);
        if (anchor.lineNumber !== head.lineNumber || anchor.column !== head.column) {
          const [start, end] = before(anchor, head) ? [anchor, head] : [head, anchor];
          decorations.push({
            range: { startLineNumber: start.lineNumber, startColumn: start.column, endLineNumber: end.lineNumber, endColumn: end.column },
            options: { className: `tandem-selection tandem-selection-${colorClass}`, stickiness: NEVER_GROWS },
          });
        }
        const label = i === 0 ? ` tandem-label tandem-label-${peerClass(peer.presenceId)}` : '';
        decorations.push({
          range: { startLineNumber: head.lineNumber, startColumn: head.column, endLineNumber: head.lineNumber, endColumn: head.column },
          options: {
            beforeContentClassName: `tandem-caret tandem-caret-${colorClass}${label}`,
            stickiness: NEVER_GROWS,
            showIfCollapsed: true,
          },
        });
      });
    }
    this.decorations.set(decorations);
  }
}

/** A peer from a received presence value, or null if the value is not a usable CursorPresence. */
function toPeer(presenceId: string, value: unknown, file: string): PeerCursor | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Partial<Record<keyof CursorPresence, unknown>>;
  if (!Array.isArray(v.selections)) return null;
  const clientId = typeof v.clientId === 'string' ? v.clientId.slice(0, 64) : presenceId;
  const selections: CodePointSelection[] = [];
  for (const s of v.selections.slice(0, MAX_PRESENCE_SELECTIONS)) {
    const { anchor, head } = (s ?? {}) as { anchor?: unknown; head?: unknown };
    if (isPosition(anchor) && isPosition(head)) selections.push({ anchor, head });
  }
  if (selections.length === 0) return null;
  return {
    presenceId,
    clientId,
    name: typeof v.name === 'string' && v.name.trim() ? [...v.name].slice(0, MAX_DISPLAY_NAME_LENGTH).join('') : 'Anonymous',
    // The colour ends up in CSS, so only a strict #rrggbb is trusted.
    color: typeof v.color === 'string' && HEX_COLOR.test(v.color) ? v.color.toLowerCase() : colorForClient(clientId),
    file,
    selections,
  };
}

function isPosition(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function before(a: PositionLike, b: PositionLike): boolean {
  return a.lineNumber < b.lineNumber || (a.lineNumber === b.lineNumber && a.column < b.column);
}

function sameSelections(a: CursorPresence | null, b: CursorPresence | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.name !== b.name || a.color !== b.color || a.selections.length !== b.selections.length) return false;
  return a.selections.every((s, i) => s.anchor === b.selections[i]?.anchor && s.head === b.selections[i]?.head);
}

// ── styles ──────────────────────────────────────────────────────────────────────────────────

function styleDocument(): StyleDocument | null {
  const doc = (globalThis as { document?: StyleDocument }).document;
  return doc && typeof doc.createElement === 'function' ? doc : null;
}

function upsertStyle(id: string, css: string): void {
  const doc = styleDocument();
  if (!doc?.head) return;
  const existing = doc.getElementById(id);
  if (existing) {
    if (existing.textContent !== css) existing.textContent = css;
    return;
  }
  const style = doc.createElement('style');
  style.id = id;
  style.textContent = css;
  doc.head.appendChild(style);
}

function removeStyle(id: string): void {
  styleDocument()?.getElementById(id)?.remove();
}

/** Injects the caret and selection rules of one colour once; returns its class suffix. */
function ensureColorStyle(color: string): string {
  const key = color.slice(1).toLowerCase();
  const r = parseInt(key.slice(0, 2), 16);
  const g = parseInt(key.slice(2, 4), 16);
  const b = parseInt(key.slice(4, 6), 16);
  upsertStyle(
    `tandem-color-${key}`,
    `.tandem-selection-${key}{background-color:rgba(${r},${g},${b},0.25);}` +
      `.tandem-caret-${key}{position:absolute;height:100%;border-left:2px solid #${key};margin-left:-1px;` +
      `box-sizing:border-box;pointer-events:none;z-index:10;}` +
      `.tandem-caret-${key}.tandem-label::after{background-color:#${key};}`,
  );
  return key;
}

function ensureLabelStyle(peer: PeerCursor): void {
  upsertStyle(
    labelStyleId(peer.presenceId),
    `.tandem-label-${peerClass(peer.presenceId)}::after{content:"${cssString(peer.name)}";position:absolute;bottom:100%;` +
      `left:-2px;padding:0 4px;border-radius:3px 3px 3px 0;color:#fff;font:600 10px/1.5 system-ui,sans-serif;` +
      `white-space:nowrap;pointer-events:none;z-index:11;}`,
  );
}

function labelStyleId(presenceId: string): string {
  return `tandem-label-style-${peerClass(presenceId)}`;
}

/** A class-name-safe key for a presence id (ids are chosen by peers, so never used raw in CSS). */
function peerClass(presenceId: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < presenceId.length; i++) {
    hash ^= presenceId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(36) + presenceId.length.toString(36);
}

/** Escapes text for a double-quoted CSS string: everything but plain letters and digits becomes a hex escape. */
function cssString(text: string): string {
  let out = '';
  for (const ch of text) {
    out += /^[A-Za-z0-9 ]$/.test(ch) ? ch : `\\${(ch.codePointAt(0) as number).toString(16)} `;
  }
  return out;
}
