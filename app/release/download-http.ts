import http, { type IncomingHttpHeaders, type IncomingMessage, type ClientRequest } from 'node:http';
import https from 'node:https';
import { isIP, type Socket } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import { cancelledError, EmtError } from '../errors';
import { defaultPort, proxyFor, type ProxyConfig } from './download-proxy';

/**
 * One HTTP(S) request with node:http, through a proxy when the settings or the environment say so,
 * with a connect timeout (TCP + proxy tunnel + TLS) and an idle timeout (no byte received for that
 * long, while waiting for headers or in the body). Redirects are followed. Failures become
 * EmtErrors whose code says what went wrong; `isRetryable` says which are worth another attempt.
 */
export interface HttpTuning {
  connectTimeoutMs: number;
  idleTimeoutMs: number;
}

export const DEFAULT_TUNING: HttpTuning = { connectTimeoutMs: 15_000, idleTimeoutMs: 30_000 };

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

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The URL that answered, after redirects. */
  url: URL;
  /** The body; reading it throws E_NETWORK_STALLED / E_NETWORK_INTERRUPTED / E_CANCELLED. */
  body: AsyncIterable<Buffer>;
  /** Drop the connection (the body is not wanted, or not all of it). */
  close(): void;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const RETRYABLE = new Set(['E_NETWORK_CONNECT', 'E_NETWORK_INTERRUPTED', 'E_NETWORK_STALLED', 'E_HTTP_SERVER', 'E_PROXY_UNREACHABLE']);

export function isRetryable(e: unknown): boolean {
  return e instanceof EmtError && RETRYABLE.has(e.code);
}

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

