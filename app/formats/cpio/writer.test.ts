import { lstat, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromBuffer, readAll, type ByteSource } from '../byte-source';
import { bufferRandomAccess, run, tempDir } from '../compression/test-tools';
import { walkInitramfs } from './initramfs';
import { HEADER_SIZE, parseHeader } from './newc';
import { writeCpio, type CpioInput } from './writer';

const big = Buffer.alloc(70_001, 0x5a);
const entries: CpioInput[] = [
  { type: 'dir', path: '/etc', mode: 0o755 },
  { type: 'file', path: '/etc/hello.conf', data: Buffer.from('hello\n'), mode: 0o640, uid: 1000, gid: 100, mtime: 1_700_000_000 },
  { type: 'file', path: 'etc/big.bin', data: fromBuffer(big), mode: 0o755 },
  { type: 'file', path: '/etc/empty', data: Buffer.alloc(0) },
  { type: 'symlink', path: '/etc/link', target: '/dev/null' },
  { type: 'dir', path: '/données', mode: 0o700 },
  { type: 'file', path: '/données/grüße-файл.txt', data: Buffer.from('ü') },
  { type: 'char', path: '/etc/null-dev', rdevMajor: 1, rdevMinor: 3, mode: 0o666 },
  { type: 'block', path: '/etc/loop-dev', rdevMajor: 7, rdevMinor: 0 },
];

let archive: Buffer;
let dir: { path: string; remove: () => Promise<void> };

beforeAll(async () => {
  archive = await readAll(writeCpio(entries));
  dir = await tempDir();
});
afterAll(async () => {
  await dir.remove();
});

/** Parses `cpio -itv --numeric-uid-gid` lines into [mode, uid, gid, size-or-device, name]. */
function parseListing(text: string): string[][] {
  return text
    .trim()
    .split('\n')
    .map((l) => {
      const m = /^(\S+)\s+\d+\s+(\d+)\s+(\d+)\s+(\d+(?:,\s+\d+)?)\s+\S+\s+\S+\s+\S+\s+(.*)$/.exec(l);
      if (!m) throw new Error(`unexpected cpio line: ${l}`);
      return [m[1]!, m[2]!, m[3]!, m[4]!.replace(/\s+/g, ''), m[5]!];
    });
}

