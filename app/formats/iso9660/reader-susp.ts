import type { RandomAccess } from '../byte-source';
import { BLOCK, parseRecordDate, parseVolumeDate } from './encoding';

/** What Rock Ridge says about one directory record. */
export interface RockRidgeInfo {
  /** st_mode from PX (file type bits included). */
  mode: number | null;
  name: string | null;
  target: string | null;
  mtime: Date | null;
  /** RE: the record is a relocated directory's real place; readers hide it. */
  isRelocated: boolean;
  /** CL: the record stands for a directory that was moved; this is where it really is. */
  childLinkLba: number | null;
}

/** Continuation areas followed per record before giving up (a loop of CEs in a damaged image). */
const MAX_CONTINUATIONS = 64;

/**
 * Parse a record's System Use field (SUSP 1.12) and any continuation areas, collecting the Rock Ridge
 * entries readers need. `skip` is the SP entry's LEN_SKP.
 */
export async function readRockRidge(ra: RandomAccess, su: Buffer, skip: number): Promise<RockRidgeInfo> {
  const info: RockRidgeInfo = { mode: null, name: null, target: null, mtime: null, isRelocated: false, childLinkLba: null };
  const nameParts: Buffer[] = [];
  const link: string[] = [];
  let pendingComponent = '';
  let isComponentOpen = false;
  let area: Buffer | null = su.subarray(skip);
  for (let hops = 0; area && hops <= MAX_CONTINUATIONS; hops++) {
    let next: Buffer | null = null;
    for (let at = 0; at + 4 <= area.length; ) {
      const sig = area.toString('latin1', at, at + 2);
      const len = area[at + 2]!;
      if (len < 4 || at + len > area.length) break;
      const d = area.subarray(at + 4, at + len);
      switch (sig) {
        case 'PX':
          info.mode = d.readUInt32LE(0);
          break;
        case 'NM':
          // Flags 2 and 4 are "." and ".."; only plain names matter here.
          if ((d[0]! & 6) === 0) nameParts.push(d.subarray(1));
          break;
        case 'SL': {
          for (let c = 1; c + 2 <= d.length; c += 2 + d[c + 1]!) {
            const flags = d[c]!;
            const text = flags & 2 ? '.' : flags & 4 ? '..' : flags & 8 ? '' : d.subarray(c + 2, c + 2 + d[c + 1]!).toString('utf8');
            pendingComponent += text;
            isComponentOpen = (flags & 1) === 1;
            if (!isComponentOpen) {
              link.push(pendingComponent);
              pendingComponent = '';
            }
          }
          break;
        }
        case 'TF':
          info.mtime = parseTf(d) ?? info.mtime;
          break;
        case 'RE':
          info.isRelocated = true;
          break;
        case 'CL':
          info.childLinkLba = d.readUInt32LE(0);
          break;
        case 'CE': {
          const lba = d.readUInt32LE(0);
          const offset = d.readUInt32LE(8);
          const length = d.readUInt32LE(16);
          if (offset + length <= BLOCK && (lba + 1) * BLOCK <= ra.size) next = await ra.read(lba * BLOCK + offset, length);
          break;
        }
        case 'ST':
          at = area.length;
          continue;
      }
      at += len;
    }
    area = next;
  }
  if (nameParts.length > 0) info.name = Buffer.concat(nameParts).toString('utf8');
  if (isComponentOpen) link.push(pendingComponent);
  // A leading root component ('') makes the path absolute when joined: ['', 'boot'] -> '/boot'.
  if (link.length > 0) info.target = link.length === 1 && link[0] === '' ? '/' : link.join('/');
  return info;
}

/** RRIP §4.1.6: the modify time is the second stamp after creation, if present; 17-byte form with flag 0x80. */
function parseTf(d: Buffer): Date | null {
  const flags = d[0]!;
  const size = flags & 0x80 ? 17 : 7;
  let at = 1;
  if (flags & 1) at += size;
  if (!(flags & 2) || at + size > d.length) return null;
  const stamp = d.subarray(at, at + size);
  return size === 7 ? parseRecordDate(stamp) : parseVolumeDate(stamp);
}
