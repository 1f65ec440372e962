import { createHash } from 'node:crypto';
import { link, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../contract/jobs';
import { readAll } from '../byte-source';
import { bufferRandomAccess, chunked, run, sampleBytes, tempDir } from '../compression/test-tools';
import { walkInitramfs } from './initramfs';
import { writeCpio } from './writer';

let dir: { path: string; remove: () => Promise<void> };
const payload = sampleBytes(3 << 20, 42);

/** A newc archive of one file, made with our writer. */
async function archiveOf(path: string, content: string | Buffer): Promise<Buffer> {
  return readAll(writeCpio([{ type: 'file', path, data: Buffer.from(content) }]));
}

/** A gzip member with a comment field, which `gzip` never writes but the kernel cannot skip. */
function gzipWithComment(data: Buffer): Buffer {
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(data), 0);
  trailer.writeUInt32LE(data.length, 4);
  return Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0x10, 0, 0, 0, 0, 0, 3]), Buffer.from('hi\0'), deflateRawSync(data), trailer]);
}

function padTo4(b: Buffer): Buffer {
  return Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
}

beforeAll(async () => {
  dir = await tempDir();
  const tree = join(dir.path, 'tree');
  await mkdir(join(tree, 'usr/lib/dracut/hooks/mount'), { recursive: true });
  await writeFile(join(tree, 'usr/lib/dracut/hooks/mount/90-tmpfsroot.sh'), '#!/bin/sh\ntar -xf /rootfs.tar.gz -C "$NEWROOT"\n', { mode: 0o755 });
  await writeFile(join(tree, 'rootfs.tar.gz'), payload);
  await writeFile(join(tree, 'naïve café.txt'), 'ok');
  await writeFile(join(tree, 'empty'), '');
  await symlink('usr/lib', join(tree, 'lib'));
  await writeFile(join(tree, 'hard-a'), 'shared');
  await link(join(tree, 'hard-a'), join(tree, 'hard-b'));
});
afterAll(async () => {
  await dir.remove();
});

async function gnuCpio(format: string): Promise<Buffer> {
  const names = (await run('find', ['.', '-mindepth', '1'], { cwd: join(dir.path, 'tree') })).toString().split('\n').filter(Boolean).sort();
  return run('cpio', ['-o', '--quiet', '-H', format], { cwd: join(dir.path, 'tree'), input: Buffer.from(`${names.join('\n')}\n`) });
}

