import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromBuffer, readAll, type ByteSource } from '../byte-source';
import { fatImage, type FatImageSpec } from './fat-image';
import { patternBytes, sha256, tool, withTempDir, writeImage } from './image-test-support';

const MIB = 1024 * 1024;

/** A source that announces a size and must never be read (for refusals decided up front). */
function unread(size: number): ByteSource {
  return { size, stream: () => { throw new Error('must not be streamed'); } };
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
  return 'no error';
}

const base = (over: Partial<FatImageSpec>): FatImageSpec => ({ volumeId: 1, files: [], ...over });

describe('fatImage refuses what FAT cannot hold', () => {
  it('a file of 4 GiB or more, pointing at exFAT', () => {
    expect(() => fatImage(base({ files: [{ path: 'os/image.raw.gz', content: unread(2 ** 32) }] }))).toThrow(/image\.raw\.gz is 4294967296 bytes.*at most 4294967295/);
    try {
      fatImage(base({ files: [{ path: 'big', content: unread(5 * 2 ** 30) }] }));
    } catch (e) {
      expect(e).toMatchObject({ code: 'E_FAT_FILE_TOO_LARGE', hint: expect.stringContaining('exFAT') });
    }
    expect(codeOf(() => fatImage(base({ files: [{ path: 'max', content: unread(2 ** 32 - 1) }] })))).toBe('no error');
  });

  it.each([
    ['a:b.txt', 'E_FAT_BAD_NAME'],
    ['what?', 'E_FAT_BAD_NAME'],
    ['trailing.', 'E_FAT_BAD_NAME'],
    ['trailing ', 'E_FAT_BAD_NAME'],
    ['ctrl\u0001char', 'E_FAT_BAD_NAME'],
    ['x'.repeat(256), 'E_FAT_BAD_NAME'],
    ['bad\ud800surrogate', 'E_FAT_BAD_NAME'],
    ['a/../b', 'E_FAT_BAD_PATH'],
    ['a//b', 'E_FAT_BAD_PATH'],
    ['', 'E_FAT_BAD_PATH'],
  ])('the name %j (%s)', (path, code) => {
    expect(codeOf(() => fatImage(base({ files: [{ path, content: fromBuffer(Buffer.from('x')) }] })))).toBe(code);
  });

  it('names that are the same to FAT, which ignores case, and a path that is both file and folder', () => {
    const x = fromBuffer(Buffer.from('x'));
    expect(() => fatImage(base({ files: [{ path: 'EFI/BOOT/a.efi', content: x }, { path: 'EFI/BOOT/A.EFI', content: x }] }))).toThrow(/"a\.efi" and "A\.EFI" in \/EFI\/BOOT are the same name on FAT/);
    expect(() => fatImage(base({ files: [{ path: 'EFI/a', content: x }, { path: 'efi/b', content: x }] }))).toThrow(/"EFI" and "efi" in \/ are the same name/);
    expect(codeOf(() => fatImage(base({ files: [{ path: 'Ärger', content: x }, { path: 'äRGER', content: x }] })))).toBe('E_FAT_DUPLICATE_NAME');
    expect(codeOf(() => fatImage(base({ files: [{ path: 'a', content: x }, { path: 'a/b', content: x }] })))).toBe('E_FAT_PATH_CONFLICT');
    expect(codeOf(() => fatImage(base({ dirs: [{ path: 'a' }], files: [{ path: 'a', content: x }] })))).toBe('E_FAT_PATH_CONFLICT');
    expect(codeOf(() => fatImage(base({ files: [{ path: 'same', content: x }, { path: '/same', content: x }] })))).toBe('E_FAT_DUPLICATE_NAME');
  });

  it('contents that do not fit the requested size, saying both numbers', () => {
    const spec = base({ size: MIB, files: [{ path: 'big', content: unread(2 * MIB) }] });
    expect(() => fatImage(spec)).toThrow(/need a FAT image of 3145728 bytes \(in whole MiB\), but the requested size is 1048576 bytes/);
    const needed = 3 * MIB;
    expect(codeOf(() => fatImage({ ...spec, size: needed }))).toBe('no error');
  });

  it('sizes and types that make no valid FAT, and bad labels', () => {
    expect(codeOf(() => fatImage(base({ size: 16 * MIB, fatType: 32 })))).toBe('E_FAT_BAD_SIZE');
    expect(codeOf(() => fatImage(base({ size: 4 * MIB, fatType: 16 })))).toBe('E_FAT_BAD_SIZE');
    expect(codeOf(() => fatImage(base({ size: MIB + 100 })))).toBe('E_FAT_BAD_SIZE');
    expect(codeOf(() => fatImage(base({ label: 'lower' })))).toBe('E_FAT_LABEL');
    expect(codeOf(() => fatImage(base({ label: 'TWELVE_CHARS' })))).toBe('E_FAT_LABEL');
    expect(codeOf(() => fatImage(base({ label: ' LEADING' })))).toBe('E_FAT_LABEL');
    expect(codeOf(() => fatImage(base({ volumeId: 2 ** 32 })))).toBe('E_FAT_VOLUME_ID');
    expect(codeOf(() => fatImage(base({ partitionOffset: 1000 })))).toBe('E_FAT_BAD_OFFSET');
  });

  it('a root folder too big for the FAT12/16 root region: FAT32 when the type is free, an error when forced', () => {
    // 16,381 names of 4 entries each (3 long-name entries + the short one): 65,524 > 65,520.
    const files = Array.from({ length: 16_381 }, (_, i) => ({ path: `A file with a long name ${i}.txt`, content: unread(0) }));
    const t0 = performance.now();
    expect(fatImage(base({ files })).layout.fatType).toBe(32);
    expect(performance.now() - t0).toBeLessThan(10_000); // one `~N` search per name, not per name pair (90 s)
    expect(codeOf(() => fatImage(base({ files, fatType: 16 })))).toBe('E_FAT_DIR_TOO_LARGE');
  });

  it('a source that yields other than the size it announced', async () => {
    const liar: ByteSource = { size: 1000, async *stream() { yield Buffer.alloc(900); } };
    const image = fatImage(base({ files: [{ path: 'changing.log', content: liar }] }));
    await expect(readAll(image)).rejects.toMatchObject({ code: 'E_FAT_SOURCE_CHANGED', message: expect.stringContaining('changing.log was 1000 bytes when the image was planned but 900') });
  });
});

