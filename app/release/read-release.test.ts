import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyRelease, openRelease } from './read-release';
import { dummyKernel, gzipBytes, INITRAMFS_NAME, KERNEL_NAME, plainInitramfs, writeReleaseDir, writeReleaseTarball } from './testing/synthetic-release';

// Releases as users hand them over, made with GNU tar and gzip: the good ones open to exactly the
// two files, byte for byte; the bad ones fail with their own code, and leave no unpacked files.

let root: string;
let kernel: Buffer;
let initramfs: Buffer;
let n = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'emt-read-release-'));
  kernel = dummyKernel();
  initramfs = await plainInitramfs();
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh folder for one case. */
async function place(): Promise<string> {
  const p = join(root, `case-${++n}`);
  await mkdir(p, { recursive: true });
  return p;
}

async function tarball(files: Record<string, Buffer | string>): Promise<string> {
  const at = await place();
  return writeReleaseTarball(join(at, 'emb_uos_x86_64_20260526.tar.gz'), files, join(at, 'src'));
}

async function open(path: string) {
  const workDir = join(await place(), 'work');
  return { workDir, files: openRelease(await classifyRelease([path]), { workDir }) };
}

describe('openRelease: good releases', () => {
  it('takes the kernel and the initramfs out of a tarball, byte-identical, and nothing else', async () => {
    const path = await tarball({ [KERNEL_NAME]: kernel, [INITRAMFS_NAME]: initramfs, 'README.txt': 'notes', [`${KERNEL_NAME}.sig`]: 'sig' });
    const { workDir, files } = await open(path);
    const r = await files;
    expect(r.displayName).toBe('emb_uos_x86_64_20260526.tar.gz');
    expect(r.kernel).toMatchObject({ name: KERNEL_NAME, size: kernel.length });
    expect(r.initramfs).toMatchObject({ name: INITRAMFS_NAME, size: initramfs.length });
    expect((await readFile(r.kernel.path)).equals(kernel)).toBe(true);
    expect((await readFile(r.initramfs.path)).equals(initramfs)).toBe(true);
    expect((await readdir(workDir)).sort()).toEqual([INITRAMFS_NAME, KERNEL_NAME].sort());
  });

  it('finds them in the folder the tarball unpacks to, ignoring signatures and checksums beside them', async () => {
    const dir = await writeReleaseDir(join(await place(), 'emb_uos_x86_64_20260526'), {
      [KERNEL_NAME]: kernel,
      [INITRAMFS_NAME]: initramfs,
      [`${INITRAMFS_NAME}.sha256sum`]: 'x',
      [`${KERNEL_NAME}.asc`]: 'x',
    });
    const r = await (await open(dir)).files;
    expect(r.input.kind).toBe('directory');
    expect(r.kernel.path).toBe(join(dir, KERNEL_NAME));
    expect(r.initramfs.path).toBe(join(dir, INITRAMFS_NAME));
  });

  it('takes a kernel and an initramfs given one by one', async () => {
    const dir = await writeReleaseDir(await place(), { 'my-kernel': kernel, 'my-initrd': initramfs });
    const input = await classifyRelease([join(dir, 'my-kernel'), join(dir, 'my-initrd')]);
    const r = await openRelease(input, { workDir: join(dir, 'work') });
    expect(r).toMatchObject({ displayName: 'my-kernel + my-initrd', kernel: { size: kernel.length }, initramfs: { size: initramfs.length } });
  });
});

