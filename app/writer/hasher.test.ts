import { createHash, randomFillSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { coveredRanges, planBlocks } from '../flash/extents';
import { alignedBuffers } from './aligned';
import { Hasher } from './hasher';

describe('hashing on workers', () => {
  it('gives the SHA-256 of exactly the covered bytes of each block, many at once', async () => {
    const MiB = 1 << 20;
    const blocks = planBlocks(coveredRanges(13 * MiB, [{ offset: 6 * MiB, length: MiB }]));
    const bufs = alignedBuffers(4 * MiB, blocks.length);
    const hasher = new Hasher(2);
    try {
      const digests = await Promise.all(
        blocks.map((b, i) => {
          randomFillSync(bufs[i]!);
          return hasher.digest(b, bufs[i]!);
        }),
      );
      blocks.forEach((b, i) => {
        const h = createHash('sha256');
        for (const p of b.pieces) h.update(bufs[i]!.subarray(p.bufOffset, p.bufOffset + p.length));
        expect(digests[i]!.equals(h.digest()), `block ${b.index}`).toBe(true);
      });
      // A byte outside the covered pieces (the skipped MiB in block 2) does not change the digest.
      const holey = blocks.find((b) => b.pieces.length === 2)!;
      const i = blocks.indexOf(holey);
      const before = await hasher.digest(holey, bufs[i]!);
      bufs[i]!.writeUInt8(bufs[i]!.readUInt8(holey.pieces[0]!.length) ^ 1, holey.pieces[0]!.length);
      expect((await hasher.digest(holey, bufs[i]!)).equals(before)).toBe(true);
    } finally {
      await hasher.close();
    }
  });
});
