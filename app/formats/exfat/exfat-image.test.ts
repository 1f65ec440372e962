import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromBuffer, readAll, type ByteSource } from '../byte-source';
import type { ImageFile } from '../fat/image-tree';
import { bufferAccess, patternBytes, sha256, tool, withTempDir, writeImage } from '../fat/image-test-support';
import { exfatImage, type ExfatImageSpec } from './exfat-image';
import { openExfat } from './exfat-reader';

const MTIME = new Date('2025-06-01T12:34:56Z');
const MIB = 1024 * 1024;

function sampleFiles(): Array<ImageFile & { bytes: Buffer }> {
  const files: Array<[string, Buffer]> = [
    ['edge-readonly-3.0.20250717.raw.gz', patternBytes(2 * MIB + 17, 1)],
    ['edge-readonly-3.0.20250717.raw.gz.sha256sum', Buffer.from('0123abcd  edge-readonly-3.0.20250717.raw.gz\n')],
    ['config-file', Buffer.from('user_name="tech"\n')],
    ['.psswd', Buffer.from('passwd=secret\n')],
    ['user-apps/A name longer than fifteen characters — ünïcödé ✓.txt', Buffer.from('u')],
    ['user-apps/deep/er/still/leaf.bin', patternBytes(40_000, 2)],
    ['empty', Buffer.alloc(0)],
  ];
  // 150 entry sets of 3 entries: the folder spans several 4 KiB clusters.
  for (let i = 0; i < 150; i++) files.push([`many/file number ${i}.dat`, patternBytes(i * 31, 10 + i)]);
  return files.map(([path, bytes]) => ({ path, content: fromBuffer(bytes), bytes }));
}

function spec(over: Partial<ExfatImageSpec> = {}): ExfatImageSpec {
  return { label: 'EMT DATA ✓', volumeId: 0xdeadbeef, files: sampleFiles(), dirs: [{ path: 'empty-dir' }], mtime: MTIME, ...over };
}

/** fsck.exfat finds nothing to fix; our reader lists the tree and reads every file back. */
async function expectValid(s: ExfatImageSpec, dir: string, name = 'exfat.img'): Promise<void> {
  const img = join(dir, name);
  const image = exfatImage(s);
  await writeImage(image, img);
  const fsck = tool('fsck.exfat', ['-n', img]);
  expect(fsck.status, fsck.stdout + fsck.stderr).toBe(0);
  expect(fsck.stdout).toMatch(/clean/);
  const bytes = await readAll(image, 64 * MIB);
  const v = await openExfat(bufferAccess(bytes));
  expect(v.label).toBe(s.label ?? '');
  const files = (await v.list()).filter((e) => !e.isDirectory);
  expect(files.map((f) => f.path).sort()).toEqual((s.files as Array<ImageFile>).map((f) => `/${f.path}`).sort());
  for (const f of s.files as Array<ImageFile & { bytes: Buffer }>) {
    // The layout says where the bytes are: check them there too, independently of our reader.
    const at = image.layout.files.find((x) => x.path === `/${f.path}`);
    if (f.bytes.length > 0) expect(bytes.subarray(at!.offset, at!.offset + f.bytes.length).equals(f.bytes), f.path).toBe(true);
    expect((await readAll(await v.file(f.path))).equals(f.bytes), f.path).toBe(true);
  }
}

