import { EmtError, throwIfAborted } from '../../errors';
import { ByteReader } from '../compression/byte-reader';
import { decodeBytes } from '../compression/byte-text';
import { BLOCK, isZeroBlock, parseHeader, type UstarHeader } from './header';
import { MAX_PAX_SIZE, parseRecords } from './pax';

export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'other';

/** One member of a tar archive, with its data as a stream. */
export interface TarEntry {
  /**
   * The stored path (pax `path`, GNU long name, or ustar prefix + name), trailing `/` removed.
   * Not checked: pass it through `safeMemberPath` before using it as a place on disk.
   */
  path: string;
  /** True when the stored path is not valid UTF-8 and `path` shows bad bytes as `\xNN`. */
  isPathEscaped: boolean;
  type: TarEntryType;
  /** The raw typeflag character (`0`, `5`, `2`, …). */
  typeflag: string;
  /** Permission bits (07777). */
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  /** Seconds since the epoch; pax times may have a fraction. */
  mtime: number;
  /** Data bytes (0 for links and directories). */
  size: number;
  /** Symlink target or hard-link target path; null for other types. */
  linkTarget: string | null;
  devMajor: number;
  devMinor: number;
  /** Offset of the member's header (the first of its pax/GNU headers) in the archive. */
  headerOffset: number;
  /**
   * The data, streamed once. Valid until the next entry is requested; what is left unread then is
   * skipped.
   */
  body: AsyncIterable<Buffer>;
}

const TYPES: Record<string, TarEntryType> = { '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo' };
// POSIX: links, devices, directories and FIFOs carry no data whatever the size field says.
const NO_DATA = new Set(['1', '2', '3', '4', '5', '6']);
const MAX_GNU_LONG = 64 << 10;

/**
 * Reads a tar stream (ustar, pax, GNU) entry by entry, without buffering data: each entry's `body`
 * streams from the input and whatever the caller does not read is skipped when it asks for the next
 * entry. Understands pax extended headers (`path`, `linkpath`, `size`, `mtime`, `uid`, `gid`,
 * `uname`, `gname`; global headers too), GNU long names and link names (`L`/`K`) and the ustar
 * prefix; verifies every header checksum. Errors: E_TAR_TRUNCATED (the input ends inside a member or
 * before the end-of-archive blocks), E_TAR_CHECKSUM, E_TAR_BAD_HEADER, E_TAR_BAD_PAX, each with the
 * byte offset.
 */
export async function* readTar(input: AsyncIterable<Uint8Array>, options: { signal?: AbortSignal } = {}): AsyncGenerator<TarEntry, void, undefined> {
  const reader = ByteReader.fromIterable(input);
  const global = new Map<string, Buffer>();
  try {
    let local = new Map<string, Buffer>();
    let longName: Buffer | null = null;
    let longLink: Buffer | null = null;
    let first: number | null = null;
    for (;;) {
      throwIfAborted(options.signal);
      const at = reader.position;
      const block = await reader.read(BLOCK);
      if (block.length === 0) throw noEnd(at);
      if (block.length < BLOCK) throw truncated(first ?? at);
      if (isZeroBlock(block)) {
        // End of archive: two zero blocks. GNU tar also accepts a lone one at the very end.
        const next = await reader.read(BLOCK);
        if (next.length === 0 || isZeroBlock(next)) return;
        reader.unshift(next);
        continue;
      }
      const h = parseHeader(block, at);
      first ??= at;
      if (h.typeflag === 'x' || h.typeflag === 'g') {
        if (h.size > MAX_PAX_SIZE) throw badHeader(at, `a ${h.size}-byte pax header`);
        const records = parseRecords(await readData(reader, h.size, at), at);
        for (const [k, v] of records) (h.typeflag === 'g' ? global : local).set(k, v);
        if (h.typeflag === 'g') first = null;
        continue;
      }
      if (h.typeflag === 'L' || h.typeflag === 'K') {
        if (h.size > MAX_GNU_LONG) throw badHeader(at, `a ${h.size}-byte GNU long name`);
        const raw = await readData(reader, h.size, at);
        const nul = raw.indexOf(0);
        const value = Buffer.from(nul < 0 ? raw : raw.subarray(0, nul));
        if (h.typeflag === 'L') longName = value;
        else longLink = value;
        continue;
      }
      const fields = describe(h, new Map([...global, ...local]), longName, longLink, first);
      local = new Map();
      longName = null;
      longLink = null;
      first = null;
      const dataSize = NO_DATA.has(h.typeflag) ? 0 : fields.size;
      const body = new TarBody(reader, dataSize, () => truncated(fields.headerOffset));
      const entry: TarEntry = { ...fields, body };
      yield entry;
      await body.finish();
      const pad = (BLOCK - (dataSize % BLOCK)) % BLOCK;
      if ((await reader.skip(pad)) < pad) throw truncated(entry.headerOffset);
    }
  } finally {
    await reader.close();
  }
}