describe('writeCpio', () => {
  it('knows its size before streaming and is deterministic', async () => {
    const src = writeCpio(entries);
    expect(src.size).toBe(archive.length);
    expect((await readAll(writeCpio(entries))).equals(archive)).toBe(true);
    expect(archive.length % 4).toBe(0);
  });

  it('is listed by cpio -itv with the modes, owners, sizes, devices and links we wrote', async () => {
    const rows = parseListing((await run('cpio', ['-itv', '--numeric-uid-gid', '--quiet'], { input: archive })).toString());
    expect(rows).toEqual([
      ['drwxr-xr-x', '0', '0', '0', 'etc'],
      ['-rw-r-----', '1000', '100', '6', 'etc/hello.conf'],
      ['-rwxr-xr-x', '0', '0', '70001', 'etc/big.bin'],
      ['-rw-r--r--', '0', '0', '0', 'etc/empty'],
      ['lrwxrwxrwx', '0', '0', '9', 'etc/link -> /dev/null'],
      ['drwx------', '0', '0', '0', 'données'],
      ['-rw-r--r--', '0', '0', '2', 'données/grüße-файл.txt'],
      ['crw-rw-rw-', '0', '0', '1,3', 'etc/null-dev'],
      ['brw-------', '0', '0', '7,0', 'etc/loop-dev'],
    ]);
  });

  it('is also read by bsdtar, and cpio -i extracts the same bytes', async () => {
    const listed = (await run('bsdtar', ['-tf', '-'], { input: archive })).toString().trim().split('\n');
    expect(listed).toContain('données/grüße-файл.txt');
    const withoutDevices = await readAll(writeCpio(entries.filter((e) => e.type !== 'char' && e.type !== 'block')));
    await run('cpio', ['-idm', '--quiet', '--no-absolute-filenames'], { input: withoutDevices, cwd: dir.path });
    expect((await readFile(join(dir.path, 'etc/big.bin'))).equals(big)).toBe(true);
    expect((await readFile(join(dir.path, 'données/grüße-файл.txt'))).toString()).toBe('ü');
    expect(await readlink(join(dir.path, 'etc/link'))).toBe('/dev/null');
    expect((await lstat(join(dir.path, 'etc/hello.conf'))).mtimeMs).toBe(1_700_000_000_000);
  });

  it('pads every header to 4 bytes, counts UTF-8 bytes in c_namesize and numbers inodes in order', async () => {
    let at = 0;
    const seen: Array<{ ino: number; nlink: number; namesize: number }> = [];
    for (;;) {
      expect(at % 4).toBe(0);
      const h = parseHeader(archive.subarray(at, at + HEADER_SIZE), at);
      const name = archive.subarray(at + HEADER_SIZE, at + HEADER_SIZE + h.namesize - 1).toString('utf8');
      if (name === 'TRAILER!!!') break;
      seen.push({ ino: h.ino, nlink: h.nlink, namesize: h.namesize });
      at += Math.ceil((HEADER_SIZE + h.namesize) / 4) * 4;
      at += Math.ceil(h.filesize / 4) * 4;
    }
    expect(seen.map((s) => s.ino)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(seen.map((s) => s.nlink)).toEqual([2, 1, 1, 1, 1, 2, 1, 1, 1]);
    expect(seen[6]!.namesize).toBe(Buffer.byteLength('données/grüße-файл.txt') + 1);
  });

  it('round-trips through our own reader', async () => {
    const listing = await walkInitramfs(bufferRandomAccess(archive));
    expect(listing.entries.map((e) => [e.path, e.type, e.mode, e.size, e.linkTarget])).toEqual([
      ['/etc', 'dir', 0o755, 0, null],
      ['/etc/hello.conf', 'file', 0o640, 6, null],
      ['/etc/big.bin', 'file', 0o755, 70_001, null],
      ['/etc/empty', 'file', 0o644, 0, null],
      ['/etc/link', 'symlink', 0o777, 9, '/dev/null'],
      ['/données', 'dir', 0o700, 0, null],
      ['/données/grüße-файл.txt', 'file', 0o644, 2, null],
      ['/etc/null-dev', 'char', 0o666, 0, null],
      ['/etc/loop-dev', 'block', 0o600, 0, null],
    ]);
    expect(listing.entries[7]).toMatchObject({ rdevMajor: 1, rdevMinor: 3 });
    expect(listing.segments).toEqual([{ index: 0, offset: 0, length: archive.length, compression: 'none', entryCount: 9, hasTrailer: true, problems: [] }]);
  });

  it('refuses what the format or the kernel cannot carry, before writing anything', () => {
    const huge: ByteSource = {
      size: 2 ** 32,
      stream() {
        throw new Error('must not be streamed');
      },
    };
    const code = (e: CpioInput) => {
      try {
        writeCpio([e]);
        return 'no error';
      } catch (err) {
        return (err as { code: string }).code;
      }
    };
    expect(code({ type: 'file', path: '/big', data: huge })).toBe('E_CPIO_FILE_TOO_LARGE');
    expect(code({ type: 'file', path: '/ok', data: { size: 0xffffffff, stream: huge.stream } })).toBe('no error');
    expect(code({ type: 'symlink', path: '/l', target: '' })).toBe('E_CPIO_SYMLINK_EMPTY');
    expect(code({ type: 'symlink', path: '/l', target: 'x'.repeat(5000) })).toBe('E_CPIO_SYMLINK_TARGET');
    expect(code({ type: 'dir', path: '/a/../b' })).toBe('E_CPIO_PATH');
    expect(code({ type: 'dir', path: '/a\0b' })).toBe('E_CPIO_PATH');
    expect(code({ type: 'dir', path: 'TRAILER!!!' })).toBe('E_CPIO_PATH');
    expect(code({ type: 'dir', path: `/${'d'.repeat(4096)}` })).toBe('E_CPIO_PATH');
    expect(code({ type: 'dir', path: '/x', uid: -1 })).toBe('E_CPIO_FIELD_RANGE');
    expect(code({ type: 'dir', path: '/x', mtime: 2 ** 32 })).toBe('E_CPIO_FIELD_RANGE');
    expect(code({ type: 'file', path: '/x', data: Buffer.alloc(0), mode: 0o10000 })).toBe('E_CPIO_FIELD_RANGE');
  });

  it('fails the stream when a source gives fewer bytes than it promised', async () => {
    const liar: ByteSource = {
      size: 10,
      async *stream() {
        yield Buffer.from('short');
      },
    };
    await expect(readAll(writeCpio([{ type: 'file', path: '/f', data: liar }]))).rejects.toMatchObject({ code: 'E_CPIO_SOURCE_CHANGED' });
  });
});
