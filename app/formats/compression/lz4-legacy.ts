import { EmtError } from '../../errors';
import { ByteReader } from './byte-reader';

// lz4 frame format spec, "Legacy frame": magic 0x184C2102, then [le32 compressed size, block]*,
// every block decompressing to at most 8 MiB, blocks independent of each other.
const MAGIC = 0x184c2102;
const BLOCK_MAX = 8 << 20;
// LZ4_compressBound(8 MiB): no valid block is larger.
const COMPRESSED_MAX = BLOCK_MAX + Math.floor(BLOCK_MAX / 255) + 16;

/**
 * Decodes an lz4 legacy stream from `reader`. The format has no end marker: the kernel reads
 * blocks until its input ends, which is why nothing may follow an lz4 segment in an initramfs. We
 * stop earlier, leaving the bytes in the reader, where the next 4 bytes cannot be a block size
 * (0, or larger than any block) or are the start of a gzip member (a 559,903-byte block would look
 * the same; lz4 never writes one in practice) — so a listing can show what follows and say why the
 * kernel will fail on it. A repeated magic number between blocks is skipped, as the kernel does.
 */
export async function* decodeLz4Legacy(reader: ByteReader): AsyncGenerator<Buffer, void, undefined> {
  const offset = reader.position;
  const magic = await reader.read(4);
  if (magic.length < 4 || magic.readUInt32LE(0) !== MAGIC) throw corrupt(offset, 'no lz4 legacy magic');
  for (;;) {
    const head = await reader.peek(4);
    if (head.length < 4) return;
    const size = head.readUInt32LE(0);
    if (size === MAGIC) {
      await reader.skip(4);
      continue;
    }
    const isGzipNext = head[0] === 0x1f && head[1] === 0x8b && head[2] === 0x08 && head[3] === 0;
    if (size === 0 || size > COMPRESSED_MAX || isGzipNext) return;
    const at = reader.position;
    await reader.skip(4);
    const block = await reader.read(size);
    if (block.length < size) {
      throw new EmtError('E_LZ4_TRUNCATED', `The lz4 data starting at byte ${offset} ends too early.`, 'The file is incomplete. Download or copy it again.', {
        details: { offset },
      });
    }
    yield decodeBlock(block, offset, at);
  }
}

/** Decompresses a whole lz4 legacy file as `lz4 -d` does. */
export async function* unlz4Legacy(input: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer, void, undefined> {
  const reader = ByteReader.fromIterable(input);
  try {
    yield* decodeLz4Legacy(reader);
    await reader.skipZeros();
    if (!(await reader.isAtEnd())) {
      throw new EmtError('E_LZ4_TRAILING_DATA', `Unexpected data follows the lz4 stream at byte ${reader.position}.`, 'The file is damaged or is not an lz4 legacy file. Download or copy it again.', {
        details: { offset: reader.position },
      });
    }
  } finally {
    await reader.close();
  }
}

/** One lz4 block (lz4 block format: sequences of token, literals, offset, match). */
function decodeBlock(src: Buffer, offset: number, at: number): Buffer {
  const bad = () => corrupt(offset, `a bad block at byte ${at}`);
  // Every input byte yields at most 255 output bytes (a match-length byte), so this is enough.
  const cap = Math.min(BLOCK_MAX, src.length * 256);
  const out = Buffer.allocUnsafe(cap);
  const end = src.length;
  let ip = 0;
  let op = 0;
  while (ip < end) {
    const token = src[ip++]!;
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (ip >= end) throw bad();
        b = src[ip++]!;
        lit += b;
      } while (b === 255);
    }
    if (ip + lit > end || op + lit > cap) throw bad();
    src.copy(out, op, ip, ip + lit);
    ip += lit;
    op += lit;
    // The last sequence has literals only.
    if (ip === end) break;
    if (ip + 2 > end) throw bad();
    const dist = src[ip]! | (src[ip + 1]! << 8);
    ip += 2;
    if (dist === 0 || dist > op) throw bad();
    let len = token & 15;
    if (len === 15) {
      let b: number;
      do {
        if (ip >= end) throw bad();
        b = src[ip++]!;
        len += b;
      } while (b === 255);
    }
    len += 4;
    if (op + len > cap) throw bad();
    // A match may overlap its own output (a repeated pattern): copy in growing runs of whole periods.
    const from = op - dist;
    while (len > 0) {
      const n = Math.min(len, op - from);
      out.copyWithin(op, from, from + n);
      op += n;
      len -= n;
    }
  }
  return out.subarray(0, op);
}

function corrupt(offset: number, what: string): EmtError {
  return new EmtError('E_LZ4_CORRUPT', `The lz4 data starting at byte ${offset} is damaged (${what}).`, 'The file is damaged. Download or copy it again.', {
    details: { offset },
  });
}
