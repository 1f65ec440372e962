/**
 * 8.3 short names for long names, the way Windows makes them (FAT §7.4 "Basis-Name Generation"),
 * and the case flags with which Windows NT and Linux store an all-lower-case 8.3 name without a
 * long-name entry.
 */

/** Directory entry byte 12 (NTRes): the base / the extension is shown in lower case. */
export const CASE_LOWER_BASE = 0x08;
export const CASE_LOWER_EXT = 0x10;

export interface ShortName {
  /** 11 bytes: base padded with spaces to 8, extension padded to 3. */
  bytes: Buffer;
  caseFlags: number;
  /** False when the short name with its case flags says it all (no long-name entries needed). */
  needsLongName: boolean;
}

// Characters a short name may hold besides A-Z and 0-9 (FAT §6.1). We only ever produce ASCII.
const SHORT_SPECIALS = "!#$%&'()-@^_`{}~";

function isShortChar(c: string): boolean {
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || SHORT_SPECIALS.includes(c);
}

/** One directory's worth of short names: each new name gets a basis name or a numbered `~N` tail. */
export class ShortNameAllocator {
  private readonly taken = new Set<string>();
  // The next tail to try per basis name, so that thousands of names sharing a basis stay linear.
  private readonly nextTail = new Map<string, number>();

  allocate(longName: string): ShortName {
    const plain = asPlainShortName(longName);
    if (plain && !this.taken.has(plain.key)) {
      this.taken.add(plain.key);
      return { bytes: pack(plain.base, plain.ext), caseFlags: plain.caseFlags, needsLongName: false };
    }
    const { base, ext, isLossy } = basisName(longName);
    // FAT §7.4: a lossy or truncated basis always gets a numeric tail; an exact one only on collision.
    if (!isLossy && !this.taken.has(key(base, ext))) {
      this.taken.add(key(base, ext));
      return { bytes: pack(base, ext), caseFlags: 0, needsLongName: true };
    }
    for (let n = this.nextTail.get(key(base, ext)) ?? 1; ; n++) {
      const tail = `~${n}`;
      const candidate = base.slice(0, 8 - tail.length) + tail;
      if (!this.taken.has(key(candidate, ext))) {
        this.taken.add(key(candidate, ext));
        this.nextTail.set(key(base, ext), n + 1);
        return { bytes: pack(candidate, ext), caseFlags: 0, needsLongName: true };
      }
    }
  }
}

function key(base: string, ext: string): string {
  return `${base}.${ext}`;
}

function pack(base: string, ext: string): Buffer {
  return Buffer.from(base.padEnd(8, ' ') + ext.padEnd(3, ' '), 'latin1');
}

/**
 * A name that is already a valid 8.3 name apart from case, with base and extension each entirely
 * upper or entirely lower case (`grub.cfg`, `BOOTX64.EFI`): stored as a short entry alone.
 */
function asPlainShortName(name: string): { base: string; ext: string; key: string; caseFlags: number } | null {
  // Printable ASCII only: toUpperCase() of other characters can change the length ("ß" → "SS").
  if (!/^[!-~]+$/.test(name)) return null;
  const m = /^([^.]{1,8})(?:\.([^.]{1,3}))?$/.exec(name);
  if (!m) return null;
  const [, rawBase = '', rawExt = ''] = m;
  const base = rawBase.toUpperCase();
  const ext = rawExt.toUpperCase();
  if (![...base, ...ext].every(isShortChar)) return null;
  const caseOf = (s: string): 'upper' | 'lower' | 'mixed' => {
    const letters = s.replace(/[^A-Za-z]/g, '');
    if (letters === letters.toUpperCase()) return 'upper';
    return letters === letters.toLowerCase() ? 'lower' : 'mixed';
  };
  const baseCase = caseOf(rawBase);
  const extCase = caseOf(rawExt);
  if (baseCase === 'mixed' || extCase === 'mixed') return null;
  const caseFlags = (baseCase === 'lower' ? CASE_LOWER_BASE : 0) | (extCase === 'lower' ? CASE_LOWER_EXT : 0);
  return { base, ext, key: key(base, ext), caseFlags };
}

/** FAT §7.4 steps 1-5: upper-case, drop spaces and extra dots, replace what 8.3 cannot hold. */
function basisName(name: string): { base: string; ext: string; isLossy: boolean } {
  let isLossy = false;
  const clean = (s: string): string => {
    let out = '';
    for (const c of s) {
      const ch = c >= 'a' && c <= 'z' ? c.toUpperCase() : c;
      if (ch === ' ' || ch === '.') {
        isLossy = true;
      } else if (isShortChar(ch)) {
        out += ch;
      } else {
        out += '_';
        isLossy = true;
      }
    }
    return out;
  };
  const stripped = name.replace(/^\.+/, '');
  if (stripped !== name) isLossy = true;
  const dot = stripped.lastIndexOf('.');
  let base = clean(dot >= 0 ? stripped.slice(0, dot) : stripped);
  let ext = clean(dot >= 0 ? stripped.slice(dot + 1) : '');
  if (base.length > 8 || ext.length > 3) isLossy = true;
  base = base.slice(0, 8);
  ext = ext.slice(0, 3);
  if (base === '') {
    base = '_';
    isLossy = true;
  }
  return { base, ext, isLossy };
}

/** FAT §7.2: the checksum of a short name that every long-name entry of the set repeats. */
export function shortNameChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < 11; i++) sum = (((sum & 1) << 7) + (sum >> 1) + bytes[i]!) & 0xff;
  return sum;
}

// Code page 850 (DOS Latin-1), bytes 0x80-0xFF: what mtools and Western-European Windows write
// into short names. Our own images keep short names ASCII.
const CP850_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜø£Ø×ƒáíóúñÑªº¿®¬½¼¡«»░▒▓│┤ÁÂÀ©╣║╗╝¢¥┐' +
  '└┴┬├─┼ãÃ╚╔╩╦╠═╬¤ðÐÊËÈıÍÎÏ┘┌█▄¦Ì▀ÓßÔÒõÕµþÞÚÛÙýÝ¯´\u00ad±‗¾¶§÷¸°¨·¹³²■\u00a0';

/** Short names and labels as text (code page 850). */
export function oemText(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b < 0x80 ? String.fromCharCode(b) : CP850_HIGH[b - 0x80]!;
  return out;
}

/** The name a short entry shows, with its case flags applied (`GRUB    CFG` + flags → `grub.cfg`). */
export function shortNameText(bytes: Uint8Array, caseFlags: number): string {
  const raw = Buffer.from(bytes.subarray(0, 11));
  if (raw[0] === 0x05) raw[0] = 0xe5; // FAT §6.1: 0x05 stands for a leading 0xE5 (a KANJI lead byte)
  let base = oemText(raw.subarray(0, 8)).trimEnd();
  let ext = oemText(raw.subarray(8, 11)).trimEnd();
  if (caseFlags & CASE_LOWER_BASE) base = base.toLowerCase();
  if (caseFlags & CASE_LOWER_EXT) ext = ext.toLowerCase();
  return ext ? `${base}.${ext}` : base;
}
