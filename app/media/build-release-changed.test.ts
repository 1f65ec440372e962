import { existsSync } from 'node:fs';
import { readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bootkitInitramfs, dummyKernel, INITRAMFS_NAME, KERNEL_NAME, writeReleaseDir } from '../release/testing/synthetic-release';
import { prepareBuild } from './build';
import { extractIso, sha256, useMediaLab } from './testing/media-oracles';
import { writeIso } from './write-iso';

// The manifest's release hashes come from the prepared release, not from the bytes as they stream:
// a release file replaced between preparing and writing must fail the build, never ship bytes the
// manifest does not describe.

const lab = useMediaLab('emt-changed-');
let release: string;

beforeAll(async () => {
  release = await writeReleaseDir(join(lab.root, 'emb_uos_x86_64_20260526'), { [KERNEL_NAME]: dummyKernel(), [INITRAMFS_NAME]: await bootkitInitramfs() });
});

describe('release files and the manifest', () => {
  it('writes the prepared hashes, which are the hashes of the files on the ISO', async () => {
    const prepared = await prepareBuild({ release: { kind: 'directory', path: release }, kitDir: lab.kit, cacheDir: join(lab.root, 'cache') });
    const out = join(lab.root, 'ok.iso');
    try {
      const result = await writeIso(prepared.plan, out);
      extractIso(out, join(lab.root, 'ok'));
      const onIso = (p: string) => readFile(join(lab.root, 'ok', p)).then(sha256);
      expect(result.manifest.release.initramfs.sha256).toBe(await onIso('boot/initrd'));
      expect(result.manifest.release.kernel.sha256).toBe(await onIso('boot/vmlinuz'));
      expect(result.manifest.release.initramfs.sha256).toBe(sha256(await readFile(join(release, INITRAMFS_NAME))));
    } finally {
      await prepared.dispose();
    }
  });

  it('fails with E_RELEASE_CHANGED, leaving no file, when the initramfs is replaced after it was prepared', async () => {
    const prepared = await prepareBuild({ release: { kind: 'directory', path: release }, kitDir: lab.kit, cacheDir: join(lab.root, 'cache') });
    const initramfs = join(release, INITRAMFS_NAME);
    const bytes = await readFile(initramfs);
    // Same size, other bytes, a later time: what a copy over the file leaves.
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    await writeFile(initramfs, bytes);
    await utimes(initramfs, new Date(), new Date(Date.now() + 60_000));
    const out = join(lab.root, 'changed.iso');
    try {
      await expect(writeIso(prepared.plan, out)).rejects.toMatchObject({ code: 'E_RELEASE_CHANGED' });
      expect(existsSync(out)).toBe(false);
      expect(existsSync(`${out}.part`)).toBe(false);
    } finally {
      await prepared.dispose();
    }
  });
});
