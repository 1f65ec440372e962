import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BLOCK_BYTES, HOLD_BACK_BYTES, coveredBytes, coveredLength, coveredRanges, planBlocks } from './extents';

const MiB = 1 << 20;

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

async function* chunked(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

describe('covered ranges', () => {
  it('is the whole source when nothing is unused', () => {
    expect(coveredRanges(10 * MiB)).toEqual([{ offset: 0, length: 10 * MiB }]);
  });

  it('shrinks unused ranges inward to 4 KiB, merges them, and keeps the first MiB and the last sector', () => {
    const size = 20 * MiB + 1000;
    const covered = coveredRanges(size, [
      { offset: 512 * 1024, length: 2 * MiB }, // starts inside the first MiB: only [1 MiB, 2.5 MiB) is skipped
      { offset: 4 * MiB + 100, length: 2 * MiB }, // unaligned ends shrink inward
      { offset: 5 * MiB, length: 2 * MiB }, // overlaps the previous one
      { offset: 18 * MiB, length: 10 * MiB }, // runs past the end
    ]);
    expect(covered).toEqual([
      { offset: 0, length: MiB },
      { offset: 2.5 * MiB, length: 4 * MiB + 4096 - 2.5 * MiB },
      { offset: 7 * MiB, length: 11 * MiB },
      { offset: 20 * MiB, length: 1000 },
    ]);
    expect(coveredLength(covered)).toBe(MiB + (1.5 * MiB + 4096) + 11 * MiB + 1000);
  });

  it('ignores ranges smaller than one aligned 4 KiB block', () => {
    expect(coveredRanges(8 * MiB, [{ offset: 2 * MiB + 1, length: 4096 }])).toEqual([{ offset: 0, length: 8 * MiB }]);
  });
});

describe('block plan', () => {
  it('holds the first MiB as block 0, then cuts 4 MiB blocks, leaving out blocks with nothing to write', () => {
    const size = 1 * MiB + 3 * BLOCK_BYTES + 512;
    const blocks = planBlocks(coveredRanges(size, [{ offset: 1 * MiB + BLOCK_BYTES, length: BLOCK_BYTES }]));
    expect(blocks.map((b) => [b.index, b.offset, b.dataLength])).toEqual([
      [0, 0, HOLD_BACK_BYTES],
      [1, MiB, BLOCK_BYTES],
      [3, MiB + 2 * BLOCK_BYTES, BLOCK_BYTES],
      [4, MiB + 3 * BLOCK_BYTES, 512],
    ]);
    expect(blocks[3]!.pieces).toEqual([{ offset: MiB + 3 * BLOCK_BYTES, length: 512, bufOffset: 0 }]);
  });

  it('splits a block around a hole inside it, with buffer offsets relative to the block', () => {
    const [, b1] = planBlocks(coveredRanges(5 * MiB, [{ offset: 2 * MiB, length: MiB }]));
    expect(b1!.pieces).toEqual([
      { offset: MiB, length: MiB, bufOffset: 0 },
      { offset: 3 * MiB, length: 2 * MiB, bufOffset: 2 * MiB },
    ]);
  });
});

describe('covered bytes', () => {
  it('passes exactly the covered bytes of a stream, whatever its chunking', async () => {
    const size = 9 * MiB + 777;
    const src = randomBytes(size);
    const covered = coveredRanges(size, [
      { offset: 1.5 * MiB, length: MiB },
      { offset: 6 * MiB, length: 2 * MiB },
    ]);
    const expected = Buffer.concat(covered.map((r) => src.subarray(r.offset, r.offset + r.length)));
    for (const chunk of [4093, 65536, 300_000, MiB, size]) {
      const got = await collect(coveredBytes(chunked(src, chunk), covered));
      expect(got.equals(expected)).toBe(true);
    }
  });
});
