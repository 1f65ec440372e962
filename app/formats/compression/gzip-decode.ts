import { createInflateRaw, crc32 } from 'node:zlib';
import { EmtError } from '../../errors';
import { ByteReader } from './byte-reader';
import { pumpZlib } from './zlib-pump';

/** What the header of one gzip member says (RFC 1952 §2.3). */
export interface GzipHeader {
  /** Reader position of the member's first byte. */
  offset: number;
  /** FLG byte. */
  flags: number;
  /** MTIME, seconds since the epoch (0: none). */
  mtime: number;
  /** FNAME, decoded as Latin-1 as the RFC says; null when absent. */
  name: string | null;
  /**
   * True when the header carries FEXTRA, FCOMMENT or FHCRC. The kernel's initramfs gunzip
   * (lib/decompress_inflate.c) skips only FNAME, so such a member fails to unpack at boot.
   */
  hasFieldsKernelSkips: boolean;
}

// RFC 1952 §2.3.1 FLG bits.
const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;
const FRESERVED = 0xe0;
const MAX_HEADER_STRING = 64 << 10;
const IN_CHUNK = 256 << 10;
const OUT_CHUNK = 256 << 10;

/**
 * Decodes exactly one gzip member from `reader` and leaves the reader on the byte after its
 * trailer, so that whatever follows (another initramfs segment) can be read next. The exact end
 * comes from zlib itself: a raw inflate stops at the end of the deflate stream and reports how much
 * input it consumed; the rest is given back to the reader. The CRC-32 and length in the trailer
 * are checked. The reader is left in an undefined place if the iteration is stopped early.
 */
export async function* inflateGzipMember(reader: ByteReader, onHeader?: (h: GzipHeader) => void): AsyncGenerator<Buffer, void, undefined> {
  const header = await readHeader(reader);
  onHeader?.(header);
  const at = header.offset;
  let crc = 0;
  let size = 0;
  const pump = pumpZlib(createInflateRaw({ chunkSize: OUT_CHUNK }), () => reader.chunk(IN_CHUNK));
  try {
    for (;;) {
      const r = await pump.next();
      if (r.done) {
        reader.unshift(r.value.leftover);
        break;
      }
      crc = crc32(r.value, crc);
      size += r.value.length;
      yield r.value;
    }
  } catch (e) {
    throw zlibError(e, at);
  } finally {
    await pump.return({ leftover: Buffer.alloc(0) });
  }
  // RFC 1952 §2.3.1: CRC32 and ISIZE (length modulo 2^32), little-endian.
  const trailer = await reader.read(8);
  if (trailer.length < 8) throw truncated(at);
  if (trailer.readUInt32LE(0) !== crc >>> 0 || trailer.readUInt32LE(4) !== size % 2 ** 32) {
    throw new EmtError('E_GZIP_CHECKSUM', `The gzip data starting at byte ${at} does not match its checksum.`, 'The file is damaged. Download or copy it again.', {
      details: { offset: at },
    });
  }
}

/**
 * Decompresses a whole gzip stream as `gzip -d` does: every member in turn, trailing NUL bytes
 * ignored; anything else after a member is an error.
 */
export async function* gunzip(input: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer, void, undefined> {
  const reader = ByteReader.fromIterable(input);
  try {
    yield* inflateGzipMember(reader);
    for (;;) {
      await reader.skipZeros();
      const head = await reader.peek(2);
      if (head.length === 0) return;
      if (head[0] !== 0x1f || head[1] !== 0x8b) {
        throw new EmtError('E_GZIP_TRAILING_DATA', `Unexpected data follows the gzip stream at byte ${reader.position}.`, 'The file is damaged or is not a plain gzip file. Download or copy it again.', {
          details: { offset: reader.position },
        });
      }
      yield* inflateGzipMember(reader);
    }
  } finally {
    await reader.close();
  }
}

async function readHeader(reader: ByteReader): Promise<GzipHeader> {
  const offset = reader.position;
  const h = await reader.read(10);
  if (h.length < 10) throw truncated(offset);
  if (h[0] !== 0x1f || h[1] !== 0x8b || h[2] !== 8 || (h[3]! & FRESERVED) !== 0) {
    throw new EmtError('E_GZIP_BAD_HEADER', `The data at byte ${offset} is not a gzip member this tool can read.`, 'The file is damaged or uses another compression.', {
      details: { offset },
    });
  }
  const flags = h[3]!;
  if (flags & FEXTRA) {
    const xlen = await reader.read(2);
    if (xlen.length < 2 || (await reader.skip(xlen.readUInt16LE(0))) < xlen.readUInt16LE(0)) throw truncated(offset);
  }
  const name = flags & FNAME ? (await readZeroTerminated(reader, offset)).toString('latin1') : null;
  if (flags & FCOMMENT) await readZeroTerminated(reader, offset);
  if (flags & FHCRC && (await reader.skip(2)) < 2) throw truncated(offset);
  return { offset, flags, mtime: h.readUInt32LE(4), name, hasFieldsKernelSkips: (flags & (FEXTRA | FCOMMENT | FHCRC)) !== 0 };
}

async function readZeroTerminated(reader: ByteReader, offset: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for (;;) {
    const c = await reader.chunk();
    if (!c) throw truncated(offset);
    const nul = c.indexOf(0);
    if (nul >= 0) {
      reader.unshift(c.subarray(nul + 1));
      parts.push(c.subarray(0, nul));
      return Buffer.concat(parts);
    }
    parts.push(c);
    n += c.length;
    if (n > MAX_HEADER_STRING) {
      throw new EmtError('E_GZIP_BAD_HEADER', `The gzip header at byte ${offset} has a name or comment without an end.`, 'The file is damaged. Download or copy it again.', {
        details: { offset },
      });
    }
  }
}

function truncated(offset: number): EmtError {
  return new EmtError('E_GZIP_TRUNCATED', `The gzip data starting at byte ${offset} ends too early.`, 'The file is incomplete. Download or copy it again.', {
    details: { offset },
  });
}

function zlibError(e: unknown, offset: number): unknown {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === 'Z_BUF_ERROR') return truncated(offset);
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return new EmtError('E_GZIP_CORRUPT', `The gzip data starting at byte ${offset} is damaged: ${(e as Error).message}.`, 'The file is damaged. Download or copy it again.', {
      cause: e,
      details: { offset },
    });
  }
  return e;
}
