import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openRandomAccess } from '../byte-source';
import { buildGpt, newGptTable, type GptTable } from './gpt';
import { readGpt } from './gpt-read';
import { appendGptPartitions, relocateGpt } from './gpt-resize';
import { GPT_TYPE, derivedGuid, guidFromBytes, guidToBytes } from './guid';
import { protectiveMbr } from './mbr';

const dir = mkdtempSync(join(tmpdir(), 'emt-gpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MiB = 2 ** 20;

function sparseDisk(name: string, bytes: number): string {
  const path = join(dir, name);
  writeFileSync(path, '');
  execFileSync('truncate', ['-s', String(bytes), path]);
  return path;
}

function readAt(path: string, offset: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  const b = Buffer.alloc(length);
  readSync(fd, b, 0, length, offset);
  closeSync(fd);
  return b;
}

function writeAt(path: string, offset: number, bytes: Buffer): void {
  const fd = openSync(path, 'r+');
  writeSync(fd, bytes, 0, bytes.length, offset);
  closeSync(fd);
}

/** Put a table (protective MBR, primary, backup) on a disk file. */
function writeTable(path: string, table: GptTable): void {
  const img = buildGpt(table);
  writeAt(path, 0, protectiveMbr(table.diskSectors));
  writeAt(path, 512, img.primary);
  writeAt(path, img.backupOffset, img.backup);
}

const sgdisk = (...args: string[]): string => execFileSync('sgdisk', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const twoPartitions = (diskSectors: number): GptTable =>
  newGptTable('11111111-2222-4333-8444-555555555555', diskSectors, [
    { typeGuid: GPT_TYPE.efiSystem, guid: 'AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE', firstLba: 2048, lastLba: 10239, attributes: 0n, name: 'EFI System' },
    { typeGuid: GPT_TYPE.linuxFilesystem, guid: '12345678-9ABC-4DEF-8123-456789ABCDEF', firstLba: 10240, lastLba: 51199, attributes: 0n, name: 'data' },
  ]);

describe('GUID encoding', () => {
  it('stores the first three fields little-endian', () => {
    expect(guidToBytes(GPT_TYPE.efiSystem).toString('hex')).toBe('28732ac11ff8d211ba4b00a0c93ec93b');
    expect(guidFromBytes(guidToBytes(GPT_TYPE.microsoftBasicData))).toBe(GPT_TYPE.microsoftBasicData);
  });

  it('derives the same GUID from the same seed, a different one per purpose', () => {
    expect(derivedGuid('build-1', 'disk')).toBe(derivedGuid('build-1', 'disk'));
    expect(derivedGuid('build-1', 'disk')).not.toBe(derivedGuid('build-1', 'partition 1'));
    expect(derivedGuid('build-1', 'disk')).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
  });
});

describe('GPT writer', () => {
  it('writes byte for byte the headers and entry arrays that sgdisk writes for the same table', () => {
    const theirs = sparseDisk('sgdisk.img', 64 * MiB);
    sgdisk('-U', '11111111-2222-4333-8444-555555555555',
      '-n', '1:2048:10239', '-t', '1:EF00', '-c', '1:EFI System', '-u', '1:AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE',
      '-n', '2:10240:51199', '-t', '2:8300', '-c', '2:data', '-u', '2:12345678-9ABC-4DEF-8123-456789ABCDEF', theirs);
    const img = buildGpt(twoPartitions((64 * MiB) / 512));
    expect(img.primary.equals(readAt(theirs, 512, 33 * 512))).toBe(true);
    expect(img.backupOffset).toBe(64 * MiB - 33 * 512);
    expect(img.backup.equals(readAt(theirs, img.backupOffset, 33 * 512))).toBe(true);
  });

  it('passes sgdisk -v and reads back through readGpt', async () => {
    const disk = sparseDisk('ours.img', 64 * MiB);
    writeTable(disk, twoPartitions((64 * MiB) / 512));
    expect(sgdisk('-v', disk)).toContain('No problems found');
    const ra = await openRandomAccess(disk);
    try {
      const r = await readGpt(ra);
      expect(r?.problems).toEqual([]);
      expect(r?.backupPlacement).toBe('end-of-disk');
      expect(r?.table).toEqual(twoPartitions((64 * MiB) / 512));
    } finally {
      await ra.close();
    }
  });

  it('refuses overlapping partitions and partitions outside the usable range', () => {
    const t = twoPartitions(131072);
    expect(() => buildGpt({ ...t, partitions: [t.partitions[0]!, { ...t.partitions[1]!, firstLba: 10000 }] })).toThrow(expect.objectContaining({ code: 'E_GPT_LAYOUT' }));
    expect(() => buildGpt({ ...t, partitions: [{ ...t.partitions[0]!, lastLba: 131072 - 34 + 1 }] })).toThrow(expect.objectContaining({ code: 'E_GPT_LAYOUT' }));
  });
});

describe('GPT reader', () => {
  it('reports a backup left inside a bigger disk, and relocateGpt moves it like sgdisk -e', async () => {
    const small = (8 * MiB) / 512;
    const disk = sparseDisk('stick.img', 32 * MiB);
    const table = newGptTable(derivedGuid('s', 'disk'), small, [
      { typeGuid: GPT_TYPE.microsoftBasicData, guid: derivedGuid('s', 'p1'), firstLba: 64, lastLba: 2047, attributes: 1n << 60n, name: 'ISO9660' },
      { typeGuid: GPT_TYPE.efiSystem, guid: derivedGuid('s', 'p2'), firstLba: 2048, lastLba: 10000, attributes: 0n, name: 'EFI System' },
    ]);
    writeTable(disk, table);
    let ra = await openRandomAccess(disk);
    try {
      const r = await readGpt(ra);
      expect(r?.backupPlacement).toBe('inside-disk');
      expect(r?.backup?.myLba).toBe(small - 1);
      expect(r?.problems.join(' ')).toMatch(/not in the last sector/);
      expect(r?.table).toEqual(table);
    } finally {
      await ra.close();
    }

    const theirs = join(dir, 'stick-sgdisk.img');
    execFileSync('cp', ['--sparse=always', disk, theirs]);
    sgdisk('-e', theirs);
    const moved = relocateGpt(table, (32 * MiB) / 512);
    writeTable(disk, moved);
    expect(readAt(disk, 512, 33 * 512).equals(readAt(theirs, 512, 33 * 512))).toBe(true);
    expect(readAt(disk, 32 * MiB - 33 * 512, 33 * 512).equals(readAt(theirs, 32 * MiB - 33 * 512, 33 * 512))).toBe(true);
    ra = await openRandomAccess(disk);
    try {
      const r = await readGpt(ra);
      expect(r?.backupPlacement).toBe('end-of-disk');
      expect(r?.problems).toEqual([]);
    } finally {
      await ra.close();
    }
  });

  it('falls back to the backup when the primary is damaged, and refuses when both are', async () => {
    const disk = sparseDisk('broken.img', 64 * MiB);
    writeTable(disk, twoPartitions((64 * MiB) / 512));
    writeAt(disk, 1024 + 60, Buffer.from('X'));
    let ra = await openRandomAccess(disk);
    try {
      const r = await readGpt(ra);
      expect(r?.primary?.isEntriesCrcValid).toBe(false);
      expect(r?.problems.join(' ')).toMatch(/primary GPT entry array at LBA 2 fails its CRC/);
      expect(r?.table.partitions[1]?.name).toBe('data');
    } finally {
      await ra.close();
    }
    writeAt(disk, 64 * MiB - 512 + 40, Buffer.from('X'));
    ra = await openRandomAccess(disk);
    try {
      await expect(readGpt(ra)).rejects.toMatchObject({ code: 'E_GPT_CORRUPT' });
    } finally {
      await ra.close();
    }
  });

  it('returns null for a disk without GPT', async () => {
    const ra = await openRandomAccess(sparseDisk('blank.img', MiB));
    try {
      expect(await readGpt(ra)).toBeNull();
    } finally {
      await ra.close();
    }
  });
});

describe('appendGptPartitions', () => {
  it('adds partitions 3-7 after the last one on 1 MiB boundaries; sgdisk agrees', () => {
    const disk = sparseDisk('grown.img', 256 * MiB);
    const base = relocateGpt(twoPartitions((64 * MiB) / 512), (256 * MiB) / 512);
    const grown = appendGptPartitions(
      base,
      [
        { typeGuid: GPT_TYPE.linuxFilesystem, name: 'p3', sectors: 2048 },
        { typeGuid: GPT_TYPE.linuxFilesystem, name: 'p4', sectors: 100 },
        { typeGuid: GPT_TYPE.microsoftBasicData, name: 'os image', sectors: 200000 },
        { typeGuid: GPT_TYPE.microsoftBasicData, name: 'config', sectors: 4096 },
        { typeGuid: GPT_TYPE.linuxFilesystem, name: 'user-apps', sectors: 'rest' },
      ],
      { guidSeed: 'stick' },
    );
    writeTable(disk, grown);
    expect(sgdisk('-v', disk)).toContain('No problems found');
    const listing = sgdisk('-p', disk);
    expect(listing).toMatch(/^\s+3\s+51200\s+53247\s.*p3$/m);
    expect(listing).toMatch(/^\s+4\s+53248\s+53347\s.*p4$/m);
    expect(listing).toMatch(/^\s+5\s+55296\s+255295\s.*os image$/m);
    expect(listing).toMatch(/^\s+7\s+260096\s+524254\s.*user-apps$/m);
    expect(grown.partitions[4]?.guid).toBe(derivedGuid('stick', 'partition 5'));
  });

  it('says how much space is missing', () => {
    const base = twoPartitions((64 * MiB) / 512);
    expect(() => appendGptPartitions(base, [{ typeGuid: GPT_TYPE.linuxFilesystem, name: 'big', sectors: (100 * MiB) / 512 }], { guidSeed: 'x' })).toThrow(
      expect.objectContaining({ code: 'E_GPT_NO_SPACE', message: expect.stringContaining('MiB short') }),
    );
    expect(() => relocateGpt(base, 20000)).toThrow(expect.objectContaining({ code: 'E_GPT_NO_SPACE' }));
  });
});
