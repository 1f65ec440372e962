import { describe, expect, it } from 'vitest';
import { ByteReader } from './byte-reader';
import { chunked, collect, run, sampleBytes } from './test-tools';
import { decodeXzStream, unxz, type XzStreamInfo } from './xz';

const data = sampleBytes(400_000, 11);

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'no error';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

describe('xz', () => {
  it('decodes what the real xz writes, with every check type, and reports the check', async () => {
    for (const check of ['crc32', 'crc64', 'none']) {
      const x = await run('xz', ['-c', '-1', `--check=${check}`], { input: data });
      const infos: XzStreamInfo[] = [];
      const reader = ByteReader.fromIterable(chunked(x, 50_000));
      expect((await collect(decodeXzStream(reader, (s) => infos.push(s)))).equals(data), check).toBe(true);
      expect(infos[0]?.check).toBe(check);
    }
  });

  it('reports a SHA-256 check before refusing it (xz-embedded cannot verify it)', async () => {
    const x = await run('xz', ['-c', '--check=sha256'], { input: data });
    const infos: XzStreamInfo[] = [];
    await expect(collect(decodeXzStream(ByteReader.fromIterable(chunked(x, 999)), (s) => infos.push(s)))).rejects.toMatchObject({ code: 'E_XZ_UNSUPPORTED' });
    expect(infos[0]?.check).toBe('sha256');
  });

  it('walks multi-block streams with sizes in the block headers', async () => {
    const multi = await run('xz', ['-c', '-T2', '--block-size=100KiB', '--check=crc32'], { input: data });
    const stored = await run('xz', ['-c', '-0', '--check=crc32'], { input: Buffer.alloc(0) });
    expect((await collect(unxz(chunked(multi, 7777)))).equals(data)).toBe(true);
    expect((await collect(unxz(chunked(stored, 3)))).length).toBe(0);
  });

  it('refuses filter chains the WebAssembly decoder lacks, naming the filter', async () => {
    const bcj = await run('xz', ['-c', '--x86', '--lzma2=preset=1', '--check=crc32'], { input: data });
    await expect(collect(unxz(chunked(bcj, 7777)))).rejects.toMatchObject({ code: 'E_XZ_UNSUPPORTED', details: { filters: ['x86 BCJ'] } });
  });

  it('finds the exact end of a stream', async () => {
    const x = await run('xz', ['-c', '--check=crc32'], { input: data });
    const reader = ByteReader.fromIterable(chunked(Buffer.concat([x, Buffer.from('NEXT')]), 4096));
    expect((await collect(decodeXzStream(reader))).equals(data)).toBe(true);
    expect(reader.position).toBe(x.length);
    expect((await reader.read(4)).toString()).toBe('NEXT');
  });

  it('decodes concatenated streams with stream padding like xz -d', async () => {
    const a = await run('xz', ['-c'], { input: Buffer.from('first ') });
    const b = await run('xz', ['-c'], { input: Buffer.from('second') });
    const all = Buffer.concat([a, Buffer.alloc(8), b]);
    expect((await run('xz', ['-dc'], { input: all })).toString()).toBe('first second');
    expect((await collect(unxz(chunked(all, 5)))).toString()).toBe('first second');
  });

  it('names each kind of damage with its own code, and the decoder stays usable after a failure', async () => {
    const x = await run('xz', ['-c', '--check=crc32'], { input: data });
    const badData = Buffer.from(x);
    for (let i = 200; i < 260; i++) badData[i]! ^= 0x55;
    const badIndex = Buffer.from(x);
    badIndex[x.length - 14]! ^= 0x01; // the index CRC32, just before the footer
    const badCheck = Buffer.from(x);
    const checkAt = x.length - 12 - (x.readUInt32LE(x.length - 8) + 1) * 4 - 4;
    badCheck[checkAt]! ^= 0x01; // the block's CRC32 of the content
    expect(await codeOf(collect(unxz(chunked(x.subarray(0, x.length - 30), 999))))).toBe('E_XZ_TRUNCATED');
    expect(await codeOf(collect(unxz(chunked(badData, 999))))).toBe('E_XZ_CORRUPT');
    expect(await codeOf(collect(unxz(chunked(badIndex, 999))))).toBe('E_XZ_CORRUPT');
    expect(await codeOf(collect(unxz(chunked(badCheck, 999))))).toBe('E_XZ_CORRUPT');
    expect(await codeOf(collect(unxz(chunked(Buffer.concat([x, Buffer.from('junk')]), 999))))).toBe('E_XZ_TRAILING_DATA');
    expect((await collect(unxz(chunked(x, 999)))).equals(data)).toBe(true);
  });

  it('frees the decoder when the caller stops early', async () => {
    const x = await run('xz', ['-c', '-0', '--check=crc32'], { input: sampleBytes(1 << 20, 2) });
    for await (const c of unxz(chunked(x, 4096))) {
      expect(c.length).toBeGreaterThan(0);
      break;
    }
    // xz-decompress runs one decoder at a time: this would wait forever if the first were not freed.
    expect((await collect(unxz(chunked(await run('xz', ['-c'], { input: Buffer.from('ok') }), 99)))).toString()).toBe('ok');
  });
});
