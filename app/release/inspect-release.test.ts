import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectRelease } from './inspect-release';
import type { ReleaseFiles } from './read-release';
import {
  bootkitCpioEntries,
  bootkitInitramfs,
  cpioBytes,
  dracutInitramfs,
  gzipBytes,
  plainInitramfs,
  rootfsEntries,
  rootfsTarGz,
  ROOTFS_FILES,
} from './testing/synthetic-release';

// The inspector reads an initramfs the way the kernel will, without unpacking it, and says which
// layout it is (DOMAIN.md §1). Synthetic initramfs images made by our cpio/tar/gzip writers (and
// bzip2/lz4 for what we cannot read), checked for what the media layer relies on: the layout, the
// hooks directory found in the image, the base's symlinks, and the Bootkit root listed by streaming.

let root: string;
let n = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'emt-inspect-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function inspect(initramfs: Buffer) {
  const path = join(root, `initramfs-${++n}.img`);
  await writeFile(path, initramfs);
  const files: ReleaseFiles = {
    input: { kind: 'pair', kernel: join(root, 'vmlinuz'), initramfs: path },
    displayName: 'synthetic',
    kernel: { name: 'vmlinuz', path: join(root, 'vmlinuz'), size: 1 },
    initramfs: { name: `initramfs-${n}.img`, path, size: initramfs.length },
  };
  return inspectRelease(files);
}

describe('inspectRelease: a Bootkit-like initramfs', () => {
  it('finds the layout, the hooks directory, the tmpfs hook and size, and the base symlinks', async () => {
    const r = await inspect(await bootkitInitramfs());
    expect(r.layout).toBe('bootkit');
    expect(r.initramfs).toMatchObject({ hooksDir: '/usr/lib/dracut/hooks', tmpfsHook: '/usr/lib/dracut/hooks/mount/90-x.sh', tmpfsBytes: 512 * 2 ** 20, hasTar: true });
    expect(r.initramfs.segments).toHaveLength(1);
    expect(r.initramfs.segments[0]).toMatchObject({ compression: 'gzip', hasTrailer: true, problems: [] });
    expect(Object.fromEntries(r.initramfs.base.symlinks)).toEqual({ '/bin': 'usr/bin', '/lib': 'usr/lib' });
    expect(r.initramfs.base.dirs.has('/usr/lib/dracut/hooks/pre-pivot')).toBe(true);
    expect(r.initramfs.base.files.has('/rootfs.tar.gz')).toBe(true);
    expect(r.findings).toEqual([]);
  });

  it('lists the root inside rootfs.tar.gz: units enabled and masked, programs, unpacked size', async () => {
    const r = await inspect(await bootkitInitramfs());
    const rootfs = r.rootfs!;
    expect(rootfs.entryCount).toBe(rootfsEntries().length);
    expect(rootfs.units).toEqual([
      { name: 'caddy.service', path: '/usr/lib/systemd/system/caddy.service', wantedBy: ['multi-user.target'], isMasked: false },
      { name: 'device-discovery.service', path: '/usr/lib/systemd/system/device-discovery.service', wantedBy: ['multi-user.target'], isMasked: false },
      { name: 'fluent-bit.service', path: '/usr/lib/systemd/system/fluent-bit.service', wantedBy: ['multi-user.target'], isMasked: true },
      { name: 'tink-worker.service', path: '/usr/lib/systemd/system/tink-worker.service', wantedBy: [], isMasked: false },
    ]);
    // Executables in /usr/bin and /usr/sbin (through bin -> usr/bin), links among them; not README (0644).
    expect(rootfs.binaries).toEqual(['efibootmgr', 'gawk', 'lvm', 'pvcreate', 'tar']);
    // Every file takes whole 4 KiB pages in a tmpfs: 9 small files and one of 5000 bytes.
    expect(rootfs.unpackedBytes).toBe(9 * 4096 + Math.ceil(ROOTFS_FILES.bigFileSize / 4096) * 4096);
    expect(Object.fromEntries(rootfs.base.symlinks)).toMatchObject({ '/bin': 'usr/bin', '/lib': 'usr/lib', '/sbin': 'usr/sbin', '/etc/systemd/system/fluent-bit.service': '/dev/null' });
  });

  it('finds the hooks directory where this dracut keeps it (var/lib/dracut/hooks), never a fixed one', async () => {
    const r = await inspect(await bootkitInitramfs({ hooksDir: 'var/lib/dracut/hooks' }));
    expect(r.initramfs).toMatchObject({ hooksDir: '/var/lib/dracut/hooks', tmpfsHook: '/var/lib/dracut/hooks/mount/90-x.sh' });
  });

  it('reads a tmpfs size in the hook, and takes 1 GiB when the hook gives none', async () => {
    const none = await inspect(await bootkitInitramfs({ hook: '#!/bin/sh\nmount -t tmpfs tmpfs "$NEWROOT" && tar -xf /rootfs.tar.gz -C "$NEWROOT"\n' }));
    expect(none.initramfs.tmpfsBytes).toBe(2 ** 30);
  });

  it('refuses a root that cannot fit its tmpfs, and warns when it nearly fills it', async () => {
    const big = { type: 'file' as const, path: 'var/big', mode: 0o644, data: Buffer.alloc(900 << 10) };
    const rootfs = await rootfsTarGz([...rootfsEntries(), { type: 'dir', path: 'var', mode: 0o755 }, big]);
    const tooSmall = (size: string) => `mount -t tmpfs -o size=${size} tmpfs "$NEWROOT"; tar -xf /rootfs.tar.gz -C "$NEWROOT"\n`;
    await expect(inspect(await bootkitInitramfs({ rootfs, hook: tooSmall('512k') }))).rejects.toMatchObject({ code: 'E_RELEASE_ROOT_TOO_LARGE' });
    const nearly = await inspect(await bootkitInitramfs({ rootfs, hook: tooSmall('1M') }));
    expect(nearly.findings.map((f) => f.code)).toEqual(['W_RELEASE_ROOT_NEARLY_FULL']);
  });
});

