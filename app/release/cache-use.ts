import type { CachedFile, CacheEntry } from '../contract/catalog';
import { EmtError } from '../errors';
import type { OnProgress } from '../jobs/progress';
import type { ReleaseCache } from './cache';
import { verifyEntry } from './cache-verify';

/**
 * A cached release handed to a build: leased (eviction and removal leave it alone until
 * `release()`), and checked first. Files whose size or time moved are re-hashed; a missing or
 * corrupt release is refused. Works with the network off.
 */
export interface ReleaseInUse {
  entry: CacheEntry;
  files: Array<CachedFile & { absolutePath: string }>;
  release(): Promise<void>;
}

export async function useCachedRelease(cache: ReleaseCache, id: string, opts: { onProgress?: OnProgress; signal?: AbortSignal } = {}): Promise<ReleaseInUse> {
  const lease = await cache.lease(id);
  try {
    let entry = lease.entry;
    let health = await cache.health(entry);
    if (health === 'changed') {
      health = (await verifyEntry(cache, id, opts)).isOk ? 'ok' : 'corrupt';
      entry = (await cache.get(id)) ?? entry;
    }
    if (health === 'missing') {
      const origin = entry.origin.type === 'import' ? ` (imported from ${entry.origin.path})` : '';
      throw new EmtError('E_CACHE_MISSING', `A file of the cached release "${id}" is gone${origin}.`, 'Put the file back, or remove the release from the cache and download or import it again.');
    }
    if (health === 'corrupt') {
      throw new EmtError('E_CACHE_CORRUPT', `The cached release "${id}" no longer matches the hash recorded for it.`, `Remove it (emt-media cache rm ${id}) and download or import it again.`);
    }
    return { entry, files: entry.files.map((f) => ({ ...f, absolutePath: cache.filePath(entry, f) })), release: lease.release };
  } catch (e) {
    await lease.release();
    throw e;
  }
}
