import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { CatalogSource } from '../contract/catalog';
import type { Settings } from '../contract/settings';
import { EmtError, isEmtError, toEmtError } from '../errors';
import { readJsonIfExists, writeJsonAtomic } from '../settings/atomic-json';
import { LAZY, type ReleaseCache } from './cache';
import { builtInCatalog, parseCatalog, type LoadedCatalog } from './catalog';
import { isRetryable } from './download-http';
import { proxyConfig } from './download-proxy';
import { fetchSmall, type NetworkOptions } from './download-retry';
import { decodeSignature, findSigner, parsePublicKey } from './signature';

/**
 * Loading catalogs from files and URLs, with their detached signatures, and with the last good
 * copy of every remote catalog kept in the cache so that the release list works offline.
 */
export interface CatalogLoadOptions {
  settings: Settings;
  cache: ReleaseCache;
  env?: NodeJS.ProcessEnv;
  /** Catalogs given for this call only (the CLI's --catalog), after those of the settings. */
  extraCatalogs?: readonly string[];
  /** Relative file paths are taken from here. */
  cwd?: string;
  /** Do not touch the network: remote catalogs come from their cached copies. */
  isOffline?: boolean;
  signal?: AbortSignal;
  network?: NetworkOptions;
}

/** A release list must not wait long for a catalog server: short timeouts, one retry. */
const LIST_NETWORK = { tuning: { connectTimeoutMs: 5000, idleTimeoutMs: 10_000 }, retry: { retries: 1, baseDelayMs: 500, maxDelayMs: 1000 } };

const CachedCatalogSchema = z.object({ location: z.string(), fetchedAt: z.string(), data: z.string(), signature: z.string().nullable() });

export const DISCOVERED_CATALOG = 'discovered.json';

export async function loadCatalogs(opts: CatalogLoadOptions): Promise<LoadedCatalog[]> {
  const out = [builtInCatalog()];
  const discovered = join(opts.cache.catalogsDir, DISCOVERED_CATALOG);
  const hasDiscovered = await readFile(discovered).then(() => true, () => false);
  if (hasDiscovered) out.push(await loadCatalog(discovered, opts, 'discovered'));
  const seen = new Set<string>();
  for (const location of [...opts.settings.catalogs, ...(opts.extraCatalogs ?? [])]) {
    if (seen.has(location)) continue;
    seen.add(location);
    out.push(await loadCatalog(location, opts));
  }
  return out;
}

async function loadCatalog(location: string, opts: CatalogLoadOptions, kind?: 'discovered'): Promise<LoadedCatalog> {
  const isUrl = /^https?:\/\//i.test(location);
  const path = isUrl ? location : location.startsWith('file:') ? fileURLToPath(location) : isAbsolute(location) ? location : resolve(opts.cwd ?? process.cwd(), location);
  const base: Omit<CatalogSource, 'status' | 'signature' | 'releaseCount'> = { kind: kind ?? (isUrl ? 'url' : 'file'), location: path, name: path, isFromCache: false };
  let fetched: { data: Buffer; signature: Buffer | null; fetchedAt?: string; isFromCache: boolean };
  try {
    fetched = isUrl ? await fetchRemote(location, opts) : { ...(await readLocal(path)), isFromCache: false };
  } catch (e) {
    const err = toEmtError(e, `The catalog ${location} could not be read`);
    if (err.code === 'E_CANCELLED') throw err;
    return { catalog: null, source: { ...base, status: 'unavailable', signature: 'unsigned', releaseCount: 0, error: err.toJSON() } };
  }
  const where = { ...base, isFromCache: fetched.isFromCache, ...(fetched.fetchedAt ? { fetchedAt: fetched.fetchedAt } : {}) };
  // The signature is checked before the content is even parsed: a refused catalog is not read.
  const check = checkSignature(fetched.data, fetched.signature, opts.settings, location);
  if (check.signature === 'invalid') {
    return { catalog: null, source: { ...where, status: 'refused', signature: 'invalid', releaseCount: 0, error: check.error!.toJSON() } };
  }
  try {
    const catalog = parseCatalog(fetched.data, location);
    if (isUrl && !fetched.isFromCache) await saveCopy(location, fetched, opts.cache);
    return {
      catalog,
      source: { ...where, name: catalog.name, status: 'ok', signature: check.signature, releaseCount: catalog.releases.length, ...(check.fingerprint ? { keyFingerprint: check.fingerprint } : {}) },
    };
  } catch (e) {
    return { catalog: null, source: { ...where, status: 'refused', signature: check.signature, releaseCount: 0, error: toEmtError(e).toJSON() } };
  }
}

