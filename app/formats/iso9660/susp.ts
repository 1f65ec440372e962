import { BLOCK, recordDate, writeBoth32 } from './encoding';

/**
 * System Use Sharing Protocol (SUSP 1.12) and Rock Ridge (RRIP 1.12, identified as RRIP_1991A) entries.
 * Every entry is: 2-letter signature, length, version 1, data.
 */

function entry(sig: string, data: Uint8Array): Buffer {
  const b = Buffer.alloc(4 + data.length);
  b.write(sig, 0, 'latin1');
  b[2] = b.length;
  b[3] = 1;
  b.set(data, 4);
  return b;
}

/** SUSP §5.3: SP, first entry of the root's "." record; BE EF marks SUSP, 0 bytes skipped. */
export const spEntry = (): Buffer => entry('SP', Buffer.from([0xbe, 0xef, 0]));

export const RRIP_ID = 'RRIP_1991A';
const ER_DESCRIPTOR = 'ROCK RIDGE INTERCHANGE PROTOCOL: POSIX FILE NAMES, MODES AND SYMBOLIC LINKS';
const ER_SOURCE = 'IEEE P1282 / RRIP 1.12; SEE THE PUBLISHER IDENTIFIER FOR CONTACT';

/** SUSP §5.5: ER names the extension in use (readers such as libisofs look for the identifier). */
export function erEntry(): Buffer {
  const id = Buffer.from(RRIP_ID, 'latin1');
  const des = Buffer.from(ER_DESCRIPTOR, 'latin1');
  const src = Buffer.from(ER_SOURCE, 'latin1');
  return entry('ER', Buffer.concat([Buffer.from([id.length, des.length, src.length, 1]), id, des, src]));
}

/** RRIP §4.1.1: PX, POSIX mode (with the file type bits), links, uid, gid; 36 bytes in RRIP_1991A. */
export function pxEntry(mode: number, nlink: number): Buffer {
  const d = Buffer.alloc(32);
  writeBoth32(d, 0, mode);
  writeBoth32(d, 8, nlink);
  return entry('PX', d);
}

/** RRIP §4.1.6: TF with modify, access and attribute-change times (flag bits 1-3), 7-byte form. */
export function tfEntry(date: Date): Buffer {
  const t = recordDate(date);
  return entry('TF', Buffer.concat([Buffer.from([0x0e]), t, t, t]));
}

const MAX_DATA = 255 - 5;

/** RRIP §4.1.4: NM with the real name, split into several entries (flag CONTINUE) past 250 bytes. */
export function nmEntries(name: string): Buffer[] {
  const bytes = Buffer.from(name, 'utf8');
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += MAX_DATA) {
    const part = bytes.subarray(at, at + MAX_DATA);
    const isLast = at + MAX_DATA >= bytes.length;
    out.push(entry('NM', Buffer.concat([Buffer.from([isLast ? 0 : 1]), part])));
  }
  return out;
}

/** RRIP §4.1.3.1 component flags. */
const SL_CONTINUE = 1;
const SL_CURRENT = 2;
const SL_PARENT = 4;
const SL_ROOT = 8;
/** Text pieces short enough that one component record (2 + piece) fits an empty SL entry (flag + 249). */
const MAX_PIECE = MAX_DATA - 3;

function slComponents(target: string): Buffer[] {
  const records: Buffer[] = [];
  if (target.startsWith('/')) records.push(Buffer.from([SL_ROOT, 0]));
  for (const part of target.split('/').filter((p) => p !== '')) {
    if (part === '.') records.push(Buffer.from([SL_CURRENT, 0]));
    else if (part === '..') records.push(Buffer.from([SL_PARENT, 0]));
    else {
      const bytes = Buffer.from(part, 'utf8');
      for (let at = 0; at < bytes.length; at += MAX_PIECE) {
        const piece = bytes.subarray(at, at + MAX_PIECE);
        const isLast = at + MAX_PIECE >= bytes.length;
        records.push(Buffer.concat([Buffer.from([isLast ? 0 : SL_CONTINUE, piece.length]), piece]));
      }
    }
  }
  return records;
}

/** RRIP §4.1.3: SL with the link target as component records, over several entries (flag CONTINUE). */
export function slEntries(target: string): Buffer[] {
  const groups: Buffer[][] = [[]];
  let used = 0;
  for (const rec of slComponents(target)) {
    if (used + rec.length > MAX_DATA - 1) {
      groups.push([]);
      used = 0;
    }
    groups[groups.length - 1]!.push(rec);
    used += rec.length;
  }
  return groups.map((g, i) => entry('SL', Buffer.concat([Buffer.from([i < groups.length - 1 ? 1 : 0]), ...g])));
}

/** SUSP §5.1: CE points at a continuation area (block, offset in it, length). */
export function ceEntry(lba: number, offset: number, length: number): Buffer {
  const d = Buffer.alloc(24);
  writeBoth32(d, 0, lba);
  writeBoth32(d, 8, offset);
  writeBoth32(d, 16, length);
  return entry('CE', d);
}

export const CE_SIZE = 28;
/** A continuation area never crosses a block; it keeps room for the CE that chains to the next. */
const AREA_ROOM = BLOCK - CE_SIZE;

/**
 * How a record's System Use entries are stored: `inline` in the record (which gets a CE when `areas`
 * is not empty), the rest in continuation areas, each chained to the next by a CE at its end.
 */
export interface SuPlan {
  inline: Buffer[];
  areas: Buffer[][];
}

export function planSystemUse(entries: readonly Buffer[], room: number): SuPlan {
  const total = entries.reduce((n, e) => n + e.length, 0);
  if (total <= room) return { inline: [...entries], areas: [] };
  const inline: Buffer[] = [];
  let i = 0;
  for (let used = 0; i < entries.length && used + entries[i]!.length <= room - CE_SIZE; i++) {
    used += entries[i]!.length;
    inline.push(entries[i]!);
  }
  const areas: Buffer[][] = [[]];
  let used = 0;
  for (; i < entries.length; i++) {
    const e = entries[i]!;
    if (used + e.length > AREA_ROOM) {
      areas.push([]);
      used = 0;
    }
    areas[areas.length - 1]!.push(e);
    used += e.length;
  }
  return { inline, areas };
}

/** On-disk length of continuation area `i` of a plan (its entries plus the chaining CE, if any). */
export function areaLength(plan: SuPlan, i: number): number {
  const own = plan.areas[i]!.reduce((n, e) => n + e.length, 0);
  return own + (i < plan.areas.length - 1 ? CE_SIZE : 0);
}

/** Length of the System Use field in the record itself. */
export function inlineLength(plan: SuPlan): number {
  return plan.inline.reduce((n, e) => n + e.length, 0) + (plan.areas.length > 0 ? CE_SIZE : 0);
}