describe('inspectRelease: a plain initramfs', () => {
  it('is plain: its own /init, no rootfs.tar.gz, and its base symlinks are known', async () => {
    const r = await inspect(await plainInitramfs());
    expect(r.layout).toBe('plain');
    expect(r.rootfs).toBeNull();
    expect(r.initramfs.hooksDir).toBeNull();
    expect(Object.fromEntries(r.initramfs.base.symlinks)).toEqual({ '/sbin': 'bin', '/lib': 'usr/lib' });
  });

  it('sees a later segment replace an earlier entry, as the kernel does', async () => {
    // An appended uncompressed segment turns /lib into a directory: the base must say so.
    const later = await cpioBytes([{ type: 'dir', path: 'lib' }]);
    const first = await plainInitramfs();
    const pad = Buffer.alloc((4 - (first.length % 4)) % 4);
    const r = await inspect(Buffer.concat([first, pad, later]));
    expect(r.initramfs.segments.map((s) => s.compression)).toEqual(['gzip', 'none']);
    expect(r.initramfs.base.symlinks.has('/lib')).toBe(false);
    expect(r.initramfs.base.dirs.has('/lib')).toBe(true);
  });
});

describe('inspectRelease: what it refuses, each with its own code', () => {
  it('a truncated initramfs: the outer file is blamed, with its offset, not rootfs.tar.gz', async () => {
    const whole = await bootkitInitramfs();
    await expect(inspect(whole.subarray(0, Math.floor(whole.length / 2)))).rejects.toMatchObject({ code: 'E_GZIP_TRUNCATED' });
    const raw = await cpioBytes(await bootkitCpioEntries());
    await expect(inspect(raw.subarray(0, raw.length - 200))).rejects.toMatchObject({ code: 'E_CPIO_TRUNCATED', message: expect.stringMatching(/at byte \d+/) });
    const plain = await plainInitramfs();
    await expect(inspect(plain.subarray(0, plain.length - 30))).rejects.toMatchObject({ code: expect.stringMatching(/^E_GZIP_/) });
  });

  it('a segment compressed with bzip2, which the tool cannot read', async () => {
    const first = await plainInitramfs();
    const bz = execFileSync('bzip2', ['-c'], { input: await cpioBytes([{ type: 'file', path: 'etc/extra', data: Buffer.from('x') }]) });
    await expect(inspect(Buffer.concat([first, bz]))).rejects.toMatchObject({
      code: 'E_INITRAMFS_COMPRESSION_UNSUPPORTED',
      message: expect.stringContaining(`segment at byte ${first.length} is compressed with bzip2`),
    });
  });

  it('an lz4 segment last, which would swallow custom.img at boot', async () => {
    const lz4 = execFileSync('lz4', ['-l', '-c', '-q'], { input: await cpioBytes([{ type: 'file', path: 'etc/extra', data: Buffer.from('x') }]) });
    await expect(inspect(Buffer.concat([await plainInitramfs(), lz4]))).rejects.toMatchObject({ code: 'E_RELEASE_LZ4_LAST' });
  });

  it('a rootfs.tar.gz that is damaged or not a tar archive', async () => {
    const good = await rootfsTarGz();
    await expect(inspect(await bootkitInitramfs({ rootfs: good.subarray(0, 300) }))).rejects.toMatchObject({
      code: 'E_RELEASE_ROOTFS_CORRUPT',
      message: expect.stringContaining("The Bootkit's rootfs.tar.gz cannot be read"),
    });
    await expect(inspect(await bootkitInitramfs({ rootfs: await gzipBytes(Buffer.from('not a tar archive '.repeat(100))) }))).rejects.toMatchObject({ code: 'E_RELEASE_ROOTFS_CORRUPT' });
  });

  it('a rootfs.tar.gz whose member climbs out of the root', async () => {
    const escaping = await gzipBytes(
      execFileSync('sh', ['-c', 'cd "$1" && mkdir -p a && echo x > x && tar -cPf - a/../x', 'sh', await mkdtemp(join(root, 'esc-'))]),
    );
    await expect(inspect(await bootkitInitramfs({ rootfs: escaping }))).rejects.toMatchObject({ code: 'E_TAR_PATH_ESCAPE' });
  });

  it('an ordinary dracut initramfs (no rootfs.tar.gz): it mounts a disk, it is no Bootkit', async () => {
    await expect(inspect(await dracutInitramfs())).rejects.toMatchObject({ code: 'E_RELEASE_LAYOUT', message: expect.stringContaining('ordinary dracut initramfs') });
  });

  it('rootfs.tar.gz but no mount hook that unpacks it into a tmpfs', async () => {
    await expect(inspect(await bootkitInitramfs({ hook: null }))).rejects.toMatchObject({ code: 'E_RELEASE_LAYOUT', message: expect.stringContaining('no dracut mount hook') });
    // A mount hook that does something else is no tmpfsroot hook either.
    await expect(inspect(await bootkitInitramfs({ hook: '#!/bin/sh\nmount /dev/sda1 "$NEWROOT"\n' }))).rejects.toMatchObject({ code: 'E_RELEASE_LAYOUT' });
  });

  it('neither rootfs.tar.gz nor /init', async () => {
    const entries = (await bootkitCpioEntries({ rootfs: null, hook: null })).filter((e) => e.path !== 'init' && e.path !== 'usr/lib/dracut-lib.sh');
    await expect(inspect(await gzipBytes(await cpioBytes(entries)))).rejects.toMatchObject({ code: 'E_RELEASE_LAYOUT', message: expect.stringContaining('neither /rootfs.tar.gz') });
  });

  it('a Bootkit-like initramfs without tar, which our pre-pivot hook needs', async () => {
    await expect(inspect(await bootkitInitramfs({ hasTar: false }))).rejects.toMatchObject({ code: 'E_RELEASE_NO_TAR' });
  });
});
