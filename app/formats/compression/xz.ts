import { crc32 } from 'node:zlib';
import { ReadableStream } from 'node:stream/web';
import * as xzModule from 'xz-decompress';
import { EmtError } from '../../errors';
import { ByteReader } from './byte-reader';

/** Integrity check of an xz stream (xz file format 1.2.0 §2.1.1.2). */
export type XzCheck = 'none' | 'crc32' | 'crc64' | 'sha256' | `reserved-${number}`;

export interface XzStreamInfo {
  /** Reader position of the stream's first byte. */
  offset: number;
  check: XzCheck;
}

// The package is a UMD bundle: under Node's ESM loader its exports sit on `default`.
const { XzReadableStream } = ((xzModule as { default?: typeof xzModule }).default ?? xzModule) as typeof xzModule;

const HEADER_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
const FILTER_LZMA2 = 0x21;
const FEED_CHUNK = 256 << 10;
// §5.3 filter IDs.
const FILTER_NAMES: Record<number, string> = { 3: 'delta', 4: 'x86 BCJ', 5: 'PowerPC BCJ', 6: 'IA-64 BCJ', 7: 'ARM BCJ', 8: 'ARM-Thumb BCJ', 9: 'SPARC BCJ', 10: 'ARM64 BCJ', 11: 'RISC-V BCJ' };

/**
 * Decodes exactly one xz stream from `reader` and leaves the reader on the byte after its footer
 * (the kernel's unxz decodes one stream per initramfs segment). The stream's end is found from its
 * own structure, read as it is fed to the decoder: stream header, each block header and its LZMA2
 * chunk headers (which carry their packed sizes, so no LZMA decoding is needed to walk them), block
 * padding and check, the index (whose records and CRC32 must agree with the blocks) and the footer.
 * Decoding itself is xz-embedded (WebAssembly, `xz-decompress`); it verifies the block checks.
 */
export async function* decodeXzStream(reader: ByteReader, onStream?: (s: XzStreamInfo) => void): AsyncGenerator<Buffer, void, undefined> {
  const offset = reader.position;
  // Node's web ReadableStream (node:stream/web) is what xz-decompress reads; under the DOM lib of the
  // main process's type check the global one has no `from`, hence the explicit import and cast.
  const input = ReadableStream.from(coalesce(walkStream(reader, offset, onStream))) as unknown as ConstructorParameters<typeof XzReadableStream>[0];
  const decoded = new XzReadableStream(input);
  const out = decoded.getReader();
  let isDone = false;
  try {
    for (;;) {
      const r = await out.read();
      if (r.done) break;
      if (r.value.length > 0) yield Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
    }
    isDone = true;
  } catch (e) {
    if (e instanceof EmtError) throw e;
    throw corrupt(offset, (e as Error).message, e);
  } finally {
    // Cancelling frees the decoder; xz-decompress runs one decoder at a time and waits for it.
    if (!isDone) await out.cancel().catch(() => {});
  }
}

