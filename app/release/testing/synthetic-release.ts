import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readAll } from '../../formats/byte-source';
import { gzipSource } from '../../formats/compression/gzip-encode';
import { writeCpio, type CpioInput } from '../../formats/cpio/writer';
import { writeTar, type TarInput } from '../../formats/tar/writer';

/**
 * Small releases made of real bytes by our writers (and GNU tar for the tarball), shaped like the
 * two layouts the inspector knows (DOMAIN.md §1): a **plain** initramfs whose root is the running
 * system, and a **Bootkit-like** one (dracut-ish tree, a tmpfs mount hook, `/rootfs.tar.gz`).
 * The kernel is a dummy: these releases are for tests that inspect and lay out media, not boot.
 */

export const KVER = '6.1.0-99-test';
export const KERNEL_NAME = `vmlinuz-${KVER}`;
export const INITRAMFS_NAME = `initramfs-${KVER}.img`;

const dir = (path: string, mode = 0o755): CpioInput => ({ type: 'dir', path, mode });
const file = (path: string, data: string | Buffer, mode = 0o644): CpioInput => ({ type: 'file', path, mode, data: typeof data === 'string' ? Buffer.from(data) : data });
const link = (path: string, target: string): CpioInput => ({ type: 'symlink', path, target });

export async function gzipBytes(data: Buffer): Promise<Buffer> {
  return readAll(await gzipSource({ size: data.length, stream: async function* () { yield data; } }));
}

export async function cpioBytes(entries: CpioInput[]): Promise<Buffer> {
  return readAll(writeCpio(entries));
}

/** A busybox-style initramfs: `/init`, `sbin -> bin`, `lib -> usr/lib` (as the plain fixture has). */
export async function plainInitramfs(): Promise<Buffer> {
  return gzipBytes(
    await cpioBytes([
      dir('bin'),
      file('bin/busybox', randomBytes(3000), 0o755),
      link('sbin', 'bin'),
      dir('usr'),
      dir('usr/lib'),
      link('lib', 'usr/lib'),
      dir('etc'),
      file('etc/hostname', 'plain\n'),
      file('init', '#!/bin/sh\nexec /bin/busybox sh\n', 0o755),
    ]),
  );
}

/** The inner root of the Bootkit-like release: vendor units (enabled, masked, not enabled), programs, one big file. */
export const ROOTFS_FILES = {
  caddyUnit: '[Unit]\nDescription=caddy\n[Service]\nExecStart=/usr/bin/caddy\n[Install]\nWantedBy=multi-user.target\n',
  /** 5000 bytes take two 4 KiB pages in a tmpfs. */
  bigFileSize: 5000,
};

export function rootfsEntries(): TarInput[] {
  const root = { uid: 0, gid: 0 };
  const d = (path: string): TarInput => ({ type: 'dir', path, mode: 0o755, ...root });
  const f = (path: string, data: string | Buffer, mode = 0o644): TarInput => ({ type: 'file', path, mode, data: typeof data === 'string' ? Buffer.from(data) : data, ...root });
  const l = (path: string, target: string): TarInput => ({ type: 'symlink', path, target, ...root });
  return [
    d('usr'),
    d('usr/bin'),
    d('usr/sbin'),
    d('usr/lib'),
    d('usr/lib/systemd'),
    d('usr/lib/systemd/system'),
    l('bin', 'usr/bin'),
    l('sbin', 'usr/sbin'),
    l('lib', 'usr/lib'),
    f('usr/bin/tar', 'ELF tar', 0o755),
    f('usr/bin/gawk', 'ELF gawk', 0o755),
    f('usr/sbin/efibootmgr', 'ELF efibootmgr', 0o755),
    // Not executable: not a program, whatever its folder.
    f('usr/bin/README', 'not a program', 0o644),
    l('usr/sbin/pvcreate', 'lvm'),
    f('usr/sbin/lvm', 'ELF lvm', 0o755),
    f('usr/lib/systemd/system/caddy.service', ROOTFS_FILES.caddyUnit),
    f('usr/lib/systemd/system/fluent-bit.service', '[Unit]\nDescription=fluent-bit\n'),
    f('usr/lib/systemd/system/device-discovery.service', '[Unit]\nDescription=device-discovery\n'),
    f('usr/lib/systemd/system/tink-worker.service', '[Unit]\nDescription=tink-worker\n'),
    d('etc'),
    d('etc/systemd'),
    d('etc/systemd/system'),
    d('etc/systemd/system/multi-user.target.wants'),
    l('etc/systemd/system/multi-user.target.wants/caddy.service', '/usr/lib/systemd/system/caddy.service'),
    l('etc/systemd/system/multi-user.target.wants/fluent-bit.service', '/usr/lib/systemd/system/fluent-bit.service'),
    l('etc/systemd/system/multi-user.target.wants/device-discovery.service', '/usr/lib/systemd/system/device-discovery.service'),
    l('etc/systemd/system/fluent-bit.service', '/dev/null'),
    f('etc/big.bin', Buffer.alloc(ROOTFS_FILES.bigFileSize, 7)),
  ];
}

