import { posix } from 'node:path';
import { EmtError } from '../../errors';
import type { ByteReader } from '../compression/byte-reader';
import { decodeBytes } from '../compression/byte-text';
import { CRC_MAGIC, HEADER_SIZE, NEWC_MAGIC, ODC_MAGIC, pad4, parseHeader, PATH_MAX, TRAILER, typeOf, type CpioFileType } from './newc';

/** One member of a cpio archive, as listed. */
export interface CpioEntry {
  /** Where the kernel puts it: an absolute, normalized path (`/etc/foo`; `/` for `.`). */
  path: string;
  /** The stored name as text (see `isNameEscaped`). */
  name: string;
  /** True when the stored name is not valid UTF-8 and `name` shows bad bytes as `\xNN`. */
  isNameEscaped: boolean;
  /** The stored name's exact bytes (without the NUL). */
  rawName: Buffer;
  /** `unknown` for a file type the kernel ignores. */
  type: CpioFileType | 'unknown';
  /** Permission bits (07777). */
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  /** c_filesize: data bytes (for a symlink, the target's length). */
  size: number;
  nlink: number;
  ino: number;
  devMajor: number;
  devMinor: number;
  rdevMajor: number;
  rdevMinor: number;
  /** A symlink's target (escaped like `name` when not valid UTF-8); null for other types. */
  linkTarget: string | null;
  /**
   * For a regular file that shares inode, device and mode with an earlier entry of the same archive
   * (nlink ≥ 2): that entry's path. The kernel makes it a hard link to that file and writes this
   * entry's data (GNU cpio stores the data once, with the last name) into the shared file.
   */
  hardLinkTo: string | null;
  /** Index of the initramfs segment it came from. */
  segment: number;
  /** Offset of its header: in the file for an uncompressed segment, in the decoded bytes of a compressed one. */
  headerOffset: number;
}

/**
 * Called for each entry while the archive is read. `body` streams the entry's data (files only; empty
 * for other types) and is valid until the returned promise settles; whatever is left unread is then
 * skipped, cheaply when the segment is uncompressed.
 */
export type CpioVisitor = (entry: CpioEntry, body: AsyncIterable<Buffer>) => void | Promise<void>;

/** Where an archive's bytes are, for offsets and messages. */
export interface ArchivePlace {
  segment: number;
  /** Describes a reader position for a message, e.g. "byte 512 of the gzip segment at byte 4096". */
  where(position: number): string;
  /** Extra error details (the segment's offset). */
  details: Record<string, unknown>;
}

/** Hard-link bookkeeping of one archive; the kernel resets it at each TRAILER!!!. */
export type LinkTable = Map<string, string>;

const EMPTY: AsyncIterable<Buffer> = { async *[Symbol.asyncIterator]() {} };

/**
 * Reads one entry at the reader's position (which must be its first byte) and returns it, or
 * `'trailer'` for TRAILER!!!. Memory stays small whatever the header claims: names and link
 * targets are read only up to PATH_MAX and data is streamed or skipped.
 */
