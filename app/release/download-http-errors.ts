import { EmtError } from '../errors';

/**
 * The errors of an HTTP exchange, each with a code that says what went wrong and whether another
 * attempt may help (`isRetryable`): a network that is down or cut, a stall, a server error, a
 * proxy that refuses, a certificate nobody vouches for.
 */
const RETRYABLE = new Set(['E_NETWORK_CONNECT', 'E_NETWORK_INTERRUPTED', 'E_NETWORK_STALLED', 'E_HTTP_SERVER', 'E_PROXY_UNREACHABLE']);

export function isRetryable(e: unknown): boolean {
  return e instanceof EmtError && RETRYABLE.has(e.code);
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|ERR_SSL/;

export function mapSocketError(e: Error, url: URL, proxy: URL | null, isInBody: boolean): EmtError {
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

export function connectError(url: URL, proxy: URL | null, why: string, cause?: unknown): EmtError {
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

export function stalledError(url: URL, idleMs: number): EmtError {
  return new EmtError('E_NETWORK_STALLED', `No data arrived from ${url.host} for ${idleMs / 1000} s.`, 'The network is too slow or stalled. Try again later: the download resumes where it stopped.', { details: { url: url.href } });
}

export function proxyAuthError(proxy: URL): EmtError {
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
export function retryAfterMs(headers: Record<string, string | undefined>, now = Date.now()): number | null {
  const v = headers['retry-after'];
  if (!v) return null;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : Math.max(0, t - now);
}