describe('walkInitramfs', () => {
  it('lists what GNU cpio -H newc wrote and streams one entry without the others', async () => {
    const cpio = await gnuCpio('newc');
    const gz = await run('gzip', ['-c', '-n'], { input: cpio });
    let digest = '';
    const listing = await walkInitramfs(bufferRandomAccess(gz), {
      onEntry: async (entry, body) => {
        if (entry.path !== '/rootfs.tar.gz') return;
        const h = createHash('sha256');
        for await (const c of body) h.update(c);
        digest = h.digest('hex');
      },
    });
    expect(digest).toBe(createHash('sha256').update(payload).digest('hex'));
    const byPath = new Map(listing.entries.map((e) => [e.path, e]));
    expect(byPath.get('/lib')).toMatchObject({ type: 'symlink', linkTarget: 'usr/lib', mode: 0o777 });
    expect(byPath.get('/usr/lib/dracut/hooks/mount/90-tmpfsroot.sh')).toMatchObject({ type: 'file', mode: 0o755, uid: 0 });
    expect(byPath.get('/naïve café.txt')).toMatchObject({ size: 2, isNameEscaped: false });
    expect(byPath.get('/usr/lib/dracut/hooks')).toMatchObject({ type: 'dir' });
    expect(byPath.get('/rootfs.tar.gz')?.size).toBe(payload.length);
    // GNU cpio stores hard-linked data once, with the last name.
    const links = [byPath.get('/hard-a')!, byPath.get('/hard-b')!];
    expect(links.map((e) => e.hardLinkTo)).toEqual([null, '/hard-a']);
    expect(listing.segments).toEqual([{ index: 0, offset: 0, length: gz.length, compression: 'gzip', entryCount: listing.entries.length, hasTrailer: true, problems: [] }]);
  });

  it('walks a multi-segment initramfs made with the real compressors, NUL padding included', async () => {
    const early = await archiveOf('/kernel/x86/microcode/GenuineIntel.bin', 'ucode');
    const parts: Array<[string, Buffer]> = [
      ['none', early],
      ['zstd', await run('zstd', ['-q', '-c', '-15'], { input: await archiveOf('/zstd.txt', 'z') })],
      ['gzip', await run('gzip', ['-c', '-9'], { input: await archiveOf('/gzip.txt', 'g') })],
      ['xz', await run('xz', ['-c', '--check=crc32', '--lzma2=dict=1MiB'], { input: await archiveOf('/xz.txt', 'x') })],
      ['none', await archiveOf('/plain.txt', 'p')],
      ['lz4-legacy', await run('lz4', ['-l', '-9', '-c'], { input: await gnuCpio('newc') })],
    ];
    const blobs: Buffer[] = [];
    const offsets: number[] = [];
    let at = 0;
    for (const [, b] of parts) {
      const pad = Buffer.alloc(((4 - (at % 4)) % 4) + 512);
      blobs.push(pad, b);
      at += pad.length;
      offsets.push(at);
      at += b.length;
    }
    const initrd = Buffer.concat(blobs);
    const listing = await walkInitramfs(bufferRandomAccess(initrd));
    expect(listing.segments.map((s) => [s.compression, s.offset, s.length, s.hasTrailer, s.problems.length])).toEqual(
      parts.map(([kind, b], i) => [kind, offsets[i], b.length, true, 0]),
    );
    expect(listing.entries.slice(0, 5).map((e) => [e.path, e.segment])).toEqual([
      ['/kernel/x86/microcode/GenuineIntel.bin', 0],
      ['/zstd.txt', 1],
      ['/gzip.txt', 2],
      ['/xz.txt', 3],
      ['/plain.txt', 4],
    ]);
    expect(listing.entries.filter((e) => e.segment === 5).map((e) => e.path)).toContain('/rootfs.tar.gz');
    // The same bytes as a stream (e.g. straight out of a release tarball) give the same listing.
    const streamed = await walkInitramfs(chunked(initrd, 65_536));
    expect(streamed.entries.map((e) => e.path)).toEqual(listing.entries.map((e) => e.path));
  });

  it('reports what the kernel would fail on, and reads on', async () => {
    const gz = await run('gzip', ['-c'], { input: await archiveOf('/a', 'a') });
    const odd = gz.length % 4 === 0 ? Buffer.concat([gz, Buffer.from([0])]) : gz;
    const misaligned = Buffer.concat([padTo4(await archiveOf('/first', 'x')), odd, await archiveOf('/b', 'b')]);
    const crc64 = await run('xz', ['-c', '--check=crc64'], { input: await archiveOf('/c', 'c') });
    const lz4 = await run('lz4', ['-l', '-c'], { input: await archiveOf('/d', 'd') });
    const afterLz4 = Buffer.concat([lz4, gz]);
    const commented = gzipWithComment(await archiveOf('/e', 'e'));
    // An archive without its trailer (124 bytes), then 2 NULs: the next entry starts off alignment.
    const offAfterNul = Buffer.concat([(await archiveOf('/f', 'f')).subarray(0, -124), Buffer.alloc(2), await archiveOf('/g', 'g')]);
    const codes = async (b: Buffer) => (await walkInitramfs(bufferRandomAccess(b))).segments.map((s) => s.problems.map((p) => p.code));
    expect(await codes(misaligned)).toEqual([[], [], ['E_INITRAMFS_MISALIGNED']]);
    expect(await codes(crc64)).toEqual([['E_INITRAMFS_XZ_CHECK']]);
    expect(await codes(afterLz4)).toEqual([['E_INITRAMFS_LZ4_NOT_LAST'], []]);
    expect(await codes(commented)).toEqual([['E_INITRAMFS_GZIP_HEADER']]);
    expect(await codes(offAfterNul)).toEqual([[], ['E_INITRAMFS_MISALIGNED']]);
  });

  it('skips the data of uncompressed entries without reading it', async () => {
    const cpio = await gnuCpio('newc');
    const ra = bufferRandomAccess(cpio);
    const small = await walkInitramfs(ra);
    expect(small.entries.find((e) => e.path === '/rootfs.tar.gz')?.size).toBe(payload.length);
    // Reads happen in 1 MiB chunks: at most the chunks holding headers are read, not the 3 MiB entry.
    expect(ra.bytesRead).toBeLessThan(cpio.length - (1 << 20));
  });

  it('reads the "crc" variant (070702) and verifies its checksums', async () => {
    const crc = await gnuCpio('crc');
    const listing = await walkInitramfs(bufferRandomAccess(crc));
    expect(listing.entries.find((e) => e.path === '/rootfs.tar.gz')?.size).toBe(payload.length);
    const damaged = Buffer.from(crc);
    const at = damaged.indexOf(payload.subarray(0, 64));
    damaged[at + 1000]! ^= 0xff;
    await expect(walkInitramfs(bufferRandomAccess(damaged))).rejects.toMatchObject({ code: 'E_CPIO_CHECKSUM' });
  });

  it('reports progress and stops when cancelled', async () => {
    const cpio = await gnuCpio('newc');
    const events: ProgressEvent[] = [];
    await walkInitramfs(bufferRandomAccess(cpio), { onProgress: (e) => events.push(e) });
    expect(events.at(-1)).toMatchObject({ phase: 'inspect', done: cpio.length, total: cpio.length });
    const controller = new AbortController();
    controller.abort();
    await expect(walkInitramfs(bufferRandomAccess(cpio), { signal: controller.signal })).rejects.toMatchObject({ code: 'E_CANCELLED' });
  });
});