export async function rootfsTarGz(entries: TarInput[] = rootfsEntries()): Promise<Buffer> {
  return gzipBytes(await readAll(writeTar(entries)));
}

export const TMPFS_HOOK = `#!/bin/sh
mount -t tmpfs -o size=512M tmpfs "$NEWROOT"
tar -xf /rootfs.tar.gz -C "$NEWROOT"
`;

export interface BootkitOptions {
  /** Where dracut keeps its hooks in the image (059: usr/lib/dracut/hooks; newer: var/lib/dracut/hooks). */
  hooksDir?: string;
  /** The mount hook's text; null for none. */
  hook?: string | null;
  /** The bytes stored as /rootfs.tar.gz; null for none. */
  rootfs?: Buffer | null;
  hasTar?: boolean;
}

/** The newc entries of a Bootkit-like initramfs (uncompressed; gzip them for a release). */
export async function bootkitCpioEntries(options: BootkitOptions = {}): Promise<CpioInput[]> {
  const hooks = options.hooksDir ?? 'usr/lib/dracut/hooks';
  const hook = options.hook === undefined ? TMPFS_HOOK : options.hook;
  const rootfs = options.rootfs === undefined ? await rootfsTarGz() : options.rootfs;
  const parents = hooks.split('/').map((_, i, all) => all.slice(0, i + 1).join('/'));
  const entries: CpioInput[] = [
    dir('usr'),
    dir('usr/bin'),
    dir('usr/lib'),
    dir('var'),
    dir('var/lib'),
    link('bin', 'usr/bin'),
    link('lib', 'usr/lib'),
    file('usr/lib/dracut-lib.sh', 'die() { echo "$*"; }\n'),
    ...parents.filter((p) => !['usr', 'usr/lib', 'var', 'var/lib'].includes(p)).map((p) => dir(p)),
    dir(`${hooks}/mount`),
    dir(`${hooks}/pre-pivot`),
    file('init', '#!/bin/sh\n# dracut init\n', 0o755),
  ];
  if (options.hasTar ?? true) entries.push(file('usr/bin/tar', 'ELF tar', 0o755));
  if (hook !== null) entries.push(file(`${hooks}/mount/90-x.sh`, hook, 0o755));
  if (rootfs !== null) entries.push(file('rootfs.tar.gz', rootfs));
  return entries;
}

export async function bootkitInitramfs(options: BootkitOptions = {}): Promise<Buffer> {
  return gzipBytes(await cpioBytes(await bootkitCpioEntries(options)));
}

/** An ordinary dracut initramfs: hooks, dracut-lib.sh and /init, but no rootfs.tar.gz. */
export async function dracutInitramfs(): Promise<Buffer> {
  return bootkitInitramfs({ rootfs: null, hook: '#!/bin/sh\nmount "$root" "$NEWROOT"\n' });
}

/** A dummy kernel (random bytes; no PE signature). */
export function dummyKernel(size = 64 << 10): Buffer {
  return randomBytes(size);
}

/** A release folder holding `files` (name → bytes). */
export async function writeReleaseDir(path: string, files: Record<string, Buffer | string>): Promise<string> {
  await mkdir(path, { recursive: true });
  for (const [name, data] of Object.entries(files)) await writeFile(join(path, name), data);
  return path;
}

/** A release tarball made by GNU tar from a folder of `files`, as Intel packs it (members at the top). */
export async function writeReleaseTarball(path: string, files: Record<string, Buffer | string>, work: string): Promise<string> {
  const from = await writeReleaseDir(work, files);
  execFileSync('tar', ['-czf', path, '-C', from, ...Object.keys(files)]);
  return path;
}
