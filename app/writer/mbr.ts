/**
 * A classic MBR with one partition from 1 MiB to the end of the disk: what a restored stick gets,
 * readable by every firmware, TV and OS. Layout per the UEFI spec §5.2.1 (legacy MBR): boot code
 * 0-439, disk signature 440-443, four 16-byte entries from 446, signature 0x55 0xAA at 510.
 */
export const PARTITION_OFFSET = 1 << 20;

export const MBR_TYPE = {
  /** W95 FAT32 (LBA). */
  fat32: 0x0c,
  /** exFAT and NTFS share type 0x07. */
  exfat: 0x07,
} as const;

// CHS is obsolete; past what it can address, entries carry the "use LBA" marker 1023/254/63.
function chs(lba: number): [number, number, number] {
  const sectorsPerTrack = 63;
  const heads = 255;
  const c = Math.floor(lba / (heads * sectorsPerTrack));
  if (c > 1023) return [0xfe, 0xff, 0xff];
  const h = Math.floor(lba / sectorsPerTrack) % heads;
  const s = (lba % sectorsPerTrack) + 1;
  return [h, ((c >> 2) & 0xc0) | s, c & 0xff];
}

/**
 * The MBR sector for a disk of `diskSize` bytes with `sectorSize`-byte logical sectors. The
 * partition stops at 2^32 - 1 sectors (2 TiB with 512-byte sectors), the most an MBR can describe.
 */
export function singlePartitionMbr(diskSize: number, sectorSize: number, type: number, diskSignature: number): { mbr: Buffer; offset: number; size: number } {
  const first = PARTITION_OFFSET / sectorSize;
  const count = Math.min(Math.floor(diskSize / sectorSize) - first, 0xffffffff);
  if (count <= 0) throw new Error(`a ${diskSize}-byte disk has no room for a partition after 1 MiB`);
  const mbr = Buffer.alloc(sectorSize);
  mbr.writeUInt32LE(diskSignature >>> 0, 440);
  const e = 446;
  mbr[e] = 0x00; // not active: a data stick does not boot
  mbr.set(chs(first), e + 1);
  mbr[e + 4] = type;
  mbr.set(chs(first + count - 1), e + 5);
  mbr.writeUInt32LE(first, e + 8);
  mbr.writeUInt32LE(count, e + 12);
  mbr[510] = 0x55;
  mbr[511] = 0xaa;
  return { mbr, offset: PARTITION_OFFSET, size: count * sectorSize };
}
