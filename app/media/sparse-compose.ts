import { throwIfAborted } from '../errors';
import { runsOf, type ByteSource, type ByteRun } from '../formats/byte-source';
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
    runs() {
      const out: ByteRun[] = [];
      let pos = 0;
      for (const p of sorted) {
        if (p.offset > pos) out.push({ kind: 'zeros', length: p.offset - pos });
        out.push(...runsOf(p.source));
        pos = p.offset + p.source.size;
      }
      if (size > pos) out.push({ kind: 'zeros', length: size - pos });
      return out;
    },
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
