import { fromDosTime, toDosTime } from '../fat/dos-time';
import { upcase } from '../fat/upcase';

/** exFAT §6-7: 32-byte directory entries and the File / Stream Extension / File Name entry sets. */

export const ENTRY = 32;
export const TYPE_BITMAP = 0x81;
export const TYPE_UPCASE = 0x82;
export const TYPE_LABEL = 0x83;
export const TYPE_FILE = 0x85;
export const TYPE_STREAM = 0xc0;
export const TYPE_NAME = 0xc1;
export const ATTR_DIRECTORY = 0x10;
export const ATTR_ARCHIVE = 0x20;
export const FLAG_ALLOCATION_POSSIBLE = 0x01;
export const FLAG_NO_FAT_CHAIN = 0x02;
const NAME_CHARS = 15;
const UTC = 0x80; // exFAT §7.4.10: OffsetValid, UTC+0

/** Entries a name's set takes: File, Stream Extension and one File Name entry per 15 characters. */
export function setEntryCount(name: string): number {
  return 2 + Math.ceil(name.length / NAME_CHARS);
}

/** exFAT §7.6.4: NameHash over the up-cased name, byte by byte. */
export function nameHash(name: string): number {
  const up = upcase(name);
  let hash = 0;
  for (let i = 0; i < up.length; i++) {
    const c = up.charCodeAt(i);
    hash = ((hash & 1 ? 0x8000 : 0) + (hash >>> 1) + (c & 0xff)) & 0xffff;
    hash = ((hash & 1 ? 0x8000 : 0) + (hash >>> 1) + (c >>> 8)) & 0xffff;
  }
  return hash;
}

/** exFAT §6.3.3: SetChecksum over every byte of the set except the checksum field itself. */
export function setChecksum(set: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < set.length; i++) {
    if (i === 2 || i === 3) continue;
    sum = ((sum & 1 ? 0x8000 : 0) + (sum >>> 1) + set[i]!) & 0xffff;
  }
  return sum;
}

export interface FileSet {
  name: string;
  isDirectory: boolean;
  mtime: Date;
  firstCluster: number;
  size: number;
  /** Contiguous clusters not described in the FAT (§7.6.2 NoFatChain). */
  isContiguous: boolean;
}

export function encodeFileSet(f: FileSet, out: Buffer, at: number): number {
  const count = setEntryCount(f.name);
  const set = out.subarray(at, at + count * ENTRY);
  const t = toDosTime(f.mtime);
  const stamp = t.date * 0x10000 + t.time;
  set[0] = TYPE_FILE;
  set[1] = count - 1;
  set.writeUInt16LE(f.isDirectory ? ATTR_DIRECTORY : ATTR_ARCHIVE, 4);
  for (const off of [8, 12, 16]) set.writeUInt32LE(stamp, off); // created, modified, accessed
  set[20] = t.centiseconds;
  set[21] = t.centiseconds;
  set[22] = UTC;
  set[23] = UTC;
  set[24] = UTC;
  const s = ENTRY;
  set[s] = TYPE_STREAM;
  set[s + 1] = FLAG_ALLOCATION_POSSIBLE | (f.isContiguous && f.firstCluster !== 0 ? FLAG_NO_FAT_CHAIN : 0);
  set[s + 3] = f.name.length;
  set.writeUInt16LE(nameHash(f.name), s + 4);
  set.writeBigUInt64LE(BigInt(f.size), s + 8); // ValidDataLength: all of it is written
  set.writeUInt32LE(f.firstCluster, s + 20);
  set.writeBigUInt64LE(BigInt(f.size), s + 24);
  for (let e = 2; e < count; e++) {
    const n = e * ENTRY;
    set[n] = TYPE_NAME;
    for (let k = 0; k < NAME_CHARS; k++) {
      const i = (e - 2) * NAME_CHARS + k;
      set.writeUInt16LE(i < f.name.length ? f.name.charCodeAt(i) : 0, n + 2 + k * 2);
    }
  }
  set.writeUInt16LE(setChecksum(set), 2);
  return at + count * ENTRY;
}

