import { link, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAll, zeros } from '../byte-source';
import { gunzip } from '../compression/gzip-decode';
import { bufferRandomAccess, chunked, collect, run, sampleBytes, tempDir } from '../compression/test-tools';
import { walkInitramfs } from '../cpio/initramfs';
import { writeCpio } from '../cpio/writer';
import { readTar, type TarEntry } from './reader';
import { writeTar } from './writer';

const utf8 = { ...process.env, LC_ALL: 'C.UTF-8' };
const longName = `${'sub/'.repeat(40)}${'f'.repeat(120)}.txt`;
const longTarget = `../${'x'.repeat(200)}`;
const content = sampleBytes(100_000, 7);

let dir: { path: string; remove: () => Promise<void> };
let tree: string;

beforeAll(async () => {
  dir = await tempDir();
  tree = join(dir.path, 'root');
  await mkdir(join(tree, 'etc/systemd/system'), { recursive: true });
  await mkdir(join(tree, longName, '..'), { recursive: true });
  await writeFile(join(tree, longName), 'long');
  await writeFile(join(tree, 'etc/data.bin'), content, { mode: 0o640 });
  await writeFile(join(tree, 'etc/empty'), '');
  await writeFile(join(tree, 'etc/naïve-файл'), 'utf8');
  await symlink('/dev/null', join(tree, 'etc/systemd/system/caddy.service'));
  await symlink(longTarget, join(tree, 'etc/far'));
  await link(join(tree, 'etc/data.bin'), join(tree, 'etc/data-link.bin'));
});
afterAll(async () => {
  await dir.remove();
});

/** Lists an archive, reading every body fully, as [path, type, size, link, mode, bodyLength]. */
async function list(bytes: Buffer, chunk = 4096): Promise<Map<string, { e: TarEntry; body: Buffer }>> {
  const out = new Map<string, { e: TarEntry; body: Buffer }>();
  for await (const e of readTar(chunked(bytes, chunk))) out.set(e.path, { e, body: await collect(e.body) });
  return out;
}

async function gnuTar(format: string): Promise<Buffer> {
  return run('tar', [`--format=${format}`, '--sort=name', '-C', tree, '-cf', '-', '.'], { env: utf8 });
}