describe('openRelease: bad releases, each with its own code', () => {
  it('refuses a file that is not a tar archive at all', async () => {
    const path = join(await place(), 'emb_uos_x86_64_20260526.tar.gz');
    await writeFile(path, 'this is a text file someone renamed\n'.repeat(40));
    const { workDir, files } = await open(path);
    await expect(files).rejects.toMatchObject({ code: 'E_RELEASE_NOT_TARBALL', message: expect.stringContaining('is not a tar archive') });
    expect(existsSync(workDir)).toBe(false);
  });

  it('refuses a gzip file whose content is not a tar archive', async () => {
    const path = join(await place(), 'emb_uos_x86_64_20260526.tar.gz');
    await writeFile(path, await gzipBytes(Buffer.from('plain text, gzip-compressed, not a tar archive\n'.repeat(100))));
    const { workDir, files } = await open(path);
    await expect(files).rejects.toMatchObject({ code: 'E_RELEASE_NOT_TARBALL' });
    expect(existsSync(workDir)).toBe(false);
  });

  it('refuses a tarball without a kernel, naming what it holds', async () => {
    const { files } = await open(await tarball({ [INITRAMFS_NAME]: initramfs, 'notes.md': 'x' }));
    const e = await files.catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'E_RELEASE_NO_KERNEL', message: expect.stringContaining('vmlinuz-*') });
    expect((e as { details: { files: string[] } }).details.files.sort()).toEqual([INITRAMFS_NAME, 'notes.md']);
  });

  it('refuses a tarball without an initramfs', async () => {
    const { files } = await open(await tarball({ [KERNEL_NAME]: kernel }));
    await expect(files).rejects.toMatchObject({ code: 'E_RELEASE_NO_INITRAMFS' });
  });

  it('refuses a tarball with two kernels, naming both', async () => {
    const { files } = await open(await tarball({ [KERNEL_NAME]: kernel, 'vmlinuz-6.12.0.emt26': kernel, [INITRAMFS_NAME]: initramfs }));
    await expect(files).rejects.toMatchObject({ code: 'E_RELEASE_AMBIGUOUS', message: expect.stringMatching(/2 kernel files \(vmlinuz-6\.1\.0-99-test, vmlinuz-6\.12\.0\.emt26\)/) });
  });

  it('refuses a folder with two initramfs files', async () => {
    const dir = await writeReleaseDir(await place(), { [KERNEL_NAME]: kernel, [INITRAMFS_NAME]: initramfs, 'initramfs-old.img': initramfs });
    await expect((await open(dir)).files).rejects.toMatchObject({ code: 'E_RELEASE_AMBIGUOUS' });
  });

  it('refuses the whole tarball when one member climbs out of its folder, and writes nothing', async () => {
    const at = await place();
    await writeReleaseDir(join(at, 'src', 'top'), { [KERNEL_NAME]: kernel, [INITRAMFS_NAME]: initramfs });
    await writeFile(join(at, 'src', 'evil.sh'), '#!/bin/sh\n');
    const path = join(at, 'evil.tar.gz');
    // -P keeps "../evil.sh" as it is; GNU tar would strip the ".." otherwise.
    execFileSync('tar', ['-czPf', path, '-C', join(at, 'src', 'top'), KERNEL_NAME, INITRAMFS_NAME, '../evil.sh']);
    expect(execFileSync('tar', ['-tzPf', path], { encoding: 'utf8' })).toContain('../evil.sh');
    const { workDir, files } = await open(path);
    await expect(files).rejects.toMatchObject({ code: 'E_TAR_PATH_ESCAPE', message: expect.stringContaining('../evil.sh') });
    expect(existsSync(workDir)).toBe(false);
    expect(existsSync(join(workDir, '..', 'evil.sh'))).toBe(false);
  });

  it('refuses a tarball cut short, and leaves no half-written file', async () => {
    const path = await tarball({ [KERNEL_NAME]: kernel, [INITRAMFS_NAME]: initramfs });
    const whole = await readFile(path);
    await writeFile(path, whole.subarray(0, Math.floor(whole.length / 2)));
    const { workDir, files } = await open(path);
    const e = await files.catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'E_GZIP_TRUNCATED' });
    expect(existsSync(workDir)).toBe(false);
  });

  it('refuses an empty kernel and a missing initramfs', async () => {
    const dir = await writeReleaseDir(await place(), { [KERNEL_NAME]: '', [INITRAMFS_NAME]: initramfs });
    await expect((await open(dir)).files).rejects.toMatchObject({ code: 'E_RELEASE_EMPTY_FILE' });
    const pair = await classifyRelease([join(dir, INITRAMFS_NAME), join(dir, 'no-such-initrd')]);
    await expect(openRelease(pair, { workDir: join(dir, 'w') })).rejects.toMatchObject({ code: 'E_RELEASE_NOT_FOUND' });
  });

  it('refuses three paths and a path that does not exist', async () => {
    await expect(classifyRelease(['a', 'b', 'c'])).rejects.toMatchObject({ code: 'E_RELEASE_ARGS' });
    await expect(classifyRelease([join(root, 'nothing-here.tar.gz')])).rejects.toMatchObject({ code: 'E_RELEASE_NOT_FOUND' });
  });
});
