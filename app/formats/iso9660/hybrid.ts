import { EmtError } from '../../errors';
import { buildGpt, newGptTable, type GptImage, type GptPartition, type GptTable } from '../partition/gpt';
import { GPT_TYPE, derivedDiskSignature, derivedGuid } from '../partition/guid';
import { protectiveMbr, readMbr, SECTOR, type Mbr } from '../partition/mbr';
import { BLOCK } from './encoding';
import type { Layout } from './layout';
import type { IsoHybrid } from './spec';

/** ISOLINUX's isohdpfx.bin: 432 bytes of code; bytes 432-439 take the boot file's 512-byte LBA. */
export const MBR_CODE_MAX = 432;
/** syslinux core/isolinux.asm: a hybrid-capable isolinux.bin carries FB C0 78 70 at offset 0x40. */
const ISOLINUX_HYBRID_SIGNATURE = 0x7078c0fb;
/** GPT attribute bit 60: read-only (for basic data partitions, UEFI 2.10 Table 5-9 / Microsoft). */
const READ_ONLY = 1n << 60n;
/** Partition 1 starts at the PVD (2048-byte block 16), as Ubuntu's hybrid images do. */
const ISO_PARTITION_START = 64;

export interface HybridTables {
  mbr: Buffer;
  gpt: GptImage;
  table: GptTable;
  mbrInfo: Mbr;
}

const toSectors = (blocks: number): number => (blocks * BLOCK) / SECTOR;

/** Refuse MBR code that cannot work before anything is laid out. */
export function checkHybrid(hybrid: IsoHybrid, biosFile: Buffer | null): void {
  if (!hybrid.mbrCode) return;
  if (hybrid.mbrCode.length > MBR_CODE_MAX) {
    throw new EmtError('E_ISO_MBR_CODE', `The MBR boot code is ${hybrid.mbrCode.length} bytes; at most ${MBR_CODE_MAX} leave room for the boot file address.`, 'Use ISOLINUX\'s isohdpfx.bin (432 bytes).');
  }
  if (!biosFile) {
    throw new EmtError('E_ISO_MBR_WITHOUT_BIOS', 'MBR boot code was given, but no BIOS boot file for it to load.', 'Add a BIOS boot file (isolinux.bin) or leave out the MBR code.');
  }
  if (biosFile.length < 0x44 || biosFile.readUInt32LE(0x40) !== ISOLINUX_HYBRID_SIGNATURE) {
    throw new EmtError('E_ISO_BIOS_NOT_HYBRID', 'The BIOS boot file cannot be started from a disk: it lacks the isohybrid signature at offset 0x40.', 'Use isolinux.bin from ISOLINUX 3.72 or newer (Debian package isolinux).');
  }
}

/**
 * The hybrid system area: a protective MBR (one 0xEE entry, active because some BIOSes boot only a disk
 * with an active partition) with the boot code, and a GPT with partition 1 "ISO9660" from LBA 64 up to
 * the ESP and partition 2 "EFI System" exactly over the ESP; the backup GPT fills the image's end.
 */
export function hybridTables(layout: Layout, hybrid: IsoHybrid): HybridTables {
  const diskSectors = toSectors(layout.totalBlocks);
  let bootCode: Buffer | undefined;
  if (hybrid.mbrCode && layout.biosBoot) {
    bootCode = Buffer.alloc(440);
    bootCode.set(hybrid.mbrCode, 0);
    // isohdpfx.bin reads isolinux.bin from this 512-byte LBA (u64 LE) of the disk it was started from.
    bootCode.writeBigUInt64LE(BigInt(toSectors(layout.biosBoot.lba)), MBR_CODE_MAX);
  }
  const mbr = protectiveMbr(diskSectors, { bootCode, diskSignature: derivedDiskSignature(hybrid.guidSeed), isBootable: true });
  const esp = layout.esp;
  const isoEnd = esp ? toSectors(esp.lba) : toSectors(layout.dataEndBlock);
  const partitions: GptPartition[] = [
    {
      typeGuid: GPT_TYPE.microsoftBasicData,
      guid: derivedGuid(hybrid.guidSeed, 'partition 1'),
      firstLba: ISO_PARTITION_START,
      lastLba: isoEnd - 1,
      attributes: READ_ONLY,
      name: 'ISO9660',
    },
  ];
  if (esp) {
    partitions.push({
      typeGuid: GPT_TYPE.efiSystem,
      guid: derivedGuid(hybrid.guidSeed, 'partition 2'),
      firstLba: toSectors(esp.lba),
      lastLba: toSectors(esp.lba) + esp.size / SECTOR - 1,
      attributes: 0n,
      name: 'EFI System',
    });
  }
  const table = newGptTable(derivedGuid(hybrid.guidSeed, 'disk'), diskSectors, partitions);
  return { mbr, gpt: buildGpt(table), table, mbrInfo: readMbr(mbr) };
}
