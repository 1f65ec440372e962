import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeBpb } from './boot-sector';
import { fatGeometry, type FatType } from './geometry';
import { readHead, tool, withTempDir } from './image-test-support';

// mkfs.fat (dosfstools) is the oracle: for the same number of sectors we must choose the same FAT
// type, cluster size, reserved area, FAT size and root directory size.
describe('fatGeometry matches mkfs.fat', () => {
  const cases: Array<{ kib: number; force?: FatType }> = [
    { kib: 1024 }, { kib: 2000 }, { kib: 4096 }, { kib: 5000 }, { kib: 8192 }, { kib: 8200 },
    { kib: 16384 }, { kib: 20000 }, { kib: 32768 }, { kib: 65536 }, { kib: 100000 }, { kib: 131072 },
    { kib: 262144 }, { kib: 300000 }, { kib: 400000 }, { kib: 524000 },
    { kib: 40000, force: 32 }, { kib: 100000, force: 32 }, { kib: 300000, force: 32 }, { kib: 65536, force: 16 },
    // From 512 MiB mkfs.fat picks FAT32 by itself.
    { kib: 600000 }, { kib: 1048576 }, { kib: 9000000 }, { kib: 20000000 }, { kib: 40000000 },
  ];

  it.each(cases)('$kib KiB $force', async ({ kib, force }) => {
    await withTempDir(async (dir) => {
      const img = join(dir, 'mkfs.img');
      const r = tool('mkfs.fat', ['-C', ...(force ? ['-F', String(force)] : []), '-i', '12345678', img, String(kib)]);
      expect(r.status, r.stderr).toBe(0);
      const theirs = decodeBpb(await readHead(img, 512));
      const ours = fatGeometry(kib * 2, { fatType: force })!;
      expect(ours).not.toBeNull();
      expect({
        fatType: ours.fatType,
        totalSectors: ours.totalSectors,
        sectorsPerCluster: ours.sectorsPerCluster,
        reservedSectors: ours.reservedSectors,
        fatSectors: ours.fatSectors,
        rootEntries: ours.rootEntries,
        clusterCount: ours.clusterCount,
      }).toEqual({
        fatType: theirs.fatType,
        totalSectors: theirs.totalSectors,
        sectorsPerCluster: theirs.sectorsPerCluster,
        reservedSectors: theirs.reservedSectors,
        fatSectors: theirs.fatSectors,
        rootEntries: theirs.rootEntries,
        clusterCount: theirs.clusterCount,
      });
    });
  });
});

describe('fatGeometry limits', () => {
  it('refuses FAT32 below 65525 clusters and FAT16 below 4085, which firmware would read as another type', () => {
    expect(fatGeometry((32 * 1024 * 1024) / 512, { fatType: 32 })).toBeNull();
    expect(fatGeometry((4 * 1024 * 1024) / 512, { fatType: 16 })).toBeNull();
    expect(fatGeometry((34 * 1024 * 1024) / 512, { fatType: 32 })?.clusterCount).toBeGreaterThanOrEqual(65525);
  });

  it('grows the FAT12/16 root directory when asked for more entries, keeping it cluster-aligned', () => {
    const g = fatGeometry((64 * 1024 * 1024) / 512, { minRootEntries: 1000 })!;
    expect(g.rootEntries).toBe(1024);
    expect(((g.rootEntries * 32) / 512) % g.sectorsPerCluster).toBe(0);
  });
});
