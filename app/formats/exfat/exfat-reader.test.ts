import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromBuffer, openRandomAccess, readAll } from '../byte-source';
import { fatImage } from '../fat/fat-image';
import { bufferAccess, patternBytes, tool, withTempDir } from '../fat/image-test-support';
import { exfatImage } from './exfat-image';
import { openExfat } from './exfat-reader';
import { ENTRY, FLAG_NO_FAT_CHAIN, setChecksum, TYPE_FILE } from './entry-sets';

const MIB = 1024 * 1024;
const CLUSTER = 4096;

/** A small image of ours with one file of three clusters, and where that file's entry set is. */
async function oneFileImage(): Promise<{ bytes: Buffer; content: Buffer; setAt: number; first: number; fatAt: number }> {
  const content = patternBytes(3 * CLUSTER - 100, 3);
  const image = exfatImage({ volumeId: 5, files: [{ path: 'f.bin', content: fromBuffer(content) }] });
  const bytes = await readAll(image);
  const root = image.layout.heapOffset + 2 * CLUSTER; // bitmap (1 cluster), up-case (2 clusters), then the root
  let setAt = root;
  while (bytes[setAt] !== TYPE_FILE) setAt += ENTRY;
  const first = (image.layout.files[0]!.offset - image.layout.heapOffset) / CLUSTER + 2;
  return { bytes, content, setAt, first, fatAt: image.layout.fatOffset };
}

function resum(bytes: Buffer, setAt: number): void {
  const set = bytes.subarray(setAt, setAt + (bytes[setAt + 1]! + 1) * ENTRY);
  set.writeUInt16LE(setChecksum(set), 2);
}

describe('openExfat', () => {
  it('reads a volume made by mkfs.exfat: label, serial, empty root', async () => {
    await withTempDir(async (dir) => {
      const img = join(dir, 'mkfs.img');
      expect(tool('truncate', ['-s', '16M', img]).status).toBe(0);
      expect(tool('mkfs.exfat', ['-L', 'MKFS LABEL', img]).status).toBe(0);
      const ra = await openRandomAccess(img);
      try {
        const v = await openExfat(ra);
        expect([v.type, v.label, v.size, v.clusterSize]).toEqual(['exfat', 'MKFS LABEL', 16 * MIB, 4096]);
        expect(v.volumeId).toBe((await ra.read(100, 4)).readUInt32LE(0));
        expect(await v.list()).toEqual([]);
      } finally {
        await ra.close();
      }
    });
  });

  it('follows a FAT chain when the file is not flagged contiguous, also out of order', async () => {
    const { bytes, content, setAt, first, fatAt } = await oneFileImage();
    // Chain first -> first+2 -> first+1 and swap the data of the last two clusters to match.
    bytes[setAt + ENTRY + 1] = bytes[setAt + ENTRY + 1]! & ~FLAG_NO_FAT_CHAIN;
    resum(bytes, setAt);
    bytes.writeUInt32LE(first + 2, fatAt + first * 4);
    bytes.writeUInt32LE(first + 1, fatAt + (first + 2) * 4);
    bytes.writeUInt32LE(0xffffffff, fatAt + (first + 1) * 4);
    const heap = (c: number): number => 2 * MIB + (c - 2) * CLUSTER;
    const b1 = Buffer.from(bytes.subarray(heap(first + 1), heap(first + 2)));
    bytes.copy(bytes, heap(first + 1), heap(first + 2), heap(first + 3));
    b1.copy(bytes, heap(first + 2));
    const v = await openExfat(bufferAccess(bytes));
    expect((await readAll(await v.file('F.BIN'))).equals(content)).toBe(true);
  });

  it('reads zeros past ValidDataLength', async () => {
    const { bytes, content, setAt } = await oneFileImage();
    bytes.writeBigUInt64LE(1000n, setAt + ENTRY + 8);
    resum(bytes, setAt);
    const v = await openExfat(bufferAccess(bytes));
    const back = await readAll(await v.file('/f.bin'));
    expect(back.length).toBe(content.length);
    expect(back.subarray(0, 1000).equals(content.subarray(0, 1000))).toBe(true);
    expect(back.subarray(1000).equals(Buffer.alloc(content.length - 1000))).toBe(true);
  });

  it('says clearly what is wrong', async () => {
    const fat = await readAll(fatImage({ volumeId: 1, files: [] }));
    await expect(openExfat(bufferAccess(fat))).rejects.toMatchObject({ code: 'E_EXFAT_NOT_EXFAT' });
    const { bytes, setAt } = await oneFileImage();
    const badBoot = Buffer.from(bytes);
    badBoot[200] = badBoot[200]! ^ 1; // inside the boot code, covered by the boot checksum
    await expect(openExfat(bufferAccess(badBoot))).rejects.toMatchObject({ code: 'E_EXFAT_CORRUPT', message: expect.stringContaining('boot region checksum') });
    const badSet = Buffer.from(bytes);
    badSet[setAt + 2 * ENTRY + 2] = badSet[setAt + 2 * ENTRY + 2]! ^ 1; // a name character, without fixing the set checksum
    await expect(openExfat(bufferAccess(badSet))).rejects.toMatchObject({ code: 'E_EXFAT_CORRUPT', message: expect.stringContaining('checksum of the entry set') });
    const v = await openExfat(bufferAccess(bytes));
    await expect(v.file('/missing')).rejects.toMatchObject({ code: 'E_EXFAT_NOT_FOUND' });
  });
});
