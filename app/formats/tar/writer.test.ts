import { lstat, open, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromBuffer, readAll, zeros, type ByteSource } from '../byte-source';
import { collect, run, tempDir } from '../compression/test-tools';
import { writeTar, writeTarGz, type TarInput } from './writer';

const utf8 = { ...process.env, LC_ALL: 'C.UTF-8' };
const deep = `${'deep/'.repeat(30)}file.txt`; // 158 bytes: fits ustar prefix + name
const longSegment = `dir/${'n'.repeat(130)}`; // one 130-byte component: needs pax
const longTarget = `/${'t'.repeat(150)}`;

const entries: TarInput[] = [
  { type: 'dir', path: '/etc', mode: 0o750, uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: 1_700_000_000 },
  { type: 'file', path: '/etc/app.conf', data: Buffer.from('key=value\n'), mode: 0o600, uid: 1000, gid: 1001, uname: 'alice', gname: 'staff', mtime: 1_700_000_001 },
  { type: 'file', path: '/etc/run.sh', data: fromBuffer(Buffer.alloc(1500, 0x23)), mode: 0o755 },
  { type: 'symlink', path: '/etc/null.service', target: '/dev/null' },
  { type: 'hardlink', path: '/etc/run-again.sh', target: '/etc/run.sh' },
  { type: 'dir', path: '/deep' },
  ...Array.from({ length: 29 }, (_, i): TarInput => ({ type: 'dir', path: `/${'deep/'.repeat(i + 2).slice(0, -1)}` })),
  { type: 'file', path: `/${deep}`, data: Buffer.from('deep') },
  { type: 'dir', path: `/${'p'.repeat(160)}` }, // too long for the 155-byte ustar prefix: needs pax
  { type: 'file', path: `/${'p'.repeat(160)}/q`, data: Buffer.from('q') },
  { type: 'dir', path: '/dir' },
  { type: 'file', path: `/${longSegment}`, data: Buffer.from('long') },
  { type: 'file', path: '/etc/grüße-файл.txt', data: Buffer.from('ü'), uname: 'jürgen' },
  { type: 'symlink', path: '/etc/far', target: longTarget },
];

let archive: Buffer;
let dir: { path: string; remove: () => Promise<void> };
beforeAll(async () => {
  archive = await readAll(writeTar(entries));
  dir = await tempDir();
});
afterAll(async () => {
  await dir.remove();
});

/** `tar -tvf` lines as [mode, owner, size, name]. */
function gnuListing(text: string): string[][] {
  return text
    .trim()
    .split('\n')
    .map((l) => {
      const m = /^(\S+) (\S+)\s+(\d+) \S+ \S+ (.*)$/.exec(l);
      if (!m) throw new Error(`unexpected tar line: ${l}`);
      return [m[1]!, m[2]!, m[3]!, m[4]!];
    });
}

