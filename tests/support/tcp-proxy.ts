// A small TCP proxy to a real server (Redis in the worker tests) that can be stopped — dropping
// every connection through it, like a server going away — and started again on the same port, or
// stalled: connections stay open but the server's answers are held back, like a server that hangs.

import net from 'node:net';

export class TcpProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private boundPort = 0;
  private readonly links = new Set<{ client: net.Socket; upstream: net.Socket }>();
  private stalled = false;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** The port it listens on (fixed after the first start). */
  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.boundPort}`;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.targetHost);
      this.track(client);
      this.track(upstream);
      client.pipe(upstream);
      if (!this.stalled) upstream.pipe(client);
      const link = { client, upstream };
      this.links.add(link);
      const closeBoth = () => {
        this.links.delete(link);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', closeBoth).on('close', closeBoth);
      upstream.on('error', closeBoth).on('close', closeBoth);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.boundPort, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.boundPort = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** Holds back every answer from the server (open connections and new ones) until `resume`. */
  stall(): void {
    this.stalled = true;
    for (const { client, upstream } of this.links) {
      upstream.unpipe(client);
      upstream.pause();
    }
  }

  /** Delivers what was held back, and everything after it. */
  resume(): void {
    this.stalled = false;
    for (const { client, upstream } of this.links) upstream.pipe(client);
  }

  /** Refuses new connections and drops the open ones. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }
}