/** Decompresses a whole xz file as `xz -d` does: every stream in turn, stream padding skipped. */
export async function* unxz(input: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer, void, undefined> {
  const reader = ByteReader.fromIterable(input);
  try {
    yield* decodeXzStream(reader);
    for (;;) {
      await reader.skipZeros();
      const head = await reader.peek(6);
      if (head.length === 0) return;
      if (!head.equals(HEADER_MAGIC)) {
        throw new EmtError('E_XZ_TRAILING_DATA', `Unexpected data follows the xz stream at byte ${reader.position}.`, 'The file is damaged or is not a plain xz file. Download or copy it again.', {
          details: { offset: reader.position },
        });
      }
      yield* decodeXzStream(reader);
    }
  } finally {
    await reader.close();
  }
}

/** Joins small pieces into larger ones: the decoder pays a call per piece it is given. */
async function* coalesce(pieces: AsyncIterable<Buffer>): AsyncGenerator<Buffer, void, undefined> {
  let batch: Buffer[] = [];
  let n = 0;
  for await (const p of pieces) {
    batch.push(p);
    n += p.length;
    if (n >= FEED_CHUNK) {
      yield Buffer.concat(batch, n);
      batch = [];
      n = 0;
    }
  }
  if (n > 0) yield Buffer.concat(batch, n);
}

/** Reads one stream's bytes in order, checking its framing, and yields them for the decoder. */
async function* walkStream(reader: ByteReader, offset: number, onStream?: (s: XzStreamInfo) => void): AsyncGenerator<Buffer, void, undefined> {
  const need = async (n: number): Promise<Buffer> => {
    const b = await reader.read(n);
    if (b.length < n) throw truncated(offset);
    return b;
  };
  // §2.1.1: stream header = magic, stream flags (2), CRC32 of the flags.
  const header = await need(12);
  if (!header.subarray(0, 6).equals(HEADER_MAGIC)) throw corrupt(offset, 'no xz header magic');
  if (header[6] !== 0 || header[7]! > 0x0f || crc32(header.subarray(6, 8)) !== header.readUInt32LE(8)) throw corrupt(offset, 'bad stream flags');
  const checkId = header[7]!;
  onStream?.({ offset, check: checkName(checkId) });
  // xz-embedded (here and in the kernel) verifies CRC32 and CRC64 only; it refuses other checks.
  if (checkId !== 0 && checkId !== 1 && checkId !== 4) {
    throw new EmtError('E_XZ_UNSUPPORTED', `The xz data starting at byte ${offset} uses the ${checkName(checkId)} check, which this tool cannot verify.`, 'Compress with xz --check=crc32.', {
      details: { offset },
    });
  }
  const checkSize = checkId === 0 ? 0 : 4 << Math.floor((checkId - 1) / 3);
  yield header;

  const unpadded: number[] = [];
  for (;;) {
    const first = await need(1);
    if (first[0] === 0) {
      yield* walkIndexAndFooter(reader, offset, first, unpadded, header.subarray(6, 8), need);
      return;
    }
    // §3.1: block header, (size byte + 1) * 4 bytes, ending in its CRC32.
    const blockStart = reader.position - 1;
    const rest = await need(first[0]! * 4 + 3);
    const bh = Buffer.concat([first, rest]);
    if (crc32(bh.subarray(0, bh.length - 4)) !== bh.readUInt32LE(bh.length - 4)) throw corrupt(offset, `a bad block header at byte ${blockStart}`);
    const declared = parseBlockHeader(bh, offset, blockStart);
    yield bh;
    let packed = 0;
    for (;;) {
      // LZMA2 chunk headers: 0x00 end; 0x01/0x02 stored chunk (16-bit size - 1); 0x80-0xFF LZMA chunk
      // (unpacked size - 1 in 21 bits, packed size - 1 in 16 bits, a properties byte from 0xC0).
      const control = await need(1);
      const c = control[0]!;
      yield control;
      packed += 1;
      if (c === 0) break;
      let size: number;
      if (c === 1 || c === 2) {
        const s = await need(2);
        yield s;
        packed += 2;
        size = s.readUInt16BE(0) + 1;
      } else if (c >= 0x80) {
        const s = await need(c >= 0xc0 ? 5 : 4);
        yield s;
        packed += s.length;
        size = s.readUInt16BE(2) + 1;
      } else {
        throw corrupt(offset, `an invalid LZMA2 chunk at byte ${reader.position - 1}`);
      }
      yield* reader.take(size, () => truncated(offset));
      packed += size;
    }
    if (declared !== null && declared !== packed) throw corrupt(offset, `block at byte ${blockStart} is not the size its header says`);
    const pad = (4 - ((bh.length + packed) % 4)) % 4;
    const tail = await need(pad + checkSize);
    if (tail.subarray(0, pad).some((b) => b !== 0)) throw corrupt(offset, `non-zero block padding at byte ${blockStart}`);
    yield tail;
    unpadded.push(bh.length + packed + checkSize);
  }
}

/** §4 index and §2.1.2 footer; validated whole before they are yielded, since they end the stream. */
async function* walkIndexAndFooter(
  reader: ByteReader,
  offset: number,
  indicator: Buffer,
  unpadded: readonly number[],
  streamFlags: Buffer,
  need: (n: number) => Promise<Buffer>,
): AsyncGenerator<Buffer, void, undefined> {
  const bytes: Buffer[] = [indicator];
  const vli = async (): Promise<number> => {
    // §1.2: variable-length integers, 7 bits per byte, at most 9 bytes.
    let v = 0;
    for (let i = 0; i < 9; i++) {
      const b = await need(1);
      bytes.push(b);
      v += (b[0]! & 0x7f) * 2 ** (7 * i);
      if ((b[0]! & 0x80) === 0) return v;
    }
    throw corrupt(offset, 'an over-long number in the index');
  };
  const count = await vli();
  if (count !== unpadded.length) throw corrupt(offset, `the index lists ${count} blocks, the stream has ${unpadded.length}`);
  for (let i = 0; i < count; i++) {
    if ((await vli()) !== unpadded[i]) throw corrupt(offset, `index record ${i} does not match its block`);
    await vli();
  }
  const size = bytes.reduce((n, b) => n + b.length, 0);
  const pad = await need((4 - (size % 4)) % 4);
  if (pad.some((b) => b !== 0)) throw corrupt(offset, 'non-zero index padding');
  bytes.push(pad);
  const index = Buffer.concat(bytes);
  const crc = await need(4);
  if (crc32(index) !== crc.readUInt32LE(0)) throw corrupt(offset, 'bad index CRC32');
  const footer = await need(12);
  const isFooterValid =
    crc32(footer.subarray(4, 10)) === footer.readUInt32LE(0) &&
    (footer.readUInt32LE(4) + 1) * 4 === index.length + 4 &&
    footer.subarray(8, 10).equals(streamFlags) &&
    footer[10] === 0x59 &&
    footer[11] === 0x5a;
  if (!isFooterValid) throw corrupt(offset, 'bad stream footer');
  yield Buffer.concat([index, crc, footer]);
}

/** Returns the compressed size the block header declares, or null; checks the filter chain. */
function parseBlockHeader(bh: Buffer, offset: number, at: number): number | null {
  const flags = bh[1]!;
  if (flags & 0x3c) throw corrupt(offset, `reserved block flags at byte ${at}`);
  let p = 2;
  const vli = (): number => {
    let v = 0;
    for (let i = 0; i < 9 && p < bh.length - 4; i++) {
      const b = bh[p++]!;
      v += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) return v;
    }
    throw corrupt(offset, `a bad block header at byte ${at}`);
  };
  const compressed = flags & 0x40 ? vli() : null;
  if (flags & 0x80) vli();
  const filterIds: number[] = [];
  for (let i = 0; i <= (flags & 3); i++) {
    filterIds.push(vli());
    const propsSize = vli();
    p += propsSize;
  }
  if (p > bh.length - 4) throw corrupt(offset, `a bad block header at byte ${at}`);
  const last = filterIds[filterIds.length - 1];
  // §5.3: LZMA2 is the only filter allowed last in the chain.
  if (last !== FILTER_LZMA2) throw corrupt(offset, `a block at byte ${at} that does not end in LZMA2`);
  // The WebAssembly xz-embedded build decodes LZMA2 alone; the kernel may also have BCJ filters.
  if (filterIds.length > 1) {
    const names = filterIds.slice(0, -1).map((id) => FILTER_NAMES[id] ?? `0x${id.toString(16)}`);
    throw new EmtError('E_XZ_UNSUPPORTED', `The xz data starting at byte ${offset} uses the ${names.join(', ')} filter, which this tool cannot decode.`, 'Compress with plain LZMA2 (xz --check=crc32, without --x86 or other filters).', {
      details: { offset, filters: names },
    });
  }
  return compressed;
}

function checkName(id: number): XzCheck {
  switch (id) {
    case 0:
      return 'none';
    case 1:
      return 'crc32';
    case 4:
      return 'crc64';
    case 10:
      return 'sha256';
    default:
      return `reserved-${id}`;
  }
}

function truncated(offset: number): EmtError {
  return new EmtError('E_XZ_TRUNCATED', `The xz data starting at byte ${offset} ends too early.`, 'The file is incomplete. Download or copy it again.', {
    details: { offset },
  });
}

function corrupt(offset: number, what: string, cause?: unknown): EmtError {
  return new EmtError('E_XZ_CORRUPT', `The xz data starting at byte ${offset} is damaged (${what}).`, 'The file is damaged. Download or copy it again.', {
    cause,
    details: { offset },
  });
}
