import { Decompress } from 'fzstd';
import { EmtError } from '../../errors';
import { ByteReader } from './byte-reader';

/** What a zstd frame header says (RFC 8878 §3.1.1.1). */
export interface ZstdFrameInfo {
  /** Reader position of the frame's magic number. */
  offset: number;
  windowSize: number;
  /** Frame_Content_Size, when the header declares it. */
  contentSize: number | null;
  hasChecksum: boolean;
}

const MAGIC = 0xfd2fb528;
// RFC 8878 §3.1.2: skippable frames use magics 0x184D2A50-0x184D2A5F.
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE = 0x184d2a50;
// RFC 8878 §3.1.1.2: Block_Maximum_Size is at most 128 KiB.
const MAX_BLOCK = 128 << 10;
// The kernel's unzstd (lib/decompress_unzstd.c) refuses windows above 2^27; so do we, which also
// bounds the memory the decoder takes.
const MAX_WINDOW = 1 << 27;

/**
 * Decodes exactly one zstd frame from `reader` and leaves the reader on the byte after it (the
 * kernel decodes one frame per initramfs segment). The frame's end is found from its own structure
 * (frame header, then 3-byte block headers up to the last block, then the optional checksum) and
 * the blocks are handed one at a time to fzstd, so each step yields at most one block (128 KiB).
 * The content checksum (XXH64) is not verified; Frame_Content_Size is.
 */
export async function* decodeZstdFrame(reader: ByteReader, onFrame?: (f: ZstdFrameInfo) => void): AsyncGenerator<Buffer, void, undefined> {
  const offset = reader.position;
  const header = await readFrameHeader(reader, offset);
  onFrame?.(header.info);
  const out: Buffer[] = [];
  const decoder = new Decompress((chunk) => {
    out.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  });
  let pending: Buffer = header.bytes;
  let total = 0;
  for (;;) {
    const bh = await reader.read(3);
    if (bh.length < 3) throw truncated(offset);
    const v = bh[0]! | (bh[1]! << 8) | (bh[2]! << 16);
    const isLast = (v & 1) === 1;
    const type = (v >> 1) & 3;
    const size = v >>> 3;
    // RFC 8878 §3.1.1.2.1: type 3 is reserved; sizes are bounded by the block maximum and window.
    if (type === 3 || size > Math.min(MAX_BLOCK, header.info.windowSize)) throw corrupt(offset, `a bad block header at byte ${reader.position - 3}`);
    const body = await reader.read(type === 1 ? 1 : size);
    if (body.length < (type === 1 ? 1 : size)) throw truncated(offset);
    const parts = [pending, bh, body];
    if (isLast && header.info.hasChecksum) {
      const sum = await reader.read(4);
      if (sum.length < 4) throw truncated(offset);
      parts.push(sum);
    }
    pending = Buffer.alloc(0);
    try {
      decoder.push(Buffer.concat(parts), isLast);
    } catch (e) {
      throw corrupt(offset, (e as Error).message, e);
    }
    for (const c of out) total += c.length;
    yield* out.splice(0);
    if (isLast) break;
  }
  if (header.info.contentSize !== null && total !== header.info.contentSize) {
    throw corrupt(offset, `${total} bytes decoded where the header says ${header.info.contentSize}`);
  }
}

/** Decompresses a whole zstd stream as `zstd -d` does: every frame in turn, skippable frames skipped. */
export async function* unzstd(input: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer, void, undefined> {
  const reader = ByteReader.fromIterable(input);
  try {
    yield* decodeZstdFrame(reader);
    for (;;) {
      const head = await reader.peek(8);
      if (head.length === 0) return;
      const magic = head.length >= 4 ? head.readUInt32LE(0) : 0;
      if (magic === MAGIC) {
        yield* decodeZstdFrame(reader);
      } else if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE && head.length === 8) {
        const n = head.readUInt32LE(4);
        if ((await reader.skip(8 + n)) < 8 + n) throw truncated(reader.position);
      } else {
        throw new EmtError('E_ZSTD_TRAILING_DATA', `Unexpected data follows the zstd stream at byte ${reader.position}.`, 'The file is damaged or is not a plain zstd file. Download or copy it again.', {
          details: { offset: reader.position },
        });
      }
    }
  } finally {
    await reader.close();
  }
}

async function readFrameHeader(reader: ByteReader, offset: number): Promise<{ info: ZstdFrameInfo; bytes: Buffer }> {
  const start = await reader.read(5);
  if (start.length < 5) throw truncated(offset);
  if (start.readUInt32LE(0) !== MAGIC) throw corrupt(offset, 'no zstd frame magic');
  // RFC 8878 §3.1.1.1.1: Frame_Header_Descriptor.
  const fhd = start[4]!;
  const fcsFlag = fhd >> 6;
  const isSingleSegment = (fhd & 0x20) !== 0;
  if (fhd & 0x08) throw corrupt(offset, 'a reserved header bit set');
  const dictBytes = [0, 1, 2, 4][fhd & 3]!;
  const fcsBytes = [isSingleSegment ? 1 : 0, 2, 4, 8][fcsFlag]!;
  const rest = await reader.read((isSingleSegment ? 0 : 1) + dictBytes + fcsBytes);
  if (rest.length < (isSingleSegment ? 0 : 1) + dictBytes + fcsBytes) throw truncated(offset);
  let p = 0;
  let windowSize = 0;
  if (!isSingleSegment) {
    // §3.1.1.1.2: Window_Descriptor = exponent (5 bits) and mantissa (3 bits).
    const wd = rest[p++]!;
    const base = 2 ** (10 + (wd >> 3));
    windowSize = base + (base / 8) * (wd & 7);
  }
  const dictionaryId = dictBytes === 0 ? 0 : rest.readUIntLE(p, dictBytes);
  p += dictBytes;
  let contentSize: number | null = null;
  if (fcsBytes === 8) contentSize = Number(rest.readBigUInt64LE(p));
  else if (fcsBytes === 2) contentSize = rest.readUInt16LE(p) + 256; // §3.1.1.1.4: 2-byte sizes are offset by 256
  else if (fcsBytes > 0) contentSize = rest.readUIntLE(p, fcsBytes);
  if (isSingleSegment) windowSize = contentSize ?? 0;
  if (dictionaryId !== 0) {
    throw new EmtError('E_ZSTD_UNSUPPORTED', `The zstd frame at byte ${offset} needs dictionary ${dictionaryId}.`, 'Compress the data without a dictionary.', {
      details: { offset },
    });
  }
  if (windowSize > MAX_WINDOW) {
    throw new EmtError('E_ZSTD_UNSUPPORTED', `The zstd frame at byte ${offset} needs a ${windowSize}-byte window, more than the 128 MiB the kernel allows.`, 'Compress with a smaller window (no --long, or --long=27).', {
      details: { offset, windowSize },
    });
  }
  return { info: { offset, windowSize, contentSize, hasChecksum: (fhd & 0x04) !== 0 }, bytes: Buffer.concat([start, rest]) };
}

function truncated(offset: number): EmtError {
  return new EmtError('E_ZSTD_TRUNCATED', `The zstd data starting at byte ${offset} ends too early.`, 'The file is incomplete. Download or copy it again.', {
    details: { offset },
  });
}

function corrupt(offset: number, what: string, cause?: unknown): EmtError {
  return new EmtError('E_ZSTD_CORRUPT', `The zstd data starting at byte ${offset} is damaged (${what}).`, 'The file is damaged. Download or copy it again.', {
    cause,
    details: { offset },
  });
}
