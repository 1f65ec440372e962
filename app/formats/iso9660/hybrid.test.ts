import { closeSync, copyFileSync, openSync, readFileSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromBuffer, fromFile, openRandomAccess } from '../byte-source';
import { buildGpt, type GptTable } from '../partition/gpt';
import { readGpt } from '../partition/gpt-read';
import { appendGptPartitions, relocateGpt } from '../partition/gpt-resize';
import { GPT_TYPE } from '../partition/guid';
import { protectiveMbr, readMbr } from '../partition/mbr';
import { openIso } from './reader';
import type { IsoSpec } from './spec';
import { makeEsp, run, runAll, sha256File, tempDir, writeSource } from './test-support';
import { isoImage, type IsoImage } from './writer';

/** Debian's isolinux.bin ships with a boot info table already filled in for itself; scrambled in tests. */
const DEBIAN_ISOLINUX = '/usr/lib/ISOLINUX/isolinux.bin';
const ISOHDPFX = '/usr/lib/ISOLINUX/isohdpfx.bin';
const LDLINUX = '/usr/lib/syslinux/modules/bios/ldlinux.c32';
const DATE = new Date(Date.UTC(2025, 10, 26, 8, 0, 0));

const tmp = tempDir('emt-iso-hybrid-');
afterAll(() => tmp.remove());

let espPath: string;
let isolinuxPath: string;
let iso: string;
let image: IsoImage;

async function baseSpec(over: Partial<IsoSpec> = {}): Promise<IsoSpec> {
  return {
    volumeId: 'EMT_HYBRID',
    date: DATE,
    entries: [
      { kind: 'file', path: '/isolinux/isolinux.bin', content: await fromFile(isolinuxPath) },
      { kind: 'file', path: '/isolinux/ldlinux.c32', content: await fromFile(LDLINUX) },
      { kind: 'file', path: '/isolinux/isolinux.cfg', content: fromBuffer(Buffer.from('SAY hi\n')) },
      { kind: 'file', path: '/boot/vmlinuz', content: fromBuffer(Buffer.alloc(100_000, 7)) },
    ],
    boot: { bios: { path: '/isolinux/isolinux.bin' }, efi: { image: await fromFile(espPath), path: '/boot/efi.img' } },
    hybrid: { mbrCode: readFileSync(ISOHDPFX), guidSeed: 'release-20250710' },
    ...over,
  };
}

function writeAt(path: string, offset: number, bytes: Buffer): void {
  const fd = openSync(path, 'r+');
  writeSync(fd, bytes, 0, bytes.length, offset);
  closeSync(fd);
}

beforeAll(async () => {
  // Scramble the table area so that only a real patch passes the checks below.
  isolinuxPath = join(tmp.path, 'isolinux.bin');
  const bin = readFileSync(DEBIAN_ISOLINUX);
  bin.fill(0xaa, 8, 64);
  writeFileSync(isolinuxPath, bin);
  espPath = makeEsp(tmp.path, 1024, { 'EFI/BOOT/BOOTX64.EFI': { text: 'not really an EFI binary\n' } });
  image = await isoImage(await baseSpec());
  iso = join(tmp.path, 'hybrid.iso');
  await writeSource(image.source, iso);
});

