import { open, stat } from 'node:fs/promises';
import type { CacheEntry, VerifyResult } from '../contract/catalog';
import { EmtError, toEmtError } from '../errors';
import type { OnProgress } from '../jobs/progress';
import type { ReleaseCache } from './cache';
import { hashFile } from './cache-hash';

/**
 * Re-hash a cached release and compare with the hashes recorded when it was downloaded or
 * imported. The result is written into the entry (`lastCheck`): a failed check makes the release
 * unusable (never offered for a build, downloaded again on the next request) until it passes.
 */
export async function verifyEntry(cache: ReleaseCache, id: string, opts: { onProgress?: OnProgress; signal?: AbortSignal } = {}): Promise<VerifyResult> {
  const entry = await cache.get(id);
  if (!entry) throw new EmtError('E_CACHE_NOT_FOUND', `The release "${id}" is not in the cache.`, 'Run `emt-media cache ls` for what is cached.');
  const files: VerifyResult['files'] = [];
  const fresh: CacheEntry['files'] = [];
  for (const f of entry.files) {
    const path = cache.filePath(entry, f);
    try {
      const before = await stat(path);
      const { sha256 } = await hashFile(path, opts);
      if (entry.unflushedBootId && sha256 === f.sha256) await flush(path);
      files.push({ name: f.name, expected: f.sha256, actual: sha256, ...(sha256 === f.sha256 ? {} : { problem: 'the content differs from when it was cached' }) });
      fresh.push({ ...f, size: before.size, mtimeMs: before.mtimeMs });
    } catch (e) {
      const err = toEmtError(e, `Reading ${path} failed`);
      if (err.code === 'E_CANCELLED') throw err;
      files.push({ name: f.name, expected: f.sha256, actual: null, problem: err.code === 'E_NOT_FOUND' ? `missing (${path})` : err.message });
      fresh.push(f);
    }
  }
  const isOk = files.every((f) => !f.problem);
  const problem = files.find((f) => f.problem);
  const { unflushedBootId, ...rest } = entry;
  await cache.update({
    ...rest,
    ...(isOk || !unflushedBootId ? {} : { unflushedBootId }),
    files: isOk ? fresh : entry.files,
    lastCheck: { at: new Date().toISOString(), isOk, ...(problem ? { problem: `${problem.name}: ${problem.problem}` } : {}) },
  });
  return { id, isOk, files };
}

/** Force a file's bytes to disk (they were checked from the page cache; now make them last). */
async function flush(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.datasync();
  } finally {
    await fh.close();
  }
}
