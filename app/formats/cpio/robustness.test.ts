import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isEmtError, type EmtError } from '../../errors';
import { openRandomAccess, readAll } from '../byte-source';
import { bufferRandomAccess, run, tempDir } from '../compression/test-tools';
import { walkInitramfs } from './initramfs';
import { encodeHeader, HEADER_SIZE } from './newc';
import { writeCpio, type CpioInput } from './writer';

let dir: { path: string; remove: () => Promise<void> };
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(async () => {
  await dir.remove();
});

const sample: CpioInput[] = [
  { type: 'dir', path: '/etc' },
  { type: 'file', path: '/etc/a.conf', data: Buffer.from('alpha\n') },
  { type: 'symlink', path: '/lib', target: 'usr/lib' },
  { type: 'file', path: '/etc/b.conf', data: Buffer.from('b'.repeat(300)) },
];

async function failure(p: Promise<unknown>): Promise<EmtError> {
  try {
    await p;
  } catch (e) {
    if (isEmtError(e)) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

/** A header for one entry named `name` whose c_filesize is `size` (data not included). */
function headerFor(name: string, size: number, mode = 0o100644): Buffer {
  const n = Buffer.from(`${name}\0`);
  const h = encodeHeader({ ino: 1, mode, uid: 0, gid: 0, nlink: 1, mtime: 0, filesize: size, devMajor: 0, devMinor: 0, rdevMajor: 0, rdevMinor: 0, namesize: n.length, check: 0 });
  return Buffer.concat([h, n, Buffer.alloc((4 - ((HEADER_SIZE + n.length) % 4)) % 4)]);
}

describe('damaged and foreign input', () => {
  it('names the format or damage and the byte offset', async () => {
    const good = await readAll(writeCpio(sample));
    const tree = join(dir.path, 'tree');
    await run('mkdir', ['-p', tree]);
    await run('sh', ['-c', 'echo x > f'], { cwd: tree });
    const odc = await run('cpio', ['-o', '--quiet', '-H', 'odc'], { cwd: tree, input: Buffer.from('f\n') });
    const bin = await run('cpio', ['-o', '--quiet', '-H', 'bin'], { cwd: tree, input: Buffer.from('f\n') });
    const bz = await run('bzip2', ['-c'], { input: good });
    const nonHex = Buffer.from(good);
    nonHex.write('zz', 6 + 8 * 6 + 3, 'latin1'); // inside c_filesize of the first entry
    const noNul = Buffer.from(good);
    noNul[HEADER_SIZE + 3] = 0x41; // "etc\0" -> "etcA"
    const junk = Buffer.concat([good, Buffer.from('JUNK')]);
    const longName = Buffer.concat([headerFor('x'.repeat(5000), 0), Buffer.alloc(5000)]);
    const gz = await run('gzip', ['-c'], { input: good });

    const cases: Array<[Buffer, string, number]> = [
      [odc, 'E_CPIO_ODC', 0],
      [Buffer.concat([good, odc]), 'E_CPIO_ODC', good.length],
      [bin, 'E_INITRAMFS_JUNK', 0],
      [Buffer.concat([good, bz]), 'E_INITRAMFS_COMPRESSION_UNSUPPORTED', good.length],
      [nonHex, 'E_CPIO_BAD_HEADER', 0],
      [noNul, 'E_CPIO_BAD_NAME', 0],
      [longName, 'E_CPIO_BAD_NAME', 0],
      [junk, 'E_INITRAMFS_JUNK', good.length],
      [good.subarray(0, good.length - 20), 'E_CPIO_TRUNCATED', good.length - 124],
      [gz.subarray(0, gz.length - 12), 'E_GZIP_TRUNCATED', 0],
      [await run('gzip', ['-c'], { input: Buffer.concat([good, Buffer.from('Q')]) }), 'E_INITRAMFS_JUNK_IN_SEGMENT', good.length],
    ];
    for (const [bytes, code, offset] of cases) {
      const e = await failure(walkInitramfs(bufferRandomAccess(bytes)));
      expect([e.code, e.details?.offset], code).toEqual([code, offset]);
    }
  });

  it('keeps names that are not UTF-8 and shows them escaped', async () => {
    const good = await readAll(writeCpio([{ type: 'file', path: '/aXb\\c', data: Buffer.from('1') }]));
    const at = good.indexOf('aXb');
    good[at + 1] = 0xff;
    const [entry] = (await walkInitramfs(bufferRandomAccess(good))).entries;
    expect(entry).toMatchObject({ name: 'a\\xffb\\\\c', isNameEscaped: true, path: '/a\\xffb\\\\c' });
    expect([...entry!.rawName]).toEqual([0x61, 0xff, 0x62, 0x5c, 0x63]);
  });

  it('lists a 4 GiB - 1 byte entry of a sparse file without reading it, and streams part of it', async () => {
    const path = join(dir.path, 'sparse.cpio');
    const head = headerFor('huge.bin', 0xffffffff);
    const trailer = await readAll(writeCpio([]));
    const fh = await open(path, 'w');
    try {
      await fh.write(head, 0, head.length, 0);
      await fh.write(trailer, 0, trailer.length, head.length + 0xffffffff + 1);
    } finally {
      await fh.close();
    }
    const ra = await openRandomAccess(path);
    try {
      let streamed = 0;
      const started = performance.now();
      const listing = await walkInitramfs(ra, {
        onEntry: async (_entry, body) => {
          for await (const c of body) {
            streamed += c.length;
            if (streamed >= 4 << 20) break;
          }
        },
      });
      expect(listing.entries[0]).toMatchObject({ path: '/huge.bin', size: 0xffffffff });
      expect(listing.segments[0]).toMatchObject({ hasTrailer: true, length: ra.size });
      expect(streamed).toBeGreaterThanOrEqual(4 << 20);
      expect(streamed).toBeLessThan(6 << 20);
      expect(performance.now() - started).toBeLessThan(5000);
    } finally {
      await ra.close();
    }
  });

  it('fails fast, without allocating, when a header claims 4 GiB that is not there', async () => {
    const lie = Buffer.concat([headerFor('big', 0xfffffff0), Buffer.alloc(1000, 1)]);
    const gz = await run('gzip', ['-c'], { input: lie });
    for (const bytes of [lie, gz]) {
      const before = process.memoryUsage().rss;
      const e = await failure(walkInitramfs(bufferRandomAccess(bytes), { onEntry: async (_e, body) => void (await readAll({ size: 0, stream: () => body }, Infinity).catch(() => {})) }));
      expect(e.code).toBe('E_CPIO_TRUNCATED');
      expect(process.memoryUsage().rss - before).toBeLessThan(64 << 20);
    }
  });

  it('survives random damage: every outcome is a listing or an EmtError with an offset, quickly', async () => {
    const archive = await readAll(writeCpio(sample));
    const segments = [
      await run('gzip', ['-c'], { input: archive }),
      archive,
      await run('zstd', ['-q', '-c', '--no-check'], { input: archive }),
      await run('xz', ['-c', '--check=crc32'], { input: archive }),
      await run('lz4', ['-l', '-c'], { input: archive }),
    ];
    const base = Buffer.concat(segments.map((s) => Buffer.concat([s, Buffer.alloc((4 - (s.length % 4)) % 4)])));
    let seed = 0x9e3779b9;
    const rand = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const mutate = (b: Buffer): Buffer => {
      const m = Buffer.from(b);
      switch (rand(6)) {
        case 0:
          for (let k = rand(4) + 1; k > 0; k--) m[rand(m.length)] = rand(256);
          return m;
        case 1:
          return m.subarray(0, rand(m.length));
        case 2: {
          const at = rand(m.length);
          return Buffer.concat([m.subarray(0, at), Buffer.from(Array.from({ length: rand(16) + 1 }, () => rand(256))), m.subarray(at)]);
        }
        case 3: {
          const at = rand(m.length);
          return Buffer.concat([m.subarray(0, at), m.subarray(at + rand(64) + 1)]);
        }
        case 4:
          m.fill(0, rand(m.length), rand(m.length));
          return m;
        default: {
          // A plausible hex digit in a random header field: sizes and name sizes go wild.
          const at = rand(m.length);
          m[at] = '0123456789abcdefF'.charCodeAt(rand(17));
          return m;
        }
      }
    };
    const outcomes = new Map<string, number>();
    let slowest = 0;
    for (let i = 0; i < 400; i++) {
      const input = mutate(base);
      const started = performance.now();
      const result = await Promise.race([
        walkInitramfs(bufferRandomAccess(input)).then(
          () => 'listing',
          (e: unknown) => {
            if (!isEmtError(e)) throw new Error(`mutation ${i} threw a non-EmtError: ${String((e as Error)?.stack ?? e)}`);
            if (typeof e.details?.offset !== 'number') throw new Error(`mutation ${i}: ${e.code} has no offset`);
            return e.code;
          },
        ),
        new Promise<string>((resolve) => setTimeout(() => resolve('timeout'), 5000)),
      ]);
      expect(result, `mutation ${i}`).not.toBe('timeout');
      slowest = Math.max(slowest, performance.now() - started);
      outcomes.set(result, (outcomes.get(result) ?? 0) + 1);
    }
    expect(outcomes.get('listing')).toBeGreaterThan(0);
    expect(outcomes.size).toBeGreaterThan(5);
    expect(slowest).toBeLessThan(2000);
  });
});
