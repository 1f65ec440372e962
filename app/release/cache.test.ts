import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CacheEntry } from '../contract/catalog';
import { ReleaseCache } from './cache';
import { planEviction } from './cache-evict';
import { verifyEntry } from './cache-verify';
import { useCachedRelease } from './cache-use';
import { bootId } from './cache-boot';

let dir: string;
let cache: ReleaseCache;
const MIB = 1 << 20;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emt-cache-'));
  cache = await new ReleaseCache(dir, 3 * MIB).init();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A cached release of `size` random bytes, last used at `lastUsedAt`. */
async function put(id: string, size: number, lastUsedAt: string, reference?: string): Promise<CacheEntry> {
  const stage = await cache.stage();
  const bytes = randomBytes(size);
  const path = reference ?? join(stage, 'release.tar.gz');
  await writeFile(path, bytes);
  const s = await stat(path);
  const entry: CacheEntry = {
    schemaVersion: 1,
    id,
    kind: 'bootkit',
    name: 'Bootkit (EMT-Tink)',
    origin: reference ? { type: 'import', path: reference, mode: 'reference' } : { type: 'download', url: `https://h/${id}.tar.gz` },
    files: [{ name: 'release.tar.gz', role: 'tarball', size, sha256: createHash('sha256').update(bytes).digest('hex'), mtimeMs: s.mtimeMs, ...(reference ? { path: reference } : {}) }],
    verification: reference ? 'imported' : 'pinned',
    addedAt: lastUsedAt,
    lastUsedAt,
  };
  await cache.commit(stage, entry);
  return entry;
}

