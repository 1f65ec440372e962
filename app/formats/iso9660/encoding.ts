/** Field encodings of ECMA-119 (ISO 9660), shared by the writer and the reader. */

export const BLOCK = 2048;

/** ECMA-119 §7.3.3: a 32-bit number recorded little-endian then big-endian (8 bytes). */
export function writeBoth32(b: Buffer, at: number, n: number): void {
  b.writeUInt32LE(n, at);
  b.writeUInt32BE(n, at + 4);
}

/** ECMA-119 §7.2.3: a 16-bit number recorded little-endian then big-endian (4 bytes). */
export function writeBoth16(b: Buffer, at: number, n: number): void {
  b.writeUInt16LE(n, at);
  b.writeUInt16BE(n, at + 2);
}

/** A string field padded with spaces (a-/d-characters are ASCII). */
export function writePadded(b: Buffer, at: number, length: number, text: string): void {
  b.fill(0x20, at, at + length);
  b.write(text.slice(0, length), at, 'latin1');
}

/** A Joliet string field: UCS-2 big-endian, padded with UCS-2 spaces (00 20). */
export function writeUcs2Padded(b: Buffer, at: number, length: number, text: string): void {
  for (let i = 0; i + 1 < length; i += 2) b.writeUInt16BE(0x0020, at + i);
  if (length % 2 === 1) b[at + length - 1] = 0;
  const units = encodeUcs2(text);
  units.copy(b, at, 0, Math.min(units.length, length - (length % 2)));
}

/** UCS-2 big-endian bytes of a string whose characters are all in the BMP. */
export function encodeUcs2(text: string): Buffer {
  const le = Buffer.from(text, 'utf16le');
  return le.swap16();
}

export function decodeUcs2(bytes: Uint8Array): string {
  const copy = Buffer.from(bytes.subarray(0, bytes.length - (bytes.length % 2)));
  return copy.swap16().toString('utf16le');
}

/** ECMA-119 §9.1.5: 7-byte recording date (years since 1900 ... seconds, GMT offset 0). */
export function recordDate(d: Date): Buffer {
  return Buffer.from([d.getUTCFullYear() - 1900, d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), 0]);
}

export function parseRecordDate(b: Uint8Array): Date {
  const offsetMinutes = ((b[6]! << 24) >> 24) * 15;
  const utc = Date.UTC(1900 + b[0]!, b[1]! - 1, b[2]!, b[3]!, b[4]!, b[5]!);
  return new Date(utc - offsetMinutes * 60_000);
}

/** ECMA-119 §8.4.26.1: 17-byte volume date, "YYYYMMDDHHMMSScc" + GMT offset; all zero digits = not set. */
export function volumeDate(d: Date | null): Buffer {
  const b = Buffer.alloc(17);
  if (!d) {
    b.fill(0x30, 0, 16);
    return b;
  }
  const p = (n: number, w: number) => String(n).padStart(w, '0');
  const text =
    p(d.getUTCFullYear(), 4) + p(d.getUTCMonth() + 1, 2) + p(d.getUTCDate(), 2) + p(d.getUTCHours(), 2) + p(d.getUTCMinutes(), 2) + p(d.getUTCSeconds(), 2) + p(Math.floor(d.getUTCMilliseconds() / 10), 2);
  b.write(text, 0, 'latin1');
  return b;
}

export function parseVolumeDate(b: Uint8Array): Date | null {
  const text = Buffer.from(b.subarray(0, 16)).toString('latin1');
  if (!/^\d{16}$/.test(text) || /^0+$/.test(text)) return null;
  const n = (from: number, to: number) => Number(text.slice(from, to));
  const offsetMinutes = ((b[16]! << 24) >> 24) * 15;
  const utc = Date.UTC(n(0, 4), n(4, 6) - 1, n(6, 8), n(8, 10), n(10, 12), n(12, 14), n(14, 16) * 10);
  return new Date(utc - offsetMinutes * 60_000);
}

export const blocksFor = (bytes: number): number => Math.ceil(bytes / BLOCK);
