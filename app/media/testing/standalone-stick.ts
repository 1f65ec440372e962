import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { StandaloneProfile } from '../../contract/profile';
import type { ByteSource } from '../../formats/byte-source';
import type { TarInput } from '../../formats/tar/writer';
import { standaloneProfile } from '../../profile/testing/profiles';
import { bootkitInitramfs, dummyKernel, INITRAMFS_NAME, KERNEL_NAME, rootfsTarGz, writeReleaseDir } from '../../release/testing/synthetic-release';

/**
 * What the standalone stick tests share (unit and e2e): an OS image of patterned bytes with its
 * .sha256sum, a user-apps folder, a Bootkit-shaped synthetic release whose root has every tool the
 * installer runs, and ways to read back what was written.
 */

export const OS_IMAGE_NAME = 'edge-readonly-3.0.20260526.0123.raw.gz';

/**
 * `bytes` of a disk image that no two sectors share: each 512-byte sector starts with its number
 * and a tag, then xorshift noise from a fixed seed (so gzip keeps it about its size, and a sector
 * written to the wrong place or twice shows in a compare).
 */
export function patternedBytes(bytes: number, tag = 'EMT-OS-IMAGE'): Buffer {
  const out = Buffer.alloc(bytes);
  let x = 0x2545f491;
  for (let at = 0; at < bytes; at += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeUInt32LE(x >>> 0, at);
  }
  for (let at = 0; at < bytes; at += 512) out.write(`${tag} sector ${at / 512}\n`, at, 'latin1');
  return out;
}

export interface StickInputs {
  /** The uncompressed OS image: what the installer must leave on the node's disk. */
  raw: Buffer;
  /** Absolute paths of the image and its checksum file. */
  image: string;
  checksum: string;
  /** The user-apps folder and its files (path under user-apps/ → bytes). */
  appsDir: string;
  apps: Record<string, Buffer>;
}

/** images/<OS_IMAGE_NAME> (gzip of `rawBytes` patterned bytes) + .sha256sum, and apps/ with nested files. */
export async function writeStickInputs(dir: string, rawBytes = 1 << 20): Promise<StickInputs> {
  const raw = patternedBytes(rawBytes);
  const gz = gzipSync(raw);
  await mkdir(join(dir, 'images'), { recursive: true });
  const image = join(dir, 'images', OS_IMAGE_NAME);
  await writeFile(image, gz);
  const checksum = `${image}.sha256sum`;
  await writeFile(checksum, `${createHash('sha256').update(gz).digest('hex')}  ${OS_IMAGE_NAME}\n`);
  const apps: Record<string, Buffer> = {
    'user-apps/README.txt': Buffer.from('Apps loaded onto the node after the install.\n'),
    'user-apps/charts/kiosk-1.2.0.tgz': patternedBytes(200_000, 'KIOSK-CHART'),
    'user-apps/charts/values with space.yaml': Buffer.from('replicas: 2\n'),
  };
  const appsDir = join(dir, 'apps');
  for (const [path, data] of Object.entries(apps)) {
    const abs = join(appsDir, path.slice('user-apps/'.length));
    await mkdir(join(abs, '..'), { recursive: true });
    await writeFile(abs, data);
  }
  return { raw, image, checksum, appsDir, apps };
}

/** A standalone profile naming those inputs, relative to `dir` as the profile file would. */
export function stickProfile(over: Partial<StandaloneProfile['standalone']> = {}): StandaloneProfile {
  return standaloneProfile({ osImage: { path: `images/${OS_IMAGE_NAME}` }, userAppsDir: 'apps', ...over });
}

const EMF_UNITS = ['caddy', 'fluent-bit', 'device-discovery', 'tink-worker'];

/** A merged-/usr root with what install-os.sh runs (DOMAIN.md §3) and the four vendor units. */
function installerRoot(): TarInput[] {
  const owner = { uid: 0, gid: 0 };
  const d = (path: string): TarInput => ({ type: 'dir', path, mode: 0o755, ...owner });
  const prog = (path: string): TarInput => ({ type: 'file', path, mode: 0o755, data: Buffer.from(`ELF ${path}`), ...owner });
  const l = (path: string, target: string): TarInput => ({ type: 'symlink', path, target, ...owner });
  return [
    ...['usr', 'usr/bin', 'usr/sbin', 'usr/lib', 'usr/lib/systemd', 'usr/lib/systemd/system', 'etc', 'etc/systemd', 'etc/systemd/system', 'etc/systemd/system/multi-user.target.wants'].map(d),
    l('bin', 'usr/bin'),
    l('sbin', 'usr/sbin'),
    l('lib', 'usr/lib'),
    ...['usr/bin/bash', 'usr/bin/tar', 'usr/bin/gawk', 'usr/sbin/efibootmgr', 'usr/sbin/lvm', 'usr/sbin/route', 'usr/sbin/ifconfig', 'usr/sbin/parted', 'usr/sbin/partprobe'].map(prog),
    ...['pvcreate', 'pvremove', 'vgcreate', 'vgremove'].map((n) => l(`usr/sbin/${n}`, 'lvm')),
    ...EMF_UNITS.map((u): TarInput => ({ type: 'file', path: `usr/lib/systemd/system/${u}.service`, mode: 0o644, data: Buffer.from(`[Unit]\nDescription=${u}\n`), ...owner })),
    ...EMF_UNITS.map((u) => l(`etc/systemd/system/multi-user.target.wants/${u}.service`, `/usr/lib/systemd/system/${u}.service`)),
  ];
}

