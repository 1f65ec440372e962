import http, { type IncomingMessage } from 'node:http';
import net, { isIP, type Socket } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import { cancelledError, EmtError, toEmtError } from '../errors';
import { connectError, interruptedError, mapSocketError, proxyAuthError, stalledError } from './download-http-errors';
import { ResponseParser, type ResponseHead } from './download-http-parse';
import { defaultPort, proxyFor, type ProxyConfig } from './download-proxy';

export { isRetryable, interruptedError, retryAfterMs, statusError } from './download-http-errors';

/**
 * HTTP/1.1 GET and HEAD over node:net and node:tls, through a proxy when the settings or the
 * environment say so, with a connect timeout (TCP + proxy tunnel + TLS) and an idle timeout (no
 * byte for that long). Redirects are followed.
 *
 * Why not node:http: measured on loopback, its client reads a body 2–3× slower than the socket
 * delivers it (a fresh 64 KiB buffer, a parser callback and a stream push per read), which caps a
 * download well below curl. Here the socket reads into a reused 1 MiB buffer, or straight into
 * the consumer's own buffers (`readInto`), and the body goes to the consumer as slices of it
 * (download-http-parse.ts). The CONNECT handshake, done once per
 * download, still uses node:http.
 */
export interface HttpTuning {
  connectTimeoutMs: number;
  idleTimeoutMs: number;
}

const DEFAULT_TUNING: HttpTuning = { connectTimeoutMs: 15_000, idleTimeoutMs: 30_000 };

export interface HttpRequestOptions {
  method?: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  proxy: ProxyConfig;
  tuning?: Partial<HttpTuning>;
  signal?: AbortSignal;
  /** Extra trusted CA (tests with a loopback TLS server). Users behind TLS-inspecting proxies set NODE_EXTRA_CA_CERTS. */
  ca?: string | Buffer;
  maxRedirects?: number;
}

export interface HttpResponse extends ResponseHead {
  /** The URL that answered, after redirects. */
  url: URL;
  /**
   * Take the body: `onData` gets each piece as a slice that is valid only during the call (copy
   * what you keep). Resolves at the end of the body; rejects with E_NETWORK_STALLED /
   * E_NETWORK_INTERRUPTED / E_CANCELLED / E_HTTP_PROTOCOL.
   */
  read(onData: (buf: Buffer, start: number, end: number) => void, opts?: ReadOptions): Promise<void>;
  /** Stop reading the socket (the consumer is behind); the idle timeout is off meanwhile. */
  pause(): void;
  resume(): void;
  /** Drop the connection (the body is not wanted, or not all of it); a pending `read` resolves. */
  close(): void;
}

