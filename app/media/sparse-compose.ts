import { throwIfAborted } from '../errors';
import type { ByteSource } from '../formats/byte-source';
import type { ByteRange, SparseImage } from '../formats/fat/sparse-image';

/** A piece of a disk image at a byte offset; `unusedRanges` (relative to the piece) may be skipped. */
export interface Placed {
  offset: number;
  source: ByteSource & { unusedRanges?: readonly ByteRange[] };
}

const ZERO = Buffer.alloc(1 << 20);

/**
 * A whole disk image from pieces at offsets; the gaps between them are unused zeros. The pieces'
 * own unused ranges are kept, shifted to disk offsets, so that a stick writer can skip free space
 * of a 64 GB stick instead of writing zeros to it.
 */
export function composeDisk(size: number, pieces: readonly Placed[]): SparseImage {
  const sorted = [...pieces].sort((a, b) => a.offset - b.offset);
  const unused: ByteRange[] = [];
  const addUnused = (offset: number, length: number) => {
    if (length <= 0) return;
    const last = unused.at(-1);
    if (last && last.offset + last.length === offset) last.length += length;
    else unused.push({ offset, length });
  };
  let at = 0;
  for (const p of sorted) {
    if (p.offset < at) throw new Error(`internal: disk pieces overlap at byte ${p.offset}`);
    addUnused(at, p.offset - at);
    for (const r of p.source.unusedRanges ?? []) addUnused(p.offset + r.offset, r.length);
    at = p.offset + p.source.size;
  }
  if (at > size) throw new Error(`internal: disk pieces end at byte ${at}, past the disk (${size})`);
  addUnused(at, size - at);
  return {
    size,
    unusedRanges: unused,
    async *stream(signal) {
      let pos = 0;
      const zeros = function* (n: number) {
        for (let left = n; left > 0; left -= ZERO.length) yield left >= ZERO.length ? ZERO : ZERO.subarray(0, left);
      };
      for (const p of sorted) {
        throwIfAborted(signal);
        yield* zeros(p.offset - pos);
        yield* p.source.stream(signal);
        pos = p.offset + p.source.size;
      }
      yield* zeros(size - pos);
    },
  };
}

/** Bytes [start, end) of a source, streamed by reading the source from its beginning. */
export function sliceSource(src: ByteSource, start: number, end: number): ByteSource {
  return {
    size: end - start,
    async *stream(signal) {
      let pos = 0;
      for await (const chunk of src.stream(signal)) {
        const from = Math.max(start - pos, 0);
        const to = Math.min(end - pos, chunk.length);
        if (to > from) yield chunk.subarray(from, to);
        pos += chunk.length;
        if (pos >= end) return;
      }
    },
  };
}
