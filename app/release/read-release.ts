import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { EmtError, throwIfAborted } from '../errors';
import { decompress } from '../formats/compression/decompress';
import { readTar } from '../formats/tar/reader';
import { safeMemberPath } from '../formats/tar/safe-path';

/**
 * A release as the user hands it over: Intel's Bootkit tarball (`emb_uos_x86_64_YYYYMMDD.tar.gz`,
 * or the older `emt_uos_…`), the folder it unpacks to, or a kernel + initramfs pair.
 */
export type ReleaseInput = { kind: 'tarball'; path: string } | { kind: 'directory'; path: string } | { kind: 'pair'; kernel: string; initramfs: string };

export interface ReleaseFile {
  /** Name in the release (`vmlinuz-6.12.0.emt26`). */
  name: string;
  /** Where the bytes are on this machine. */
  path: string;
  size: number;
}

export interface ReleaseFiles {
  input: ReleaseInput;
  /** For people and the manifest: the tarball's or folder's name, never a full local path. */
  displayName: string;
  kernel: ReleaseFile;
  initramfs: ReleaseFile;
}

// Consumers of the Bootkit look for `vmlinuz-*` and `initramfs*` at the top of the tarball
// (EMT-S download script, EMF DKAM); renamed copies (`vmlinuz-x86_64`) match too.
const KERNEL = /^vmlinuz([-._].+)?$/;
const INITRAMFS = /^initramfs([-._].+)?$/;
// Detached signatures and checksums sit beside the files in some trees; they are not candidates.
const SIDE_FILES = /\.(sig|asc|sha256|sha256sum|sha512sum|md5|md5sum|txt)$/i;

function isKernel(name: string): boolean {
  return KERNEL.test(name) && !SIDE_FILES.test(name);
}
function isInitramfs(name: string): boolean {
  return INITRAMFS.test(name) && !SIDE_FILES.test(name);
}

/** Decide what a command-line argument list names: one tarball or folder, or a kernel + initramfs. */
export async function classifyRelease(paths: string[]): Promise<ReleaseInput> {
  if (paths.length === 2) return { kind: 'pair', kernel: resolve(paths[0]!), initramfs: resolve(paths[1]!) };
  if (paths.length !== 1) {
    throw new EmtError('E_RELEASE_ARGS', 'A release is one tarball, one folder, or a kernel and an initramfs.', 'Pass --release emb_uos_x86_64_YYYYMMDD.tar.gz, --release DIR, or --release vmlinuz-X --release initramfs-X.img.');
  }
  const path = resolve(paths[0]!);
  const st = await stat(path).catch(() => null);
  if (!st) throw new EmtError('E_RELEASE_NOT_FOUND', `The release ${path} does not exist.`, 'Check the path, or download the release first.', { details: { path } });
  return st.isDirectory() ? { kind: 'directory', path } : { kind: 'tarball', path };
}

function pick(names: string[], test: (n: string) => boolean, what: string, where: string): string {
  const found = names.filter(test).sort();
  if (found.length === 0) {
    throw new EmtError(
      what === 'kernel' ? 'E_RELEASE_NO_KERNEL' : 'E_RELEASE_NO_INITRAMFS',
      `${where} has no ${what} (${what === 'kernel' ? 'vmlinuz-*' : 'initramfs*'}) at its top level.`,
      'Choose a Bootkit release (emb_uos_x86_64_YYYYMMDD.tar.gz) or the folder it unpacks to.',
      { details: { where, files: names.slice(0, 50) } },
    );
  }
  if (found.length > 1) {
    throw new EmtError('E_RELEASE_AMBIGUOUS', `${where} has ${found.length} ${what} files (${found.join(', ')}); a release has exactly one.`, `Keep only one ${what} in the release, or pass the kernel and initramfs explicitly.`, {
      details: { where, candidates: found },
    });
  }
  return found[0]!;
}

async function fileOf(path: string, what: string): Promise<ReleaseFile> {
  const st = await stat(path).catch(() => null);
  if (!st?.isFile()) throw new EmtError('E_RELEASE_NOT_FOUND', `The ${what} ${path} does not exist or is not a file.`, 'Check the path.', { details: { path } });
  if (st.size === 0) throw new EmtError('E_RELEASE_EMPTY_FILE', `The ${what} ${path} is empty.`, 'The release is damaged: download or copy it again.', { details: { path } });
  return { name: basename(path), path, size: st.size };
}

