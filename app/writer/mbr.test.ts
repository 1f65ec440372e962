import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MBR_TYPE, singlePartitionMbr } from './mbr';

const dir = mkdtempSync(join(tmpdir(), 'emt-mbr-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function image(mbr: Buffer, diskSize: number): string {
  const img = join(dir, `disk-${diskSize}-${mbr.length}.img`);
  writeFileSync(img, mbr);
  execFileSync('truncate', ['-s', String(diskSize), img]);
  return img;
}

/** sfdisk's reading of the table, as the independent oracle. */
function sfdisk(mbr: Buffer, diskSize: number): { label: string; id: string; partitions: Array<{ start: number; size: number; type: string; bootable?: boolean }> } {
  return (JSON.parse(execFileSync('sfdisk', ['--json', image(mbr, diskSize)], { encoding: 'utf8' })) as { partitiontable: ReturnType<typeof sfdisk> }).partitiontable;
}

/** fdisk's reading with 4 KiB sectors (sfdisk cannot be told a sector size): "start sectors id" per partition. */
function fdisk4k(mbr: Buffer, diskSize: number): string[] {
  const out = execFileSync('fdisk', ['-l', '-b', '4096', '-o', 'Device,Start,Sectors,Id', image(mbr, diskSize)], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.startsWith(dir))
    .map((l) => l.trim().split(/\s+/).slice(1).join(' '));
}

describe('single-partition MBR', () => {
  it('describes one FAT32 partition from 1 MiB to the end, as sfdisk reads it', () => {
    const size = 64 * 1024 * 1024;
    const { mbr, offset, size: partSize } = singlePartitionMbr(size, 512, MBR_TYPE.fat32, 0x12345678);
    const t = sfdisk(mbr, size);
    expect(t.label).toBe('dos');
    expect(t.id).toBe('0x12345678');
    expect(t.partitions).toHaveLength(1);
    expect(t.partitions[0]).toMatchObject({ start: 2048, size: size / 512 - 2048, type: 'c' });
    expect(t.partitions[0]!.bootable).toBeUndefined();
    expect([offset, partSize]).toEqual([1 << 20, size - (1 << 20)]);
  });

  it('counts in 4 KiB sectors on a 4Kn drive, with type 7 for exFAT', () => {
    const size = 256 * 1024 * 1024;
    const { mbr } = singlePartitionMbr(size, 4096, MBR_TYPE.exfat, 1);
    expect(mbr.length).toBe(4096);
    expect(fdisk4k(mbr, size)).toEqual([`256 ${size / 4096 - 256} 7`]);
  });

  it('stops at what an MBR can describe on a drive over 2 TiB', () => {
    const { size } = singlePartitionMbr(3 * 2 ** 40, 512, MBR_TYPE.exfat, 1);
    expect(size).toBe(0xffffffff * 512);
  });
});
