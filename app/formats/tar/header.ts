import { EmtError } from '../../errors';

/** Tar works in 512-byte blocks (POSIX.1-2017 pax, "ustar Interchange Format"). */
export const BLOCK = 512;

/** Fields of a ustar header block, as numbers and raw bytes. */
export interface UstarHeader {
  name: Buffer;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: Buffer;
  uname: Buffer;
  gname: Buffer;
  devMajor: number;
  devMinor: number;
  /** POSIX ustar only; GNU tar keeps other data there. */
  prefix: Buffer;
}

// POSIX ustar header layout: [offset, length] of each field.
const F = {
  name: [0, 100],
  mode: [100, 8],
  uid: [108, 8],
  gid: [116, 8],
  size: [124, 12],
  mtime: [136, 12],
  chksum: [148, 8],
  typeflag: [156, 1],
  linkname: [157, 100],
  magic: [257, 6],
  version: [263, 2],
  uname: [265, 32],
  gname: [297, 32],
  devmajor: [329, 8],
  devminor: [337, 8],
  prefix: [345, 155],
} as const;

/** Largest value an octal field of `length` bytes holds (length - 1 digits and a terminator). */
function octalMax(length: number): number {
  return 8 ** (length - 1) - 1;
}

export const MAX_NAME = F.name[1];
export const MAX_PREFIX = F.prefix[1];
export const MAX_LINKNAME = F.linkname[1];
export const MAX_OWNER_NAME = F.uname[1];
export const MAX_SIZE = octalMax(F.size[1]);
export const MAX_ID = octalMax(F.uid[1]);
export const MAX_MTIME = octalMax(F.mtime[1]);

/** One POSIX ustar header block with its checksum. Values must fit their fields (the writer checks). */
export function encodeHeader(h: UstarHeader): Buffer {
  const b = Buffer.alloc(BLOCK);
  h.name.copy(b, F.name[0]);
  octal(b, F.mode, h.mode);
  octal(b, F.uid, h.uid);
  octal(b, F.gid, h.gid);
  octal(b, F.size, h.size);
  octal(b, F.mtime, h.mtime);
  b.write(h.typeflag, F.typeflag[0], 'latin1');
  h.linkname.copy(b, F.linkname[0]);
  b.write('ustar\x0000', F.magic[0], 'latin1');
  h.uname.copy(b, F.uname[0]);
  h.gname.copy(b, F.gname[0]);
  octal(b, F.devmajor, h.devMajor);
  octal(b, F.devminor, h.devMinor);
  h.prefix.copy(b, F.prefix[0]);
  // The checksum is computed with its own field as eight spaces, then written as six octal digits, NUL, space.
  b.fill(0x20, F.chksum[0], F.chksum[0] + F.chksum[1]);
  const sum = b.reduce((n, x) => n + x, 0);
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, F.chksum[0], 'latin1');
  return b;
}

function octal(b: Buffer, [at, len]: readonly [number, number], v: number): void {
  b.write(`${v.toString(8).padStart(len - 1, '0')}\0`, at, 'latin1');
}

/** True for a block of 512 NUL bytes (the end-of-archive marker is two of them). */
export function isZeroBlock(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/**
 * Parses a header block read at `offset`. Verifies the checksum (unsigned, or signed as some old
 * tars computed it) and every numeric field, octal or GNU base-256.
 */
export function parseHeader(b: Buffer, offset: number): UstarHeader {
  const stored = parseNumber(b, F.chksum, offset, 'checksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const x = i >= F.chksum[0] && i < F.chksum[0] + F.chksum[1] ? 0x20 : b[i]!;
    unsigned += x;
    signed += x > 127 ? x - 256 : x;
  }
  if (stored !== unsigned && stored !== signed) {
    throw new EmtError('E_TAR_CHECKSUM', `The tar header at byte ${offset} does not match its checksum.`, 'The archive is damaged or is not a tar archive. Download or copy it again.', {
      details: { offset },
    });
  }
  const isPosix = b.toString('latin1', F.magic[0], F.magic[0] + 6) === 'ustar\0';
  return {
    name: field(b, F.name),
    mode: parseNumber(b, F.mode, offset, 'mode'),
    uid: parseNumber(b, F.uid, offset, 'uid'),
    gid: parseNumber(b, F.gid, offset, 'gid'),
    size: parseNumber(b, F.size, offset, 'size'),
    mtime: parseNumber(b, F.mtime, offset, 'mtime'),
    typeflag: String.fromCharCode(b[F.typeflag[0]]!),
    linkname: field(b, F.linkname),
    uname: field(b, F.uname),
    gname: field(b, F.gname),
    devMajor: parseNumber(b, F.devmajor, offset, 'devmajor'),
    devMinor: parseNumber(b, F.devminor, offset, 'devminor'),
    prefix: isPosix ? field(b, F.prefix) : Buffer.alloc(0),
  };
}

/** A NUL-terminated (or full-length) byte field. */
function field(b: Buffer, [at, len]: readonly [number, number]): Buffer {
  const f = b.subarray(at, at + len);
  const nul = f.indexOf(0);
  return Buffer.from(nul < 0 ? f : f.subarray(0, nul));
}

function parseNumber(b: Buffer, [at, len]: readonly [number, number], offset: number, name: string): number {
  const f = b.subarray(at, at + len);
  const bad = () =>
    new EmtError('E_TAR_BAD_HEADER', `The tar header at byte ${offset} has an unreadable ${name} field.`, 'The archive is damaged. Download or copy it again.', {
      details: { offset, field: name },
    });
  if (f[0]! & 0x80) {
    // GNU base-256: big-endian two's complement with the top bit of the first byte as the marker.
    if (f[0] === 0xff) throw bad(); // negative: no field we read may be negative
    let v = f[0]! & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + f[i]!;
    if (!Number.isSafeInteger(v)) throw bad();
    return v;
  }
  let i = 0;
  while (i < len && f[i] === 0x20) i++;
  let v = 0;
  let digits = 0;
  for (; i < len && f[i] !== 0 && f[i] !== 0x20; i++) {
    const d = f[i]! - 0x30;
    if (d < 0 || d > 7) throw bad();
    v = v * 8 + d;
    digits++;
  }
  for (; i < len; i++) if (f[i] !== 0 && f[i] !== 0x20) throw bad();
  return digits === 0 ? 0 : v;
}