/**
 * Find the kernel and the initramfs of a release; a tarball is streamed once and only those two
 * members are written (into `workDir`, which the caller owns and removes). Refuses, with a plain
 * reason: a file that is not a tar archive, a member path that escapes the archive's folder, no
 * kernel or initramfs, or more than one of either.
 */
export async function openRelease(input: ReleaseInput, options: { workDir: string; signal?: AbortSignal }): Promise<ReleaseFiles> {
  if (input.kind === 'pair') {
    return { input, displayName: `${basename(input.kernel)} + ${basename(input.initramfs)}`, kernel: await fileOf(input.kernel, 'kernel'), initramfs: await fileOf(input.initramfs, 'initramfs') };
  }
  if (input.kind === 'directory') {
    const names = (await readdir(input.path, { withFileTypes: true })).filter((d) => d.isFile() || d.isSymbolicLink()).map((d) => d.name);
    const where = `The folder ${input.path}`;
    const kernel = pick(names, isKernel, 'kernel', where);
    const initramfs = pick(names, isInitramfs, 'initramfs', where);
    return { input, displayName: basename(input.path), kernel: await fileOf(join(input.path, kernel), 'kernel'), initramfs: await fileOf(join(input.path, initramfs), 'initramfs') };
  }
  return openTarball(input, options);
}

async function openTarball(input: { kind: 'tarball'; path: string }, options: { workDir: string; signal?: AbortSignal }): Promise<ReleaseFiles> {
  await checkArchiveMagic(input.path);
  await mkdir(options.workDir, { recursive: true });
  const where = `The tarball ${basename(input.path)}`;
  const extracted = new Map<string, ReleaseFile>();
  const topLevel: string[] = [];
  try {
    for await (const entry of readTar(decompress(createReadStream(input.path, { highWaterMark: 1 << 20 })), { signal: options.signal })) {
      throwIfAborted(options.signal);
      // Refuse the whole archive on one unsafe member: it was made to write outside its folder.
      const path = safeMemberPath(entry.path);
      if (path.includes('/') || entry.type !== 'file') continue;
      topLevel.push(path);
      if (!isKernel(path) && !isInitramfs(path)) continue;
      if (extracted.has(path)) throw new EmtError('E_RELEASE_AMBIGUOUS', `${where} holds ${path} twice.`, 'The tarball is damaged or was packed twice: get it again.');
      const out = join(options.workDir, path);
      await pipeline(entry.body, createWriteStream(`${out}.part`), { signal: options.signal });
      await rename(`${out}.part`, out);
      extracted.set(path, { name: path, path: out, size: entry.size });
    }
  } catch (e) {
    await rm(options.workDir, { recursive: true, force: true });
    if (e instanceof EmtError && (e.code === 'E_TAR_BAD_HEADER' || e.code === 'E_TAR_CHECKSUM') && topLevel.length === 0) {
      throw notTarball(input.path, e);
    }
    throw e;
  }
  const kernel = pick(topLevel, isKernel, 'kernel', where);
  const initramfs = pick(topLevel, isInitramfs, 'initramfs', where);
  return { input, displayName: basename(input.path), kernel: extracted.get(kernel)!, initramfs: extracted.get(initramfs)! };
}

/** gzip (or another compressor the reader knows) or a bare tar with the ustar magic at 257. */
async function checkArchiveMagic(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await fh.read(head, 0, 512, 0);
    const isCompressed = bytesRead >= 4 && (head.readUInt16BE(0) === 0x1f8b || head.readUInt32BE(0) === 0xfd377a58 || head.readUInt32BE(0) === 0x28b52ffd);
    const isTar = bytesRead === 512 && head.toString('latin1', 257, 262) === 'ustar';
    if (!isCompressed && !isTar) throw notTarball(path);
  } finally {
    await fh.close();
  }
}

function notTarball(path: string, cause?: unknown): EmtError {
  return new EmtError('E_RELEASE_NOT_TARBALL', `${basename(path)} is not a tar archive (.tar.gz).`, 'Choose the Bootkit tarball emb_uos_x86_64_YYYYMMDD.tar.gz as downloaded, the folder it unpacks to, or a kernel and initramfs.', {
    cause,
    details: { path },
  });
}
