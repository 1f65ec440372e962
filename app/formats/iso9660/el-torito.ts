import { EmtError } from '../../errors';
import { BLOCK } from './encoding';

/** El Torito 1.0 platform ids, plus 0xEF for UEFI (UEFI 2.10 §13.3.2.1). */
export const PLATFORM_BIOS = 0x00;
export const PLATFORM_EFI = 0xef;
const ENTRY = 32;

export interface BootEntry {
  platform: number;
  isBootable: boolean;
  /** 0 = no emulation. */
  mediaType: number;
  loadSegment: number;
  systemType: number;
  /** Virtual 512-byte sectors loaded (BIOS) or the image size in them (UEFI). */
  sectorCount: number;
  /** LBA (2048-byte blocks) of the image. */
  loadRba: number;
}

function writeEntry(b: Buffer, at: number, e: { sectorCount: number; loadRba: number }): void {
  b[at] = 0x88; // bootable; media 0 = no emulation; load segment 0 = the default 0x7C0
  b.writeUInt16LE(e.sectorCount, at + 6);
  b.writeUInt32LE(e.loadRba, at + 8);
}

/**
 * The boot catalog (one block): validation entry with the first image's platform, that image as the
 * default entry, then one section per run of following images of the same platform.
 */
export function bootCatalog(images: readonly { platform: number; sectorCount: number; loadRba: number }[]): Buffer {
  const b = Buffer.alloc(BLOCK);
  const first = images[0]!;
  // §2.1 validation entry: header 1, platform, 0x55AA, and a checksum making the 16 words sum to 0.
  b[0] = 1;
  b[1] = first.platform;
  b[30] = 0x55;
  b[31] = 0xaa;
  let sum = 0;
  for (let i = 0; i < ENTRY; i += 2) sum = (sum + b.readUInt16LE(i)) & 0xffff;
  b.writeUInt16LE((0x10000 - sum) & 0xffff, 28);
  writeEntry(b, ENTRY, first);
  let at = 2 * ENTRY;
  const rest = images.slice(1);
  for (let i = 0; i < rest.length; ) {
    let j = i;
    while (j < rest.length && rest[j]!.platform === rest[i]!.platform) j++;
    // §2.3 section header: 0x90 = more headers follow, 0x91 = final header.
    b[at] = j === rest.length ? 0x91 : 0x90;
    b[at + 1] = rest[i]!.platform;
    b.writeUInt16LE(j - i, at + 2);
    at += ENTRY;
    for (let k = i; k < j; k++, at += ENTRY) writeEntry(b, at, rest[k]!);
    i = j;
  }
  return b;
}

function readEntry(b: Buffer, at: number, platform: number): BootEntry {
  return {
    platform,
    isBootable: b[at] === 0x88,
    mediaType: b[at + 1]! & 0x0f,
    loadSegment: b.readUInt16LE(at + 2),
    systemType: b[at + 4]!,
    sectorCount: b.readUInt16LE(at + 6),
    loadRba: b.readUInt32LE(at + 8),
  };
}

/** Parse a boot catalog block: the default entry, then every section entry. */
export function parseBootCatalog(b: Buffer): BootEntry[] {
  let sum = 0;
  for (let i = 0; i < ENTRY; i += 2) sum = (sum + b.readUInt16LE(i)) & 0xffff;
  if (b[0] !== 1 || b[30] !== 0x55 || b[31] !== 0xaa || sum !== 0) {
    throw new EmtError('E_ISO_BOOT_CATALOG', 'The El Torito boot catalog is damaged (bad validation entry).', 'Rebuild the image; it will not boot from CD.');
  }
  const entries = [readEntry(b, ENTRY, b[1]!)];
  let at = 2 * ENTRY;
  while (at + ENTRY <= b.length && (b[at] === 0x90 || b[at] === 0x91)) {
    const isFinal = b[at] === 0x91;
    const platform = b[at + 1]!;
    let count = b.readUInt16LE(at + 2);
    at += ENTRY;
    while (count > 0 && at + ENTRY <= b.length) {
      // §2.5 extension entries (0x44) continue the previous entry's selection criteria.
      if (b[at] !== 0x44) {
        entries.push(readEntry(b, at, platform));
        count--;
      }
      at += ENTRY;
    }
    if (isFinal) break;
  }
  return entries;
}

/**
 * El Torito boot info table (mkisofs -boot-info-table), which ISOLINUX reads to find itself: bytes
 * 8-63 of the boot file get the PVD LBA, the file's LBA, its length, and the 32-bit sum of its
 * little-endian words from byte 64 on; the remaining 40 bytes are zero.
 */
export function patchBootInfoTable(file: Buffer, pvdLba: number, fileLba: number): Buffer {
  const out = Buffer.from(file);
  let sum = 0;
  const padded = Buffer.concat([out.subarray(64), Buffer.alloc((4 - (out.length % 4)) % 4)]);
  for (let i = 0; i < padded.length; i += 4) sum = (sum + padded.readUInt32LE(i)) >>> 0;
  out.writeUInt32LE(pvdLba, 8);
  out.writeUInt32LE(fileLba, 12);
  out.writeUInt32LE(out.length, 16);
  out.writeUInt32LE(sum, 20);
  out.fill(0, 24, 64);
  return out;
}
