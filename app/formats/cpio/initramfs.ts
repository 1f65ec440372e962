import { EmtError, throwIfAborted } from '../../errors';
import { ProgressMeter, type OnProgress } from '../../jobs/progress';
import type { RandomAccess } from '../byte-source';
import { ByteReader } from '../compression/byte-reader';
import { decodeMember, type MemberInfo } from '../compression/decompress';
import { detectCompression, isDecodable, MAGIC_LENGTH, type DecodableCompression } from '../compression/detect';
import { readEntry, type ArchivePlace, type CpioEntry, type CpioVisitor, type LinkTable } from './entry-reader';

/** Something in a segment that makes the kernel fail to unpack it (or what follows it) at boot. */
export interface InitramfsProblem {
  /** E_INITRAMFS_MISALIGNED, E_INITRAMFS_XZ_CHECK, E_INITRAMFS_LZ4_NOT_LAST, E_INITRAMFS_GZIP_HEADER. */
  code: string;
  message: string;
  hint: string;
}

/** One cpio archive in the initramfs buffer, compressed or not (buffer-format.rst). */
export interface InitramfsSegment {
  index: number;
  /** Byte offset in the initramfs file. */
  offset: number;
  /** Bytes it occupies in the file (compressed length for a compressed segment). */
  length: number;
  compression: 'none' | DecodableCompression;
  entryCount: number;
  /** Whether its (last) archive ended with TRAILER!!!. */
  hasTrailer: boolean;
  problems: InitramfsProblem[];
}

export interface InitramfsListing {
  /** Bytes read: the file's size. */
  size: number;
  segments: InitramfsSegment[];
  /** Every entry of every segment in order; later entries replace earlier ones at boot. */
  entries: CpioEntry[];
}

export interface WalkInitramfsOptions {
  /** Sees each entry as it is read and may stream a file's data (e.g. /rootfs.tar.gz). */
  onEntry?: CpioVisitor;
  signal?: AbortSignal;
  /** Progress over the bytes of the file, phase `inspect`. */
  onProgress?: OnProgress;
  /** Total size for progress when `input` is a stream. */
  size?: number;
}

/**
 * Reads an initramfs the way the kernel unpacks it (init/initramfs.c unpack_to_rootfs): NUL bytes
 * between segments are skipped; a segment is uncompressed newc when it starts with `0` (the kernel
 * also wants it 4-byte aligned, else it is reported as a problem); otherwise the compression is
 * recognised by its magic and exactly one member is decoded (gzip member, xz stream, zstd frame, or
 * an lz4 legacy stream, which has no end). Nothing is buffered beyond a chunk; skipping data in an
 * uncompressed segment costs no reading when `input` is random access.
 *
 * Fails with an EmtError naming the byte offset when the bytes cannot be read as the kernel would:
 * E_INITRAMFS_JUNK (unknown bytes between segments), E_INITRAMFS_COMPRESSION_UNSUPPORTED (bzip2,
 * lzma, lzo, lz4 frame format), E_INITRAMFS_JUNK_IN_SEGMENT, E_CPIO_* (damaged entries: TRUNCATED,
 * ODC, BAD_MAGIC, BAD_HEADER, BAD_NAME, BAD_PADDING, SYMLINK_TARGET, CHECKSUM), and the decoders'
 * E_GZIP_*, E_XZ_*, E_ZSTD_*, E_LZ4_* codes. Problems the kernel would meet while we can still read
 * on are listed per segment instead.
 */
export async function walkInitramfs(input: RandomAccess | AsyncIterable<Uint8Array>, options: WalkInitramfsOptions = {}): Promise<InitramfsListing> {
  const { signal } = options;
  const total = isRandomAccess(input) ? input.size : (options.size ?? 0);
  const meter = options.onProgress ? new ProgressMeter('inspect', total, options.onProgress) : null;
  const reader = isRandomAccess(input) ? ByteReader.fromRandomAccess(watchRandomAccess(input, signal, meter)) : ByteReader.fromIterable(watchStream(input, signal, meter));
  const segments: InitramfsSegment[] = [];
  const entries: CpioEntry[] = [];
  const onEntry: CpioVisitor = async (entry, body) => {
    entries.push(entry);
    await options.onEntry?.(entry, body);
  };
  try {
    for (;;) {
      await reader.skipZeros();
      const head = await reader.peek(MAGIC_LENGTH);
      if (head.length === 0) break;
      const offset = reader.position;
      const previous = segments[segments.length - 1];
      if (previous?.compression === 'lz4-legacy') previous.problems.push(lz4NotLast(previous.offset));
      const segment: InitramfsSegment = { index: segments.length, offset, length: 0, compression: 'none', entryCount: 0, hasTrailer: false, problems: [] };
      if (head[0] === 0x30) {
        if (offset % 4 !== 0) segment.problems.push(misaligned(offset));
        segment.length = (await readUncompressed(reader, segment, onEntry)) - offset;
      } else {
        const kind = detectCompression(head);
        if (kind === null) throw junk(offset, head, previous);
        if (!isDecodable(kind)) {
          throw new EmtError('E_INITRAMFS_COMPRESSION_UNSUPPORTED', `The initramfs segment at byte ${offset} is compressed with ${kind}, which this tool cannot read.`, 'Rebuild the initramfs with gzip, xz (--check=crc32), zstd or lz4 -l.', {
            details: { offset, compression: kind },
          });
        }
        segment.compression = kind;
        await readCompressed(reader, kind, segment, onEntry);
        segment.length = reader.position - offset;
      }
      segments.push(segment);
    }
    meter?.finish();
    return { size: reader.position, segments, entries };
  } finally {
    await reader.close();
  }
}

