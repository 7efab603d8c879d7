import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server as IoServer, type Socket } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { waitFor } from './clients';

/** A bare Socket.io server with one real client per entry of `transports`, all connected. */
export interface SocketIoPair {
  /** Server-side sockets, in the order of `clients`. */
  readonly serverSockets: Socket[];
  readonly clients: ClientSocket[];
  close(): Promise<void>;
}

export async function startSocketIoPair(
  transports: string[][],
  /** Attach client listeners before the client connects. */
  onClient: (client: ClientSocket) => void = () => {},
): Promise<SocketIoPair> {
  const httpServer = http.createServer();
  const ioServer = new IoServer(httpServer);
  const serverSockets: Socket[] = [];
  ioServer.on('connection', (socket) => serverSockets.push(socket));
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  const clients: ClientSocket[] = [];
  for (const list of transports) {
    const client = connect(`http://127.0.0.1:${port}`, { transports: list, forceNew: true, reconnection: false });
    onClient(client);
    clients.push(client);
    // One at a time, so serverSockets[i] is clients[i]'s.
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('connect_error', reject);
    });
    await waitFor(() => serverSockets.length === clients.length, 'the server side of the connection');
  }
  return {
    serverSockets,
    clients,
    async close() {
      for (const client of clients) client.close();
      ioServer.close();
      await new Promise((resolve) => httpServer.close(resolve));
    },
  };
}