describe('readTar', () => {
  for (const format of ['pax', 'gnu']) {
    it(`reads GNU tar --format=${format}: long and non-ASCII names, long link targets, hard links`, async () => {
      const entries = await list(await gnuTar(format), 777);
      expect(entries.get(`./${longName}`)?.body.toString()).toBe('long');
      expect(entries.get('./etc/naïve-файл')).toMatchObject({ e: { type: 'file', isPathEscaped: false } });
      // Sorted by name, data-link.bin comes first and carries the data; data.bin links to it.
      expect(entries.get('./etc/data-link.bin')).toMatchObject({ e: { type: 'file', mode: 0o640, size: content.length } });
      expect(entries.get('./etc/data-link.bin')?.body.equals(content)).toBe(true);
      expect(entries.get('./etc/data.bin')?.e).toMatchObject({ type: 'hardlink', linkTarget: './etc/data-link.bin', size: 0 });
      expect(entries.get('./etc/far')?.e).toMatchObject({ type: 'symlink', linkTarget: longTarget });
      expect(entries.get('./etc/systemd/system/caddy.service')?.e).toMatchObject({ type: 'symlink', linkTarget: '/dev/null' });
      expect(entries.get('./etc/systemd')?.e.type).toBe('dir');
      expect(entries.get('./etc/empty')?.body.length).toBe(0);
    });
  }

  it('reads bsdtar output, ustar (prefix split) and its default format', async () => {
    const ustarTree = join(dir.path, 'ustar');
    const deep = `${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(60)}/file`;
    await mkdir(join(ustarTree, deep, '..'), { recursive: true });
    await writeFile(join(ustarTree, deep), 'ustar');
    const ustar = await run('bsdtar', ['--format=ustar', '-C', ustarTree, '-cf', '-', deep]);
    expect((await list(ustar)).get(deep)?.body.toString()).toBe('ustar');
    const pax = await run('bsdtar', ['-C', tree, '-cf', '-', '.'], { env: utf8 });
    const entries = await list(pax);
    expect(entries.get(`./${longName}`)?.body.toString()).toBe('long');
    expect(entries.get('./etc/naïve-файл')?.body.toString()).toBe('utf8');
  });

  it('round-trips what our writer writes, 8 GiB pax sizes included', async () => {
    const bytes = await readAll(writeTar([{ type: 'dir', path: '/a' }, { type: 'file', path: `/a/${'é'.repeat(80)}`, data: Buffer.from('x'), mtime: 5, uname: 'ü' }]));
    const entries = [...(await list(bytes, 100)).values()].map(({ e, body }) => [e.path, e.type, e.mtime, e.uname, body.toString()]);
    expect(entries).toEqual([
      ['a', 'dir', 0, '', ''],
      [`a/${'é'.repeat(80)}`, 'file', 5, 'ü', 'x'],
    ]);
    const eight = 8 * 2 ** 30;
    for await (const e of readTar(writeTar([{ type: 'file', path: '/big.img', data: zeros(eight) }]).stream())) {
      expect([e.path, e.size]).toEqual(['big.img', eight]);
      break;
    }
  });

  it('skips bodies the caller does not read, or reads only in part', async () => {
    const bytes = await gnuTar('pax');
    const all: string[] = [];
    for await (const e of readTar(chunked(bytes, 1000))) {
      all.push(e.path);
      if (e.path === './etc/data.bin') {
        for await (const c of e.body) {
          expect(c.length).toBeGreaterThan(0);
          break;
        }
      }
    }
    expect(all).toEqual([...(await list(bytes)).keys()]);
  });

  it('lists the root filesystem inside an initramfs: cpio entry -> gunzip -> tar, all streamed', async () => {
    const rootfs = await run('tar', ['-czf', '-', '-C', tree, '.'], { env: utf8 });
    const initrd = await run('gzip', ['-c'], {
      input: await readAll(writeCpio([{ type: 'file', path: '/init', data: Buffer.from('#!/bin/sh\n'), mode: 0o755 }, { type: 'file', path: '/rootfs.tar.gz', data: rootfs }])),
    });
    const units: string[] = [];
    await walkInitramfs(bufferRandomAccess(initrd), {
      onEntry: async (entry, body) => {
        if (entry.path !== '/rootfs.tar.gz') return;
        for await (const e of readTar(gunzip(body))) if (e.path.includes('/systemd/system/')) units.push(`${e.path} -> ${e.linkTarget}`);
      },
    });
    expect(units).toEqual(['./etc/systemd/system/caddy.service -> /dev/null']);
  });

  it('names damage with its own code and offset', async () => {
    const bytes = await readAll(writeTar([{ type: 'file', path: '/a', data: Buffer.alloc(2000, 1) }, { type: 'file', path: '/b', data: Buffer.from('b') }]));
    const failure = async (b: Buffer) => {
      try {
        for await (const e of readTar(chunked(b, 333))) await collect(e.body);
        return { code: 'no error' };
      } catch (e) {
        return { code: (e as { code: string }).code, offset: (e as { details?: { offset?: number } }).details?.offset };
      }
    };
    const badSum = Buffer.from(bytes);
    badSum[0] = 0x7a;
    const badNumber = Buffer.from(bytes);
    badNumber.write('9', 124, 'latin1'); // size field: not octal
    fixChecksum(badNumber, 0);
    const badPax = await readAll(writeTar([{ type: 'file', path: `/${'ä'.repeat(10)}`, data: Buffer.from('x') }]));
    badPax.write('99', 512, 'latin1'); // the record length no longer matches
    expect(await failure(bytes.subarray(0, 1000))).toEqual({ code: 'E_TAR_TRUNCATED', offset: 0 });
    expect(await failure(bytes.subarray(0, 3072))).toEqual({ code: 'E_TAR_TRUNCATED', offset: 2560 });
    expect(await failure(bytes.subarray(0, 3584))).toEqual({ code: 'E_TAR_TRUNCATED', offset: 3584 });
    expect(await failure(badSum)).toEqual({ code: 'E_TAR_CHECKSUM', offset: 0 });
    expect(await failure(badNumber)).toEqual({ code: 'E_TAR_BAD_HEADER', offset: 0 });
    expect(await failure(badPax)).toEqual({ code: 'E_TAR_BAD_PAX', offset: 0 });
    expect(await failure(bytes.subarray(0, bytes.length - 512))).toEqual({ code: 'no error' });
  });
});

function fixChecksum(b: Buffer, at: number): void {
  b.fill(0x20, at + 148, at + 156);
  let sum = 0;
  for (let i = at; i < at + 512; i++) sum += b[i]!;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, at + 148, 'latin1');
}
