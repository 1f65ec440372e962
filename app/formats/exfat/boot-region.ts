import { EmtError } from '../../errors';

/**
 * exFAT §3: the boot region (12 sectors, written twice: main at sector 0, backup at 12) and the
 * layout a volume of a given size gets. The layout is mkfs.exfat's (exfatprogs): 4 KiB clusters up
 * to 256 MiB, 32 KiB up to 32 GiB, 128 KiB above; the FAT at 1 MiB, the cluster heap at the next
 * MiB boundary after it.
 */

export const SECTOR_SHIFT = 9;
export const SECTOR = 1 << SECTOR_SHIFT;
export const BOOT_REGION_SECTORS = 12;
const MIB = 1 << 20;
const MAX_CLUSTERS = 0xfffffff5; // exFAT §3.1.9: 2^32 - 11

export interface ExfatGeometry {
  volumeSectors: number;
  clusterShift: number; // sectors per cluster, as a power of two
  fatOffset: number; // sectors
  fatLength: number; // sectors
  heapOffset: number; // sectors
  clusterCount: number;
}

export function defaultClusterSize(bytes: number): number {
  return bytes <= 256 * MIB ? 4096 : bytes <= 32 * 1024 * MIB ? 32 * 1024 : 128 * 1024;
}

/** The layout of a volume of `bytes` (a multiple of 512), or null when it is too small to hold one. */
export function exfatGeometry(bytes: number, clusterSize = defaultClusterSize(bytes)): ExfatGeometry | null {
  const volumeSectors = bytes / SECTOR;
  const fatOffset = Math.max(MIB, clusterSize) / SECTOR;
  // One 4-byte entry per cluster the volume could have, rounded up to whole clusters.
  const fatBytes = Math.ceil(((bytes / clusterSize) * 4) / clusterSize) * clusterSize;
  const fatLength = fatBytes / SECTOR;
  const heapOffset = (Math.ceil(((fatOffset + fatLength) * SECTOR) / MIB) * MIB) / SECTOR;
  const clusterCount = Math.min(MAX_CLUSTERS, Math.floor((volumeSectors - heapOffset) / (clusterSize / SECTOR)));
  if (clusterCount < 1) return null;
  return { volumeSectors, clusterShift: Math.log2(clusterSize / SECTOR), fatOffset, fatLength, heapOffset, clusterCount };
}

export interface BootFields {
  geometry: ExfatGeometry;
  volumeSerial: number;
  partitionOffset: number; // sectors
  rootCluster: number;
  percentInUse: number;
}

/** The 12 sectors of a boot region, checksum sector included. */
export function encodeBootRegion(f: BootFields): Buffer {
  const g = f.geometry;
  const region = Buffer.alloc(BOOT_REGION_SECTORS * SECTOR);
  const b = region.subarray(0, SECTOR);
  b.set([0xeb, 0x76, 0x90], 0); // JumpBoot
  b.write('EXFAT   ', 3, 'latin1');
  b.writeBigUInt64LE(BigInt(f.partitionOffset), 64);
  b.writeBigUInt64LE(BigInt(g.volumeSectors), 72);
  b.writeUInt32LE(g.fatOffset, 80);
  b.writeUInt32LE(g.fatLength, 84);
  b.writeUInt32LE(g.heapOffset, 88);
  b.writeUInt32LE(g.clusterCount, 92);
  b.writeUInt32LE(f.rootCluster, 96);
  b.writeUInt32LE(f.volumeSerial >>> 0, 100);
  b.writeUInt16LE(0x0100, 104); // FileSystemRevision 1.00
  b.writeUInt16LE(0, 106); // VolumeFlags: clean, FAT 0 active
  b[108] = SECTOR_SHIFT;
  b[109] = g.clusterShift;
  b[110] = 1; // NumberOfFats
  b[111] = 0x80; // DriveSelect
  b[112] = f.percentInUse;
  // BootCode: "int 18h" (try the next boot device), then halt: this volume is not BIOS-bootable.
  b.set([0xcd, 0x18, 0xf4, 0xeb, 0xfd], 120);
  b.writeUInt16LE(0xaa55, 510);
  // Extended boot sectors 1-8 end with the ExtendedBootSignature (§3.2.1); 9 (OEM parameters)
  // and 10 (reserved) stay zero.
  for (let s = 1; s <= 8; s++) region.writeUInt32LE(0xaa550000, s * SECTOR + SECTOR - 4);
  const sum = bootChecksum(region);
  for (let at = 11 * SECTOR; at < 12 * SECTOR; at += 4) region.writeUInt32LE(sum, at);
  return region;
}

/** exFAT §3.4: over sectors 0-10, skipping VolumeFlags and PercentInUse, which change in use. */
export function bootChecksum(region: Buffer): number {
  let sum = 0;
  for (let i = 0; i < 11 * SECTOR; i++) {
    if (i === 106 || i === 107 || i === 112) continue;
    sum = (((sum & 1) << 31) | (sum >>> 1)) + region[i]! >>> 0;
  }
  return sum;
}

export interface ExfatBoot {
  volumeSectors: number;
  bytesPerSector: number;
  clusterSize: number;
  fatOffset: number; // bytes
  fatLength: number; // bytes
  heapOffset: number; // bytes
  clusterCount: number;
  rootCluster: number;
  volumeSerial: number;
}

/** Decode and check a main boot region (12 sectors of 512 bytes; larger sectors are read by the caller). */
export function decodeBootRegion(region: Buffer): ExfatBoot {
  const b = region.subarray(0, SECTOR);
  if (b.toString('latin1', 3, 11) !== 'EXFAT   ' || b.readUInt16LE(510) !== 0xaa55) {
    throw new EmtError('E_EXFAT_NOT_EXFAT', 'This is not an exFAT file system: the boot sector does not say EXFAT.', 'Check that you opened the right image or partition.');
  }
  const sectorShift = b[108]!;
  const clusterShift = b[109]!;
  if (sectorShift < 9 || sectorShift > 12 || sectorShift + clusterShift > 25) {
    throw new EmtError('E_EXFAT_NOT_EXFAT', 'This is not a valid exFAT file system: the sector or cluster size is out of range.', 'Check that you opened the right image or partition.');
  }
  const bytesPerSector = 1 << sectorShift;
  if (sectorShift === SECTOR_SHIFT && region.length >= BOOT_REGION_SECTORS * SECTOR && region.readUInt32LE(11 * SECTOR) !== bootChecksum(region)) {
    throw new EmtError('E_EXFAT_CORRUPT', 'The exFAT volume is damaged: its boot region checksum does not match.', 'Rebuild the image or rewrite the stick; on a used stick, run fsck.exfat on it.');
  }
  return {
    volumeSectors: Number(b.readBigUInt64LE(72)),
    bytesPerSector,
    clusterSize: bytesPerSector << clusterShift,
    fatOffset: b.readUInt32LE(80) * bytesPerSector,
    fatLength: b.readUInt32LE(84) * bytesPerSector,
    heapOffset: b.readUInt32LE(88) * bytesPerSector,
    clusterCount: b.readUInt32LE(92),
    rootCluster: b.readUInt32LE(96),
    volumeSerial: b.readUInt32LE(100),
  };
}
