import { MEDIA_FIXED_DISK, type FatType } from './geometry';

/**
 * The file allocation table of a write-once image: every file and directory is one contiguous run
 * of clusters, so the table is a few runs of "next = this + 1" ending in end-of-chain, zeros
 * elsewhere. It is rendered chunk by chunk on demand: the FAT of a 64 GiB FAT32 volume is 8 MiB,
 * and only the chunks being written exist at any time.
 */

/** Clusters first..first+count-1, chained in order. */
export interface ClusterRun {
  first: number;
  count: number;
}

const CHUNK = 1 << 20;

/** The FAT flavours: FAT12/16/32, and exFAT's (32-bit entries, all 32 bits used). */
export type FatKind = FatType | 'exfat';

function endOfChain(type: FatKind): number {
  return type === 12 ? 0xfff : type === 16 ? 0xffff : type === 32 ? 0x0fffffff : 0xffffffff;
}

/**
 * FAT §4.2: entry 0 holds the media byte with all other bits set; entry 1 an end-of-chain mark.
 * exFAT §4.1 keeps the same two entries (F8 FF FF FF, FF FF FF FF).
 */
function reservedEntry(type: FatKind, index: 0 | 1): number {
  if (type === 'exfat') return index === 0 ? 0xfffffff8 : 0xffffffff;
  return index === 0 ? endOfChain(type) & (0x0fffff00 | MEDIA_FIXED_DISK) : endOfChain(type);
}

/** Yields exactly `fatBytes` bytes: one copy of the FAT. `runs` must be sorted and disjoint. */
export function* renderFat(type: FatKind, runs: readonly ClusterRun[], fatBytes: number): Generator<Buffer> {
  const eoc = endOfChain(type);
  if (type === 12) {
    // FAT12 entries straddle bytes; its FAT is at most 6 KiB, so render it whole.
    const b = Buffer.alloc(fatBytes);
    setFat12(b, 0, reservedEntry(12, 0));
    setFat12(b, 1, reservedEntry(12, 1));
    for (const r of runs) for (let c = r.first; c < r.first + r.count; c++) setFat12(b, c, c === r.first + r.count - 1 ? eoc : c + 1);
    yield b;
    return;
  }
  const width = type === 16 ? 2 : 4;
  let next = 0;
  for (let start = 0; start < fatBytes; start += CHUNK) {
    const b = Buffer.alloc(Math.min(CHUNK, fatBytes - start));
    const firstEntry = start / width;
    const endEntry = firstEntry + Math.floor(b.length / width);
    const put = (entry: number, value: number): void => {
      if (width === 2) b.writeUInt16LE(value, (entry - firstEntry) * 2);
      else b.writeUInt32LE(value, (entry - firstEntry) * 4);
    };
    if (firstEntry === 0) {
      put(0, reservedEntry(type, 0));
      put(1, reservedEntry(type, 1));
    }
    while (next < runs.length && runs[next]!.first + runs[next]!.count <= firstEntry) next++;
    for (let k = next; k < runs.length && runs[k]!.first < endEntry; k++) {
      const r = runs[k]!;
      const last = r.first + r.count - 1;
      const to = Math.min(last + 1, endEntry);
      for (let c = Math.max(r.first, firstEntry); c < to; c++) put(c, c === last ? eoc : c + 1);
    }
    yield b;
  }
}

function setFat12(b: Buffer, cluster: number, value: number): void {
  const at = Math.floor((cluster * 3) / 2);
  if (cluster & 1) {
    b[at] = (b[at]! & 0x0f) | ((value & 0x0f) << 4);
    b[at + 1] = value >> 4;
  } else {
    b[at] = value & 0xff;
    b[at + 1] = (b[at + 1]! & 0xf0) | (value >> 8);
  }
}

/** Read entry `cluster` of a FAT12 table held whole in `b`. */
export function fat12Entry(b: Buffer, cluster: number): number {
  const v = b.readUInt16LE(Math.floor((cluster * 3) / 2));
  return cluster & 1 ? v >> 4 : v & 0xfff;
}
