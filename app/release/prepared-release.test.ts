import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepareRelease } from './prepared-release';
import { bootkitInitramfs, dummyKernel, INITRAMFS_NAME, KERNEL_NAME, writeReleaseTarball } from './testing/synthetic-release';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emt-prepared-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function tarball(name: string): Promise<string> {
  return writeReleaseTarball(join(dir, name), { [KERNEL_NAME]: dummyKernel(), [INITRAMFS_NAME]: await bootkitInitramfs() }, join(dir, `work-${name}`));
}

describe('prepareRelease', () => {
  it('reads and inspects a release once, then serves the next build from the cache', async () => {
    const cacheDir = join(dir, 'cache');
    const path = await tarball('emb_uos_x86_64_20260526.tar.gz');
    const first = await prepareRelease({ kind: 'tarball', path }, { cacheDir });
    expect(first.isFromCache).toBe(false);
    const second = await prepareRelease({ kind: 'tarball', path }, { cacheDir });
    expect(second.isFromCache).toBe(true);
    expect(second.files.initramfs.path).toBe(first.files.initramfs.path);
    expect(second.inspection.layout).toBe('bootkit');
    expect(second.inspection.initramfs.hooksDir).toBe(first.inspection.initramfs.hooksDir);
    // Sets and maps survive the round trip through JSON.
    expect(second.inspection.initramfs.base.symlinks.get('/lib')).toBe(first.inspection.initramfs.base.symlinks.get('/lib'));
    expect([...second.inspection.rootfs!.base.dirs].sort()).toEqual([...first.inspection.rootfs!.base.dirs].sort());
  });

  it('hashes the kernel and initramfs once, and keeps the hashes with the prepared form', async () => {
    const cacheDir = join(dir, 'cache');
    const path = await tarball('emb_uos_x86_64_20260526.tar.gz');
    const first = await prepareRelease({ kind: 'tarball', path }, { cacheDir });
    const sha = async (p: string) => createHash('sha256').update(await readFile(p)).digest('hex');
    expect(first.files.kernel.sha256).toBe(await sha(first.files.kernel.path));
    expect(first.files.initramfs.sha256).toBe(await sha(first.files.initramfs.path));
    const second = await prepareRelease({ kind: 'tarball', path }, { cacheDir });
    expect(second.isFromCache).toBe(true);
    expect(second.files.initramfs.sha256).toBe(first.files.initramfs.sha256);
    expect(second.files.kernel.sha256).toBe(first.files.kernel.sha256);
  });

  it('prepares again when the release file changed, or a kept file was altered', async () => {
    const cacheDir = join(dir, 'cache');
    const path = await tarball('emb_uos_x86_64_20260526.tar.gz');
    const first = await prepareRelease({ kind: 'tarball', path }, { cacheDir });
    await utimes(path, new Date(), new Date(Date.now() + 5000));
    expect((await prepareRelease({ kind: 'tarball', path }, { cacheDir })).isFromCache).toBe(false);
    const key = 'k'.repeat(32);
    const keyed = await prepareRelease({ kind: 'tarball', path }, { cacheDir, contentKey: key });
    await utimes(keyed.files.initramfs.path, new Date(), new Date(Date.now() + 9000));
    expect((await prepareRelease({ kind: 'tarball', path }, { cacheDir, contentKey: key })).isFromCache).toBe(false);
    expect(first.files.kernel.size).toBeGreaterThan(0);
  });

  it('two builds preparing the same release at once end up with one prepared form, neither replaced under the other', async () => {
    const cacheDir = join(dir, 'cache');
    const path = await tarball('emb_uos_x86_64_20260526.tar.gz');
    const [a, b] = await Promise.all([prepareRelease({ kind: 'tarball', path }, { cacheDir }), prepareRelease({ kind: 'tarball', path }, { cacheDir })]);
    expect(a.files.initramfs.path).toBe(b.files.initramfs.path);
    for (const p of [a, b]) {
      for (const f of [p.files.kernel, p.files.initramfs]) {
        const st = await stat(f.path);
        expect([st.size, st.mtimeMs]).toEqual([f.size, f.mtimeMs]);
      }
    }
    expect((await readdir(join(cacheDir, 'prepared'))).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
  });

  it('keeps only the newest few prepared releases, and any used in the last minutes (another build may be streaming it)', async () => {
    const cacheDir = join(dir, 'cache');
    const kept = async () => (await readdir(join(cacheDir, 'prepared'))).filter((n) => !n.startsWith('.'));
    for (let i = 0; i < 6; i++) await prepareRelease({ kind: 'tarball', path: await tarball(`emb_uos_x86_64_2026050${i}.tar.gz`) }, { cacheDir });
    expect(await kept()).toHaveLength(6);
    // Used an hour ago, one after the other: the oldest go.
    const names = await kept();
    for (const [i, n] of names.entries()) await utimes(join(cacheDir, 'prepared', n, 'prepared.json'), new Date(), new Date(Date.now() - 3_600_000 - i * 1000));
    await prepareRelease({ kind: 'tarball', path: await tarball('emb_uos_x86_64_20260509.tar.gz') }, { cacheDir });
    expect(await kept()).toHaveLength(4);
  });

  it('without a cache folder, unpacks to a temporary folder that dispose removes', async () => {
    const path = await tarball('emb_uos_x86_64_20260526.tar.gz');
    const p = await prepareRelease({ kind: 'tarball', path });
    expect(p.isFromCache).toBe(false);
    await p.dispose();
    await expect(readdir(join(p.files.initramfs.path, '..'))).rejects.toThrow();
  });
});
