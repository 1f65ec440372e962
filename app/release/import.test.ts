import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmtError } from '../errors';
import { openCache } from './cache';
import { useCachedRelease } from './cache-use';
import { importRelease } from './import';
import { listReleases } from './catalog-list';
import { makeHarness, randomFile, type Harness } from './testing/harness';

let h: Harness;
let kernel: string;
let initrd: string;
let tarball: string;

/**
 * A real but simple content check (read-release.ts will replace it): a gzip'd tar whose top level
 * lists one vmlinuz-* and one initramfs-*, walked header by header (POSIX ustar: name at 0,
 * size in octal at 124, prefix at 345); or a folder whose initramfs is a gzip'd newc cpio.
 */
async function simpleValidate(path: string): Promise<void> {
  const names: string[] = [];
  if ((await stat(path)).isDirectory()) {
    const files = await readdir(path);
    const initramfs = files.find((f) => f.startsWith('initramfs'));
    if (!files.some((f) => f.startsWith('vmlinuz-')) || !initramfs) throw invalid('no kernel or initramfs');
    const head = await firstGunzipped(join(path, initramfs), 6);
    if (head.toString('latin1') !== '070701') throw invalid('the initramfs is not a newc cpio');
    return;
  }
  let buf = Buffer.alloc(0);
  let skip = 0;
  for await (const c of createReadStream(path).pipe(createGunzip())) {
    buf = Buffer.concat([buf, c as Buffer]);
    while (buf.length >= 512) {
      if (skip > 0) {
        const n = Math.min(skip, buf.length);
        buf = buf.subarray(n);
        skip -= n;
        continue;
      }
      const header = buf.subarray(0, 512);
      buf = buf.subarray(512);
      if (header.every((b) => b === 0)) continue;
      const field = (from: number, len: number) => header.subarray(from, from + len).toString('latin1').replace(/\0.*$/s, '');
      const name = (field(345, 155) ? `${field(345, 155)}/` : '') + field(0, 100);
      const size = parseInt(field(124, 12).trim() || '0', 8);
      names.push(name.replace(/^\.\//, ''));
      skip = Math.ceil(size / 512) * 512;
    }
  }
  const top = names.filter((n) => n && !n.includes('/'));
  if (top.filter((n) => n.startsWith('vmlinuz-')).length !== 1 || top.filter((n) => n.startsWith('initramfs-')).length !== 1) throw invalid(`top level is ${top.join(', ')}`);
}

function invalid(why: string): EmtError {
  return new EmtError('E_RELEASE_INVALID', `Not a Bootkit release: ${why}.`, 'Pick the tarball as published.');
}

async function firstGunzipped(path: string, n: number): Promise<Buffer> {
  for await (const c of createReadStream(path).pipe(createGunzip())) return (c as Buffer).subarray(0, n);
  return Buffer.alloc(0);
}

beforeEach(async () => {
  h = await makeHarness();
  const src = join(h.dir, 'src');
  await mkdir(join(src, 'root'), { recursive: true });
  await writeFile(join(src, 'root', 'init'), '#!/bin/sh\n');
  kernel = join(src, 'vmlinuz-6.12.0.emt3');
  initrd = join(src, 'initramfs-6.12.0.emt3.img');
  await writeFile(kernel, randomFile(200_000).bytes);
  execFileSync('sh', ['-c', `cd root && echo init | cpio -o -H newc --quiet | gzip > ${initrd}`], { cwd: src });
  tarball = join(h.dir, 'emb_uos_x86_64_20260526.tar.gz');
  execFileSync('tar', ['-czf', tarball, '-C', src, 'vmlinuz-6.12.0.emt3', 'initramfs-6.12.0.emt3.img']);
});
afterEach(async () => {
  await h.cleanup();
});

describe('import', () => {
  it('copies a tarball into the cache with its hash, checked, and usable offline', async () => {
    const { entry } = await importRelease({ settings: h.settings, env: h.env, path: tarball, validate: simpleValidate });
    const sha = createHash('sha256').update(await readFile(tarball)).digest('hex');
    expect(entry).toMatchObject({ id: `import-${sha.slice(0, 12)}`, verification: 'imported', origin: { type: 'import', mode: 'copy' }, files: [{ role: 'tarball', sha256: sha }] });
    expect(entry.files[0]!.path).toBeUndefined();
    const list = await listReleases(h.settings, { env: h.env, isOffline: true });
    expect(list.releases.find((r) => r.id === entry.id)).toMatchObject({ sources: ['cache'], cache: 'cached', isAvailableOffline: true, verification: 'imported' });
  });

  it('imports a folder or a kernel+initramfs pair, by copy or in place', async () => {
    const folder = join(h.dir, 'src');
    const copied = await importRelease({ settings: h.settings, env: h.env, path: folder, id: 'my-folder', validate: simpleValidate });
    expect(copied.entry.files.map((f) => [f.role, f.name])).toEqual([
      ['kernel', 'vmlinuz-6.12.0.emt3'],
      ['initramfs', 'initramfs-6.12.0.emt3.img'],
    ]);
    const other = join(h.dir, 'elsewhere.img');
    await writeFile(other, await readFile(initrd));
    const pair = await importRelease({ settings: h.settings, env: h.env, path: kernel, initramfs: other, mode: 'reference', id: 'my-pair', validate: simpleValidate });
    expect(pair.entry.files.map((f) => f.path)).toEqual([kernel, other]);
    const cache = await openCache(h.settings, h.env);
    expect((await cache.list()).entries.find((e) => e.entry.id === 'my-pair')!.bytesInCache).toBe(0);
    const inUse = await useCachedRelease(cache, 'my-pair');
    expect(inUse.files.map((f) => f.absolutePath)).toEqual([kernel, other]);
    await inUse.release();
    // The links made for the check are gone.
    expect((await readdir(cache.tmpDir)).length).toBe(0);
  });

  it('refuses what is not a release, and keeps nothing of it', async () => {
    const notRelease = join(h.dir, 'notes.tar.gz');
    execFileSync('tar', ['-czf', notRelease, '-C', h.dir, 'catalog.json']);
    await expect(importRelease({ settings: h.settings, env: h.env, path: notRelease, validate: simpleValidate })).rejects.toMatchObject({ code: 'E_RELEASE_INVALID' });
    await writeFile(join(h.dir, 'src', 'vmlinuz-second'), 'x');
    await expect(importRelease({ settings: h.settings, env: h.env, path: join(h.dir, 'src') })).rejects.toMatchObject({ code: 'E_IMPORT_LAYOUT', message: expect.stringContaining('2 kernel(s)') });
    await expect(importRelease({ settings: h.settings, env: h.env, path: join(h.dir, 'missing.tar.gz') })).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    await expect(importRelease({ settings: h.settings, env: h.env, path: tarball, id: 'Bad Id' })).rejects.toMatchObject({ code: 'E_USAGE' });
    const cache = await openCache(h.settings, h.env);
    expect(await readdir(cache.releasesDir)).toEqual([]);
    expect(await readdir(cache.tmpDir)).toEqual([]);
  });
});
