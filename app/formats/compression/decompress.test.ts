import { describe, expect, it } from 'vitest';
import { decompress } from './decompress';
import { detectCompression } from './detect';
import { chunked, collect, run, sampleBytes } from './test-tools';

const data = sampleBytes(200_000, 21);

describe('decompress (auto-detect)', () => {
  it('recognises and decodes the output of each real compressor', async () => {
    const cases: Array<[string, string[]]> = [
      ['gzip', ['gzip', '-c']],
      ['xz', ['xz', '-c', '--check=crc32']],
      ['zstd', ['zstd', '-q', '-c']],
      ['lz4-legacy', ['lz4', '-l', '-c']],
    ];
    for (const [kind, [cmd, ...args]] of cases) {
      const packed = await run(cmd!, args, { input: data });
      expect(detectCompression(packed)).toBe(kind);
      expect((await collect(decompress(chunked(packed, 3000)))).equals(data), kind).toBe(true);
    }
  });

  it('passes data without a known magic through unchanged', async () => {
    expect((await collect(decompress(chunked(data, 777)))).equals(data)).toBe(true);
    expect((await collect(decompress(chunked(Buffer.alloc(0), 1)))).length).toBe(0);
  });

  it('recognises formats it cannot decode and says so', async () => {
    const cases: Array<[string, string[]]> = [
      ['bzip2', ['bzip2', '-c']],
      ['lz4-frame', ['lz4', '-c']],
      ['lzma', ['xz', '--format=lzma', '-c']],
    ];
    for (const [kind, [cmd, ...args]] of cases) {
      const packed = await run(cmd!, args, { input: data });
      expect(detectCompression(packed)).toBe(kind);
      await expect(collect(decompress(chunked(packed, 3000)))).rejects.toMatchObject({ code: 'E_COMPRESSION_UNSUPPORTED' });
    }
  });
});
