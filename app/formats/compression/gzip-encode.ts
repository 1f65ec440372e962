import { createDeflateRaw, crc32 } from 'node:zlib';
import { EmtError } from '../../errors';
import type { ByteSource } from '../byte-source';
import { pumpZlib } from './zlib-pump';

export interface GzipOptions {
  /** zlib level 0-9 (0 stores without compressing); default 9 (dracut uses `gzip -9`; our archives are small). */
  level?: number;
}

const CHUNK = 256 << 10;
const KEEP_IN_MEMORY = 16 << 20;

/**
 * Compresses a byte stream into one gzip member, deterministically: the header carries no file
 * name, MTIME 0 and OS 3 (Unix) on every platform, so equal input and zlib give equal bytes.
 */
export async function* gzip(input: AsyncIterable<Uint8Array>, options: GzipOptions = {}): AsyncGenerator<Buffer, void, undefined> {
  const level = options.level ?? 9;
  // RFC 1952 §2.3.1: ID1 ID2 CM=8 FLG=0 MTIME=0 XFL OS=3. XFL 2 = best compression, 4 = fastest.
  yield Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, level >= 9 ? 2 : level === 1 ? 4 : 0, 3]);
  let crc = 0;
  let size = 0;
  const it = input[Symbol.asyncIterator]();
  const next = async (): Promise<Buffer | null> => {
    for (;;) {
      const r = await it.next();
      if (r.done) return null;
      if (r.value.length === 0) continue;
      const b = Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
      crc = crc32(b, crc);
      size += b.length;
      return b;
    }
  };
  try {
    yield* pumpZlib(createDeflateRaw({ level, chunkSize: CHUNK }), next);
  } finally {
    await it.return?.();
  }
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(size % 2 ** 32, 4);
  yield trailer;
}

/**
 * The gzip form of a ByteSource, as a ByteSource. The compressed size must be known before
 * streaming, so the input is compressed once to measure it; results up to 16 MiB are kept, larger
 * ones are compressed again on each `stream()` (the output is deterministic) and checked against the
 * measured size.
 */
export async function gzipSource(src: ByteSource, options: GzipOptions = {}): Promise<ByteSource> {
  let size = 0;
  let kept: Buffer[] | null = [];
  for await (const c of gzip(src.stream(), options)) {
    size += c.length;
    if (kept && size <= KEEP_IN_MEMORY) kept.push(c);
    else kept = null;
  }
  if (kept) {
    const parts = kept;
    return {
      size,
      async *stream() {
        yield* parts;
      },
    };
  }
  return {
    size,
    async *stream(signal) {
      let n = 0;
      for await (const c of gzip(src.stream(signal), options)) {
        n += c.length;
        yield c;
      }
      if (n !== size) {
        throw new EmtError('E_GZIP_UNSTABLE', `Compressing the same data twice gave ${size} bytes, then ${n}.`, 'The input changed while it was being written. Build again.', {
          details: { expected: size, actual: n },
        });
      }
    },
  };
}
