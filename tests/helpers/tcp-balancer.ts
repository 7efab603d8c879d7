import net from 'node:net';

/**
 * A minimal TCP load balancer for multi-process tests: each new client connection goes to the
 * next backend in turn, skipping backends that refuse the connection. No affinity, on purpose:
 * Tandem must be correct when one workspace's clients land on different processes (issue 6 §2).
 */
export class TcpBalancer {
  private readonly server: net.Server;
  private next = 0;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly backends: () => number[]) {
    this.server = net.createServer((client) => this.route(client, 0));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private route(client: net.Socket, attempt: number): void {
    const ports = this.backends();
    if (attempt >= ports.length) {
      client.destroy();
      return;
    }
    const port = ports[this.next++ % ports.length]!;
    const upstream = net.connect(port, '127.0.0.1');
    client.pause();
    upstream.once('connect', () => {
      this.sockets.add(client);
      this.sockets.add(upstream);
      client.pipe(upstream).pipe(client);
      client.resume();
      const done = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.once('close', done);
      upstream.once('close', done);
      client.on('error', done);
      upstream.on('error', done);
    });
    upstream.once('error', () => {
      if (!this.sockets.has(upstream)) this.route(client, attempt + 1);
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