/** Everything about a member but its data, from its header and the pax/GNU headers before it. */
function describe(h: UstarHeader, pax: Map<string, Buffer>, longName: Buffer | null, longLink: Buffer | null, at: number): Omit<TarEntry, 'body'> {
  const num = (key: string, fallback: number, isFraction = false): number => {
    const v = pax.get(key);
    if (v === undefined) return fallback;
    const s = v.toString('latin1');
    const isValid = isFraction ? /^-?[0-9]+(\.[0-9]+)?$/.test(s) : /^[0-9]+$/.test(s);
    const n = Number(s);
    if (!isValid || !Number.isFinite(n) || (!isFraction && !Number.isSafeInteger(n))) throw badPax(at, key);
    return n;
  };
  const rawPath = pax.get('path') ?? longName ?? (h.prefix.length > 0 ? Buffer.concat([h.prefix, Buffer.from('/'), h.name]) : h.name);
  const decoded = decodeBytes(rawPath);
  const rawLink = pax.get('linkpath') ?? longLink ?? h.linkname;
  const type = TYPES[h.typeflag] ?? 'other';
  return {
    path: decoded.text.length > 1 ? decoded.text.replace(/\/+$/, '') : decoded.text,
    isPathEscaped: decoded.isEscaped,
    type,
    typeflag: h.typeflag,
    mode: h.mode & 0o7777,
    uid: num('uid', h.uid),
    gid: num('gid', h.gid),
    uname: decodeBytes(pax.get('uname') ?? h.uname).text,
    gname: decodeBytes(pax.get('gname') ?? h.gname).text,
    mtime: num('mtime', h.mtime, true),
    size: NO_DATA.has(h.typeflag) ? 0 : num('size', h.size),
    linkTarget: type === 'symlink' || type === 'hardlink' ? decodeBytes(rawLink).text : null,
    devMajor: h.devMajor,
    devMinor: h.devMinor,
    headerOffset: at,
  };
}

async function readData(reader: ByteReader, size: number, at: number): Promise<Buffer> {
  const data = await reader.read(size);
  const pad = (BLOCK - (size % BLOCK)) % BLOCK;
  if (data.length < size || (await reader.skip(pad)) < pad) throw truncated(at);
  return Buffer.from(data);
}

/** A member's data, streamed once; `finish` skips what the caller left. */
class TarBody implements AsyncIterable<Buffer> {
  private isOpen = true;

  constructor(
    private readonly reader: ByteReader,
    private left: number,
    private readonly truncated: () => Error,
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer, void, undefined> {
    while (this.left > 0 && this.isOpen) {
      const c = await this.reader.chunk(this.left);
      if (!c) throw this.truncated();
      this.left -= c.length;
      yield c;
    }
  }

  async finish(): Promise<void> {
    this.isOpen = false;
    if ((await this.reader.skip(this.left)) < this.left) throw this.truncated();
    this.left = 0;
  }
}

function noEnd(offset: number): EmtError {
  return new EmtError('E_TAR_TRUNCATED', `The tar archive stops at byte ${offset} without its end-of-archive blocks.`, 'The archive is incomplete. Download or copy it again.', {
    details: { offset },
  });
}

function truncated(offset: number): EmtError {
  return new EmtError('E_TAR_TRUNCATED', `The tar archive ends inside the member that starts at byte ${offset}.`, 'The archive is incomplete. Download or copy it again.', {
    details: { offset },
  });
}

function badHeader(offset: number, what: string): EmtError {
  return new EmtError('E_TAR_BAD_HEADER', `The tar header at byte ${offset} declares ${what}.`, 'The archive is damaged. Download or copy it again.', { details: { offset } });
}

function badPax(offset: number, key: string): EmtError {
  return new EmtError('E_TAR_BAD_PAX', `The pax header of the member at byte ${offset} has an unreadable ${key}.`, 'The archive is damaged. Download or copy it again.', {
    details: { offset, key },
  });
}
