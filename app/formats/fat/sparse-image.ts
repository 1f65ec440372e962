import { runsOf, fromBuffer, type ByteSource, type ByteRun } from '../byte-source';
import { EmtError, throwIfAborted } from '../../errors';

/** A byte range of an image: `length` bytes from `offset`. */
export interface ByteRange {
  offset: number;
  length: number;
}

/**
 * A file system image as a ByteSource, plus the ranges whose content does not matter (free
 * clusters and the unused tail of the volume, except in its last MiB). `stream()` yields zeros
 * there; a writer that already knows where it writes (a partition of a stick) may skip those
 * ranges entirely, and a verifier may skip comparing them. Producing them costs nothing: they are
 * never rendered, only counted. Chunks yielded by `stream()` are read-only views; copy before
 * modifying.
 */
export interface SparseImage extends ByteSource {
  /** Sorted, non-overlapping, merged. */
  readonly unusedRanges: readonly ByteRange[];
}

/** One piece of an image, in order. */
export type Segment =
  /** A structure small enough to render up front (boot sector, a directory). */
  | { kind: 'bytes'; data: Buffer }
  /** A structure rendered on demand, chunk by chunk (a FAT, an allocation bitmap). */
  | { kind: 'generated'; length: number; chunks: () => Iterable<Buffer> }
  /** File content, then zeros up to `length` (the end of its last cluster). */
  | { kind: 'source'; source: ByteSource; length: number; path: string }
  /** Zeros; `isUnused` marks free space whose content does not matter. */
  | { kind: 'zeros'; length: number; isUnused: boolean };

const ZERO_CHUNK = 1 << 20;
// The last MiB is always written, even where free: blkid looks for RAID and ZFS signatures near
// the end of a partition, and a stale one there would outvote the new file system.
const WRITTEN_TAIL = 1 << 20;

function segmentLength(s: Segment): number {
  return s.kind === 'bytes' ? s.data.length : s.length;
}

/**
 * Compose segments into an image. `codePrefix` names the file system in the error raised when a
 * source yields a different number of bytes than it announced (`E_FAT_SOURCE_CHANGED`).
 */
export function sparseImage(segments: readonly Segment[], codePrefix: string): SparseImage {
  const unusedRanges: ByteRange[] = [];
  let size = 0;
  for (const s of segments) {
    const length = segmentLength(s);
    if (s.kind === 'zeros' && s.isUnused && length > 0) {
      const last = unusedRanges.at(-1);
      if (last && last.offset + last.length === size) last.length += length;
      else unusedRanges.push({ offset: size, length });
    }
    size += length;
  }
  const keepFrom = size - WRITTEN_TAIL;
  while (unusedRanges.length > 0 && unusedRanges.at(-1)!.offset >= keepFrom) unusedRanges.pop();
  const last = unusedRanges.at(-1);
  if (last && last.offset + last.length > keepFrom) last.length = keepFrom - last.offset;
  return {
    size,
    unusedRanges,
    runs() {
      const out: ByteRun[] = [];
      for (const s of segments) {
        const length = segmentLength(s);
        if (length === 0) continue;
        if (s.kind === 'bytes') out.push({ kind: 'bytes', length, source: fromBuffer(s.data) });
        else if (s.kind === 'generated') out.push({ kind: 'bytes', length, source: { size: length, stream: async function* () { yield* s.chunks(); } } });
        else if (s.kind === 'zeros') out.push({ kind: 'zeros', length });
        else {
          out.push(...runsOf(s.source));
          if (length > s.source.size) out.push({ kind: 'zeros', length: length - s.source.size });
        }
      }
      return out;
    },
    async *stream(signal) {
      let zero: Buffer | undefined;
      const zeros = function* (n: number): Generator<Buffer> {
        zero ??= Buffer.alloc(ZERO_CHUNK);
        for (let left = n; left > 0; left -= ZERO_CHUNK) yield left >= ZERO_CHUNK ? zero : zero.subarray(0, left);
      };
      for (const s of segments) {
        throwIfAborted(signal);
        switch (s.kind) {
          case 'bytes':
            if (s.data.length > 0) yield s.data;
            break;
          case 'generated': {
            let n = 0;
            for (const chunk of s.chunks()) {
              throwIfAborted(signal);
              n += chunk.length;
              yield chunk;
            }
            if (n !== s.length) throw new Error(`internal: generated segment gave ${n} of ${s.length} bytes`);
            break;
          }
          case 'zeros':
            yield* zeros(s.length);
            break;
          case 'source': {
            const expected = s.source.size;
            let n = 0;
            for await (const chunk of s.source.stream(signal)) {
              n += chunk.length;
              if (n > expected) break;
              if (chunk.length > 0) yield chunk;
            }
            if (n !== expected) {
              throw new EmtError(`E_${codePrefix}_SOURCE_CHANGED`, `The content of ${s.path} was ${expected} bytes when the image was planned but ${n > expected ? 'more' : `${n}`} bytes when it was written.`, 'Make sure the file does not change while the image is being built, then try again.');
            }
            yield* zeros(s.length - expected);
            break;
          }
        }
      }
    },
  };
}