/** A release folder the standalone build accepts; `kernelBytes` moves everything after the kernel in the ISO. */
export async function writeStandaloneRelease(dir: string, kernelBytes = 64 << 10): Promise<string> {
  const initramfs = await bootkitInitramfs({ rootfs: await rootfsTarGz(installerRoot()) });
  return writeReleaseDir(dir, { [KERNEL_NAME]: dummyKernel(kernelBytes), [INITRAMFS_NAME]: initramfs });
}

/** Bytes [offset, offset + length) of a file or block device. */
export function readRange(path: string, offset: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const n = readSync(fd, b, got, length - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    return b.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

// A file's data extents from SEEK_DATA/SEEK_HOLE (Node has neither): a 1.6 GB stick image that is
// mostly holes is read in a fraction of a second instead of seconds. Holes read as zeros.
const DATA_EXTENTS = `
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
size = os.fstat(fd).st_size
pos = 0
while pos < size:
    try:
        data = os.lseek(fd, pos, os.SEEK_DATA)
    except OSError:
        break
    hole = os.lseek(fd, data, os.SEEK_HOLE)
    print(data, hole)
    pos = hole
`;

/** [start, end) of every stretch of a sparse file that is not a hole. */
export function dataExtents(path: string): Array<[number, number]> {
  const text = execFileSync('python3', ['-c', DATA_EXTENTS, path], { encoding: 'utf8' });
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ').map(Number) as [number, number]);
}

/** Calls `each(offset, bytes)` for the file's data, in order, in blocks of at most 4 MiB. */
function forEachData(path: string, from: number, to: number, each: (offset: number, bytes: Buffer) => void): void {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(4 << 20);
    for (const [start, end] of dataExtents(path)) {
      for (let at = Math.max(start, from); at < Math.min(end, to); ) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, Math.min(end, to) - at), at);
        each(at, buf.subarray(0, n));
        at += n;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** A partition of an image copied to a sparse file of its own (fsck.fat and fsck.exfat take no offset). */
export function extractPartition(image: string, firstByte: number, bytes: number, out: string): string {
  writeFileSync(out, '');
  truncateSync(out, bytes);
  const fd = openSync(out, 'r+');
  try {
    forEachData(image, firstByte, firstByte + bytes, (at, data) => writeSync(fd, data, 0, data.length, at - firstByte));
  } finally {
    closeSync(fd);
  }
  return out;
}

/** SHA-256 of a sparse file as any reader sees it: its data, and zeros for its holes. */
export function sha256Sparse(path: string): string {
  const h = createHash('sha256');
  const zeros = Buffer.alloc(4 << 20);
  const pad = (n: number) => {
    for (let left = n; left > 0; left -= zeros.length) h.update(zeros.subarray(0, Math.min(left, zeros.length)));
  };
  let pos = 0;
  forEachData(path, 0, Number.MAX_SAFE_INTEGER, (at, data) => {
    pad(at - pos);
    h.update(data);
    pos = at + data.length;
  });
  pad(statSync(path).size - pos);
  return h.digest('hex');
}

/** The first `length` bytes of a source, reading no further. */
export async function headOf(src: ByteSource, length: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let got = 0;
  for await (const chunk of src.stream()) {
    parts.push(Buffer.from(chunk.subarray(0, Math.min(chunk.length, length - got))));
    got += chunk.length;
    if (got >= length) break;
  }
  return Buffer.concat(parts).subarray(0, length);
}

/** Every offset of `needle` (no zero bytes in it) in a sparse file; a hole cannot hold one. */
export function offsetsOf(path: string, needle: Buffer): number[] {
  const found: number[] = [];
  // The last needle.length - 1 bytes of the previous block: a needle across two blocks is seen.
  let tail = Buffer.alloc(0);
  let tailAt = 0;
  forEachData(path, 0, Number.MAX_SAFE_INTEGER, (at, data) => {
    const isJoined = tail.length > 0 && tailAt + tail.length === at;
    const joined = isJoined ? Buffer.concat([tail, data]) : data;
    const base = isJoined ? tailAt : at;
    for (let i = joined.indexOf(needle); i >= 0; i = joined.indexOf(needle, i + 1)) found.push(base + i);
    tail = Buffer.from(data.subarray(Math.max(0, data.length - (needle.length - 1))));
    tailAt = at + data.length - tail.length;
  });
  return found;
}
