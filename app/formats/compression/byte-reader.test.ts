import { describe, expect, it } from 'vitest';
import type { RandomAccess } from '../byte-source';
import { ByteReader } from './byte-reader';
import { chunked, collect } from './test-tools';

const data = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');

function countingRandomAccess(buf: Buffer): RandomAccess & { reads: Array<[number, number]> } {
  const reads: Array<[number, number]> = [];
  return {
    size: buf.length,
    reads,
    async read(offset, length) {
      reads.push([offset, length]);
      return Buffer.from(buf.subarray(offset, offset + length));
    },
    async close() {},
  };
}

describe('ByteReader', () => {
  it('reads exact lengths across chunk boundaries and tracks the position', async () => {
    const r = ByteReader.fromIterable(chunked(data, 5));
    expect((await r.read(3)).toString()).toBe('012');
    expect((await r.read(9)).toString()).toBe('3456789ab');
    expect(r.position).toBe(12);
    expect((await r.peek(4)).toString()).toBe('cdef');
    expect(r.position).toBe(12);
    expect(await r.skip(20)).toBe(20);
    expect((await r.read(10)).toString()).toBe('wxyz');
    expect(await r.isAtEnd()).toBe(true);
    expect(await r.skip(5)).toBe(0);
  });

  it('gives bytes back in order with unshift', async () => {
    const r = ByteReader.fromIterable(chunked(data, 7));
    const a = await r.read(10);
    r.unshift(a.subarray(6));
    r.unshift(a.subarray(4, 6));
    expect((await r.read(8)).toString()).toBe('456789ab');
    expect(r.position).toBe(12);
  });

  it('streams an exact length with take and fails with the caller error when short', async () => {
    const r = ByteReader.fromIterable(chunked(data, 4));
    expect((await collect(r.take(10, () => new Error('short')))).toString()).toBe('0123456789');
    await expect(collect(r.take(100, (got) => new Error(`short after ${got}`)))).rejects.toThrow('short after 26');
  });

  it('skips NUL runs that span chunks', async () => {
    const buf = Buffer.concat([Buffer.alloc(9), Buffer.from('x'), Buffer.alloc(3)]);
    const r = ByteReader.fromIterable(chunked(buf, 4));
    expect(await r.skipZeros()).toBe(9);
    expect((await r.read(1)).toString()).toBe('x');
    expect(await r.skipZeros()).toBe(3);
    expect(await r.isAtEnd()).toBe(true);
  });

  it('skips a random-access source without reading the skipped bytes', async () => {
    const big = Buffer.alloc(10 << 20, 7);
    const ra = countingRandomAccess(big);
    const r = ByteReader.fromRandomAccess(ra, 100, big.length, 1 << 20);
    await r.read(10);
    expect(await r.skip(8 << 20)).toBe(8 << 20);
    expect(r.position).toBe(100 + 10 + (8 << 20));
    await r.read(10);
    const bytesRead = ra.reads.reduce((n, [, l]) => n + l, 0);
    expect(bytesRead).toBeLessThanOrEqual(2 << 20);
  });
});
