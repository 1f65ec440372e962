import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromBuffer, openRandomAccess, readAll } from '../byte-source';
import { fatImage } from './fat-image';
import { openFat } from './fat-reader';
import { bufferAccess, patternBytes, tool, withTempDir } from './image-test-support';

const MIB = 1024 * 1024;

/** Files put into an mkfs.fat volume with mcopy, as a user's tools would. */
const FILES: Record<string, Buffer> = {
  'EFI/BOOT/BOOTX64.EFI': patternBytes(150_000, 1),
  'EFI/BOOT/grub.cfg': Buffer.from('set timeout=0\n'),
  'A long name with spaces.txt': Buffer.from('long'),
  'ünïcödé.bin': patternBytes(5000, 2),
  'deep/er/leaf.dat': patternBytes(1, 3),
  'empty': Buffer.alloc(0),
};

async function mtoolsVolume(dir: string, mkfsArgs: string[], kib: number): Promise<string> {
  const img = join(dir, 'mkfs.img');
  expect(tool('mkfs.fat', ['-C', '-n', 'TESTVOL', '-i', '0badf00d', ...mkfsArgs, img, String(kib)]).status).toBe(0);
  const src = join(dir, 'src');
  for (const [path, bytes] of Object.entries(FILES)) {
    await mkdir(join(src, path, '..'), { recursive: true });
    await writeFile(join(src, path), bytes);
  }
  await mkdir(join(src, 'empty-dir'));
  const r = tool('env', ['LC_ALL=C.UTF-8', 'sh', '-c', 'mcopy -s -i "$1" "$2"/* ::/', 'sh', img, src]);
  expect(r.status, r.stderr).toBe(0);
  return img;
}

describe('openFat reads volumes made by mkfs.fat and mcopy', () => {
  it.each([
    { name: 'FAT12', args: [], kib: 2048 },
    { name: 'FAT16', args: [], kib: 32768 },
    { name: 'FAT32', args: ['-F', '32'], kib: 40000 },
  ])('$name: label, id, long names, contents', async ({ name, args, kib }) => {
    await withTempDir(async (dir) => {
      const ra = await openRandomAccess(await mtoolsVolume(dir, args, kib));
      try {
        const v = await openFat(ra);
        expect(v.type).toBe(name.toLowerCase());
        expect(v.label).toBe('TESTVOL');
        expect(v.volumeId).toBe(0x0badf00d);
        const list = await v.list();
        const files = list.filter((e) => !e.isDirectory).map((e) => [e.path, e.size] as const);
        expect(new Map(files)).toEqual(new Map(Object.entries(FILES).map(([p, b]) => [`/${p}`, b.length])));
        expect(list.filter((e) => e.isDirectory).map((e) => e.path).sort()).toEqual(['/EFI', '/EFI/BOOT', '/deep', '/deep/er', '/empty-dir']);
        for (const [path, bytes] of Object.entries(FILES)) expect((await readAll(await v.file(path))).equals(bytes), path).toBe(true);
        // Lookups ignore case, as FAT does.
        expect((await readAll(await v.file('efi/boot/GRUB.CFG'))).toString()).toBe('set timeout=0\n');
      } finally {
        await ra.close();
      }
    });
  });

  it('follows a fragmented cluster chain', async () => {
    await withTempDir(async (dir) => {
      const img = join(dir, 'frag.img');
      expect(tool('mkfs.fat', ['-C', img, '2048']).status).toBe(0);
      for (const n of ['a', 'b', 'c']) {
        await writeFile(join(dir, n), patternBytes(3000, n.charCodeAt(0)));
        expect(tool('mcopy', ['-i', img, join(dir, n), `::/${n}`]).status).toBe(0);
      }
      expect(tool('mdel', ['-i', img, '::/b']).status).toBe(0);
      const d = patternBytes(20_000, 7);
      await writeFile(join(dir, 'd'), d);
      expect(tool('mcopy', ['-i', img, join(dir, 'd'), '::/d']).status).toBe(0);
      // mtools filled b's hole first: two extents.
      expect(tool('mshowfat', ['-i', img, '::/d']).stdout).toMatch(/<\d+-\d+> <\d+-\d+>/);
      const v = await openFat(bufferAccess(await readFile(img)));
      expect((await readAll(await v.file('/d'))).equals(d)).toBe(true);
    });
  });
});

describe('openFat on our own images', () => {
  it('round-trips a tree, also at an offset inside a disk', async () => {
    const content = patternBytes(70_000, 11);
    const image = fatImage({ label: 'EMT', volumeId: 42, fatType: 32, size: 40 * MIB, files: [{ path: 'Dir/File with long name.bin', content: fromBuffer(content) }, { path: 'x/y/z', content: fromBuffer(Buffer.alloc(0)) }], mtime: new Date('2024-02-29T23:59:58Z') });
    const disk = Buffer.concat([Buffer.alloc(MIB, 0xee), await readAll(image, 64 * MIB)]);
    const v = await openFat(bufferAccess(disk), MIB);
    expect([v.type, v.label, v.volumeId, v.size, v.clusterSize]).toEqual(['fat32', 'EMT', 42, 40 * MIB, 512]);
    expect(await v.stat('/dir/FILE WITH LONG NAME.BIN')).toEqual({ path: '/Dir/File with long name.bin', name: 'File with long name.bin', isDirectory: false, size: 70_000, mtime: new Date('2024-02-29T23:59:58Z') });
    expect((await readAll(await v.file('/Dir/File with long name.bin'))).equals(content)).toBe(true);
    expect((await v.readdir('/x/y')).map((e) => [e.name, e.size])).toEqual([['z', 0]]);
    expect((await readAll(await v.file('/x/y/z'))).length).toBe(0);
  });

  it('says clearly what is wrong', async () => {
    await expect(openFat(bufferAccess(Buffer.alloc(MIB)))).rejects.toMatchObject({ code: 'E_FAT_NOT_FAT' });
    const image = await readAll(fatImage({ volumeId: 1, files: [{ path: 'f', content: fromBuffer(patternBytes(10_000, 1)) }] }));
    const v = await openFat(bufferAccess(image));
    await expect(v.file('/nope')).rejects.toMatchObject({ code: 'E_FAT_NOT_FOUND', message: 'There is no /nope on the FAT volume.' });
    await expect(v.readdir('/f')).rejects.toMatchObject({ code: 'E_FAT_NOT_A_DIRECTORY' });
    await expect(v.file('/')).rejects.toMatchObject({ code: 'E_FAT_IS_A_DIRECTORY' });
  });

  it('refuses a chain that loops instead of reading forever', async () => {
    const image = fatImage({ volumeId: 1, fatType: 12, files: [{ path: 'f', content: fromBuffer(patternBytes(10_000, 1)) }] });
    const bytes = await readAll(image);
    const first = (image.layout.files[0]!.offset - image.layout.dataOffset) / image.layout.clusterSize + 2;
    // Point the file's second cluster back at its first, in both FATs (FAT12: 1.5 bytes per entry).
    for (const fat of [0, 1]) {
      const at = image.layout.reservedSectors * 512 + fat * image.layout.fatSectors * 512 + Math.floor(((first + 1) * 3) / 2);
      const v = bytes.readUInt16LE(at);
      bytes.writeUInt16LE((first + 1) & 1 ? (v & 0x000f) | (first << 4) : (v & 0xf000) | first, at);
    }
    const v = await openFat(bufferAccess(bytes));
    await expect(readAll(await v.file('/f'))).rejects.toMatchObject({ code: 'E_FAT_CORRUPT' });
  });
});