describe('El Torito (checked by xorriso -report_el_torito)', () => {
  it('has a BIOS no-emulation entry for isolinux.bin with a boot info table, and a UEFI entry for the ESP', () => {
    const r = runAll('xorriso', ['-indev', iso, '-report_el_torito', 'plain']);
    const { layout } = image;
    expect(r).toMatch(new RegExp(`El Torito catalog\\s*:\\s*${layout.bootCatalogLba}\\s+1\\n`));
    expect(r).toMatch(new RegExp(`El Torito boot img :\\s+1\\s+BIOS\\s+y\\s+none\\s+0x0000\\s+0x00\\s+4\\s+${layout.biosBoot!.lba}\\n`));
    expect(r).toMatch(new RegExp(`El Torito boot img :\\s+2\\s+UEFI\\s+y\\s+none\\s+0x0000\\s+0x00\\s+2048\\s+${layout.esp!.lba}\\n`));
    expect(r).toMatch(/El Torito img opts :\s+1\s+boot-info-table isohybrid-suitable/);
    expect(r).toMatch(/El Torito img path :\s+1\s+\/isolinux\/isolinux.bin/);
    expect(r).toMatch(/El Torito img path :\s+2\s+\/boot\/efi.img/);
  });

  it('patches the boot info table into the stored isolinux.bin only', () => {
    const { biosBoot } = image.layout;
    const stored = readFileSync(iso).subarray(biosBoot!.lba * 2048, biosBoot!.lba * 2048 + biosBoot!.size);
    const original = readFileSync(isolinuxPath);
    let sum = 0;
    for (let i = 64; i < original.length; i += 4) sum = (sum + original.readUInt32LE(i)) >>> 0;
    expect([stored.readUInt32LE(8), stored.readUInt32LE(12), stored.readUInt32LE(16), stored.readUInt32LE(20)]).toEqual([16, biosBoot!.lba, original.length, sum]);
    expect(stored.subarray(24, 64).every((b) => b === 0)).toBe(true);
    expect(stored.subarray(64).equals(original.subarray(64))).toBe(true);
    expect(stored.subarray(0, 8).equals(original.subarray(0, 8))).toBe(true);
  });

  it('is read back by openIso: catalog entries and the ESP shown at /boot/efi.img', async () => {
    const ra = await openRandomAccess(iso);
    try {
      const v = await openIso(ra);
      const { layout } = image;
      expect(v.elTorito?.catalogLba).toBe(layout.bootCatalogLba);
      expect(v.elTorito?.entries.map((e) => [e.platform, e.sectorCount, e.loadRba])).toEqual([
        [0, 4, layout.biosBoot!.lba],
        [0xef, 2048, layout.esp!.lba],
      ]);
      expect(v.lookup('/boot/efi.img')?.extents).toEqual([{ lba: layout.esp!.lba, size: layout.esp!.size }]);
      expect(v.blocks * 2048).toBe(layout.size);
    } finally {
      await ra.close();
    }
  });

  it('makes a UEFI-only catalog when no BIOS loader is given', async () => {
    const uefiOnly = join(tmp.path, 'uefi-only.iso');
    const spec = await baseSpec({ hybrid: { guidSeed: 'x' } });
    const { layout, source } = await isoImage({ ...spec, boot: { efi: spec.boot!.efi } });
    await writeSource(source, uefiOnly);
    const r = runAll('xorriso', ['-indev', uefiOnly, '-report_el_torito', 'plain', '-report_system_area', 'plain']);
    expect(r).toMatch(new RegExp(`El Torito boot img :\\s+1\\s+UEFI\\s+y\\s+none\\s+0x0000\\s+0x00\\s+2048\\s+${layout.esp!.lba}\\n`));
    expect(r).not.toMatch(/boot img :\s+2/);
    expect(readFileSync(uefiOnly).subarray(0, 440).every((b) => b === 0)).toBe(true);
    expect(run('sgdisk', ['-v', uefiOnly])).toContain('No problems found');
  });
});

