import { EmtError } from '../../errors';

/** One of the four primary entries of a master boot record. */
export interface MbrPartition {
  isBootable: boolean;
  /** Partition type byte: 0xEE GPT protective, 0xEF EFI System, 0x0C FAT32 LBA, 0x83 Linux. */
  type: number;
  firstLba: number;
  sectors: number;
}

export interface Mbr {
  /** Bytes 0-439: boot code (zeros when the disk is not BIOS-bootable through its MBR). */
  bootCode: Buffer;
  diskSignature: number;
  /** Always four slots; an unused slot is null. */
  partitions: (MbrPartition | null)[];
}

export interface MbrSpec {
  /** Up to 440 bytes of boot code, placed at offset 0 (e.g. ISOLINUX's 432-byte isohdpfx.bin). */
  bootCode?: Uint8Array;
  diskSignature?: number;
  /** Up to four entries; position = partition number - 1; null leaves a slot empty. */
  partitions: (MbrPartition | null)[];
}

export const SECTOR = 512;
export const MBR_BOOT_CODE_MAX = 440;
const TABLE = 446;
const MAX_U32 = 0xffffffff;

/**
 * The CHS triple for an LBA on an LBA-only disk, in the 255 heads x 63 sectors geometry fdisk assumes,
 * and clamped to 1023/254/63 (bytes FE FF FF) once the cylinder no longer fits in 10 bits: firmware
 * and fdisk then use the LBA fields. Encoding (MBR, IBM PC): head; sector | cylinder bits 8-9 << 6;
 * cylinder bits 0-7.
 */
export function chsBytes(lba: number, heads = 255, sectorsPerTrack = 63): [number, number, number] {
  const cylinder = Math.floor(lba / (heads * sectorsPerTrack));
  if (cylinder > 1023) return [0xfe, 0xff, 0xff];
  const head = Math.floor(lba / sectorsPerTrack) % heads;
  const sector = (lba % sectorsPerTrack) + 1;
  return [head, sector | ((cylinder >> 2) & 0xc0), cylinder & 0xff];
}

/** A 512-byte MBR sector: boot code, disk signature, four entries, `55 AA`. */
export function buildMbr(spec: MbrSpec): Buffer {
  const sector = Buffer.alloc(SECTOR);
  if (spec.bootCode) {
    if (spec.bootCode.length > MBR_BOOT_CODE_MAX) {
      throw new EmtError('E_MBR_BOOT_CODE', `The MBR boot code is ${spec.bootCode.length} bytes; at most ${MBR_BOOT_CODE_MAX} fit.`, 'Use an MBR template such as isohdpfx.bin (432 bytes).');
    }
    sector.set(spec.bootCode, 0);
  }
  sector.writeUInt32LE((spec.diskSignature ?? 0) >>> 0, 440);
  if (spec.partitions.length > 4) {
    throw new EmtError('E_MBR_TOO_MANY', `An MBR holds four primary partitions; ${spec.partitions.length} were given.`, 'Use a GPT for more partitions.');
  }
  spec.partitions.forEach((p, i) => {
    if (p) writeEntry(sector, TABLE + i * 16, p, i + 1);
  });
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

function writeEntry(sector: Buffer, at: number, p: MbrPartition, number: number): void {
  if (!Number.isInteger(p.firstLba) || !Number.isInteger(p.sectors) || p.firstLba < 0 || p.sectors < 1 || p.firstLba > MAX_U32 || p.sectors > MAX_U32) {
    throw new EmtError('E_MBR_RANGE', `MBR partition ${number} (start ${p.firstLba}, ${p.sectors} sectors) does not fit the 32-bit MBR fields.`, 'Use a GPT for disks or partitions beyond 2 TiB.');
  }
  if (!Number.isInteger(p.type) || p.type < 1 || p.type > 0xff) {
    throw new EmtError('E_MBR_TYPE', `MBR partition ${number} has type ${p.type}; a type is a byte from 0x01 to 0xFF.`, 'Use a partition type byte such as 0x83 or 0xEF.');
  }
  sector[at] = p.isBootable ? 0x80 : 0x00;
  sector.set(chsBytes(p.firstLba), at + 1);
  sector[at + 4] = p.type;
  sector.set(chsBytes(p.firstLba + p.sectors - 1), at + 5);
  sector.writeUInt32LE(p.firstLba, at + 8);
  sector.writeUInt32LE(p.sectors, at + 12);
}

/** Parse sector 0. Throws E_MBR_SIGNATURE when the sector does not end in `55 AA`. */
export function readMbr(sector: Uint8Array): Mbr {
  const b = Buffer.from(sector.buffer, sector.byteOffset, sector.byteLength);
  if (b.length < SECTOR || b[510] !== 0x55 || b[511] !== 0xaa) {
    throw new EmtError('E_MBR_SIGNATURE', 'The first sector has no MBR signature (55 AA).', 'The image or disk has no partition table; check that you chose the right file or drive.');
  }
  const partitions: (MbrPartition | null)[] = [];
  for (let i = 0; i < 4; i++) {
    const at = TABLE + i * 16;
    const type = b[at + 4]!;
    const sectors = b.readUInt32LE(at + 12);
    partitions.push(type === 0 && sectors === 0 ? null : { isBootable: b[at] === 0x80, type, firstLba: b.readUInt32LE(at + 8), sectors });
  }
  return { bootCode: Buffer.from(b.subarray(0, MBR_BOOT_CODE_MAX)), diskSignature: b.readUInt32LE(440), partitions };
}

/**
 * The protective MBR of a GPT disk (UEFI 2.10 §5.2.3): one 0xEE entry from LBA 1 to the end of the
 * disk (capped at 0xFFFFFFFF sectors). `isBootable` marks it active, which the UEFI spec leaves to
 * legacy firmware and which some BIOSes need before they boot a disk at all.
 */
export function protectiveMbr(diskSectors: number, options: { bootCode?: Uint8Array; diskSignature?: number; isBootable?: boolean } = {}): Buffer {
  const sectors = Math.min(diskSectors - 1, MAX_U32);
  const mbr = buildMbr({
    bootCode: options.bootCode,
    diskSignature: options.diskSignature,
    partitions: [{ isBootable: options.isBootable ?? false, type: 0xee, firstLba: 1, sectors }],
  });
  // UEFI 2.10 Table 5-4: an ending CHS that cannot be represented is written as 0xFFFFFF.
  if (sectors >= 1024 * 255 * 63) mbr.fill(0xff, TABLE + 5, TABLE + 8);
  return mbr;
}