export interface ReadOptions {
  /**
   * Where the socket puts the next bytes it reads (asked before every read). A consumer that
   * gathers the body in buffers of its own hands out the free end of one; a body piece that lands
   * there in place needs no copy. Ignored through a CONNECT tunnel, whose bytes come decrypted in
   * buffers of their own.
   */
  readInto?: () => Buffer;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const READ_BUFFER = 1 << 20;

export async function httpRequest(input: string | URL, opts: HttpRequestOptions): Promise<HttpResponse> {
  let url = new URL(input);
  for (let hop = 0; ; hop++) {
    const res = await requestOnce(url, opts);
    const location = res.headers.location;
    if (!REDIRECTS.has(res.status) || !location || hop >= (opts.maxRedirects ?? 5)) return res;
    res.close();
    url = new URL(location, url);
  }
}

/** A small body, whole (a catalog, a checksum); E_HTTP_TOO_LARGE past `limit`. */
export async function readBody(res: HttpResponse, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  await res.read((buf, start, end) => {
    size += end - start;
    if (size > limit) {
      throw new EmtError('E_HTTP_TOO_LARGE', `${res.url.href} is larger than ${limit} bytes, which is too large for what it should be.`, 'Check that the URL points at the right file.');
    }
    parts.push(Buffer.from(buf.subarray(start, end)));
  });
  return Buffer.concat(parts);
}

function requestOnce(url: URL, opts: HttpRequestOptions): Promise<HttpResponse> {
  const tuning = { ...DEFAULT_TUNING, ...opts.tuning };
  const proxy = proxyFor(url, opts.proxy);
  const method = opts.method ?? 'GET';
  return new Promise<HttpResponse>((resolve, reject) => {
    let socket: Socket | undefined;
    let isSettled = false;
    let isEnded = false;
    let isPaused = false;
    let sink: ((buf: Buffer, start: number, end: number) => void) | null = null;
    let readInto: (() => Buffer) | null = null;
    let body: { resolve: () => void; reject: (e: EmtError) => void } | null = null;
    let bodyError: EmtError | null = null;
    const early: Buffer[] = [];

    const connectTimer = setTimeout(() => fail(connectError(url, proxy, `no connection within ${tuning.connectTimeoutMs / 1000} s`)), tuning.connectTimeoutMs);
    const onAbort = () => fail(cancelledError());
    const cleanup = () => {
      clearTimeout(connectTimer);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    function fail(err: EmtError): void {
      cleanup();
      socket?.destroy();
      if (!isSettled) {
        isSettled = true;
        reject(err);
      } else if (!isEnded && !bodyError) {
        bodyError = err;
        body?.reject(err);
      }
    }
    const parser = new ResponseParser(
      {
        onHead: (head) => {
          isSettled = true;
          // Hold the body until the consumer asks for it; what came with the header is kept.
          socket!.pause();
          resolve(response(head));
        },
        onBody: (buf, start, end) => {
          if (sink) sink(buf, start, end);
          else early.push(Buffer.from(buf.subarray(start, end)));
        },
        onEnd: () => {
          isEnded = true;
          cleanup();
          socket?.destroy();
          body?.resolve();
        },
      },
      method === 'HEAD',
    );
    const feed = (buf: Buffer, start: number, end: number) => {
      try {
        parser.feed(buf, start, end);
      } catch (e) {
        fail(e instanceof EmtError && e.code !== 'E_NETWORK_INTERRUPTED' ? e : interruptedError(url, (e as Error).message, e));
      }
    };
    const response = (head: ResponseHead): HttpResponse => ({
      ...head,
      url,
      read: (onData, readOpts) =>
        new Promise<void>((res, rej) => {
          if (bodyError) return rej(bodyError);
          body = { resolve: res, reject: rej };
          readInto = readOpts?.readInto ?? null;
          try {
            for (const b of early.splice(0)) onData(b, 0, b.length);
          } catch (e) {
            return fail(toEmtError(e));
          }
          sink = (buf, start, end) => {
            try {
              onData(buf, start, end);
            } catch (e) {
              fail(toEmtError(e));
            }
          };
          if (isEnded) return res();
          socket!.resume();
        }),
      pause: () => {
        isPaused = true;
        socket?.setTimeout(0);
        socket?.pause();
      },
      resume: () => {
        if (!isPaused) return;
        isPaused = false;
        socket?.setTimeout(tuning.idleTimeoutMs);
        socket?.resume();
      },
      close: () => {
        cleanup();
        isEnded = true;
        socket?.destroy();
        body?.resolve();
      },
    });

    const attach = (s: Socket, useDataEvents: boolean) => {
      socket = s;
      if (useDataEvents) s.on('data', (c: Buffer) => feed(c, 0, c.length));
      s.setTimeout(tuning.idleTimeoutMs, () => fail(stalledError(url, tuning.idleTimeoutMs)));
      s.on('error', (e) => fail(mapSocketError(e, url, proxy, isSettled)));
      s.on('close', () => {
        if (isEnded) return;
        try {
          parser.close();
        } catch (e) {
          fail(e instanceof EmtError ? interruptedError(url, e.message, e) : mapSocketError(e as Error, url, proxy, isSettled));
        }
      });
    };
    const send = () => {
      clearTimeout(connectTimer);
      socket!.write(requestHead(url, method, opts.headers ?? {}, proxy && url.protocol === 'http:' ? proxy : null));
    };
    // Node asks `buffer` for the memory of each next read (net.Socket, onread option).
    const own = Buffer.allocUnsafe(READ_BUFFER);
    const onread = { buffer: () => readInto?.() ?? own, callback: (n: number, buf: Buffer) => (feed(buf, 0, n), true) };

    if (opts.signal?.aborted) return fail(cancelledError());
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (proxy && url.protocol === 'https:') {
      openTunnel(url, proxy, opts.ca).then((s) => {
        if (isSettled) return s.destroy();
        attach(s, true);
        send();
      }, fail);
    } else if (url.protocol === 'https:') {
      const host = url.hostname.replace(/^\[|\]$/g, '');
      // tls.connect takes `onread` like net.connect (Node docs, tls.connect options); @types/node omits it.
      const options: tls.ConnectionOptions & { onread: net.OnReadOpts } = { host, port: defaultPort(url), ...(isIP(host) ? {} : { servername: host }), ...(opts.ca ? { ca: opts.ca } : {}), ALPNProtocols: ['http/1.1'], onread };
      const s = tls.connect(options);
      attach(s, false);
      s.once('secureConnect', send);
    } else {
      const target = proxy ?? url;
      const s = net.connect({ host: target.hostname.replace(/^\[|\]$/g, ''), port: defaultPort(target), onread });
      attach(s, false);
      s.once('connect', send);
    }
  });
}

/** RFC 9112 §3: request line and header fields. To a proxy the target is the absolute URI (§3.2.2). */
function requestHead(url: URL, method: string, headers: Record<string, string>, httpProxy: URL | null): string {
  const target = httpProxy ? url.href : `${url.pathname}${url.search}`;
  const fields: Record<string, string> = {
    host: url.host,
    'user-agent': 'emt-media-builder',
    accept: '*/*',
    'accept-encoding': 'identity',
    connection: 'close',
    ...(httpProxy ? proxyAuth(httpProxy) : {}),
    ...headers,
  };
  const lines = Object.entries(fields).map(([k, v]) => {
    if (/[\r\n\0]/.test(k + v)) throw new EmtError('E_INTERNAL', `A header for ${url.host} contains a line break.`, 'This is a bug in EMT Media Builder. Save the log and report it.');
    return `${k}: ${v}\r\n`;
  });
  return `${method} ${target} HTTP/1.1\r\n${lines.join('')}\r\n`;
}

/** HTTP CONNECT (RFC 9110 §9.3.6) to the proxy, then TLS to the real server inside the tunnel. */
function openTunnel(url: URL, proxy: URL, ca: string | Buffer | undefined): Promise<TLSSocket> {
  const authority = `${url.hostname}:${defaultPort(url)}`;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: proxy.hostname, port: defaultPort(proxy), method: 'CONNECT', path: authority, headers: { host: authority, ...proxyAuth(proxy) }, agent: false });
    req.once('connect', (res: IncomingMessage, socket: Socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        reject(res.statusCode === 407 ? proxyAuthError(proxy) : new EmtError('E_PROXY_REFUSED', `The proxy ${proxy.host} refused to connect to ${authority} (HTTP ${res.statusCode}).`, 'Ask your IT department whether the proxy allows this server, or add it to the no-proxy list.'));
        return;
      }
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const secure = tls.connect({ socket, ...(isIP(host) ? {} : { servername: host }), ...(ca ? { ca } : {}), ALPNProtocols: ['http/1.1'] });
      secure.once('secureConnect', () => resolve(secure));
      secure.once('error', (e) => reject(mapSocketError(e, url, null, false)));
    });
    req.once('error', (e) => reject(mapSocketError(e, url, proxy, false)));
    req.end();
  });
}

function proxyAuth(proxy: URL): Record<string, string> {
  if (!proxy.username) return {};
  const cred = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'proxy-authorization': `Basic ${Buffer.from(cred).toString('base64')}` };
}