describe('release cache', () => {
  it('evicts the least recently used releases above the limit, never one in use, never the one just added', async () => {
    await put('oldest', MIB, '2026-01-01T00:00:00Z');
    await put('old', MIB, '2026-02-01T00:00:00Z');
    await put('recent', MIB, '2026-03-01T00:00:00Z');
    const lease = await cache.lease('oldest'); // a build reads it (and using it makes it recent)
    await cache.touch('oldest', new Date('2026-01-01T00:00:00Z'));
    await put('new', MIB, '2026-04-01T00:00:00Z');
    expect(await cache.evict(['new'])).toEqual(['old']);
    expect((await cache.entries()).map((e) => e.id)).toEqual(['new', 'oldest', 'recent']);
    await expect(cache.remove('oldest')).rejects.toMatchObject({ code: 'E_CACHE_IN_USE' });
    await lease.release();
    expect(await cache.evict(['new'])).toEqual([]);
    await put('newest', MIB, '2026-05-01T00:00:00Z');
    expect(await cache.evict(['newest'])).toEqual(['oldest']);
  });

  it('plans eviction oldest first, skipping protected and referenced releases, even when the limit cannot be met', () => {
    const c = (id: string, bytes: number, day: number, isProtected = false) => ({ id, bytes, lastUsedAt: `2026-01-0${day}T00:00:00Z`, isProtected });
    expect(planEviction([c('a', 5, 1, true), c('b', 0, 2), c('c', 5, 3), c('d', 5, 4)], 6)).toEqual(['c', 'd']);
    expect(planEviction([c('a', 5, 1)], null)).toEqual([]);
    expect(planEviction([c('a', 5, 1, true)], 1)).toEqual([]);
  });

  it('ignores the lease of a process that is gone', async () => {
    await put('a', 10, '2026-01-01T00:00:00Z');
    await writeFile(join(cache.entryDir('a'), '.lease-2147483600-dead'), '');
    expect(await cache.isInUse('a')).toBe(false);
    expect(await cache.remove('a')).toBe(true);
  });

  it('shows no half-made release: a folder without metadata is not listed, and leftovers of a crash are swept', async () => {
    await put('whole', 10, '2026-01-01T00:00:00Z');
    await mkdir(join(cache.releasesDir, 'half'));
    await writeFile(join(cache.releasesDir, 'half', 'release.tar.gz'), 'partial');
    const crashed = join(cache.tmpDir, '2147483600-abcdef');
    await mkdir(crashed);
    const live = await cache.stage();
    const listing = await cache.list();
    expect(listing.entries.map((e) => e.entry.id)).toEqual(['whole']);
    expect(listing.usedBytes).toBe(10);
    expect(await readdir(cache.tmpDir)).toEqual([live.split('/').pop()]);
    expect(await cache.remove('half')).toBe(true);
  });

  it('finds corruption by re-hashing, marks the release unusable, and clears the mark when it is fixed', async () => {
    const e = await put('a', 64 * 1024, '2026-01-01T00:00:00Z');
    const path = cache.filePath(e, e.files[0]!);
    const before = await stat(path);
    // Flip one byte, keeping size and time: only a hash can see it.
    const fh = await open(path, 'r+');
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, 1000);
    await fh.write(Buffer.from([b[0]! ^ 1]), 0, 1, 1000);
    await fh.close();
    await utimes(path, before.atime, before.mtime);
    expect(await cache.health((await cache.get('a'))!)).toBe('ok');
    const result = await verifyEntry(cache, 'a');
    expect(result).toMatchObject({ isOk: false, files: [{ problem: expect.stringContaining('differs') }] });
    expect(await cache.health((await cache.get('a'))!)).toBe('corrupt');

    const fix = await open(path, 'r+');
    await fix.write(b, 0, 1, 1000);
    await fix.close();
    expect((await verifyEntry(cache, 'a')).isOk).toBe(true);
    expect(await cache.health((await cache.get('a'))!)).toBe('ok');
  });

  it('tells missing and changed referenced files apart, and counts them as taking no room', async () => {
    const outside = join(dir, 'user-folder.tar.gz');
    const e = await put('ref', 1000, '2026-01-01T00:00:00Z', outside);
    expect((await cache.list()).entries[0]).toMatchObject({ health: 'ok', bytesInCache: 0 });
    await utimes(outside, new Date(), new Date(Date.now() + 5000));
    expect(await cache.health(e)).toBe('changed');
    expect((await verifyEntry(cache, 'ref')).isOk).toBe(true);
    expect(await cache.health((await cache.get('ref'))!)).toBe('ok');
    await rm(outside);
    expect(await cache.health(e)).toBe('missing');
    expect(await verifyEntry(cache, 'ref')).toMatchObject({ isOk: false, files: [{ actual: null, problem: expect.stringContaining('missing') }] });
  });

  it('replaces an entry whole when the same id is committed again', async () => {
    await put('a', 10, '2026-01-01T00:00:00Z');
    const second = await put('a', 20, '2026-02-01T00:00:00Z');
    expect(await cache.get('a')).toEqual(second);
    expect((await readdir(cache.tmpDir)).length).toBe(0);
  });

  it('hands a build a leased, checked release, and refuses a missing or corrupt one', async () => {
    const outside = join(dir, 'kernel-pair.tar.gz');
    await put('ref', 1000, '2026-01-01T00:00:00Z', outside);
    const inUse = await useCachedRelease(cache, 'ref');
    expect(inUse.files[0]!.absolutePath).toBe(outside);
    expect(await cache.isInUse('ref')).toBe(true);
    await inUse.release();
    expect(await cache.isInUse('ref')).toBe(false);
    await writeFile(outside, randomBytes(1000));
    await expect(useCachedRelease(cache, 'ref')).rejects.toMatchObject({ code: 'E_CACHE_CORRUPT' });
    await rm(outside);
    await expect(useCachedRelease(cache, 'ref')).rejects.toMatchObject({ code: 'E_CACHE_CORRUPT' });
    await put('gone', 10, '2026-01-01T00:00:00Z', join(dir, 'gone.tar.gz'));
    await rm(join(dir, 'gone.tar.gz'));
    await expect(useCachedRelease(cache, 'gone')).rejects.toMatchObject({ code: 'E_CACHE_MISSING' });
    expect(await cache.isInUse('gone')).toBe(false);
    await expect(useCachedRelease(cache, 'nope')).rejects.toMatchObject({ code: 'E_CACHE_NOT_FOUND' });
  });

  it('re-hashes (and flushes) files published without a flush in an earlier boot before trusting them', async () => {
    const e = await put('a', 1000, '2026-01-01T00:00:00Z');
    await cache.update({ ...e, unflushedBootId: bootId() });
    expect(await cache.health((await cache.get('a'))!)).toBe('ok');
    await cache.update({ ...e, unflushedBootId: 'a-boot-before-a-power-cut' });
    expect(await cache.health((await cache.get('a'))!)).toBe('changed');
    const inUse = await useCachedRelease(cache, 'a');
    await inUse.release();
    const after = (await cache.get('a'))!;
    expect(after.unflushedBootId).toBeUndefined();
    expect(await cache.health(after)).toBe('ok');
  });
});