export function encodeLabel(label: string, out: Buffer, at: number): number {
  out[at] = TYPE_LABEL;
  out[at + 1] = label.length;
  for (let i = 0; i < label.length; i++) out.writeUInt16LE(label.charCodeAt(i), at + 2 + i * 2);
  return at + ENTRY;
}

/** The Allocation Bitmap (§7.1) and Up-case Table (§7.2) entries: critical, in the root only. */
export function encodeSystemEntry(type: typeof TYPE_BITMAP | typeof TYPE_UPCASE, firstCluster: number, length: number, checksum: number, out: Buffer, at: number): number {
  out[at] = type;
  if (type === TYPE_UPCASE) out.writeUInt32LE(checksum, at + 4);
  out.writeUInt32LE(firstCluster, at + 20);
  out.writeBigUInt64LE(BigInt(length), at + 24);
  return at + ENTRY;
}

export interface ParsedSet {
  name: string;
  isDirectory: boolean;
  mtime: Date;
  firstCluster: number;
  size: number;
  validSize: number;
  isContiguous: boolean;
}

export interface ParsedDirectory {
  sets: ParsedSet[];
  label: string | null;
  bitmap: { firstCluster: number; length: number } | null;
  upcase: { firstCluster: number; length: number; checksum: number } | null;
}

/** Parse a directory's bytes; `bad` makes the error for a damaged entry set. */
export function parseDirectory(buf: Buffer, bad: (why: string) => Error): ParsedDirectory {
  const out: ParsedDirectory = { sets: [], label: null, bitmap: null, upcase: null };
  for (let at = 0; at + ENTRY <= buf.length; at += ENTRY) {
    const type = buf[at]!;
    if (type === 0) break; // end of directory
    if (!(type & 0x80)) continue; // unused or deleted
    if (type === TYPE_LABEL) {
      out.label = String.fromCharCode(...Array.from({ length: Math.min(11, buf[at + 1]!) }, (_, i) => buf.readUInt16LE(at + 2 + i * 2)));
    } else if (type === TYPE_BITMAP && !(buf[at + 1]! & 1)) {
      out.bitmap = { firstCluster: buf.readUInt32LE(at + 20), length: Number(buf.readBigUInt64LE(at + 24)) };
    } else if (type === TYPE_UPCASE) {
      out.upcase = { firstCluster: buf.readUInt32LE(at + 20), length: Number(buf.readBigUInt64LE(at + 24)), checksum: buf.readUInt32LE(at + 4) };
    } else if (type === TYPE_FILE) {
      const count = buf[at + 1]! + 1;
      const set = buf.subarray(at, at + count * ENTRY);
      if (count < 3 || set.length < count * ENTRY || set[ENTRY] !== TYPE_STREAM) throw bad(`an entry set at byte ${at} is incomplete`);
      if (set.readUInt16LE(2) !== setChecksum(set)) throw bad(`the checksum of the entry set at byte ${at} does not match`);
      const s = ENTRY;
      const nameLength = set[s + 3]!;
      let name = '';
      for (let e = 2; e < count && name.length < nameLength; e++) {
        for (let k = 0; k < NAME_CHARS && name.length < nameLength; k++) name += String.fromCharCode(set.readUInt16LE(e * ENTRY + 2 + k * 2));
      }
      const stamp = set.readUInt32LE(12);
      out.sets.push({
        name,
        isDirectory: (set.readUInt16LE(4) & ATTR_DIRECTORY) !== 0,
        mtime: new Date(fromDosTime(stamp >>> 16, stamp & 0xffff, set[21]!).getTime() - utcOffsetMs(set[23]!)),
        firstCluster: set.readUInt32LE(s + 20),
        size: Number(set.readBigUInt64LE(s + 24)),
        validSize: Number(set.readBigUInt64LE(s + 8)),
        isContiguous: (set[s + 1]! & FLAG_NO_FAT_CHAIN) !== 0,
      });
      at += (count - 1) * ENTRY;
    }
  }
  return out;
}

/** exFAT §7.4.10: a signed count of 15-minute steps, when bit 7 says it is valid. */
function utcOffsetMs(field: number): number {
  if (!(field & 0x80)) return 0;
  const steps = field & 0x40 ? (field & 0x7f) - 0x80 : field & 0x7f;
  return steps * 15 * 60 * 1000;
}