describe('unusedRanges', () => {
  it('lists exactly the free clusters and the tail but the last MiB, which the stream yields as zeros', async () => {
    const content = patternBytes(3 * MIB + 5, 9);
    const image = fatImage(base({ size: 64 * MIB, files: [{ path: 'data.bin', content: fromBuffer(content) }] }));
    const { clusterCount, usedClusters, clusterSize, dataOffset } = image.layout;
    const unused = image.unusedRanges.reduce((n, r) => n + r.length, 0);
    expect(image.unusedRanges[0]!.offset).toBe(dataOffset + usedClusters * clusterSize);
    // Free clusters and the tail, except the last MiB, which is written (stale signatures).
    expect(unused).toBe(image.size - MIB - dataOffset - usedClusters * clusterSize);
    expect(unused).toBeGreaterThan((clusterCount - usedClusters) * clusterSize - MIB - 1);
    const bytes = await readAll(image, 128 * MIB);
    const tail = bytes.subarray(image.unusedRanges[0]!.offset);
    expect(tail.equals(Buffer.alloc(tail.length))).toBe(true);
  });

  it('holds nothing a reader needs: junk written there still checks clean and reads back the same; skipped, the file stays sparse', async () => {
    await withTempDir(async (dir) => {
      const content = patternBytes(MIB + 123, 5);
      const image = fatImage(base({ size: 256 * MIB, label: 'DATA', files: [{ path: 'user-apps/app.tar', content: fromBuffer(content) }] }));
      for (const [name, junk] of [['junk.img', true], ['sparse.img', false]] as const) {
        const img = join(dir, name);
        await writeImage(image, img, { skip: image.unusedRanges, junk });
        const fsck = tool('fsck.fat', ['-n', img]);
        expect(fsck.status, fsck.stdout).toBe(0);
        const back = tool('sh', ['-c', 'mtype -i "$1" ::/user-apps/app.tar | sha256sum', 'sh', img]);
        expect(back.stdout.slice(0, 64)).toBe(await sha256(fromBuffer(content)));
        if (!junk) expect((await stat(img)).blocks * 512).toBeLessThan(8 * MIB);
      }
    });
  });
});
