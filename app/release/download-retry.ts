import { cancelledError, throwIfAborted, type EmtError } from '../errors';
import { httpRequest, isRetryable, readBody, retryAfterMs, statusError, type HttpRequestOptions, type HttpTuning } from './download-http';
import { proxyFor } from './download-proxy';

/**
 * Retries with exponential backoff: 1 s, 2 s, 4 s … capped, with ±20 % jitter so that a room of
 * laptops behind one proxy does not retry in lock-step. A server's Retry-After wins when given.
 */
export interface RetryPolicy {
  /** Failed attempts in a row (without progress) before giving up. */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 6, baseDelayMs: 1000, maxDelayMs: 30_000 };

export function backoffMs(failures: number, policy: RetryPolicy, retryAfter: number | null = null, random = Math.random): number {
  if (retryAfter !== null) return Math.min(retryAfter, policy.maxDelayMs);
  const base = Math.min(policy.baseDelayMs * 2 ** Math.max(0, failures - 1), policy.maxDelayMs);
  return Math.round(base * (0.8 + 0.4 * random()));
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  throwIfAborted(signal);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(t);
      reject(cancelledError());
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A small file (a catalog, a `.sha256sum`, a certificate), buffered, with retries. A 404 is
 * thrown as E_HTTP_NOT_FOUND at once: absence is an answer, not a failure to retry.
 */
export async function fetchSmall(
  url: string,
  opts: HttpRequestOptions & { retry?: RetryPolicy; limit?: number; onRetry?: (error: EmtError, delayMs: number) => void },
): Promise<Buffer> {
  const policy = opts.retry ?? DEFAULT_RETRY;
  const limit = opts.limit ?? 8 << 20;
  for (let failures = 1; ; failures++) {
    let retryAfter: number | null = null;
    try {
      const res = await httpRequest(url, opts);
      if (res.status !== 200) {
        retryAfter = retryAfterMs(res.headers);
        res.close();
        throw statusError(res.status, res.url, proxyFor(res.url, opts.proxy));
      }
      return await readBody(res, limit);
    } catch (e) {
      if (!isRetryable(e) || failures > policy.retries) throw e;
      const delay = backoffMs(failures, policy, retryAfter);
      opts.onRetry?.(e as EmtError, delay);
      await sleep(delay, opts.signal);
    }
  }
}

/** Network knobs a caller may turn (tests make them small; the bench leaves them). */
export interface NetworkOptions {
  tuning?: Partial<HttpTuning>;
  retry?: RetryPolicy;
  /** Extra trusted CA (tests with a loopback TLS server). */
  ca?: string | Buffer;
  checkpoint?: { bytes: number; ms: number };
}
