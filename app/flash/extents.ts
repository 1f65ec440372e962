/**
 * Which bytes of a source go to a stick, and in which blocks. A source may declare `unusedRanges`
 * (free space of a FAT/exFAT partition): their content does not matter, so they are neither sent
 * to the writer, nor written, nor verified, and they never count as verified bytes.
 */

export interface ByteRange {
  offset: number;
  length: number;
}

/** The first MiB (MBR, GPT, ISO system area and volume descriptors) is written last. */
export const HOLD_BACK_BYTES = 1 << 20;
/** Writes and reads are 4 MiB (after the first MiB), like `dd bs=4M`. */
export const BLOCK_BYTES = 4 << 20;
/** Unused ranges are shrunk to this alignment so every write stays aligned for direct I/O, even on 4Kn drives. */
export const SKIP_ALIGN = 4096;

const up = (n: number, a: number) => Math.ceil(n / a) * a;
const down = (n: number, a: number) => Math.floor(n / a) * a;

/** [0, size) minus the unused ranges (clipped, merged, shrunk inward to 4 KiB, never in the first MiB). */
export function coveredRanges(size: number, unused: readonly ByteRange[] = []): ByteRange[] {
  const holes = unused
    .map((r) => ({ start: Math.max(up(r.offset, SKIP_ALIGN), HOLD_BACK_BYTES), end: Math.min(down(r.offset + r.length, SKIP_ALIGN), down(size, SKIP_ALIGN)) }))
    .filter((h) => h.end > h.start)
    .sort((a, b) => a.start - b.start);
  const out: ByteRange[] = [];
  let at = 0;
  for (const h of holes) {
    if (h.end <= at) continue;
    if (h.start > at) out.push({ offset: at, length: h.start - at });
    at = Math.max(at, h.end);
  }
  if (at < size) out.push({ offset: at, length: size - at });
  return out;
}

export function coveredLength(ranges: readonly ByteRange[]): number {
  return ranges.reduce((n, r) => n + r.length, 0);
}

export interface BlockPiece {
  /** Device offset. */
  offset: number;
  length: number;
  /** Where the piece sits in the block's buffer (offset - block offset). */
  bufOffset: number;
}

export interface Block {
  index: number;
  offset: number;
  pieces: BlockPiece[];
  /** Covered bytes in the block: what the data stream carries for it. */
  dataLength: number;
}

function blockIndexOf(offset: number): number {
  return offset < HOLD_BACK_BYTES ? 0 : 1 + Math.floor((offset - HOLD_BACK_BYTES) / BLOCK_BYTES);
}

function blockStart(index: number): number {
  return index === 0 ? 0 : HOLD_BACK_BYTES + (index - 1) * BLOCK_BYTES;
}

/** The covered ranges cut into blocks: block 0 is the first MiB, then 4 MiB blocks. Empty blocks are left out. */
export function planBlocks(covered: readonly ByteRange[]): Block[] {
  const blocks = new Map<number, Block>();
  for (const r of covered) {
    let at = r.offset;
    const end = r.offset + r.length;
    while (at < end) {
      const index = blockIndexOf(at);
      const start = blockStart(index);
      const stop = Math.min(end, index === 0 ? HOLD_BACK_BYTES : start + BLOCK_BYTES);
      let b = blocks.get(index);
      if (!b) blocks.set(index, (b = { index, offset: start, pieces: [], dataLength: 0 }));
      b.pieces.push({ offset: at, length: stop - at, bufOffset: at - start });
      b.dataLength += stop - at;
      at = stop;
    }
  }
  return [...blocks.values()].sort((a, b) => a.index - b.index);
}

/** Only the covered bytes of a stream that yields [0, size) in order. */
export async function* coveredBytes(stream: AsyncIterable<Buffer>, covered: readonly ByteRange[]): AsyncGenerator<Buffer> {
  let pos = 0;
  let i = 0;
  for await (const chunk of stream) {
    const chunkEnd = pos + chunk.length;
    while (i < covered.length) {
      const r = covered[i]!;
      const start = Math.max(r.offset, pos);
      const end = Math.min(r.offset + r.length, chunkEnd);
      if (start < end) yield chunk.subarray(start - pos, end - pos);
      if (r.offset + r.length > chunkEnd) break;
      i++;
    }
    pos = chunkEnd;
  }
}
