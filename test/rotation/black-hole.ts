/**
 * Endpoints that accept a connection and never answer, on 127.0.0.1:
 * - `BlackHole`: a bare TCP server; every connection is accepted and left silent.
 * - `HoldingProxy`: forwards HTTP requests to a real endpoint (the KMS simulator,
 *   the local DynamoDB) except those it is told to hold: a held request is never
 *   forwarded and never answered, as on a black-holed connection.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import { AddressInfo } from 'node:net';

export class BlackHole {
  static async start(): Promise<BlackHole> {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new BlackHole(server, sockets);
  }

  private constructor(private readonly server: net.Server, private readonly sockets: Set<net.Socket>) {}

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** `X-Amz-Target` of a JSON-protocol call, e.g. `TrentService.ImportKeyMaterial`, `DynamoDB_20120810.PutItem`. */
export type Target = string;

export class HoldingProxy {
  static async start(upstream: string): Promise<HoldingProxy> {
    const proxy = new HoldingProxy(new URL(upstream));
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** Requests held (never answered), and requests forwarded, by target. */
  readonly held: Target[] = [];
  readonly forwarded: Target[] = [];
  private rules: Array<{ target: Target; left: number }> = [];
  private readonly sockets = new Set<net.Socket>();
  private readonly server: http.Server;

  private constructor(private readonly upstream: URL) {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Holds the next `count` requests of `target` (Infinity: every one from now on). */
  hold(target: Target, count = 1): void {
    this.rules.push({ target, left: count });
  }

  /** Forwards everything again. */
  heal(): void {
    this.rules = [];
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const target = String(req.headers['x-amz-target'] ?? `${req.method} ${req.url}`);
    const rule = this.rules.find((r) => r.target === target && r.left > 0);
    if (rule) {
      rule.left -= 1;
      this.held.push(target);
      req.resume();
      return;
    }
    this.forwarded.push(target);
    const out = http.request({
      host: this.upstream.hostname, port: this.upstream.port, method: req.method, path: req.url, headers: req.headers,
    }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  }
}
