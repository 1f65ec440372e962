import { randomBytes } from 'node:crypto';
import { deflateRawSync, gzipSync, crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { fromBuffer, readAll, type ByteSource } from '../byte-source';
import { ByteReader } from './byte-reader';
import { gunzip, inflateGzipMember, type GzipHeader } from './gzip-decode';
import { gzip, gzipSource } from './gzip-encode';
import { chunked, collect, run, sampleBytes } from './test-tools';

const text = sampleBytes(300_000, 3);

/** A gzip member with the optional header fields the kernel cannot skip. */
function memberWithAllFields(data: Buffer): Buffer {
  const header = Buffer.from([0x1f, 0x8b, 8, 0x02 | 0x04 | 0x08 | 0x10, 0, 0, 0, 0, 0, 3]);
  const extra = Buffer.from([4, 0, 0x41, 0x42, 0, 0]);
  const name = Buffer.from('file.bin\0', 'latin1');
  const comment = Buffer.from('a comment\0', 'latin1');
  const head = Buffer.concat([header, extra, name, comment]);
  const hcrc = Buffer.alloc(2);
  hcrc.writeUInt16LE(crc32(head) & 0xffff);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(data), 0);
  trailer.writeUInt32LE(data.length, 4);
  return Buffer.concat([head, hcrc, deflateRawSync(data), trailer]);
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'no error';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

describe('gzip decoding', () => {
  it('decodes what the real gzip writes, whatever the chunking', async () => {
    const gz = await run('gzip', ['-c', '-9'], { input: text });
    for (const size of [4096, 1 << 20]) expect((await collect(gunzip(chunked(gz, size)))).equals(text)).toBe(true);
    const small = text.subarray(0, 3000);
    const smallGz = await run('gzip', ['-c'], { input: small });
    for (const size of [1, 7]) expect((await collect(gunzip(chunked(smallGz, size)))).equals(small)).toBe(true);
  });

  it('stops exactly at the end of a member and gives the rest back', async () => {
    const gz = await run('gzip', ['-c'], { input: text });
    const reader = ByteReader.fromIterable(chunked(Buffer.concat([gz, Buffer.from('NEXT')]), 1000));
    const headers: GzipHeader[] = [];
    expect((await collect(inflateGzipMember(reader, (h) => headers.push(h)))).equals(text)).toBe(true);
    expect(reader.position).toBe(gz.length);
    expect((await reader.read(10)).toString()).toBe('NEXT');
    expect(headers[0]?.hasFieldsKernelSkips).toBe(false);
  });

  it('reads every optional header field and says the kernel cannot skip them', async () => {
    const headers: GzipHeader[] = [];
    const small = text.subarray(0, 3000);
    const reader = ByteReader.fromIterable(chunked(memberWithAllFields(small), 3));
    expect((await collect(inflateGzipMember(reader, (h) => headers.push(h)))).equals(small)).toBe(true);
    expect(headers[0]).toMatchObject({ name: 'file.bin', hasFieldsKernelSkips: true });
  });

  it('decodes concatenated members as one stream and ignores trailing NULs', async () => {
    const a = await run('gzip', ['-c'], { input: Buffer.from('first ') });
    const b = await run('gzip', ['-c'], { input: Buffer.from('second') });
    const out = await collect(gunzip(chunked(Buffer.concat([a, b, Buffer.alloc(100)]), 5)));
    expect(out.toString()).toBe('first second');
  });

  it('names each kind of damage with its own code', async () => {
    const gz = await run('gzip', ['-c'], { input: text });
    const flipped = Buffer.from(gz);
    flipped[gz.length - 6]! ^= 0xff; // inside the CRC-32
    const broken = Buffer.from(gz);
    for (let i = 20; i < 60; i++) broken[i] = 0xff;
    expect(await codeOf(collect(gunzip(chunked(gz.subarray(0, gz.length - 100), 999))))).toBe('E_GZIP_TRUNCATED');
    expect(await codeOf(collect(gunzip(chunked(gz.subarray(0, 5), 999))))).toBe('E_GZIP_TRUNCATED');
    expect(await codeOf(collect(gunzip(chunked(flipped, 999))))).toBe('E_GZIP_CHECKSUM');
    expect(await codeOf(collect(gunzip(chunked(broken, 999))))).toBe('E_GZIP_CORRUPT');
    expect(await codeOf(collect(gunzip(chunked(Buffer.concat([gz, Buffer.from('junk')]), 999))))).toBe('E_GZIP_TRAILING_DATA');
    expect(await codeOf(collect(gunzip(chunked(Buffer.from('not gzip at all'), 999))))).toBe('E_GZIP_BAD_HEADER');
  });

  it('inflates on demand: stopping early on a bomb neither decodes it all nor grows memory', async () => {
    const bomb = gzipSync(Buffer.alloc(128 << 20), { level: 1 });
    const before = process.memoryUsage().rss;
    const started = performance.now();
    let n = 0;
    for await (const c of gunzip(chunked(bomb, 1 << 20))) {
      n += c.length;
      if (n >= 4 << 20) break;
    }
    expect(performance.now() - started).toBeLessThan(1000);
    expect(process.memoryUsage().rss - before).toBeLessThan(64 << 20);
  });
});

describe('gzip encoding', () => {
  it('writes a deterministic header that the real gzip accepts', async () => {
    const gz = await collect(gzip(chunked(text, 10_000)));
    expect([...gz.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3]);
    expect((await run('gzip', ['-dc'], { input: gz })).equals(text)).toBe(true);
    expect((await collect(gzip(chunked(text, 777)))).equals(gz)).toBe(true);
  });

  it('writes a valid empty member', async () => {
    const gz = await collect(gzip(chunked(Buffer.alloc(0), 1)));
    expect((await run('gzip', ['-dc'], { input: gz })).length).toBe(0);
  });

  it('gives a ByteSource whose size is exact, kept in memory or compressed again', async () => {
    let smallStreamed = 0;
    const small = await gzipSource({ size: text.length, stream: () => (smallStreamed++, fromBuffer(text).stream()) });
    expect((await readAll(small)).length).toBe(small.size);
    expect((await readAll(small)).length).toBe(small.size);
    expect(smallStreamed).toBe(1);
    // Random bytes do not compress: over 16 MiB of output, so it is compressed again on each stream().
    const large = randomBytes(17 << 20);
    let streamed = 0;
    const counted: ByteSource = { size: large.length, stream: () => (streamed++, fromBuffer(large).stream()) };
    const src = await gzipSource(counted, { level: 0 });
    const first = await readAll(src, 64 << 20);
    expect(first.length).toBe(src.size);
    expect((await readAll(src, 64 << 20)).equals(first)).toBe(true);
    expect(streamed).toBe(3);
    expect((await run('gzip', ['-dc'], { input: first })).equals(large)).toBe(true);
  });
});
