import { describe, expect, it } from 'vitest';
import { ByteReader } from './byte-reader';
import { decodeLz4Legacy, unlz4Legacy } from './lz4-legacy';
import { chunked, collect, run, sampleBytes } from './test-tools';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'no error';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

describe('lz4 legacy', () => {
  it('decodes what lz4 -l writes, across several 8 MiB blocks and levels', async () => {
    const data = Buffer.concat([sampleBytes(9 << 20, 4), Buffer.alloc(3 << 20, 0x41), sampleBytes(1000, 5)]);
    for (const level of ['-1', '-9']) {
      const l = await run('lz4', ['-l', level, '-c'], { input: data });
      expect((await collect(unlz4Legacy(chunked(l, 1 << 20)))).equals(data), level).toBe(true);
    }
  });

  it('decodes overlapping matches (short repeated patterns)', async () => {
    const data = Buffer.from('ab'.repeat(5000) + 'abc'.repeat(3000) + 'x');
    const l = await run('lz4', ['-l', '-c'], { input: data });
    expect((await collect(unlz4Legacy(chunked(l, 100)))).equals(data)).toBe(true);
  });

  it('stops before a following gzip member, leaving it in the reader', async () => {
    const l = await run('lz4', ['-l', '-c'], { input: Buffer.from('hello lz4') });
    const gz = await run('gzip', ['-c'], { input: Buffer.from('after') });
    const reader = ByteReader.fromIterable(chunked(Buffer.concat([l, gz]), 10));
    expect((await collect(decodeLz4Legacy(reader))).toString()).toBe('hello lz4');
    expect(reader.position).toBe(l.length);
  });

  it('names damage and truncation', async () => {
    const l = await run('lz4', ['-l', '-c'], { input: sampleBytes(100_000, 8) });
    const bad = Buffer.from(l);
    for (let i = 9; i < 200; i++) bad[i] = 0xf0;
    expect(await codeOf(collect(unlz4Legacy(chunked(l.subarray(0, l.length - 10), 999))))).toBe('E_LZ4_TRUNCATED');
    expect(await codeOf(collect(unlz4Legacy(chunked(bad, 999))))).toBe('E_LZ4_CORRUPT');
    expect(await codeOf(collect(unlz4Legacy(chunked(Buffer.from('nope'), 999))))).toBe('E_LZ4_CORRUPT');
    expect(await codeOf(collect(unlz4Legacy(chunked(Buffer.concat([l, Buffer.from([1, 0, 0])]), 999))))).toBe('E_LZ4_TRAILING_DATA');
  });
});