export async function readEntry(reader: ByteReader, place: ArchivePlace, links: LinkTable, onEntry?: CpioVisitor): Promise<CpioEntry | 'trailer'> {
  const at = reader.position;
  const fail = (code: string, what: string, hint: string, extra: Record<string, unknown> = {}) =>
    new EmtError(code, `The cpio entry at ${place.where(at)} ${what}.`, hint, { details: { ...place.details, offset: at, ...extra } });
  const truncated = () => fail('E_CPIO_TRUNCATED', 'ends before its end', 'The archive is incomplete. Rebuild or copy it again.');

  const raw = await reader.read(HEADER_SIZE);
  const magic = raw.subarray(0, 6).toString('latin1');
  if (magic === ODC_MAGIC) throw fail('E_CPIO_ODC', 'is in the old portable format (070707), which the kernel refuses', 'Rebuild the archive with cpio -H newc.');
  if (magic !== NEWC_MAGIC && magic !== CRC_MAGIC) {
    if (raw.length < 6) throw truncated();
    throw fail('E_CPIO_BAD_MAGIC', 'does not start with the newc magic 070701', 'The archive is damaged or not a newc cpio archive.');
  }
  if (raw.length < HEADER_SIZE) throw truncated();
  const h = parseHeader(raw, at);
  if (h.namesize === 0 || h.namesize > PATH_MAX) {
    throw fail('E_CPIO_BAD_NAME', `has a name size of ${h.namesize} bytes, outside 1-${PATH_MAX}`, 'The archive is damaged. Rebuild or copy it again.');
  }
  const nameField = await reader.read(h.namesize);
  if (nameField.length < h.namesize) throw truncated();
  // Newer kernels refuse a name whose last byte is not NUL ("initramfs name without nulterm").
  if (nameField[h.namesize - 1] !== 0) throw fail('E_CPIO_BAD_NAME', 'has a name that does not end in a NUL byte', 'The archive is damaged. Rebuild or copy it again.');
  const rawName = Buffer.from(nameField.subarray(0, nameField.indexOf(0)));
  // Padding cut off by the end of the input is harmless (the kernel only skips it): no check.
  await reader.skip(pad4(HEADER_SIZE + h.namesize));
  const isCrc = magic === CRC_MAGIC;

  if (rawName.toString('latin1') === TRAILER) {
    await skipData(reader, h.filesize, truncated);
    links.clear();
    return 'trailer';
  }
  const decoded = decodeBytes(rawName);
  const type = typeOf(h.mode) ?? 'unknown';
  let linkTarget: string | null = null;
  if (type === 'symlink') {
    if (h.filesize > PATH_MAX) throw fail('E_CPIO_SYMLINK_TARGET', `is a symlink whose target is ${h.filesize} bytes long`, 'The archive is damaged. Rebuild or copy it again.');
    const target = await reader.read(h.filesize);
    if (target.length < h.filesize) throw truncated();
    linkTarget = decodeBytes(target).text;
  }
  let hardLinkTo: string | null = null;
  const path = normalizePath(decoded.text);
  if (type === 'file' && h.nlink >= 2) {
    // init/initramfs.c maybe_link(): same inode, device and mode within one archive.
    const key = `${h.ino}:${h.devMajor}:${h.devMinor}:${h.mode}`;
    hardLinkTo = links.get(key) ?? null;
    if (hardLinkTo === null) links.set(key, path);
  }
  const entry: CpioEntry = {
    path,
    name: decoded.text,
    isNameEscaped: decoded.isEscaped,
    rawName,
    type,
    mode: h.mode & 0o7777,
    uid: h.uid,
    gid: h.gid,
    mtime: h.mtime,
    size: h.filesize,
    nlink: h.nlink,
    ino: h.ino,
    devMajor: h.devMajor,
    devMinor: h.devMinor,
    rdevMajor: h.rdevMajor,
    rdevMinor: h.rdevMinor,
    linkTarget,
    hardLinkTo,
    segment: place.segment,
    headerOffset: at,
  };
  const dataLeft = type === 'symlink' ? 0 : h.filesize;
  const body = new EntryBody(reader, dataLeft, isCrc, truncated);
  if (onEntry) await onEntry(entry, type === 'file' ? body : EMPTY);
  const sum = await body.finish();
  if (isCrc && type === 'file' && sum !== h.check) {
    throw fail('E_CPIO_CHECKSUM', `(${entry.name}) does not match its checksum`, 'The archive is damaged. Rebuild or copy it again.');
  }
  await reader.skip(pad4(h.filesize));
  return entry;
}

/** `/` + the name, normalized the way a path lookup from the root resolves it. */
function normalizePath(name: string): string {
  const p = posix.normalize(`/${name}`);
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

async function skipData(reader: ByteReader, size: number, truncated: () => Error): Promise<void> {
  if ((await reader.skip(size)) < size) throw truncated();
  await reader.skip(pad4(size));
}

/** An entry's data: streamed to the visitor once, the rest skipped by `finish`; sums bytes for 070702. */
class EntryBody implements AsyncIterable<Buffer> {
  private sum = 0;
  private isOpen = true;

  constructor(
    private readonly reader: ByteReader,
    private left: number,
    private readonly isCrc: boolean,
    private readonly truncated: () => Error,
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer, void, undefined> {
    while (this.left > 0 && this.isOpen) {
      yield await this.next();
    }
  }

  /** Skips what the visitor left; returns the byte sum (c_chksum of the "crc" format). */
  async finish(): Promise<number> {
    this.isOpen = false;
    if (this.isCrc) {
      while (this.left > 0) await this.next();
    } else if ((await this.reader.skip(this.left)) < this.left) {
      throw this.truncated();
    }
    this.left = 0;
    return this.sum;
  }

  private async next(): Promise<Buffer> {
    const c = await this.reader.chunk(this.left);
    if (!c) throw this.truncated();
    this.left -= c.length;
    if (this.isCrc) {
      let s = this.sum;
      for (let i = 0; i < c.length; i++) s = (s + c[i]!) >>> 0;
      this.sum = s;
    }
    return c;
  }
}
