import { fromDosTime, toDosTime } from './dos-time';
import { oemText, shortNameChecksum, shortNameText, type ShortName } from './short-name';

/** FAT §6: 32-byte directory entries, and the long-name (VFAT) entries that precede a short one. */

export const ENTRY_SIZE = 32;
export const ATTR_READ_ONLY = 0x01;
export const ATTR_HIDDEN = 0x02;
export const ATTR_SYSTEM = 0x04;
export const ATTR_VOLUME_ID = 0x08;
export const ATTR_DIRECTORY = 0x10;
export const ATTR_ARCHIVE = 0x20;
export const ATTR_LONG_NAME = ATTR_READ_ONLY | ATTR_HIDDEN | ATTR_SYSTEM | ATTR_VOLUME_ID;
const LAST_LONG_ENTRY = 0x40;
const DELETED = 0xe5;
// FAT §7.1: which bytes of a long-name entry hold its 13 UTF-16 characters.
const LFN_CHAR_OFFSETS = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];

export interface ShortEntry {
  name: Uint8Array;
  attr: number;
  caseFlags: number;
  mtime: Date;
  firstCluster: number;
  size: number;
}

export function encodeShortEntry(e: ShortEntry, out: Buffer, at: number): void {
  const t = toDosTime(e.mtime);
  out.set(e.name.subarray(0, 11), at);
  out[at + 11] = e.attr;
  out[at + 12] = e.caseFlags;
  out[at + 13] = t.centiseconds; // creation time, tenths: FAT §6 says 0..199 in units of 10 ms
  out.writeUInt16LE(t.time, at + 14);
  out.writeUInt16LE(t.date, at + 16);
  out.writeUInt16LE(t.date, at + 18); // last access date
  out.writeUInt16LE(e.firstCluster >>> 16, at + 20);
  out.writeUInt16LE(t.time, at + 22);
  out.writeUInt16LE(t.date, at + 24);
  out.writeUInt16LE(e.firstCluster & 0xffff, at + 26);
  out.writeUInt32LE(e.size, at + 28);
}

/** How many 32-byte entries a name takes: its long-name entries (if any) and the short entry. */
export function entryCount(longName: string, short: ShortName): number {
  return (short.needsLongName ? Math.ceil(longName.length / 13) : 0) + 1;
}

/** Write the long-name entries (last part first, FAT §7.1) and the short entry; returns the next offset. */
export function encodeNamedEntry(longName: string, short: ShortName, e: Omit<ShortEntry, 'name' | 'caseFlags'>, out: Buffer, at: number): number {
  let pos = at;
  if (short.needsLongName) {
    const checksum = shortNameChecksum(short.bytes);
    const parts = Math.ceil(longName.length / 13);
    for (let ord = parts; ord >= 1; ord--) {
      out[pos] = ord | (ord === parts ? LAST_LONG_ENTRY : 0);
      out[pos + 11] = ATTR_LONG_NAME;
      out[pos + 12] = 0;
      out[pos + 13] = checksum;
      out.writeUInt16LE(0, pos + 26);
      for (let k = 0; k < 13; k++) {
        const i = (ord - 1) * 13 + k;
        // After the name: one NUL, then 0xFFFF padding.
        const unit = i < longName.length ? longName.charCodeAt(i) : i === longName.length ? 0 : 0xffff;
        out.writeUInt16LE(unit, pos + LFN_CHAR_OFFSETS[k]!);
      }
      pos += ENTRY_SIZE;
    }
  }
  encodeShortEntry({ ...e, name: short.bytes, caseFlags: short.caseFlags }, out, pos);
  return pos + ENTRY_SIZE;
}

export interface ParsedEntry {
  /** The long name when a valid long-name set precedes the entry, else the short name with case flags. */
  name: string;
  shortName: string;
  attr: number;
  isDirectory: boolean;
  mtime: Date;
  firstCluster: number;
  size: number;
}

/**
 * Parse a directory's bytes: skips deleted entries and long-name sets whose checksum or order does
 * not match their short entry (as FAT drivers do), stops at the end marker. The volume label entry
 * is returned separately; `.` and `..` are left out.
 */
export function parseDirectory(buf: Buffer, isFat32: boolean): { entries: ParsedEntry[]; label: string | null } {
  const entries: ParsedEntry[] = [];
  let label: string | null = null;
  let lfn: { parts: string[]; checksum: number; expect: number } | null = null;
  for (let at = 0; at + ENTRY_SIZE <= buf.length; at += ENTRY_SIZE) {
    const first = buf[at]!;
    if (first === 0) break;
    if (first === DELETED) {
      lfn = null;
      continue;
    }
    const attr = buf[at + 11]!;
    if ((attr & 0x3f) === ATTR_LONG_NAME) {
      const ord = first & 0x3f;
      if (first & LAST_LONG_ENTRY) lfn = { parts: [], checksum: buf[at + 13]!, expect: ord };
      if (!lfn || ord !== lfn.expect || ord === 0 || buf[at + 13] !== lfn.checksum) {
        lfn = null;
        continue;
      }
      let text = '';
      for (const off of LFN_CHAR_OFFSETS) {
        const unit = buf.readUInt16LE(at + off);
        if (unit === 0) break;
        text += String.fromCharCode(unit);
      }
      lfn.parts[ord - 1] = text;
      lfn.expect = ord - 1;
      continue;
    }
    const nameBytes = buf.subarray(at, at + 11);
    const set = lfn;
    lfn = null;
    if (attr & ATTR_VOLUME_ID) {
      if (!(attr & ATTR_DIRECTORY)) label = oemText(nameBytes).trimEnd();
      continue;
    }
    if (first === 0x2e && (nameBytes.toString('latin1') === '.          ' || nameBytes.toString('latin1') === '..         ')) continue;
    const shortName = shortNameText(nameBytes, buf[at + 12]!);
    const hasLongName = set !== null && set.expect === 0 && set.checksum === shortNameChecksum(nameBytes);
    entries.push({
      name: hasLongName ? set.parts.join('') : shortName,
      shortName,
      attr,
      isDirectory: (attr & ATTR_DIRECTORY) !== 0,
      mtime: fromDosTime(buf.readUInt16LE(at + 24), buf.readUInt16LE(at + 22)),
      firstCluster: (isFat32 ? buf.readUInt16LE(at + 20) * 0x10000 : 0) + buf.readUInt16LE(at + 26),
      size: buf.readUInt32LE(at + 28),
    });
  }
  return { entries, label };
}
