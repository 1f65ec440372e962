import http, { type IncomingMessage } from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';

/**
 * A small forward proxy on 127.0.0.1 for tests: HTTP CONNECT tunnels (for https targets) and
 * absolute-URI requests (for http targets), optionally behind a Basic login, recording what it
 * was asked so that a test can prove traffic went through it.
 */
export interface ProxyLogEntry {
  method: string;
  /** `host:port` for CONNECT, the absolute URI otherwise. */
  target: string;
  /** The request carried the right login (always true when no login is required). */
  isAuthorized: boolean;
}

export class ConnectProxy {
  readonly log: ProxyLogEntry[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: http.Server,
    readonly port: number,
  ) {}

  /** `http://127.0.0.1:<port>`, without the login. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(options: { login?: { user: string; password: string } } = {}): Promise<ConnectProxy> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new ConnectProxy(server, (server.address() as AddressInfo).port);
    const expected = options.login ? `Basic ${Buffer.from(`${options.login.user}:${options.login.password}`).toString('base64')}` : null;
    const isAuthorized = (req: IncomingMessage) => expected === null || req.headers['proxy-authorization'] === expected;
    server.on('connection', (s: Socket) => proxy.track(s));

    server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
      const ok = isAuthorized(req);
      proxy.log.push({ method: 'CONNECT', target: req.url ?? '', isAuthorized: ok });
      if (!ok) {
        client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      const [host, port] = splitAuthority(req.url ?? '');
      const upstream = proxy.track(net.connect(port, host));
      upstream.once('connect', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });

    server.on('request', (req: IncomingMessage, res: http.ServerResponse) => {
      const ok = isAuthorized(req);
      proxy.log.push({ method: req.method ?? 'GET', target: req.url ?? '', isAuthorized: ok });
      if (!ok) {
        res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"' }).end();
        return;
      }
      const headers = { ...req.headers };
      delete headers['proxy-authorization'];
      const upstream = http.request(req.url ?? '', { method: req.method, headers, agent: false }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      res.on('close', () => upstream.destroy());
      req.pipe(upstream);
    });
    return proxy;
  }

  private track(s: Socket): Socket {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    return s;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function splitAuthority(authority: string): [string, number] {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(authority);
  return m ? [m[1]!, Number(m[2])] : [authority, 443];
}