describe('hybrid system area (checked by xorriso, sgdisk, fdisk, mtools)', () => {
  it('has an active protective MBR with isohdpfx.bin code pointing at isolinux.bin, and a valid GPT', () => {
    const { layout } = image;
    const total = layout.size / 512;
    const espStart = layout.esp!.lba * 4;
    const r = runAll('xorriso', ['-indev', iso, '-report_system_area', 'plain']);
    expect(r).toMatch(/System area summary: MBR isohybrid .*GPT/);
    expect(r).toMatch(new RegExp(`ISO image size/512 : ${total}\\n`));
    expect(r).toMatch(new RegExp(`MBR partition      :   1   0x80  0xee\\s+1\\s+${total - 1}\\n`));
    expect(r).toMatch(new RegExp(`GPT start and size :   1  64  ${espStart - 64}\\n`));
    expect(r).toMatch(/GPT partname local :\s+1\s+ISO9660\n/);
    expect(r).toMatch(new RegExp(`GPT start and size :   2  ${espStart}  2048\\n`));
    expect(r).toMatch(/GPT type GUID\s+:\s+2\s+28732ac11ff8d211ba4b00a0c93ec93b\n/);
    expect(r).toMatch(/GPT partition path :\s+2\s+\/boot\/efi.img/);
    const mbr = readFileSync(iso).subarray(0, 512);
    expect(mbr.subarray(0, 432).equals(readFileSync(ISOHDPFX))).toBe(true);
    expect(mbr.readBigUInt64LE(432)).toBe(BigInt(layout.biosBoot!.lba * 4));
  });

  it('passes sgdisk -v and fdisk, with the backup GPT in the last sector', async () => {
    expect(run('sgdisk', ['-v', iso])).toContain('No problems found');
    const f = run('fdisk', ['-l', iso]);
    const espStart = image.layout.esp!.lba * 4;
    expect(f).toMatch(/Disklabel type: gpt/);
    expect(f).toMatch(new RegExp(`hybrid.iso1\\s+64\\s+${espStart - 1}\\s+${espStart - 64}\\s+\\S+ Microsoft basic data`));
    expect(f).toMatch(new RegExp(`hybrid.iso2\\s+${espStart}\\s+${espStart + 2047}\\s+2048\\s+1M EFI System`));
    const ra = await openRandomAccess(iso);
    try {
      const gpt = await readGpt(ra);
      expect(gpt?.problems).toEqual([]);
      expect(gpt?.backupPlacement).toBe('end-of-disk');
      expect(gpt?.table).toEqual(image.layout.partitions!.gpt);
    } finally {
      await ra.close();
    }
  });

  it('puts the ESP bytes exactly under GPT partition 2, readable by mtools there', async () => {
    const esp = image.layout.esp!;
    expect(esp.size).toBe(readFileSync(espPath).length);
    expect(await sha256File(iso, esp.lba * 2048, esp.size)).toBe(await sha256File(espPath));
    expect(run('mdir', ['-i', `${iso}@@${esp.lba * 2048}`, '::/EFI/BOOT'])).toMatch(/BOOTX64\s+EFI/);
  });

  it('keeps the same bytes for the same seed, and other GUIDs for another seed', async () => {
    const again = await isoImage(await baseSpec());
    const other = await isoImage(await baseSpec({ hybrid: { mbrCode: readFileSync(ISOHDPFX), guidSeed: 'another build' } }));
    const again2 = join(tmp.path, 'again.iso');
    await writeSource(again.source, again2);
    expect(await sha256File(again2)).toBe(await sha256File(iso));
    expect(other.layout.partitions!.gpt.diskGuid).not.toBe(image.layout.partitions!.gpt.diskGuid);
  });

  it('extends to a larger stick like sgdisk -e, with room for appended partitions', async () => {
    const stick = join(tmp.path, 'stick.img');
    copyFileSync(iso, stick);
    truncateSync(stick, 64 * 2 ** 20);
    let ra = await openRandomAccess(stick);
    let table: GptTable;
    try {
      const found = await readGpt(ra);
      expect(found?.backupPlacement).toBe('inside-disk');
      table = found!.table;
    } finally {
      await ra.close();
    }
    const sectors = (64 * 2 ** 20) / 512;
    const grown = appendGptPartitions(relocateGpt(table, sectors), [{ number: 5, typeGuid: GPT_TYPE.linuxFilesystem, name: 'os', sectors: 'rest' }], { guidSeed: 'stick' });
    const tables = buildGpt(grown);
    const old = readMbr(readFileSync(stick).subarray(0, 512));
    writeAt(stick, 0, protectiveMbr(sectors, { bootCode: old.bootCode, diskSignature: old.diskSignature, isBootable: true }));
    writeAt(stick, 512, tables.primary);
    writeAt(stick, tables.backupOffset, tables.backup);
    expect(run('sgdisk', ['-v', stick])).toContain('No problems found');
    ra = await openRandomAccess(stick);
    try {
      expect((await readGpt(ra))?.problems).toEqual([]);
    } finally {
      await ra.close();
    }
    expect(runAll('xorriso', ['-indev', stick, '-report_el_torito', 'plain'])).toMatch(/boot img :\s+2\s+UEFI/);
  });
});

describe('hybrid refuses clearly', () => {
  it('MBR code without a BIOS boot file, or with one that cannot boot from a disk', async () => {
    const spec = await baseSpec();
    await expect(isoImage({ ...spec, boot: { efi: spec.boot!.efi } })).rejects.toMatchObject({ code: 'E_ISO_MBR_WITHOUT_BIOS' });
    await expect(isoImage({ ...spec, boot: { ...spec.boot, bios: { path: '/isolinux/ldlinux.c32' } } })).rejects.toMatchObject({ code: 'E_ISO_BIOS_NOT_HYBRID' });
    await expect(isoImage({ ...spec, hybrid: { mbrCode: Buffer.alloc(440), guidSeed: 's' } })).rejects.toMatchObject({ code: 'E_ISO_MBR_CODE' });
    await expect(isoImage({ ...spec, boot: { ...spec.boot, bios: { path: '/isolinux/missing.bin' } } })).rejects.toMatchObject({ code: 'E_ISO_BOOT_FILE_MISSING' });
  });

  it('keeps BIOS-only images free of a system area when not hybrid', async () => {
    const spec = await baseSpec();
    const plain = join(tmp.path, 'plain.iso');
    await writeSource((await isoImage({ ...spec, hybrid: undefined, boot: { bios: spec.boot!.bios } })).source, plain);
    expect(readFileSync(plain).subarray(0, 32768).every((b) => b === 0)).toBe(true);
    expect(runAll('xorriso', ['-indev', plain, '-report_el_torito', 'plain'])).toMatch(/El Torito boot img :\s+1\s+BIOS\s+y\s+none\s+0x0000\s+0x00\s+4\s+\d+\n(?!El Torito boot img)/);
  });
});
