import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromBuffer, type ByteSource } from '../byte-source';
import { fatImage, type FatImageSpec } from './fat-image';
import type { ImageFile } from './image-tree';
import { patternBytes, sha256, tool, withTempDir, writeImage } from './image-test-support';

const MTIME = new Date('2025-06-01T12:34:56Z');
const MIB = 1024 * 1024;
const env = { LC_ALL: 'C.UTF-8' };

function sampleFiles(): Array<ImageFile & { bytes: Buffer }> {
  const files: Array<[string, Buffer]> = [
    ['EFI/BOOT/BOOTX64.EFI', patternBytes(300_001, 1)],
    ['EFI/BOOT/grubx64.efi', patternBytes(70_000, 2)],
    ['EFI/BOOT/grub.cfg', Buffer.from('search --file /.disk/info\n')],
    ['EFI/BOOT/A long file name with spaces.txt', Buffer.from('hello')],
    ['Mixed.Case', Buffer.from('x')],
    ['ünïcödé — naïve name.bin', patternBytes(4097, 3)],
    ['empty.txt', Buffer.alloc(0)],
    ['deep/er/and/deeper/still/leaf.dat', patternBytes(2048, 4)],
    ['.hidden-config', Buffer.from('k=v\n')],
  ];
  for (let i = 0; i < 40; i++) files.push([`many/file number ${i}.dat`, patternBytes(i * 97, 100 + i)]);
  return files.map(([path, bytes]) => ({ path, content: fromBuffer(bytes), bytes }));
}

function spec(over: Partial<FatImageSpec> = {}): FatImageSpec {
  return { label: 'EMT_EFI', volumeId: 0x1234abcd, files: sampleFiles(), dirs: [{ path: 'empty-dir' }], mtime: MTIME, ...over };
}

const digest = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Path → sha256 of the content, or 'dir'. */
async function treeOf(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        out.set(relative(dir, p), 'dir');
        await walk(p);
      } else out.set(relative(dir, p), digest(await readFile(p)));
    }
  };
  await walk(dir);
  return out;
}

function expectedTree(s: FatImageSpec): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of s.files as Array<ImageFile & { bytes: Buffer }>) {
    const parts = f.path.split('/');
    for (let i = 1; i < parts.length; i++) out.set(parts.slice(0, i).join('/'), 'dir');
    out.set(f.path, digest(f.bytes));
  }
  for (const d of s.dirs ?? []) out.set(d.path, 'dir');
  return out;
}

/** fsck.fat finds nothing wrong, and mcopy extracts exactly the tree we put in. */
async function expectToolsAgree(s: FatImageSpec, dir: string): Promise<string> {
  const img = join(dir, 'fat.img');
  const image = fatImage(s);
  await writeImage(image, img);
  const fsck = tool('fsck.fat', ['-n', img]);
  expect(fsck.status, fsck.stdout + fsck.stderr).toBe(0);
  expect(fsck.stdout).not.toMatch(/differ|wrong|invalid|orphan/i);
  const out = join(dir, 'out');
  const copy = tool('env', [`LC_ALL=${env.LC_ALL}`, 'sh', '-c', `mkdir "$1" && mcopy -s -n -m -i "$2" '::/*' "$1/"`, 'sh', out, img]);
  expect(copy.status, copy.stderr).toBe(0);
  expect(await treeOf(out)).toEqual(expectedTree(s));
  return img;
}

