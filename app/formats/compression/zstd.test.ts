import { describe, expect, it } from 'vitest';
import { ByteReader } from './byte-reader';
import { chunked, collect, run, sampleBytes } from './test-tools';
import { decodeZstdFrame, unzstd, type ZstdFrameInfo } from './zstd';

const data = sampleBytes(700_000, 5);

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'no error';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

describe('zstd', () => {
  it('decodes what the real zstd writes, with and without checksum and content size', async () => {
    for (const args of [['-19'], ['-1', '--no-check'], ['-3', '--no-content-size'], ['-3', '-B100000']]) {
      const z = await run('zstd', ['-q', '-c', ...args], { input: data });
      expect((await collect(unzstd(chunked(z, 65_536)))).equals(data), args.join(' ')).toBe(true);
    }
  });

  it('finds the exact end of a frame without decoding past it', async () => {
    const z = await run('zstd', ['-q', '-c', '-5', `--stream-size=${data.length}`], { input: data });
    const reader = ByteReader.fromIterable(chunked(Buffer.concat([z, Buffer.from('NEXT')]), 10_000));
    const frames: ZstdFrameInfo[] = [];
    expect((await collect(decodeZstdFrame(reader, (f) => frames.push(f)))).equals(data)).toBe(true);
    expect(reader.position).toBe(z.length);
    expect((await reader.read(4)).toString()).toBe('NEXT');
    expect(frames[0]).toMatchObject({ offset: 0, contentSize: data.length, hasChecksum: true });
  });

  it('decodes empty and tiny frames', async () => {
    for (const input of [Buffer.alloc(0), Buffer.from('x')]) {
      const z = await run('zstd', ['-q', '-c'], { input });
      expect((await collect(unzstd(chunked(z, 3)))).equals(input)).toBe(true);
    }
  });

  it('decodes several frames and skips skippable frames like zstd -d', async () => {
    const a = await run('zstd', ['-q', '-c'], { input: Buffer.from('first ') });
    const b = await run('zstd', ['-q', '-c'], { input: Buffer.from('second') });
    const skippable = Buffer.concat([Buffer.from([0x5a, 0x2a, 0x4d, 0x18, 3, 0, 0, 0]), Buffer.from('abc')]);
    const all = Buffer.concat([a, skippable, b]);
    expect((await run('zstd', ['-dc'], { input: all })).toString()).toBe('first second');
    expect((await collect(unzstd(chunked(all, 4)))).toString()).toBe('first second');
  });

  it('names each kind of damage with its own code', async () => {
    const z = await run('zstd', ['-q', '-c', '-3'], { input: data });
    const reservedBlock = Buffer.from(z);
    reservedBlock[z.readUInt8(4) & 0x20 ? 6 : 7]! |= 0x06; // first block header: type 3 (reserved)
    const bigWindow = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xf8, 1, 0, 0]); // window 2^41
    const dict = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x01, 0x58, 7, 1, 0, 0]);
    const scrambled = Buffer.from(z);
    for (let i = 40; i < 400; i++) scrambled[i] = (i * 37) & 0xff;
    expect(await codeOf(collect(unzstd(chunked(z.subarray(0, z.length - 50), 999))))).toBe('E_ZSTD_TRUNCATED');
    expect(await codeOf(collect(unzstd(chunked(z.subarray(0, 3), 999))))).toBe('E_ZSTD_TRUNCATED');
    expect(await codeOf(collect(unzstd(chunked(reservedBlock, 999))))).toBe('E_ZSTD_CORRUPT');
    expect(await codeOf(collect(unzstd(chunked(scrambled, 999))))).toBe('E_ZSTD_CORRUPT');
    expect(await codeOf(collect(unzstd(chunked(bigWindow, 999))))).toBe('E_ZSTD_UNSUPPORTED');
    expect(await codeOf(collect(unzstd(chunked(dict, 999))))).toBe('E_ZSTD_UNSUPPORTED');
    expect(await codeOf(collect(unzstd(chunked(Buffer.concat([z, Buffer.from('junk')]), 999))))).toBe('E_ZSTD_TRAILING_DATA');
  });
});
