import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { OffThreadHash } from './hash-worker';

describe('OffThreadHash', () => {
  it('gives the same digest as a hash on this thread, across many chunks and backpressure', async () => {
    const h = new OffThreadHash();
    const ref = createHash('sha256');
    for (let i = 0; i < 40; i++) {
      const chunk = randomBytes(257 * 1024 + i);
      ref.update(chunk);
      await h.update(chunk.subarray(0));
      chunk.fill(0); // the producer may reuse its buffer once update() returns
    }
    expect(await h.digest()).toBe(ref.digest('hex'));
  });

  it('hashes nothing to the empty digest', async () => {
    expect(await new OffThreadHash().digest()).toBe(createHash('sha256').digest('hex'));
  });
});

describe('OffThreadHash sharing one worker', () => {
  it('keeps concurrent hashes apart and survives a disposed one', async () => {
    const a = new OffThreadHash();
    const b = new OffThreadHash();
    const c = new OffThreadHash();
    const refA = createHash('sha256');
    const refB = createHash('sha256');
    for (let i = 0; i < 10; i++) {
      const x = randomBytes(3 << 20);
      const y = randomBytes(1 << 20);
      refA.update(x);
      refB.update(y);
      await Promise.all([a.update(x), b.update(y), c.update(y)]);
    }
    c.dispose();
    expect(await a.digest()).toBe(refA.digest('hex'));
    expect(await b.digest()).toBe(refB.digest('hex'));
  });
});
