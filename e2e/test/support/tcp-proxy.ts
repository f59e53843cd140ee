import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePort } from '@coral-cdn/test-support';

/**
 * A loopback TCP relay in front of a service, to take it off the network without stopping it:
 * `down()` refuses new connections and cuts open ones (as a dead origin host would: the edge's
 * keep-alive pool must not keep working), `up()` accepts again on the same port. The origin
 * behind it keeps running (and its live encoder keeps encoding), so what comes back is the
 * same stream.
 */
export class TcpProxy {
  /** Where connections go; set once the service behind is known. */
  targetPort: number | null = null;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private connections = 0;

  private constructor(readonly port: number) {}

  static async start(): Promise<TcpProxy> {
    const proxy = new TcpProxy(await freePort());
    await proxy.up();
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Connections accepted and relayed so far. */
  get accepted(): number {
    return this.connections;
  }

  async up(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => this.relay(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  /** Refuse new connections and cut every open one. Idempotent. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private relay(client: Socket): void {
    if (this.targetPort === null) {
      client.destroy();
      return;
    }
    this.connections++;
    const upstream = connect(this.targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.once('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
