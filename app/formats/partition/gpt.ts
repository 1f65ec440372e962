import { crc32 } from 'node:zlib';
import { EmtError } from '../../errors';
import { guidFromBytes, guidToBytes, normalizeGuid } from './guid';
import { SECTOR } from './mbr';

/** One GPT partition entry. LBAs are 512-byte sectors, both ends inclusive. */
export interface GptPartition {
  typeGuid: string;
  guid: string;
  firstLba: number;
  lastLba: number;
  /** Attribute bits (UEFI 2.10 Table 5-9: bit 0 required, bit 2 legacy BIOS bootable, 48-63 type-specific). */
  attributes: bigint;
  name: string;
}

/** A GUID partition table as it is meant for one disk size. */
export interface GptTable {
  diskGuid: string;
  /** Size of the disk this table is laid out for, in 512-byte sectors (backup header = last sector). */
  diskSectors: number;
  /** Entry slots in order: index = partition number - 1; null = unused slot. */
  partitions: (GptPartition | null)[];
  /** Number of entries in the array (128 unless the table says otherwise). */
  entryCount: number;
  firstUsableLba: number;
  lastUsableLba: number;
}

/** Bytes of a GPT to place on a disk: `primary` at byte 512, `backup` at `backupOffset`. */
export interface GptImage {
  /** Header sector (LBA 1) followed by the entry array (LBA 2...). */
  primary: Buffer;
  /** Entry array followed by the backup header in the last sector. */
  backup: Buffer;
  backupOffset: number;
}

export const ENTRY_SIZE = 128;
export const DEFAULT_ENTRY_COUNT = 128;
const HEADER_SIZE = 92;
const SIGNATURE = 'EFI PART';
const REVISION = 0x00010000;
const NAME_UNITS = 36;

/** Sectors taken by an entry array of `entryCount` entries. */
export function entryArraySectors(entryCount = DEFAULT_ENTRY_COUNT): number {
  return Math.ceil((entryCount * ENTRY_SIZE) / SECTOR);
}

/** A table for a disk of `diskSectors`, with the default usable range (after the primary array, before the backup). */
export function newGptTable(diskGuid: string, diskSectors: number, partitions: (GptPartition | null)[] = [], entryCount = DEFAULT_ENTRY_COUNT): GptTable {
  const arraySectors = entryArraySectors(entryCount);
  return {
    diskGuid: normalizeGuid(diskGuid),
    diskSectors,
    partitions,
    entryCount,
    firstUsableLba: 2 + arraySectors,
    lastUsableLba: diskSectors - 2 - arraySectors,
  };
}

/** Check a table: partitions inside the usable range, in order of slots, not overlapping. */
export function validateGpt(table: GptTable): void {
  const bad = (msg: string): never => {
    throw new EmtError('E_GPT_LAYOUT', msg, 'Change the partition sizes or use a larger disk.');
  };
  if (table.partitions.length > table.entryCount) bad(`The GPT has ${table.partitions.length} partitions but only ${table.entryCount} entry slots.`);
  if ((table.entryCount * ENTRY_SIZE) % SECTOR !== 0) bad(`A GPT entry array of ${table.entryCount} entries does not fill whole sectors.`);
  const arraySectors = entryArraySectors(table.entryCount);
  if (table.firstUsableLba < 2 + arraySectors || table.lastUsableLba > table.diskSectors - 2 - arraySectors || table.firstUsableLba > table.lastUsableLba) {
    bad(`The GPT usable range ${table.firstUsableLba}-${table.lastUsableLba} does not fit a disk of ${table.diskSectors} sectors.`);
  }
  const used = table.partitions
    .map((p, i) => ({ p, n: i + 1 }))
    .filter((x): x is { p: GptPartition; n: number } => x.p !== null)
    .sort((a, b) => a.p.firstLba - b.p.firstLba);
  for (const { p, n } of used) {
    if (p.firstLba > p.lastLba) bad(`GPT partition ${n} ends (${p.lastLba}) before it starts (${p.firstLba}).`);
    if (p.firstLba < table.firstUsableLba || p.lastLba > table.lastUsableLba) {
      bad(`GPT partition ${n} (${p.firstLba}-${p.lastLba}) lies outside the usable sectors ${table.firstUsableLba}-${table.lastUsableLba}.`);
    }
    if (p.name.length > NAME_UNITS) {
      bad(`The GPT partition name "${p.name}" is longer than ${NAME_UNITS} UTF-16 characters.`);
    }
  }
  for (let i = 1; i < used.length; i++) {
    if (used[i]!.p.firstLba <= used[i - 1]!.p.lastLba) bad(`GPT partitions ${used[i - 1]!.n} and ${used[i]!.n} overlap.`);
  }
}

function encodeEntries(table: GptTable): Buffer {
  const arr = Buffer.alloc(table.entryCount * ENTRY_SIZE);
  table.partitions.forEach((p, i) => {
    if (!p) return;
    const at = i * ENTRY_SIZE;
    guidToBytes(p.typeGuid).copy(arr, at);
    guidToBytes(p.guid).copy(arr, at + 16);
    arr.writeBigUInt64LE(BigInt(p.firstLba), at + 32);
    arr.writeBigUInt64LE(BigInt(p.lastLba), at + 40);
    arr.writeBigUInt64LE(BigInt.asUintN(64, p.attributes), at + 48);
    arr.write(p.name, at + 56, NAME_UNITS * 2, 'utf16le');
  });
  return arr;
}

