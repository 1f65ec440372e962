import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { CachedFile, CacheEntry, CatalogRelease, DownloadResult, Verification } from '../contract/catalog';
import type { Settings } from '../contract/settings';
import { EmtError, isEmtError } from '../errors';
import type { OnProgress } from '../jobs/progress';
import { openCache, type ReleaseCache } from './cache';
import { bootId } from './cache-boot';
import { readPin, writePin } from './cache-pins';
import { verifyEntry } from './cache-verify';
import { findRelease, unknownRelease } from './catalog-list';
import { proxyConfig, type ProxyConfig } from './download-proxy';
import { discardPart, lockPart, partFiles } from './download-part';
import { fetchSmall, type NetworkOptions } from './download-retry';
import { transfer } from './download-transfer';

/**
 * `download(id)`: a release from the catalogs into the cache, verified. The file is checked
 * against the catalog's sha256, or the server's `.sha256sum` (OS images); when nothing is
 * published (Bootkit tarballs) its hash is pinned on first download and any later download must
 * match the pin. Only a complete, verified file is published into the cache; everything else
 * stays a `.part` that is resumed or thrown away.
 */
export interface DownloadOptions {
  settings: Settings;
  env?: NodeJS.ProcessEnv;
  extraCatalogs?: readonly string[];
  cwd?: string;
  onProgress?: OnProgress;
  signal?: AbortSignal;
  /** Take a download whose hash differs from the pin, and pin the new hash. */
  acceptNewHash?: boolean;
  /** Download again even when the release is cached and healthy. */
  refresh?: boolean;
  /** Content check of a Bootkit tarball before it is published (app/release/read-release.ts). */
  validate?: (path: string) => Promise<void>;
  network?: NetworkOptions;
}

export async function download(id: string, opts: DownloadOptions): Promise<DownloadResult> {
  const env = opts.env ?? process.env;
  const cache = await openCache(opts.settings, env);
  const found = await findRelease(opts.settings, id, { ...opts, cache });
  const existing = await cache.get(id);
  if (!found) {
    if (existing && (await isUsable(cache, existing, opts))) return cachedResult(cache, existing);
    throw unknownRelease(id);
  }
  const release = found.release;
  const isSameSource = existing?.origin.type === 'download' && existing.origin.url === release.url && (!release.sha256 || existing.files[0]?.sha256 === release.sha256);
  if (existing && isSameSource && !opts.refresh && (await isUsable(cache, existing, opts))) return cachedResult(cache, existing);

  const proxy = proxyConfig(opts.settings.proxy, env);
  const net = { proxy, signal: opts.signal, ...opts.network };
  const expected = await expectedHash(release, net);
  const cert = release.kind === 'os-image' && release.secureBootCertUrl ? await fetchSmall(release.secureBootCertUrl, { ...net, limit: 1 << 20 }) : null;

  const files = partFiles(cache.downloadsDir, id, release.url);
  const unlock = await lockPart(files, id);
  try {
    const got = await transfer({ id, url: release.url, files, ...(release.size ? { expectedSize: release.size } : {}), proxy, ...opts.network, signal: opts.signal, onProgress: opts.onProgress });
    if (release.size !== undefined && got.size !== release.size) {
      await discardPart(files);
      throw new EmtError('E_DOWNLOAD_SIZE_MISMATCH', `${release.url} has ${got.size} bytes where the catalog says ${release.size}.`, 'Nothing was kept. The catalog or the server is wrong; tell whoever publishes the catalog.');
    }
    let verification: Verification;
    let isNewPin = false;
    if (expected) {
      if (got.sha256 !== expected.sha256) {
        await discardPart(files);
        throw hashMismatch(release, expected, got.sha256);
      }
      verification = expected.how;
    } else {
      const pin = await readPin(cache.pinsDir, id, release.url);
      if (pin && pin.sha256 !== got.sha256 && !opts.acceptNewHash) throw pinMismatch(release, pin.sha256, pin.pinnedAt, got.sha256);
      isNewPin = !pin || pin.sha256 !== got.sha256;
      verification = 'pinned';
    }
    if (opts.validate && release.kind === 'bootkit') {
      try {
        await opts.validate(files.part);
      } catch (e) {
        await discardPart(files);
        throw e;
      }
    }
    const stage = await cache.stage();
    try {
      const entry = await publish(stage, release, files.part, got, verification, expected?.text ?? null, cert);
      if (isNewPin) await writePin(cache.pinsDir, { id, url: release.url, sha256: got.sha256, size: got.size, pinnedAt: entry.addedAt });
      await cache.commit(stage, entry);
      await discardPart(files);
      const evicted = await cache.evict([id]);
      return { entry, wasCached: false, isNewPin, bytesDownloaded: got.bytesDownloaded, resumedFrom: got.resumedFrom, evicted };
    } finally {
      await rm(stage, { recursive: true, force: true });
    }
  } finally {
    await unlock();
  }
}

