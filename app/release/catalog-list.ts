import type { CacheEntry, EntryHealth, Pin, ReleaseList, ReleaseListing } from '../contract/catalog';
import type { Settings } from '../contract/settings';
import { EmtError } from '../errors';
import { openCache, type ReleaseCache } from './cache';
import { listPins, pinKey } from './cache-pins';
import { mergeCatalogs, type MergedRelease } from './catalog';
import { loadCatalogs, type CatalogLoadOptions } from './catalog-load';
import { listPartials } from './download-part';

/**
 * The release list the picker and `emt-media releases` show: every catalog merged, plus what the
 * cache holds (downloaded, partly downloaded, pinned, usable offline). Releases that only the
 * cache knows (imports) are listed too.
 */
export type ListOptions = Omit<CatalogLoadOptions, 'settings' | 'cache'>;

export async function listReleases(settings: Settings, opts: ListOptions = {}): Promise<ReleaseList> {
  const cache = await openCache(settings, opts.env);
  const loaded = await loadCatalogs({ ...opts, settings, cache });
  const merged = mergeCatalogs(loaded);
  return { sources: loaded.map((l) => l.source), releases: await withCacheState(cache, merged) };
}

/** The catalog record of `id`, from the catalogs of the settings (and `extraCatalogs`). */
export async function findRelease(settings: Settings, id: string, opts: ListOptions & { cache: ReleaseCache }): Promise<MergedRelease | null> {
  const loaded = await loadCatalogs({ ...opts, settings });
  return mergeCatalogs(loaded).find((m) => m.release.id === id) ?? null;
}

export function unknownRelease(id: string): EmtError {
  return new EmtError('E_RELEASE_UNKNOWN', `No catalog lists a release "${id}", and it is not in the cache.`, 'Run `emt-media releases` for the ids, add the catalog that lists it, or run discovery.');
}

async function withCacheState(cache: ReleaseCache, merged: readonly MergedRelease[]): Promise<ReleaseListing[]> {
  const entries = new Map((await cache.entries()).map((e) => [e.id, e] as const));
  const partials = await listPartials(cache.downloadsDir);
  const pins = new Map((await listPins(cache.pinsDir)).map((p) => [pinKey(p.id, p.url), p] as const));
  const out: ReleaseListing[] = [];
  for (const m of merged) {
    const r = m.release;
    const entry = entries.get(r.id);
    entries.delete(r.id);
    const partial = partials.find((p) => p.id === r.id && p.url === r.url);
    const listing = await describe(cache, entry, pins.get(pinKey(r.id, r.url)));
    out.push({
      id: r.id,
      kind: r.kind,
      name: r.name,
      release: r,
      sources: m.sources,
      warnings: m.warnings,
      ...listing,
      ...(listing.cache === 'none' && partial ? { cache: 'partial' as const, partialBytes: partial.bytes } : {}),
    });
  }
  for (const entry of entries.values()) {
    const pin = entry.origin.type === 'download' ? pins.get(pinKey(entry.id, entry.origin.url)) : undefined;
    out.push({ id: entry.id, kind: entry.kind, name: entry.name, ...(entry.release ? { release: entry.release } : {}), sources: ['cache'], warnings: [], ...(await describe(cache, entry, pin)) });
  }
  return out;
}

async function describe(
  cache: ReleaseCache,
  entry: CacheEntry | undefined,
  pin: Pin | undefined,
): Promise<Pick<ReleaseListing, 'cache' | 'health' | 'verification' | 'isAvailableOffline' | 'pin'>> {
  const pinned = pin ? { pin } : {};
  if (!entry) return { cache: 'none', isAvailableOffline: false, ...pinned };
  const health: EntryHealth = await cache.health(entry);
  // `changed` is re-hashed when used, which needs no network: still available offline.
  const isAvailableOffline = health === 'ok' || health === 'changed';
  return { cache: 'cached', health, verification: entry.verification, isAvailableOffline, ...pinned };
}