describe('writeTar', () => {
  it('knows its size, ends with two zero blocks and is deterministic', async () => {
    expect(writeTar(entries).size).toBe(archive.length);
    expect(archive.length % 512).toBe(0);
    expect(archive.subarray(-1024).every((b) => b === 0)).toBe(true);
    expect((await readAll(writeTar(entries))).equals(archive)).toBe(true);
  });

  it('is listed by GNU tar with the modes, owners, sizes, links and long or non-ASCII names we wrote', async () => {
    const rows = gnuListing((await run('tar', ['-tvf', '-'], { input: archive, env: utf8 })).toString());
    const byName = new Map(rows.map((r) => [r[3]!.replace(/ (->|link to) .*$/, ''), r]));
    expect(byName.get('etc/')).toEqual(['drwxr-x---', 'root/root', '0', 'etc/']);
    expect(byName.get('etc/app.conf')).toEqual(['-rw-------', 'alice/staff', '10', 'etc/app.conf']);
    expect(byName.get('etc/run.sh')).toEqual(['-rwxr-xr-x', '0/0', '1500', 'etc/run.sh']);
    expect(byName.get('etc/null.service')).toEqual(['lrwxrwxrwx', '0/0', '0', 'etc/null.service -> /dev/null']);
    expect(byName.get('etc/run-again.sh')?.[3]).toBe('etc/run-again.sh link to etc/run.sh');
    expect(byName.get(deep)?.[2]).toBe('4');
    expect(byName.get(longSegment)?.[2]).toBe('4');
    expect(byName.get(`${'p'.repeat(160)}/q`)?.[2]).toBe('1');
    expect(byName.get('etc/grüße-файл.txt')?.[1]).toBe('jürgen/0');
    expect(byName.get('etc/far')?.[3]).toBe(`etc/far -> ${longTarget}`);
    expect(rows).toHaveLength(entries.length);
  });

  it('is listed the same way by bsdtar', async () => {
    const names = (await run('bsdtar', ['-tf', '-'], { input: archive, env: utf8 })).toString().trim().split('\n');
    expect(names).toEqual(entries.map((e) => (e.type === 'dir' ? `${e.path.slice(1)}/` : e.path.slice(1))));
    const verbose = (await run('bsdtar', ['-tvf', '-'], { input: archive, env: utf8 })).toString();
    expect(verbose).toContain(`etc/far -> ${longTarget}`);
    expect(verbose).toMatch(/-rw------- +\d+ +alice +staff +10 /);
  });

  it('extracts with GNU tar to the same bytes, modes, links and times', async () => {
    const out = join(dir.path, 'x');
    await run('mkdir', [out]);
    // As root, GNU tar maps uname/gname to local ids (staff is gid 50 here); compare the stored ids.
    await run('tar', ['-xf', '-', '--numeric-owner', '-C', out], { input: archive, env: utf8 });
    expect((await readFile(join(out, deep))).toString()).toBe('deep');
    expect((await readFile(join(out, longSegment))).toString()).toBe('long');
    expect((await readFile(join(out, 'etc/grüße-файл.txt'))).toString()).toBe('ü');
    expect(await readlink(join(out, 'etc/far'))).toBe(longTarget);
    const conf = await stat(join(out, 'etc/app.conf'));
    expect([conf.mode & 0o7777, conf.uid, conf.gid, conf.mtimeMs]).toEqual([0o600, 1000, 1001, 1_700_000_001_000]);
    expect((await stat(join(out, 'etc/run-again.sh'))).ino).toBe((await stat(join(out, 'etc/run.sh'))).ino);
    expect((await lstat(join(out, 'etc'))).mode & 0o7777).toBe(0o750);
  });

  it('writes a size of 8 GiB in a pax header that GNU tar and bsdtar read', async () => {
    const eight = 8 * 2 ** 30;
    const path = join(dir.path, 'big.tar');
    const fh = await open(path, 'w');
    const zeroMiB = Buffer.alloc(1 << 20);
    try {
      // A sparse file: all-zero data chunks become a hole instead of 8 GiB of writes.
      let at = 0;
      for await (const c of writeTar([{ type: 'file', path: '/big.img', data: zeros(eight) }, { type: 'file', path: '/after', data: Buffer.from('x') }]).stream()) {
        if (!(c.length === zeroMiB.length && c.equals(zeroMiB))) await fh.write(c, 0, c.length, at);
        at += c.length;
      }
      await fh.truncate(at);
    } finally {
      await fh.close();
    }
    const gnu = gnuListing((await run('tar', ['-tvf', path])).toString());
    expect(gnu.map((r) => [r[2], r[3]])).toEqual([
      [String(eight), 'big.img'],
      ['1', 'after'],
    ]);
    expect((await run('bsdtar', ['-tvf', path])).toString()).toMatch(new RegExp(` ${eight} .* big\\.img\\n`));
  });

  it('gives a gzip form that tar -xzf reads', async () => {
    const gz = await writeTarGz(entries);
    const bytes = await readAll(gz);
    expect(bytes.length).toBe(gz.size);
    const names = (await run('tar', ['-tzf', '-'], { input: bytes, env: utf8 })).toString().trim().split('\n');
    expect(names).toHaveLength(entries.length);
  });

  it('refuses paths, targets and numbers it cannot store, before writing', () => {
    const code = (e: TarInput) => {
      try {
        writeTar([e]);
        return 'no error';
      } catch (err) {
        return (err as { code: string }).code;
      }
    };
    expect(code({ type: 'dir', path: '/a/../b' })).toBe('E_TAR_PATH');
    expect(code({ type: 'dir', path: '/' })).toBe('E_TAR_PATH');
    expect(code({ type: 'dir', path: '/a//b' })).toBe('E_TAR_PATH');
    expect(code({ type: 'dir', path: '/a\0' })).toBe('E_TAR_PATH');
    expect(code({ type: 'symlink', path: '/l', target: '' })).toBe('E_TAR_LINK');
    expect(code({ type: 'hardlink', path: '/l', target: '../x' })).toBe('E_TAR_LINK');
    expect(code({ type: 'dir', path: '/x', uid: -1 })).toBe('E_TAR_FIELD_RANGE');
    expect(code({ type: 'dir', path: '/x', mode: 0o10000 })).toBe('E_TAR_FIELD_RANGE');
    expect(code({ type: 'dir', path: '/x', mtime: 1.5 })).toBe('E_TAR_FIELD_RANGE');
  });

  it('fails the stream when a source gives fewer bytes than it promised', async () => {
    const liar: ByteSource = {
      size: 10,
      async *stream() {
        yield Buffer.from('short');
      },
    };
    await expect(collect(writeTar([{ type: 'file', path: '/f', data: liar }]).stream())).rejects.toMatchObject({ code: 'E_TAR_SOURCE_CHANGED' });
  });
});
