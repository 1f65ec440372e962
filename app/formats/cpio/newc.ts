import { EmtError } from '../../errors';

/**
 * The newc cpio header (Linux Documentation/driver-api/early-userspace/buffer-format.rst): 6-byte
 * magic, then 13 fields of 8 hex digits, 110 bytes in all; the name follows, NUL included.
 */
export const HEADER_SIZE = 110;
export const NEWC_MAGIC = '070701';
/** "crc" variant: same header, c_chksum = sum of the data bytes. The kernel accepts it. */
export const CRC_MAGIC = '070702';
/** Old portable ASCII format, which the kernel refuses ("use -H newc option"). */
export const ODC_MAGIC = '070707';
export const TRAILER = 'TRAILER!!!';
/** The kernel skips names and symlink targets longer than PATH_MAX (init/initramfs.c do_header). */
export const PATH_MAX = 4096;
/** c_filesize is 32 bits. */
export const MAX_FILE_SIZE = 0xffffffff;

export type CpioFileType = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';

// st_mode file type bits (POSIX <sys/stat.h>).
const TYPE_BITS: Record<CpioFileType, number> = {
  fifo: 0o010000,
  char: 0o020000,
  dir: 0o040000,
  block: 0o060000,
  file: 0o100000,
  symlink: 0o120000,
  socket: 0o140000,
};
const S_IFMT = 0o170000;

export interface NewcHeader {
  ino: number;
  /** Full st_mode: type bits and permission bits. */
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  mtime: number;
  filesize: number;
  devMajor: number;
  devMinor: number;
  rdevMajor: number;
  rdevMinor: number;
  namesize: number;
  check: number;
}

const FIELDS: ReadonlyArray<keyof NewcHeader> = ['ino', 'mode', 'uid', 'gid', 'nlink', 'mtime', 'filesize', 'devMajor', 'devMinor', 'rdevMajor', 'rdevMinor', 'namesize', 'check'];
const C_NAMES = ['c_ino', 'c_mode', 'c_uid', 'c_gid', 'c_nlink', 'c_mtime', 'c_filesize', 'c_devmajor', 'c_devminor', 'c_rdevmajor', 'c_rdevminor', 'c_namesize', 'c_check'];

export function modeOf(type: CpioFileType, permissions: number): number {
  return TYPE_BITS[type] | (permissions & 0o7777);
}

/** The file type of an st_mode, or null for a type newc cannot carry. */
export function typeOf(mode: number): CpioFileType | null {
  const bits = mode & S_IFMT;
  for (const [type, v] of Object.entries(TYPE_BITS)) if (v === bits) return type as CpioFileType;
  return null;
}

export function encodeHeader(h: NewcHeader, magic = NEWC_MAGIC): Buffer {
  let s = magic;
  for (const f of FIELDS) s += h[f].toString(16).toUpperCase().padStart(8, '0');
  return Buffer.from(s, 'latin1');
}

/**
 * Parses the 110 header bytes at `offset` (used in messages). The magic must already be known to be
 * newc or crc. Every field must be exactly 8 hex digits: the kernel's simple_strntoul would stop at
 * the first bad digit and misread the rest, so we refuse instead.
 */
export function parseHeader(b: Buffer, offset: number): NewcHeader {
  const h = {} as NewcHeader;
  for (let i = 0; i < FIELDS.length; i++) {
    const start = 6 + i * 8;
    let v = 0;
    for (let j = start; j < start + 8; j++) {
      const d = hexDigit(b[j]!);
      if (d < 0) {
        throw new EmtError('E_CPIO_BAD_HEADER', `The cpio header at byte ${offset} has a field (${C_NAMES[i]}) that is not hexadecimal.`, 'The archive is damaged. Rebuild or copy it again.', {
          details: { offset, field: C_NAMES[i] },
        });
      }
      v = v * 16 + d;
    }
    h[FIELDS[i]!] = v;
  }
  return h;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

/** Bytes of padding after `length` bytes to reach a multiple of 4. */
export function pad4(length: number): number {
  return (4 - (length % 4)) % 4;
}
