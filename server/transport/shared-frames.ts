import type { Socket } from 'socket.io';
import WebSocket from 'ws';
import { SHAREDB_EVENT } from '../../lib/protocol';

/**
 * Encodes a ShareDB message once for every subscriber it goes to.
 *
 * ShareDB hands each subscribed agent its own message object for the same op (`Agent._sendOp`
 * builds `{a, c, d, v, src, seq, op}` around the op array that pubsub emitted once) and the very
 * same object for a presence update. Encoding each copy separately costs a `JSON.stringify`,
 * Socket.io's second stringify of that string (P-TR-1 frames are JSON strings) and a WebSocket
 * frame per subscriber. Here the first subscriber's encoding is kept for the rest of the
 * event-loop turn and written with Socket.io's pre-encoded path — the one its own room
 * broadcasts use (`Client#writeToEngine` with `preEncoded`, plus the WebSocket frame computed
 * once with `ws`'s `Sender.frame`), so the bytes on the wire are exactly what `socket.emit`
 * would have produced.
 *
 * A cached encoding is reused only when the message has the same shape and the same field
 * values as the one it was made from, so a middleware that gives one subscriber a different
 * message can never leak another subscriber's bytes.
 */

/** Options Socket.io's adapter passes along with pre-encoded packets (socket.io-adapter). */
interface PreEncodedOptions {
  preEncoded: true;
  wsPreEncodedFrame?: Buffer[];
}

/** The part of Socket.io's `Client` its adapters write through (not in its public typings). */
interface EngineWriter {
  writeToEngine(packets: unknown[], options: PreEncodedOptions): void;
}

interface Encoder {
  encode(packet: { type: number; nsp: string; data: unknown[] }): unknown[];
}

interface SharedFrame {
  /** The message the encoding was made from, for the field comparison. */
  readonly source: Record<string, unknown>;
  readonly keyCount: number;
  readonly nsp: string;
  readonly packets: unknown[];
  readonly options: PreEncodedOptions;
}

type FrameSender = { frame(data: Buffer, options: object): Buffer[] };
const sender = (WebSocket as unknown as { Sender?: Partial<FrameSender> }).Sender;
const frameWebSocketMessage = typeof sender?.frame === 'function' ? (sender as FrameSender).frame.bind(sender) : null;

/** Socket.io's EVENT packet type (socket.io-parser `PacketType.EVENT`). */
const EVENT_PACKET = 2;

export class SharedFrames {
  /** Keyed by the object the copies share: the op array for ops, the message for presence. */
  private readonly frames = new Map<object, SharedFrame>();
  private clearScheduled = false;
  /** Encodings reused, for tests and metrics: 0 means every subscriber paid the full cost. */
  reused = 0;

  /** Send `message` on the ShareDB event of `socket`, reusing this turn's encoding of it if any. */
  send(socket: Socket, message: Record<string, unknown>): void {
    const key = sharedPart(message);
    const writer = (socket as unknown as { client: Partial<EngineWriter> }).client;
    if (key === null || typeof writer.writeToEngine !== 'function') {
      socket.emit(SHAREDB_EVENT, JSON.stringify(message));
      return;
    }
    const nsp = socket.nsp.name;
    let frame = this.frames.get(key);
    if (frame !== undefined && sameMessage(frame, message, nsp)) {
      this.reused += 1;
    } else {
      frame = this.encode(socket, message, nsp);
      this.frames.set(key, frame);
      this.scheduleClear();
    }
    writer.writeToEngine(frame.packets, frame.options);
  }

  private encode(socket: Socket, message: Record<string, unknown>, nsp: string): SharedFrame {
    const encoder = (socket.nsp.server as unknown as { encoder: Encoder }).encoder;
    const packets = encoder.encode({ type: EVENT_PACKET, nsp, data: [SHAREDB_EVENT, JSON.stringify(message)] });
    const options: PreEncodedOptions = { preEncoded: true };
    if (frameWebSocketMessage !== null && packets.length === 1 && typeof packets[0] === 'string') {
      // "4" is Engine.IO's message packet type; engine.io falls back to encoding per socket
      // when a transport cannot take the frame (polling, permessage-deflate).
      options.wsPreEncodedFrame = frameWebSocketMessage(Buffer.from(`4${packets[0]}`), {
        readOnly: false,
        mask: false,
        rsv1: false,
        opcode: 1,
        fin: true,
      });
    }
    return { source: { ...message }, keyCount: Object.keys(message).length, nsp, packets, options };
  }

  private scheduleClear(): void {
    if (this.clearScheduled) return;
    this.clearScheduled = true;
    // Copies of one op or presence reach their agents within the turn pubsub emitted it in.
    setImmediate(() => {
      this.clearScheduled = false;
      this.frames.clear();
    });
  }
}

/** The object shared by every subscriber's copy of `message`, or null when it has none. */
function sharedPart(message: Record<string, unknown>): object | null {
  if (message.error !== undefined) return null;
  if (message.a === 'op') {
    const op = message.op;
    return op !== null && typeof op === 'object' ? op : null;
  }
  if (message.a === 'p') return message;
  return null;
}

function sameMessage(frame: SharedFrame, message: Record<string, unknown>, nsp: string): boolean {
  if (frame.nsp !== nsp) return false;
  let count = 0;
  for (const field in message) {
    count += 1;
    // Identity, not deep equality: op arrays and presence values are shared by reference.
    if (frame.source[field] !== message[field]) return false;
  }
  return count === frame.keyCount;
}
