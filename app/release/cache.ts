import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CacheEntrySchema, type CacheEntry, type CachedFile, type CacheListing, type EntryHealth } from '../contract/catalog';
import type { Settings } from '../contract/settings';
import { EmtError } from '../errors';
import { readJsonIfExists, writeJsonAtomic } from '../settings/atomic-json';
import { current, resolveCacheDir } from '../settings/paths';
import { bootId } from './cache-boot';
import { isProcessAlive, planEviction } from './cache-evict';
import { listPins, pinKey } from './cache-pins';
import { listPartials } from './download-part';

/**
 * The release cache: one folder per release under `releases/<id>/` holding its files and an
 * `entry.json`. An entry is made in `tmp/` and renamed into place whole, so a crash leaves either
 * the old entry or the new one, never half of one; a folder without `entry.json` is not a release.
 * `downloads/` holds `.part` files being downloaded, `pins/` the trust-on-first-use hashes,
 * `catalogs/` the last good copy of each remote catalog (for offline use).
 *
 * Metadata is written atomically but not flushed to disk: on ext4 (data=ordered) the first flush
 * after a download also forces the gigabyte just written to disk (measured: 0.9 s per GiB). After
 * a power cut the cache may have forgotten its last changes (a release is downloaded again, a pin
 * is taken again), and files published in an earlier boot are re-hashed before use (cache-boot.ts):
 * it never holds a half-written or unverified release.
 */
/** Atomic, not flushed (see above). */
export const LAZY = { isDurable: false };

export class ReleaseCache {
  readonly releasesDir: string;
  readonly downloadsDir: string;
  readonly pinsDir: string;
  readonly catalogsDir: string;
  readonly tmpDir: string;

  constructor(
    readonly dir: string,
    readonly limitBytes: number | null,
  ) {
    this.releasesDir = join(dir, 'releases');
    this.downloadsDir = join(dir, 'downloads');
    this.pinsDir = join(dir, 'pins');
    this.catalogsDir = join(dir, 'catalogs');
    this.tmpDir = join(dir, 'tmp');
  }

  async init(): Promise<this> {
    for (const d of [this.releasesDir, this.downloadsDir, this.pinsDir, this.catalogsDir, this.tmpDir]) await mkdir(d, { recursive: true });
    return this;
  }

  entryDir(id: string): string {
    return join(this.releasesDir, id);
  }

  filePath(entry: CacheEntry, file: CachedFile): string {
    return file.path ?? join(this.entryDir(entry.id), file.name);
  }

  async get(id: string): Promise<CacheEntry | null> {
    let raw: unknown;
    try {
      raw = await readJsonIfExists(join(this.entryDir(id), 'entry.json'));
    } catch {
      return null; // unreadable metadata is not a release; `cache rm` can still delete the folder
    }
    const parsed = raw === null ? null : CacheEntrySchema.safeParse(raw);
    return parsed?.success && parsed.data.id === id ? parsed.data : null;
  }

  async entries(): Promise<CacheEntry[]> {
    const ids = await readdirOrEmpty(this.releasesDir);
    const out: CacheEntry[] = [];
    for (const id of ids.sort()) {
      const e = await this.get(id);
      if (e) out.push(e);
    }
    return out;
  }

  /** Cheap check (sizes and times, no hashing): can this entry be used as it is? */
  async health(entry: CacheEntry): Promise<EntryHealth> {
    if (entry.lastCheck && !entry.lastCheck.isOk) return 'corrupt';
    let health: EntryHealth = entry.unflushedBootId && entry.unflushedBootId !== bootId() ? 'changed' : 'ok';
    for (const f of entry.files) {
      const s = await stat(this.filePath(entry, f)).catch(() => null);
      if (!s) return 'missing';
      // Within a millisecond: copying tools and some filesystems keep no finer time.
      if (s.size !== f.size || Math.abs(s.mtimeMs - f.mtimeMs) >= 1) health = 'changed';
    }
    return health;
  }

  async isInUse(id: string): Promise<boolean> {
    const names = await readdirOrEmpty(this.entryDir(id));
    return names.some((n) => {
      const m = /^\.lease-(\d+)-/.exec(n);
      return m !== null && isProcessAlive(Number(m[1]));
    });
  }

  async list(): Promise<CacheListing> {
    await this.sweep();
    const pins = new Map((await listPins(this.pinsDir)).map((p) => [pinKey(p.id, p.url), p] as const));
    const entries = [];
    for (const entry of await this.entries()) {
      const pin = entry.origin.type === 'download' ? pins.get(pinKey(entry.id, entry.origin.url)) : undefined;
      entries.push({ entry, health: await this.health(entry), bytesInCache: bytesInCache(entry), isInUse: await this.isInUse(entry.id), ...(pin ? { pin } : {}) });
    }
    return {
      dir: this.dir,
      limitBytes: this.limitBytes,
      usedBytes: entries.reduce((n, e) => n + e.bytesInCache, 0),
      entries,
      partials: await listPartials(this.downloadsDir),
    };
  }

