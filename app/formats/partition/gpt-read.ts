import { crc32 } from 'node:zlib';
import { EmtError } from '../../errors';
import type { RandomAccess } from '../byte-source';
import { ENTRY_SIZE, parseGptEntries, parseGptHeader, type GptHeaderInfo, type GptTable } from './gpt';
import { SECTOR } from './mbr';

export interface GptReadResult {
  /** The table, from the primary header when it is sound, else from the backup. */
  table: GptTable;
  primary: GptHeaderInfo | null;
  backup: GptHeaderInfo | null;
  /**
   * Where the backup header is: in the device's last sector (`end-of-disk`), earlier (`inside-disk`:
   * an image written to a larger stick, which `relocateGpt` fixes), or nowhere sound (`missing`).
   */
  backupPlacement: 'end-of-disk' | 'inside-disk' | 'missing';
  deviceSectors: number;
  /** Plain sentences for everything that is not as UEFI wants it; empty when the GPT is clean. */
  problems: string[];
}

/** Largest entry array we are willing to read (UEFI asks for at least 16 KiB; tools use 16 KiB). */
const MAX_ARRAY_BYTES = 1 << 20;

interface Loaded {
  header: GptHeaderInfo;
  entriesCrc: number;
  partitions: ReturnType<typeof parseGptEntries>;
}

async function loadHeader(ra: RandomAccess, lba: number, deviceSectors: number, problems: string[], which: string): Promise<Loaded | null> {
  if (lba < 1 || lba >= deviceSectors) return null;
  const parsed = parseGptHeader(await ra.read(lba * SECTOR, SECTOR));
  if (!parsed) return null;
  const { entriesCrc, ...rest } = parsed;
  const header: GptHeaderInfo = { ...rest, isEntriesCrcValid: false };
  if (!header.isHeaderCrcValid) {
    problems.push(`The ${which} GPT header at LBA ${lba} fails its CRC check.`);
    return { header, entriesCrc, partitions: [] };
  }
  if (header.myLba !== lba) problems.push(`The ${which} GPT header at LBA ${lba} says it is at LBA ${header.myLba}.`);
  const bytes = header.entryCount * header.entrySize;
  const isShapeValid = header.entrySize >= ENTRY_SIZE && header.entrySize % 8 === 0 && bytes <= MAX_ARRAY_BYTES;
  const endsInside = header.entriesLba + Math.ceil(bytes / SECTOR) <= deviceSectors;
  if (!isShapeValid || !endsInside) {
    problems.push(`The ${which} GPT header describes an entry array (${header.entryCount} x ${header.entrySize} bytes at LBA ${header.entriesLba}) that cannot be read.`);
    return { header, entriesCrc, partitions: [] };
  }
  const array = await ra.read(header.entriesLba * SECTOR, bytes);
  header.isEntriesCrcValid = crc32(array) === entriesCrc;
  if (!header.isEntriesCrcValid) problems.push(`The ${which} GPT entry array at LBA ${header.entriesLba} fails its CRC check.`);
  return { header, entriesCrc, partitions: parseGptEntries(array, header.entryCount, header.entrySize) };
}

const isSound = (l: Loaded | null): l is Loaded => !!l && l.header.isHeaderCrcValid && l.header.isEntriesCrcValid;

/**
 * Read and check both GPT headers and entry arrays. Returns null when the disk has no GPT at all;
 * throws E_GPT_CORRUPT when neither copy is sound. A backup that is sound but not in the last sector
 * (an image written to a larger stick) is reported in `backupPlacement` and `problems`, not refused.
 */
export async function readGpt(ra: RandomAccess): Promise<GptReadResult | null> {
  const deviceSectors = Math.floor(ra.size / SECTOR);
  const problems: string[] = [];
  if (deviceSectors < 3) return null;
  const primary = await loadHeader(ra, 1, deviceSectors, problems, 'primary');
  let backup: Loaded | null = null;
  if (primary?.header.isHeaderCrcValid && primary.header.alternateLba !== deviceSectors - 1) {
    backup = await loadHeader(ra, primary.header.alternateLba, deviceSectors, problems, 'backup');
  }
  // Fall back to the last sector: where the backup lives when the primary is damaged or points elsewhere.
  if (!isSound(backup)) {
    const atEnd = await loadHeader(ra, deviceSectors - 1, deviceSectors, [], 'backup');
    if (atEnd && (isSound(atEnd) || !backup)) backup = atEnd;
  }
  if (!primary && !backup) return null;
  if (!isSound(primary) && !isSound(backup)) {
    throw new EmtError('E_GPT_CORRUPT', 'Both copies of the GPT partition table are damaged.', 'Recreate the image or rewrite the stick; a damaged table cannot be trusted.', { details: { problems } });
  }
  if (!primary) problems.push('There is no primary GPT header at LBA 1.');
  if (!isSound(backup)) problems.push('There is no sound backup GPT header.');
  const main = isSound(primary) ? primary : (backup as Loaded);
  if (isSound(primary) && isSound(backup)) {
    crossCheck(primary.header, backup.header, problems);
    if (primary.entriesCrc !== backup.entriesCrc) problems.push('The primary and backup GPT entry arrays differ.');
  }

  let backupPlacement: GptReadResult['backupPlacement'] = 'missing';
  if (isSound(backup)) {
    backupPlacement = backup.header.myLba === deviceSectors - 1 ? 'end-of-disk' : 'inside-disk';
    if (backupPlacement === 'inside-disk') {
      problems.push(`The backup GPT header is at LBA ${backup.header.myLba}, not in the last sector (${deviceSectors - 1}): the image was written to a larger disk.`);
    }
  }
  const h = main.header;
  const table: GptTable = {
    diskGuid: h.diskGuid,
    diskSectors: (isSound(primary) ? h.alternateLba : h.myLba) + 1,
    partitions: main.partitions,
    entryCount: h.entryCount,
    firstUsableLba: h.firstUsableLba,
    lastUsableLba: h.lastUsableLba,
  };
  return { table, primary: primary?.header ?? null, backup: backup?.header ?? null, backupPlacement, deviceSectors, problems };
}

function crossCheck(p: GptHeaderInfo, b: GptHeaderInfo, problems: string[]): void {
  if (p.alternateLba !== b.myLba) problems.push(`The primary GPT header points to a backup at LBA ${p.alternateLba}, but the backup is at LBA ${b.myLba}.`);
  if (b.alternateLba !== p.myLba) problems.push(`The backup GPT header points to a primary at LBA ${b.alternateLba}.`);
  if (p.diskGuid !== b.diskGuid) problems.push('The primary and backup GPT headers name different disk GUIDs.');
  if (p.firstUsableLba !== b.firstUsableLba || p.lastUsableLba !== b.lastUsableLba) problems.push('The primary and backup GPT headers disagree on the usable range.');
  if (p.entryCount !== b.entryCount || p.entrySize !== b.entrySize) problems.push('The primary and backup GPT headers disagree on the entry array.');
}