/** Entries at the reader's position until TRAILER!!! or until the kernel would leave newc; returns the end. */
async function readUncompressed(reader: ByteReader, segment: InitramfsSegment, onEntry: CpioVisitor): Promise<number> {
  const place = placeOf(segment, (p) => `byte ${p}`);
  const links: LinkTable = new Map();
  for (;;) {
    const entry = await readEntry(reader, place, links, onEntry);
    if (entry === 'trailer') {
      segment.hasTrailer = true;
      return reader.position;
    }
    segment.entryCount++;
    const end = reader.position;
    // The kernel's Reset state: skip NULs; a `0` at a 4-aligned offset starts the next entry.
    await reader.skipZeros();
    const next = await reader.peek(1);
    if (next[0] !== 0x30 || (reader.position - segment.offset) % 4 !== 0) return end;
  }
}

/** One compressed member, whose decoded bytes hold one or more newc archives. */
async function readCompressed(reader: ByteReader, kind: DecodableCompression, segment: InitramfsSegment, onEntry: CpioVisitor): Promise<void> {
  const onInfo = (info: MemberInfo) => {
    const p = infoProblem(info);
    if (p) segment.problems.push(p);
  };
  const inner = ByteReader.fromIterable(decodeMember(reader, kind, onInfo));
  const place = placeOf(segment, (p) => `byte ${p} of the ${kind} segment at byte ${segment.offset}`);
  const links: LinkTable = new Map();
  try {
    for (;;) {
      await inner.skipZeros();
      const next = await inner.peek(1);
      if (next.length === 0) return;
      // init/initramfs.c flush_buffer(): only a `0` may start an entry inside a compressed archive.
      if (next[0] !== 0x30) {
        throw new EmtError('E_INITRAMFS_JUNK_IN_SEGMENT', `Unexpected data at ${place.where(inner.position)}.`, 'The initramfs is damaged: the kernel stops unpacking here. Rebuild it.', {
          details: { ...place.details, offset: inner.position },
        });
      }
      if (inner.position % 4 !== 0) {
        throw new EmtError('E_CPIO_BAD_PADDING', `A cpio entry starts at ${place.where(inner.position)}, which is not a multiple of 4.`, 'The initramfs is damaged: the kernel reports "broken padding". Rebuild it.', {
          details: { ...place.details, offset: inner.position },
        });
      }
      const entry = await readEntry(inner, place, links, onEntry);
      segment.hasTrailer = entry === 'trailer';
      if (entry !== 'trailer') segment.entryCount++;
    }
  } finally {
    await inner.close();
  }
}

function placeOf(segment: InitramfsSegment, where: (p: number) => string): ArchivePlace {
  return { segment: segment.index, where, details: { segmentOffset: segment.offset } };
}

function infoProblem(info: MemberInfo): InitramfsProblem | null {
  if (info.kind === 'gzip' && info.hasFieldsKernelSkips) {
    return {
      code: 'E_INITRAMFS_GZIP_HEADER',
      message: `The gzip segment at byte ${info.offset} has header fields (extra, comment or header CRC) that the kernel cannot skip.`,
      hint: 'Compress with plain gzip or gzip -n.',
    };
  }
  if (info.kind === 'xz' && info.check !== 'crc32' && info.check !== 'none') {
    return {
      code: 'E_INITRAMFS_XZ_CHECK',
      message: `The xz segment at byte ${info.offset} uses the ${info.check} check; the kernel's xz decoder refuses it.`,
      hint: 'Compress with xz --check=crc32.',
    };
  }
  return null;
}

function misaligned(offset: number): InitramfsProblem {
  return {
    code: 'E_INITRAMFS_MISALIGNED',
    message: `The uncompressed segment at byte ${offset} does not start at a multiple of 4; the kernel rejects it ("invalid magic") and skips the rest.`,
    hint: 'Pad with NUL bytes to a multiple of 4 before appending an uncompressed cpio archive.',
  };
}

function lz4NotLast(offset: number): InitramfsProblem {
  return {
    code: 'E_INITRAMFS_LZ4_NOT_LAST',
    message: `The lz4 segment at byte ${offset} is followed by more data; the kernel decodes lz4 to the end and fails ("Decoding failed").`,
    hint: 'Make the lz4 segment the last one, or recompress it with gzip or zstd.',
  };
}

function junk(offset: number, head: Buffer, previous: InitramfsSegment | undefined): EmtError {
  const afterLz4 = previous?.compression === 'lz4-legacy' ? ' It follows an lz4 segment, which must be the last one.' : '';
  return new EmtError('E_INITRAMFS_JUNK', `The initramfs has unrecognised bytes (${head.toString('hex')}) at byte ${offset}.${afterLz4}`, 'The kernel stops unpacking there ("invalid magic"). Rebuild the initramfs or remove what was appended.', {
    details: { offset },
  });
}

function isRandomAccess(input: RandomAccess | AsyncIterable<Uint8Array>): input is RandomAccess {
  return typeof (input as RandomAccess).read === 'function';
}

/** Checks cancellation and reports progress at every read. */
function watchRandomAccess(ra: RandomAccess, signal: AbortSignal | undefined, meter: ProgressMeter | null): RandomAccess {
  return {
    size: ra.size,
    async read(offset, length) {
      throwIfAborted(signal);
      const b = await ra.read(offset, length);
      meter?.set(offset + length);
      return b;
    },
    close: () => ra.close(),
  };
}

async function* watchStream(input: AsyncIterable<Uint8Array>, signal: AbortSignal | undefined, meter: ProgressMeter | null): AsyncGenerator<Uint8Array> {
  let n = 0;
  for await (const c of input) {
    throwIfAborted(signal);
    n += c.length;
    meter?.set(n);
    yield c;
  }
}