  /**
   * Mark a release as in use (a build reads it) until `release()` is called: eviction and removal
   * leave it alone, in this process and in any other (the lease is a file with our pid).
   */
  async lease(id: string): Promise<{ entry: CacheEntry; release: () => Promise<void> }> {
    const entry = await this.get(id);
    if (!entry) throw notCached(id);
    const file = join(this.entryDir(id), `.lease-${process.pid}-${randomBytes(4).toString('hex')}`);
    await writeFile(file, '');
    await this.touch(id);
    return { entry, release: () => rm(file, { force: true }) };
  }

  async touch(id: string, at = new Date()): Promise<void> {
    const entry = await this.get(id);
    if (entry) await writeJsonAtomic(join(this.entryDir(id), 'entry.json'), { ...entry, lastUsedAt: at.toISOString() }, LAZY);
  }

  /** Rewrite an entry's metadata in place (after a verify). */
  async update(entry: CacheEntry): Promise<void> {
    await writeJsonAtomic(join(this.entryDir(entry.id), 'entry.json'), CacheEntrySchema.parse(entry), LAZY);
  }

  /** A fresh folder in `tmp/` to assemble an entry in; `commit` moves it into place. */
  async stage(): Promise<string> {
    const d = join(this.tmpDir, `${process.pid}-${randomBytes(6).toString('hex')}`);
    await mkdir(d, { recursive: true });
    return d;
  }

  /** Publish a staged entry: write its metadata, then swap the folder in with one rename. */
  async commit(stageDir: string, entry: CacheEntry): Promise<void> {
    await writeJsonAtomic(join(stageDir, 'entry.json'), CacheEntrySchema.parse(entry), LAZY);
    const target = this.entryDir(entry.id);
    if (await this.isInUse(entry.id)) throw inUse(entry.id);
    const old = join(this.tmpDir, `${process.pid}-${randomBytes(6).toString('hex')}-old`);
    const hadOld = await rename(target, old).then(
      () => true,
      (e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return false;
        throw e;
      },
    );
    await rename(stageDir, target);
    if (hadOld) await rm(old, { recursive: true, force: true });
  }

  /** Delete a release and any partial download of it. False when there was nothing. */
  async remove(id: string): Promise<boolean> {
    if (await this.isInUse(id)) throw inUse(id);
    const dir = this.entryDir(id);
    // Metadata first: from this instant on the folder is no release, whatever happens next.
    const hadEntry = await unlink(join(dir, 'entry.json')).then(
      () => true,
      () => false,
    );
    const hadDir = await stat(dir).then(
      () => true,
      () => false,
    );
    await rm(dir, { recursive: true, force: true });
    let hadPartial = false;
    for (const p of await listPartials(this.downloadsDir)) {
      if (p.id !== id) continue;
      hadPartial = true;
      for (const ext of ['.part', '.json', '.lock']) await rm(join(this.downloadsDir, `${p.key}${ext}`), { force: true });
    }
    return hadEntry || hadDir || hadPartial;
  }

  /** Evict least-recently-used releases until the cache fits its limit. Returns the evicted ids. */
  async evict(keep: readonly string[] = []): Promise<string[]> {
    const candidates = [];
    for (const entry of await this.entries()) {
      const isProtected = keep.includes(entry.id) || (await this.isInUse(entry.id));
      candidates.push({ id: entry.id, bytes: bytesInCache(entry), lastUsedAt: entry.lastUsedAt, isProtected });
    }
    const ids = planEviction(candidates, this.limitBytes);
    for (const id of ids) await this.remove(id);
    return ids;
  }

  /** Remove what crashed processes left in `tmp/` (half-made entries). */
  async sweep(): Promise<void> {
    for (const name of await readdirOrEmpty(this.tmpDir)) {
      const pid = Number(/^(\d+)-/.exec(name)?.[1]);
      if (pid && !isProcessAlive(pid)) await rm(join(this.tmpDir, name), { recursive: true, force: true });
    }
  }
}

/** The cache the settings name (EMT_CACHE_DIR in `env` wins), created if missing. */
export async function openCache(settings: Settings, env: NodeJS.ProcessEnv = process.env): Promise<ReleaseCache> {
  return new ReleaseCache(resolveCacheDir(settings.cacheDir, current(env)), settings.cacheLimitBytes).init();
}

export function bytesInCache(entry: CacheEntry): number {
  return entry.files.reduce((n, f) => n + (f.path ? 0 : f.size), 0);
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

function notCached(id: string): EmtError {
  return new EmtError('E_CACHE_NOT_FOUND', `The release "${id}" is not in the cache.`, `Download it (emt-media download ${id}) or import it first.`);
}

function inUse(id: string): EmtError {
  return new EmtError('E_CACHE_IN_USE', `The release "${id}" is in use by a build and cannot be changed now.`, 'Wait until the build has finished, then try again.');
}