async function readLocal(path: string): Promise<{ data: Buffer; signature: Buffer | null }> {
  const data = await readFile(path);
  const signature = await readFile(`${path}.sig`).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw e;
  });
  return { data, signature };
}

async function fetchRemote(url: string, opts: CatalogLoadOptions): Promise<{ data: Buffer; signature: Buffer | null; fetchedAt?: string; isFromCache: boolean }> {
  const cached = async () => {
    const copy = CachedCatalogSchema.safeParse(await readJsonIfExists(copyPath(url, opts.cache)).catch(() => null));
    if (!copy.success) return null;
    const { data, signature, fetchedAt } = copy.data;
    return { data: Buffer.from(data, 'base64'), signature: signature === null ? null : Buffer.from(signature, 'base64'), fetchedAt, isFromCache: true };
  };
  if (opts.isOffline) {
    const copy = await cached();
    if (copy) return copy;
    throw new EmtError('E_CATALOG_OFFLINE', `The catalog ${url} was never downloaded, and the network is off.`, 'Connect once to fetch it; after that it works offline.');
  }
  const http = { proxy: proxyConfig(opts.settings.proxy, opts.env ?? process.env), signal: opts.signal, ...LIST_NETWORK, ...opts.network };
  try {
    const data = await fetchSmall(url, http);
    const signature = await fetchSmall(`${url}.sig`, { ...http, limit: 4096 }).catch((e: unknown) => {
      if (isEmtError(e) && e.code === 'E_HTTP_NOT_FOUND') return null;
      throw e;
    });
    return { data, signature, fetchedAt: new Date().toISOString(), isFromCache: false };
  } catch (e) {
    // Only an unreachable network falls back to the last good copy; a server that answers with
    // an error (or different content) is reported as it is.
    if (!isRetryable(e)) throw e;
    const copy = await cached();
    if (copy) return copy;
    throw e;
  }
}

function checkSignature(data: Buffer, sigFile: Buffer | null, settings: Settings, location: string): { signature: CatalogSource['signature']; fingerprint?: string; error?: EmtError } {
  if (sigFile === null) return { signature: 'unsigned' };
  const keys = settings.trustedCatalogKeys.map((k, i) => parsePublicKey(k, `trusted catalog key ${i + 1}`));
  if (keys.length === 0) return { signature: 'unchecked' };
  const sig = decodeSignature(sigFile);
  const signer = sig ? findSigner(data, sig, keys) : null;
  if (signer) return { signature: 'valid', fingerprint: signer.fingerprint };
  return {
    signature: 'invalid',
    error: new EmtError(
      'E_CATALOG_BAD_SIGNATURE',
      `The catalog ${location} is signed, but the signature does not match any trusted key: it was changed or signed by someone else.`,
      'Do not use this catalog. Ask its publisher for the right catalog and key, or remove it from the settings.',
    ),
  };
}

function copyPath(url: string, cache: ReleaseCache): string {
  return join(cache.catalogsDir, `${createHash('sha256').update(url).digest('hex').slice(0, 32)}.json`);
}

async function saveCopy(url: string, fetched: { data: Buffer; signature: Buffer | null; fetchedAt?: string }, cache: ReleaseCache): Promise<void> {
  await writeJsonAtomic(copyPath(url, cache), {
    location: url,
    fetchedAt: fetched.fetchedAt ?? new Date().toISOString(),
    data: fetched.data.toString('base64'),
    signature: fetched.signature?.toString('base64') ?? null,
  }, LAZY);
}
