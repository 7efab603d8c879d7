import { Duplex } from 'node:stream';
import type { Socket } from 'socket.io';
import { SHAREDB_EVENT } from '../../lib/protocol';
import type { SharedFrames } from './shared-frames';
import type { CoalescedWrites } from './coalesced-writes';

/**
 * Presents one Socket.io socket as the object-mode Duplex that `backend.listen()` expects.
 * Frames are JSON strings in both directions (P-TR-1); parsing and policing them is the caller's
 * job (see socket-gate.ts), which pushes already-parsed messages with `deliver`.
 */
export class SocketIoJsonStream extends Duplex {
  constructor(
    private readonly socket: Socket,
    /** Told the code of every error reply ShareDB sends (for the errors metric). */
    private readonly onErrorReply: ((code: string) => void) | null = null,
    /** Encodes an op or presence update once for all its subscribers; null encodes per socket. */
    private readonly frames: SharedFrames | null = null,
    /** Writes this turn's messages to the socket with one system call; null writes each at once. */
    private readonly writes: CoalescedWrites | null = null,
  ) {
    super({ objectMode: true, allowHalfOpen: false });
    socket.on('disconnect', () => {
      this.push(null);
      this.destroy();
    });
  }

  /** Hand a parsed client message to ShareDB. */
  deliver(message: object): void {
    if (!this.destroyed) this.push(message);
  }

  override _read(): void {
    // Socket.io has no pull-based flow control; messages are pushed as they arrive.
  }

  override _write(message: unknown, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    // A disconnected socket would buffer in socket.io forever; ShareDB resyncs on reconnect anyway.
    if (this.socket.connected) {
      this.writes?.hold(this.socket);
      if (this.frames) this.frames.send(this.socket, message as Record<string, unknown>);
      else this.socket.emit(SHAREDB_EVENT, JSON.stringify(message));
    }
    if (this.onErrorReply) {
      const error = (message as { error?: { code?: unknown } }).error;
      if (error) this.onErrorReply(typeof error.code === 'string' ? error.code : 'unknown');
    }
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.disconnect(true);
    callback();
  }

  override _destroy(error: Error | null, callback: (error: Error | null) => void): void {
    if (this.socket.connected) this.socket.disconnect(true);
    callback(error);
  }
}