describe('exfatImage, checked by fsck.exfat', () => {
  it('long and Unicode names, nested and empty folders, empty files, a folder over several clusters', async () => {
    await withTempDir((dir) => expectValid(spec(), dir));
  });

  it('with any cluster size, and sized like mkfs.exfat would lay it out', async () => {
    await withTempDir(async (dir) => {
      for (const clusterSize of [512, 128 * 1024]) await expectValid(spec({ clusterSize }), dir, `c${clusterSize}.img`);
      const big = exfatImage(spec({ size: 1024 * MIB }));
      // mkfs.exfat for 1 GiB: 32 KiB clusters, FAT at 1 MiB, heap at 2 MiB, 32704 clusters.
      expect(big.layout).toMatchObject({ clusterSize: 32 * 1024, fatOffset: MIB, heapOffset: 2 * MIB, clusterCount: 32704 });
      const img = join(dir, 'big.img');
      await writeImage(big, img, { skip: big.unusedRanges });
      expect((await stat(img)).blocks * 512).toBeLessThan(16 * MIB);
      const fsck = tool('fsck.exfat', ['-n', img]);
      expect(fsck.status, fsck.stdout).toBe(0);
    });
  });

  it('is deterministic: same spec, same bytes, whatever the order of the files', async () => {
    const a = await sha256(exfatImage(spec()));
    const shuffled = spec();
    shuffled.files = [...shuffled.files].reverse();
    expect(await sha256(exfatImage(shuffled))).toBe(a);
    expect(await sha256(exfatImage(spec({ volumeId: 1 })))).not.toBe(a);
  });

  it('sizes itself to fit by default, in whole MiB with a little slack', () => {
    const image = exfatImage(spec());
    expect(image.size % MIB).toBe(0);
    expect(image.size).toBeLessThanOrEqual(6 * MIB);
    const { clusterCount, usedClusters, clusterSize } = image.layout;
    expect((clusterCount - usedClusters) * clusterSize).toBeGreaterThanOrEqual(64 * 1024);
  });

  it('leaves junk in unusedRanges harmless', async () => {
    await withTempDir(async (dir) => {
      const image = exfatImage(spec({ size: 64 * MIB }));
      const img = join(dir, 'junk.img');
      await writeImage(image, img, { skip: image.unusedRanges, junk: true });
      expect(tool('fsck.exfat', ['-n', img]).status).toBe(0);
    });
  });
});

describe('exfatImage refuses what it cannot make', () => {
  const unread = (size: number): ByteSource => ({ size, stream: () => { throw new Error('must not be streamed'); } });
  const codeOf = (s: Partial<ExfatImageSpec>): string => {
    try {
      exfatImage({ volumeId: 1, files: [], ...s });
      return 'no error';
    } catch (e) {
      return (e as { code: string }).code;
    }
  };
  const x = fromBuffer(Buffer.from('x'));

  it('bad names, names equal to exFAT (case folded by the up-case table), a file where a folder is', () => {
    expect(codeOf({ files: [{ path: 'a|b', content: x }] })).toBe('E_EXFAT_BAD_NAME');
    expect(codeOf({ files: [{ path: 'Ärger', content: x }, { path: 'äRGER', content: x }] })).toBe('E_EXFAT_DUPLICATE_NAME');
    expect(codeOf({ files: [{ path: 'a', content: x }, { path: 'a/b', content: x }] })).toBe('E_EXFAT_PATH_CONFLICT');
  });

  it('a size that is too small (saying both numbers) or not whole sectors; a bad label or cluster size', () => {
    expect(() => exfatImage({ volumeId: 1, size: 8 * MIB, files: [{ path: 'os.raw.gz', content: unread(5 * 2 ** 30) }] })).toThrow(/need an exFAT image of \d+ bytes \(in whole MiB\), but the requested size is 8388608 bytes/);
    expect(codeOf({ size: 8 * MIB + 1 })).toBe('E_EXFAT_BAD_SIZE');
    expect(codeOf({ size: MIB })).toBe('E_EXFAT_BAD_SIZE');
    expect(codeOf({ label: 'twelve chars' })).toBe('E_EXFAT_LABEL');
    expect(codeOf({ clusterSize: 3000 })).toBe('E_EXFAT_CLUSTER_SIZE');
  });

  it('takes a file over 4 GiB, which FAT cannot', () => {
    const image = exfatImage({ volumeId: 1, files: [{ path: 'os.raw.gz', content: unread(4.5 * 2 ** 30) }] });
    expect(image.layout.clusterSize).toBe(32 * 1024);
    expect(image.size).toBeGreaterThan(4.5 * 2 ** 30);
  });
});