async function isUsable(cache: ReleaseCache, entry: CacheEntry, opts: DownloadOptions): Promise<boolean> {
  const health = await cache.health(entry);
  if (health === 'ok') return true;
  if (health !== 'changed') return false;
  return (await verifyEntry(cache, entry.id, { onProgress: opts.onProgress, signal: opts.signal })).isOk;
}

async function cachedResult(cache: ReleaseCache, entry: CacheEntry): Promise<DownloadResult> {
  await cache.touch(entry.id);
  return { entry: (await cache.get(entry.id)) ?? entry, wasCached: true, isNewPin: false, bytesDownloaded: 0, resumedFrom: 0, evicted: [] };
}

interface Expected {
  sha256: string;
  how: 'catalog' | 'published';
  /** The published `.sha256sum` file, kept beside the image (the standalone stick carries it). */
  text?: Buffer;
}

async function expectedHash(release: CatalogRelease, net: { proxy: ProxyConfig; signal?: AbortSignal } & NetworkOptions): Promise<Expected | null> {
  if (release.sha256) return { sha256: release.sha256, how: 'catalog' };
  if (release.kind !== 'os-image') return null;
  let text: Buffer;
  try {
    text = await fetchSmall(release.sha256Url, { ...net, limit: 64 << 10 });
  } catch (e) {
    if (isEmtError(e) && e.code === 'E_HTTP_NOT_FOUND') {
      throw new EmtError('E_CHECKSUM_UNAVAILABLE', `The checksum file ${release.sha256Url} is missing on the server.`, 'The image cannot be verified without it. Try again later, or use a catalog that carries its sha256.');
    }
    throw e;
  }
  // sha256sum(1) format: the hash is the first field of the line.
  const m = /^\s*([0-9a-fA-F]{64})(\s|$)/.exec(text.toString('latin1'));
  if (!m) throw new EmtError('E_CHECKSUM_INVALID', `The checksum file ${release.sha256Url} does not start with a sha256.`, 'The server returned something else (a proxy error page?). Try again later.');
  return { sha256: m[1]!.toLowerCase(), how: 'published', text };
}

/** Move the verified file (and the small files that go with it) into the staging folder. */
async function publish(
  stage: string,
  release: CatalogRelease,
  part: string,
  got: { size: number; sha256: string },
  verification: Verification,
  checksum: Buffer | null,
  cert: Buffer | null,
): Promise<CacheEntry> {
  const name = fileNameOf(release.url);
  await rename(part, join(stage, name));
  const files: CachedFile[] = [{ name, role: release.kind === 'bootkit' ? 'tarball' : 'image', size: got.size, sha256: got.sha256, mtimeMs: (await stat(join(stage, name))).mtimeMs }];
  const small = async (data: Buffer, fileName: string, role: CachedFile['role']) => {
    await writeFile(join(stage, fileName), data);
    files.push({ name: fileName, role, size: data.length, sha256: createHash('sha256').update(data).digest('hex'), mtimeMs: (await stat(join(stage, fileName))).mtimeMs });
  };
  if (checksum && release.kind === 'os-image') await small(checksum, fileNameOf(release.sha256Url), 'checksum');
  if (cert && release.kind === 'os-image' && release.secureBootCertUrl) await small(cert, fileNameOf(release.secureBootCertUrl), 'certificate');
  const now = new Date().toISOString();
  return { schemaVersion: 1, id: release.id, kind: release.kind, name: release.name, origin: { type: 'download', url: release.url }, files, verification, addedAt: now, lastUsedAt: now, unflushedBootId: bootId(), release };
}

function fileNameOf(url: string): string {
  const last = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
  return last.replace(/[^A-Za-z0-9._-]/g, '_') || 'download';
}

function hashMismatch(release: CatalogRelease, expected: Expected, actual: string): EmtError {
  const against = expected.how === 'catalog' ? 'the catalog' : `the published ${fileNameOf(release.kind === 'os-image' ? release.sha256Url : release.url)}`;
  return new EmtError(
    'E_DOWNLOAD_HASH_MISMATCH',
    `The download of ${release.id} has sha256 ${actual}, but ${against} says ${expected.sha256}.`,
    'Nothing was kept. Try again; if it happens again, the file on the server differs from what was published (or a proxy changes it).',
    { details: { url: release.url, expected: expected.sha256, actual } },
  );
}

function pinMismatch(release: CatalogRelease, pinned: string, pinnedAt: string, actual: string): EmtError {
  return new EmtError(
    'E_RELEASE_PIN_MISMATCH',
    `${release.id} now has sha256 ${actual}, but on ${pinnedAt.slice(0, 10)} it had ${pinned}: the file on the server changed since you first downloaded it.`,
    `If Intel republished this build on purpose, accept the new hash (emt-media download ${release.id} --accept-new-hash); otherwise keep using the cached copy and report it.`,
    { details: { url: release.url, pinned, pinnedAt, actual } },
  );
}