function encodeHeader(table: GptTable, myLba: number, alternateLba: number, entriesLba: number, entriesCrc: number): Buffer {
  const h = Buffer.alloc(SECTOR);
  h.write(SIGNATURE, 0, 'latin1');
  h.writeUInt32LE(REVISION, 8);
  h.writeUInt32LE(HEADER_SIZE, 12);
  h.writeBigUInt64LE(BigInt(myLba), 24);
  h.writeBigUInt64LE(BigInt(alternateLba), 32);
  h.writeBigUInt64LE(BigInt(table.firstUsableLba), 40);
  h.writeBigUInt64LE(BigInt(table.lastUsableLba), 48);
  guidToBytes(table.diskGuid).copy(h, 56);
  h.writeBigUInt64LE(BigInt(entriesLba), 72);
  h.writeUInt32LE(table.entryCount, 80);
  h.writeUInt32LE(ENTRY_SIZE, 84);
  h.writeUInt32LE(entriesCrc, 88);
  // UEFI 2.10 §5.3.2: the header CRC is taken over HeaderSize bytes with the CRC field zero.
  h.writeUInt32LE(crc32(h.subarray(0, HEADER_SIZE)), 16);
  return h;
}

/** Encode a table: primary header + array for LBA 1, array + backup header for the end of the disk. */
export function buildGpt(table: GptTable): GptImage {
  validateGpt(table);
  const entries = encodeEntries(table);
  const crc = crc32(entries);
  const last = table.diskSectors - 1;
  const arraySectors = entryArraySectors(table.entryCount);
  const backupEntriesLba = last - arraySectors;
  const primary = Buffer.concat([encodeHeader(table, 1, last, 2, crc), entries]);
  const backup = Buffer.concat([entries, encodeHeader(table, last, 1, backupEntriesLba, crc)]);
  return { primary, backup, backupOffset: backupEntriesLba * SECTOR };
}

/** What one header says about itself, and whether its CRCs hold. */
export interface GptHeaderInfo {
  myLba: number;
  alternateLba: number;
  firstUsableLba: number;
  lastUsableLba: number;
  diskGuid: string;
  entriesLba: number;
  entryCount: number;
  entrySize: number;
  isHeaderCrcValid: boolean;
  isEntriesCrcValid: boolean;
}

/** Parse a header sector; null when the signature is absent. Entries are read separately. */
export function parseGptHeader(sector: Buffer): Omit<GptHeaderInfo, 'isEntriesCrcValid'> & { entriesCrc: number } | null {
  if (sector.toString('latin1', 0, 8) !== SIGNATURE) return null;
  const size = sector.readUInt32LE(12);
  const stored = sector.readUInt32LE(16);
  let isHeaderCrcValid = false;
  if (size >= HEADER_SIZE && size <= SECTOR) {
    const copy = Buffer.from(sector.subarray(0, size));
    copy.writeUInt32LE(0, 16);
    isHeaderCrcValid = crc32(copy) === stored;
  }
  return {
    myLba: Number(sector.readBigUInt64LE(24)),
    alternateLba: Number(sector.readBigUInt64LE(32)),
    firstUsableLba: Number(sector.readBigUInt64LE(40)),
    lastUsableLba: Number(sector.readBigUInt64LE(48)),
    diskGuid: guidFromBytes(sector.subarray(56, 72)),
    entriesLba: Number(sector.readBigUInt64LE(72)),
    entryCount: sector.readUInt32LE(80),
    entrySize: sector.readUInt32LE(84),
    entriesCrc: sector.readUInt32LE(88),
    isHeaderCrcValid,
  };
}

/** Decode an entry array (entries of `entrySize` bytes, the first 128 of each used). */
export function parseGptEntries(array: Buffer, entryCount: number, entrySize: number): (GptPartition | null)[] {
  const out: (GptPartition | null)[] = [];
  for (let i = 0; i < entryCount; i++) {
    const e = array.subarray(i * entrySize, i * entrySize + ENTRY_SIZE);
    if (e.subarray(0, 16).every((b) => b === 0)) {
      out.push(null);
      continue;
    }
    const nameRaw = e.subarray(56, 128).toString('utf16le');
    const nul = nameRaw.indexOf('\0');
    out.push({
      typeGuid: guidFromBytes(e.subarray(0, 16)),
      guid: guidFromBytes(e.subarray(16, 32)),
      firstLba: Number(e.readBigUInt64LE(32)),
      lastLba: Number(e.readBigUInt64LE(40)),
      attributes: e.readBigUInt64LE(48),
      name: nul < 0 ? nameRaw : nameRaw.slice(0, nul),
    });
  }
  // Trailing empty slots carry no information; keep the array as long as the last used slot.
  while (out.length > 0 && out[out.length - 1] === null) out.pop();
  return out;
}