describe('fatImage, checked by fsck.fat and mtools', () => {
  it.each([
    { fatType: 12 as const, size: undefined },
    { fatType: 16 as const, size: 16 * MIB },
    { fatType: 32 as const, size: 40 * MIB },
  ])('FAT$fatType with long names, nested and empty folders, empty files', async ({ fatType, size }) => {
    await withTempDir(async (dir) => {
      const s = spec({ fatType, size });
      expect(fatImage(s).layout.fatType).toBe(fatType);
      const img = await expectToolsAgree(s, dir);
      const mdir = tool('env', [`LC_ALL=${env.LC_ALL}`, 'mdir', '-i', img, '::/EFI/BOOT']);
      // grub.cfg is a plain 8.3 name: stored as GRUB.CFG with the lower-case flags, no long name.
      expect(mdir.stdout).toMatch(/^grub {5}cfg +26 /m);
      expect(mdir.stdout).toMatch(/^ALONGF~1 TXT +5 .*A long file name with spaces\.txt$/m);
      const label = tool('mlabel', ['-s', '-i', img, '::']);
      expect(label.stdout).toContain('Volume label is EMT_EFI');
      expect(tool('mdir', ['-i', img, '::/']).stdout).toContain('Volume Serial Number is 1234-ABCD');
      const when = tool('mdir', ['-i', img, '::/EFI/BOOT/BOOTX64.EFI']).stdout;
      expect(when).toContain('2025-06-01  12:34');
    });
  });

  it('handles folders with hundreds of entries: several clusters, and a FAT16 root grown to 800 entries', async () => {
    await withTempDir(async (dir) => {
      const files: Array<ImageFile & { bytes: Buffer }> = [];
      for (let i = 0; i < 200; i++) {
        const bytes = Buffer.from(`file ${i}\n`);
        files.push({ path: `Root file with a long name ${i}.txt`, content: fromBuffer(bytes), bytes });
        files.push({ path: `sub/Nested file ${i}.log`, content: fromBuffer(bytes), bytes });
      }
      for (const fatType of [16, 32] as const) {
        const s: FatImageSpec = { volumeId: 7, files, mtime: MTIME, fatType, size: fatType === 32 ? 36 * MIB : 16 * MIB };
        const layout = fatImage(s).layout;
        if (fatType === 16) expect(layout.rootEntries).toBeGreaterThanOrEqual(800);
        const sub = join(dir, `fat${fatType}`);
        await mkdir(sub);
        await expectToolsAgree(s, sub);
      }
    });
  });

  it('is deterministic: same spec, same bytes, whatever the order of the files', async () => {
    const a = await sha256(fatImage(spec()));
    const shuffled = spec();
    shuffled.files = [...shuffled.files].reverse();
    expect(await sha256(fatImage(shuffled))).toBe(a);
    const image = fatImage(spec());
    expect(await sha256(image)).toBe(await sha256(image));
    expect(await sha256(fatImage(spec({ volumeId: 1 })))).not.toBe(a);
  });

  it('sizes the image to fit by default: whole MiB, a little slack, FAT12/16 for an ESP', () => {
    const image = fatImage(spec());
    expect(image.size % MIB).toBe(0);
    expect(image.size).toBeLessThanOrEqual(2 * MIB);
    const { clusterCount, usedClusters, clusterSize } = image.layout;
    expect((clusterCount - usedClusters) * clusterSize).toBeGreaterThanOrEqual(64 * 1024);
    const big = fatImage({ volumeId: 1, files: [{ path: 'big.bin', content: zerosOf(600 * MIB) }] });
    expect(big.layout.fatType).toBe(32);
    expect(big.size).toBeLessThan(620 * MIB);
  });

  it('picks the FAT type like mkfs.fat: FAT32 from 512 MiB, unless forced', () => {
    expect(fatImage({ volumeId: 1, files: [], size: 512 * MIB }).layout.fatType).toBe(32);
    expect(fatImage({ volumeId: 1, files: [], size: 511 * MIB }).layout.fatType).toBe(16);
    expect(fatImage({ volumeId: 1, files: [], size: 4 * MIB }).layout.fatType).toBe(12);
    expect(fatImage({ volumeId: 1, files: [], size: 100 * MIB, fatType: 32 }).layout.fatType).toBe(32);
  });
});

function zerosOf(size: number): ByteSource {
  return { size, stream: () => { throw new Error('must not be streamed'); } };
}
