import { execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, readSync, closeSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildMbr, chsBytes, protectiveMbr, readMbr } from './mbr';

const dir = mkdtempSync(join(tmpdir(), 'emt-mbr-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sparseDisk(name: string, bytes: number): string {
  const path = join(dir, name);
  writeFileSync(path, '');
  execFileSync('truncate', ['-s', String(bytes), path]);
  return path;
}

function readSector0(path: string): Buffer {
  const fd = openSync(path, 'r');
  const b = Buffer.alloc(512);
  readSync(fd, b, 0, 512, 0);
  closeSync(fd);
  return b;
}

function writeSector0(path: string, sector: Buffer): void {
  const fd = openSync(path, 'r+');
  writeSync(fd, sector, 0, 512, 0);
  closeSync(fd);
}

describe('MBR', () => {
  it('writes the same entries, CHS fields included, as sfdisk does for an LBA-only disk', () => {
    const theirs = sparseDisk('sfdisk.img', 20 * 2 ** 30);
    execFileSync('sfdisk', ['-q', theirs], {
      input: 'label: dos\nlabel-id: 0x12345678\nstart=2048, size=204800, type=83, bootable\nstart=206848, size=40000000, type=c\n',
    });
    const ours = buildMbr({
      diskSignature: 0x12345678,
      partitions: [
        { isBootable: true, type: 0x83, firstLba: 2048, sectors: 204800 },
        { isBootable: false, type: 0x0c, firstLba: 206848, sectors: 40000000 },
      ],
    });
    expect(ours.subarray(440).toString('hex')).toBe(readSector0(theirs).subarray(440).toString('hex'));
  });

  it('is read back by fdisk and by readMbr, boot code kept', () => {
    const disk = sparseDisk('ours.img', 64 * 2 ** 20);
    const code = Buffer.alloc(432, 0x90);
    const sector = buildMbr({
      bootCode: code,
      diskSignature: 0xcafe0001,
      partitions: [null, { isBootable: true, type: 0xef, firstLba: 2048, sectors: 8192 }, { isBootable: false, type: 0x83, firstLba: 10240, sectors: 20480 }],
    });
    writeSector0(disk, sector);
    const out = execFileSync('sfdisk', ['--dump', disk], { encoding: 'utf8' });
    expect(out).toContain('label-id: 0xcafe0001');
    expect(out).toMatch(/ours\.img2 : start=\s*2048, size=\s*8192, type=ef, bootable/);
    expect(out).toMatch(/ours\.img3 : start=\s*10240, size=\s*20480, type=83\n/);
    const back = readMbr(readSector0(disk));
    expect(back.diskSignature).toBe(0xcafe0001);
    expect(back.bootCode.subarray(0, 432).equals(code)).toBe(true);
    expect(back.partitions).toEqual([null, { isBootable: true, type: 0xef, firstLba: 2048, sectors: 8192 }, { isBootable: false, type: 0x83, firstLba: 10240, sectors: 20480 }, null]);
  });

  it('computes CHS in the 255x63 geometry and clamps past cylinder 1023', () => {
    expect(chsBytes(0)).toEqual([0, 1, 0]);
    expect(chsBytes(1)).toEqual([0, 2, 0]);
    expect(chsBytes(206847)).toEqual([0xdf, 0x13, 0x0c]);
    expect(chsBytes(1024 * 255 * 63 - 1)).toEqual([254, 63 | 0xc0, 0xff]);
    expect(chsBytes(1024 * 255 * 63)).toEqual([0xfe, 0xff, 0xff]);
  });

  it('makes a UEFI protective MBR: one 0xEE entry from LBA 1, FF FF FF end CHS on big disks', () => {
    const small = readMbr(protectiveMbr(10904, { isBootable: true }));
    expect(small.partitions[0]).toEqual({ isBootable: true, type: 0xee, firstLba: 1, sectors: 10903 });
    const big = protectiveMbr(2 ** 33);
    expect(big.subarray(446 + 1, 446 + 8).toString('hex')).toBe('000200eeffffff');
    expect(big.readUInt32LE(446 + 12)).toBe(0xffffffff);
  });

  it('refuses boot code over 440 bytes, entries past 32 bits and sectors without 55 AA', () => {
    expect(() => buildMbr({ bootCode: Buffer.alloc(441), partitions: [] })).toThrow(expect.objectContaining({ code: 'E_MBR_BOOT_CODE' }));
    expect(() => buildMbr({ partitions: [{ isBootable: false, type: 0x83, firstLba: 2 ** 32, sectors: 1 }] })).toThrow(expect.objectContaining({ code: 'E_MBR_RANGE' }));
    expect(() => readMbr(Buffer.alloc(512))).toThrow(expect.objectContaining({ code: 'E_MBR_SIGNATURE' }));
  });
});
