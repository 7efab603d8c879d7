import type { Socket } from 'socket.io-client';
import { SHAREDB_EVENT } from '../protocol';

/**
 * Makes a socket.io-client socket look like the WebSocket that ShareDB's client `Connection`
 * expects. Socket.io owns reconnection; ShareDB re-handshakes (and resends its in-flight op)
 * after `onclose` followed by `onopen`.
 */
export class SocketIoWebSocket {
  readyState = 0;
  onopen: (() => void) | null = null;
  onclose: ((reason: string) => void) | null = null;
  onerror: ((error: unknown) => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;

  constructor(private readonly socket: Socket) {
    if (socket.connected) this.readyState = 1;
    socket.on('connect', () => {
      this.readyState = 1;
      this.onopen?.();
    });
    socket.on(SHAREDB_EVENT, (data: string) => this.onmessage?.({ data }));
    socket.on('connect_error', (error: unknown) => this.onerror?.(error));
    socket.on('disconnect', (reason: string) => {
      const closedHere = reason === 'io client disconnect';
      this.readyState = closedHere ? 3 : 0;
      // ShareDB treats 'closed'/'stopped' as final; anything else means "will reconnect".
      this.onclose?.(closedHere ? 'closed' : `disconnected: ${reason}`);
    });
  }

  send(data: string): void {
    // Never let socket.io buffer while offline: ShareDB keeps its own pending ops and resends.
    if (this.socket.connected) this.socket.emit(SHAREDB_EVENT, data);
  }

  close(): void {
    this.readyState = 3;
    this.socket.disconnect();
  }
}