function requestOnce(url: URL, opts: HttpRequestOptions): Promise<HttpResponse> {
  const tuning = { ...DEFAULT_TUNING, ...opts.tuning };
  const proxy = proxyFor(url, opts.proxy);
  const headers: Record<string, string> = { 'user-agent': 'emt-media-builder', accept: '*/*', ...opts.headers };
  return new Promise<HttpResponse>((resolve, reject) => {
    let req: ClientRequest | undefined;
    let res: IncomingMessage | undefined;
    let settled = false;
    const connectTimer = setTimeout(() => fail(connectError(url, proxy, `no connection within ${tuning.connectTimeoutMs / 1000} s`)), tuning.connectTimeoutMs);
    const onAbort = () => fail(cancelledError());
    const cleanup = () => {
      clearTimeout(connectTimer);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    function fail(err: EmtError): void {
      cleanup();
      if (!settled) {
        settled = true;
        reject(err);
      }
      req?.destroy(err);
      res?.destroy(err);
    }
    if (opts.signal?.aborted) return fail(cancelledError());
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    const start = (socket?: TLSSocket) => {
      const common = { method: opts.method ?? 'GET', headers, agent: false as const };
      if (socket) {
        clearTimeout(connectTimer);
        // No `agent` at all: with `agent: false` Node makes a fresh Agent that ignores createConnection
        // and would dial the server directly, around the proxy.
        req = https.request(url, { method: common.method, headers, createConnection: () => socket });
      } else if (proxy) {
        // RFC 9112 §3.2.2: a request to a proxy carries the absolute URI as its target.
        req = http.request({ ...common, host: proxy.hostname, port: defaultPort(proxy), path: url.href, headers: { ...headers, host: url.host, ...proxyAuth(proxy) } });
      } else {
        req = (url.protocol === 'https:' ? https : http).request(url, { ...common, ...(opts.ca ? { ca: opts.ca } : {}) });
      }
      req.on('socket', (s: Socket) => {
        if (socket) return;
        const ready = url.protocol === 'https:' && !proxy ? 'secureConnect' : 'connect';
        if (s.connecting) s.once(ready, () => clearTimeout(connectTimer));
        else clearTimeout(connectTimer);
      });
      req.setTimeout(tuning.idleTimeoutMs, () => fail(stalledError(url, tuning.idleTimeoutMs)));
      req.on('error', (e) => fail(mapSocketError(e, url, proxy, res !== undefined)));
      req.on('response', (r) => {
        res = r;
        clearTimeout(connectTimer);
        r.on('error', (e) => fail(mapSocketError(e, url, proxy, true)));
        r.on('aborted', () => fail(interruptedError(url, 'the server closed the connection')));
        r.on('close', cleanup);
        settled = true;
        resolve({ status: r.statusCode ?? 0, headers: r.headers, url, body: mapErrors(r, url), close: () => (req?.destroy(), r.destroy()) });
      });
      req.end();
    };

    if (proxy && url.protocol === 'https:') openTunnel(url, proxy, opts.ca).then(start, (e: EmtError) => fail(e));
    else start();
  });
}

/** Node ends a cut body with a bare "aborted" error; say what it means. */
async function* mapErrors(body: IncomingMessage, url: URL): AsyncIterable<Buffer> {
  try {
    for await (const chunk of body) yield chunk as Buffer;
  } catch (e) {
    throw e instanceof EmtError ? e : mapSocketError(e as Error, url, null, true);
  }
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

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|ERR_SSL/;

function mapSocketError(e: Error, url: URL, proxy: URL | null, isInBody: boolean): EmtError {
  if (e instanceof EmtError) return e;
  const code = (e as NodeJS.ErrnoException).code ?? '';
  if (TLS_CODES.test(code)) {
    return new EmtError(
      'E_TLS_UNTRUSTED',
      `The certificate of ${url.host} could not be verified (${code}).`,
      "If your company's proxy inspects HTTPS, ask IT for its CA certificate and start the app with NODE_EXTRA_CA_CERTS=<that file>.",
      { cause: e, details: { url: url.href } },
    );
  }
  if (isInBody || code === 'ECONNRESET' || code === 'EPIPE') return interruptedError(url, `${e.message}`, e);
  if (proxy) {
    return new EmtError('E_PROXY_UNREACHABLE', `Could not connect to the proxy ${proxy.host} (${code || e.message}).`, 'Check the proxy address in the settings (or HTTPS_PROXY), and that the network is up.', { cause: e });
  }
  const why = code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? `the name ${url.hostname} could not be resolved` : code || e.message;
  return connectError(url, null, why, e);
}

function connectError(url: URL, proxy: URL | null, why: string, cause?: unknown): EmtError {
  const via = proxy ? ` through the proxy ${proxy.host}` : '';
  return new EmtError(
    'E_NETWORK_CONNECT',
    `Could not connect to ${url.host}${via}: ${why}.`,
    'Check the network and the proxy setting. Releases already in the cache can be used offline.',
    { cause, details: { url: url.href } },
  );
}

export function interruptedError(url: URL, why: string, cause?: unknown): EmtError {
  return new EmtError('E_NETWORK_INTERRUPTED', `The connection to ${url.host} broke off during the transfer (${why}).`, 'Try again: the download resumes where it stopped.', { cause, details: { url: url.href } });
}

function stalledError(url: URL, idleMs: number): EmtError {
  return new EmtError('E_NETWORK_STALLED', `No data arrived from ${url.host} for ${idleMs / 1000} s.`, 'The network is too slow or stalled. Try again later: the download resumes where it stopped.', { details: { url: url.href } });
}

function proxyAuthError(proxy: URL): EmtError {
  return new EmtError(
    'E_PROXY_AUTH',
    `The proxy ${proxy.host} asks for a login (HTTP 407)${proxy.username ? ' and did not accept the one given' : ''}.`,
    'Put the login in the proxy address: http://user:password@proxy:port.',
  );
}

/** The error for a final HTTP status that is not a success. */
export function statusError(status: number, url: URL, proxy: URL | null): EmtError {
  const details = { url: url.href, status };
  if (status === 404 || status === 410) {
    return new EmtError('E_HTTP_NOT_FOUND', `The server has no file at ${url.href} (HTTP ${status}).`, 'This build may not be published (a given date can be missing). Pick another build, or run discovery to see which dates exist.', { details });
  }
  if (status === 407 && proxy) return proxyAuthError(proxy);
  if (status >= 500 || status === 408 || status === 429) {
    return new EmtError('E_HTTP_SERVER', `The server answered HTTP ${status} for ${url.href}.`, 'The server is busy or failing. Try again later: the download resumes where it stopped.', { details });
  }
  return new EmtError('E_HTTP_STATUS', `The server refused ${url.href} (HTTP ${status}).`, 'Check the URL in the catalog; if it is right, the server does not allow this download.', { details });
}

/** Seconds from a Retry-After header (RFC 9110 §10.2.3), delay-seconds or an HTTP date. */
export function retryAfterMs(headers: IncomingHttpHeaders, now = Date.now()): number | null {
  const v = headers['retry-after'];
  if (!v) return null;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : Math.max(0, t - now);
}
