import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromBuffer, fromFile, openRandomAccess, readAll } from '../../app/formats/byte-source';
import { exfatImage } from '../../app/formats/exfat/exfat-image';
import { openExfat } from '../../app/formats/exfat/exfat-reader';
import { fatImage, type FatImageSpec } from '../../app/formats/fat/fat-image';
import type { ImageFile } from '../../app/formats/fat/image-tree';
import { patternBytes, tool, writeImage } from '../../app/formats/fat/image-test-support';
import { mustRun } from '../../scripts/kit/debian-packages';
import { fetchKernel, type FixtureKernel } from '../../scripts/fixtures/kernel';
import { assertBooted, bootQemu } from './harness/boot-qemu';

// The proof that real consumers read our images: OVMF finds BOOTX64.EFI (GRUB) in a FAT ESP of
// ours and GRUB loads the kernel and initrd from it; that Linux kernel (Debian's, vfat and exfat
// modules) mounts FAT12, FAT16, FAT32 and exFAT images of ours and hashes every file; it also
// copies files into an exFAT volume made by mkfs.exfat, which our reader then reads back.

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const GRUB = '/usr/lib/grub/x86_64-efi/monolithic/gcdx64.efi';
const MODULES = ['virtio_pci', 'virtio_blk', 'vfat', 'exfat', 'nls_cp437', 'nls_ascii', 'nls_utf8'];
const MARK = 'FATE2E:';
const MIB = 1 << 20;

const files: Array<[string, Buffer]> = [
  ['EFI/BOOT/grub.cfg', Buffer.from('configfile /boot/grub/grub.cfg\n')],
  ['A long file name with spaces.txt', Buffer.from('long name\n')],
  ['ünïcödé — naïve ✓.bin', patternBytes(5000, 1)],
  ['Mixed.Case.Name', Buffer.from('mixed\n')],
  ['deep/er/and/deeper/leaf.dat', patternBytes(70_000, 2)],
  ['empty', Buffer.alloc(0)],
  ['.hidden', Buffer.from('k=v\n')],
  ...Array.from({ length: 60 }, (_, i): [string, Buffer] => [`many/file number ${i}.dat`, patternBytes(i * 211, 10 + i)]),
];
const tree = (): ImageFile[] => files.map(([path, b]) => ({ path, content: fromBuffer(b) }));
const MTIME = new Date('2025-07-10T08:00:00Z');
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** What `find | sha256sum` in the guest must print for the sample tree. */
function expectedListing(): string[] {
  const out = new Set<string>(['dir ./empty-dir']);
  for (const [path, b] of files) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) out.add(`dir ./${parts.slice(0, i).join('/')}`);
    out.add(`file ${sha(b)} ./${path}`);
  }
  return [...out].sort();
}

let work: string;
let kernel: FixtureKernel;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'emt-fat-e2e-'));
  kernel = await fetchKernel(join(REPO, '.cache', 'debs'));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** busybox, the modules (in load order) and an /init that mounts and hashes each disk. */
async function buildInitrd(disks: Array<{ dev: string; fstype: string; label?: string; write?: boolean }>): Promise<string> {
  const stage = join(work, 'initrd-root');
  for (const d of ['bin', 'proc', 'sys', 'dev', 'mnt', 'tmp']) await mkdir(join(stage, d), { recursive: true });
  await copyFile('/bin/busybox', join(stage, 'bin', 'busybox'));
  await chmod(join(stage, 'bin', 'busybox'), 0o755);
  await symlink('busybox', join(stage, 'bin', 'sh'));
  const order: string[] = [];
  for (const m of MODULES) {
    const deps = mustRun('modprobe', ['-d', kernel.root, '-S', kernel.version, '--show-depends', m]);
    for (const [, file] of deps.matchAll(/^insmod (\S+)/gm)) if (!order.includes(file!)) order.push(file!);
  }
  for (const file of order) {
    await mkdir(dirname(join(stage, relative(kernel.root, file))), { recursive: true });
    await copyFile(file, join(stage, relative(kernel.root, file)));
  }
  const script = [
    '#!/bin/sh',
    'export PATH=/bin',
    '/bin/busybox --install -s /bin',
    'mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev',
    ...order.map((f) => `insmod /${relative(kernel.root, f)}`),
    `echo "${MARK} start"`,
    'walk() { cd "$1" && find . -mindepth 1 | LC_ALL=C sort | while IFS= read -r p; do',
    `  if [ -d "$p" ]; then echo "${MARK} $2 dir $p"; else echo "${MARK} $2 file $(sha256sum "$p" | cut -c1-64) $p"; fi; done; cd /; }`,
    // Read-only volumes stay mounted until the end: the write test copies from the FAT32 one (vdc).
    ...disks.flatMap(({ dev, fstype, label, write }) => [
      `mkdir -p /mnt/${dev}`,
      // busybox has no blkid; findfs answers from the same label/serial probing.
      ...(label ? [`echo "${MARK} ${dev} label $(findfs 'LABEL=${label}')"`] : []),
      write
        ? `mount -t ${fstype} /dev/${dev} /mnt/${dev} && cp -r /mnt/vdc/deep /mnt/vdc/many "/mnt/vdc/ünïcödé — naïve ✓.bin" /mnt/${dev}/ && sync && umount /mnt/${dev} && echo "${MARK} ${dev} written"`
        : `mount -t ${fstype} -o ro /dev/${dev} /mnt/${dev} && walk /mnt/${dev} ${dev}`,
      `echo "${MARK} ${dev} end"`,
    ]),
    ...disks.filter((d) => !d.write).map(({ dev }) => `umount /mnt/${dev}`),
    `echo "${MARK} done"`,
    'poweroff -f',
  ];
  await writeFile(join(stage, 'init'), `${script.join('\n')}\n`, { mode: 0o755 });
  const out = join(work, 'initrd.img');
  const r = tool('sh', ['-c', 'cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1 > "$2"', 'sh', stage, out]);
  expect(r.status, r.stderr).toBe(0);
  return out;
}

describe('UEFI firmware and the Linux kernel read our FAT and exFAT images', () => {
  it('boots GRUB and the kernel from our ESP; vfat and exfat mount our volumes and see every byte', async () => {
    const common = { volumeId: 0x1234abcd, files: tree(), dirs: [{ path: 'empty-dir' }], mtime: MTIME };
    const volumes: Array<{ dev: string; fstype: string; spec: FatImageSpec | null }> = [
      { dev: 'vda', fstype: 'vfat', spec: { ...common, label: 'EMT_FAT12', fatType: 12 } },
      { dev: 'vdb', fstype: 'vfat', spec: { ...common, label: 'EMT_FAT16', fatType: 16, size: 16 * MIB } },
      { dev: 'vdc', fstype: 'vfat', spec: { ...common, label: 'EMT_FAT32', fatType: 32, size: 40 * MIB } },
      { dev: 'vdd', fstype: 'exfat', spec: null },
    ];
    const drives = [];
    for (const v of volumes) {
      const file = join(work, `${v.dev}.img`);
      await writeImage(v.spec ? fatImage(v.spec) : exfatImage({ ...common, label: 'EMT exFAT' }), file);
      drives.push({ file, interface: 'virtio' as const, isSnapshot: true });
    }
    const mkfsExfat = join(work, 'vde.img');
    expect(tool('truncate', ['-s', '16M', mkfsExfat]).status).toBe(0);
    expect(tool('mkfs.exfat', ['-L', 'FROMLINUX', mkfsExfat]).status).toBe(0);
    drives.push({ file: mkfsExfat, interface: 'virtio' as const, isSnapshot: false });
    const initrd = await buildInitrd([...volumes.map(({ dev, fstype, spec }) => ({ dev, fstype, label: spec?.label ?? 'EMT exFAT' })), { dev: 'vde', fstype: 'exfat', write: true }]);

    const grubCfg = 'set timeout=0\nmenuentry fat-e2e {\n  linux /vmlinuz console=ttyS0 panic=-1\n  initrd /initrd.img\n}\n';
    const esp = fatImage({
      label: 'EMT_ESP',
      volumeId: 0xe5be5be5,
      mtime: MTIME,
      files: [
        { path: 'EFI/BOOT/BOOTX64.EFI', content: await fromFile(GRUB) },
        { path: '.disk/info', content: fromBuffer(Buffer.from('EMT FAT e2e\n')) },
        { path: 'boot/grub/grub.cfg', content: fromBuffer(Buffer.from(grubCfg)) },
        { path: 'vmlinuz', content: await fromFile(kernel.vmlinuz) },
        { path: 'initrd.img', content: await fromFile(initrd) },
      ],
    });
    const espFile = join(work, 'esp.img');
    await writeImage(esp, espFile);

    const r = await bootQemu({ name: 'fat-exfat-linux', mode: 'uefi-usb', media: espFile, drives, markers: [`${MARK} start`, `${MARK} vde written`, `${MARK} done`], memoryMiB: 768, timeoutMs: 420_000 });
    assertBooted(r);
    const lines = r.log.split('\n').map((l) => l.trim()).filter((l) => l.startsWith(MARK)).map((l) => l.slice(MARK.length + 1));
    for (const v of volumes) {
      const seen = lines.filter((l) => l.startsWith(`${v.dev} file `) || l.startsWith(`${v.dev} dir `)).map((l) => l.slice(v.dev.length + 1)).sort();
      expect(seen, v.dev).toEqual(expectedListing());
    }
    for (const v of volumes) expect(lines, v.dev).toContain(`${v.dev} label /dev/${v.dev}`);

    // What Linux wrote into the mkfs.exfat volume, read back by our reader.
    const ra = await openRandomAccess(mkfsExfat);
    try {
      const v = await openExfat(ra);
      expect(v.label).toBe('FROMLINUX');
      for (const [path, b] of files.filter(([p]) => /^(deep|many)\/|^ü/.test(p))) {
        expect(sha(await readAll(await v.file(path))), path).toBe(sha(b));
      }
    } finally {
      await ra.close();
    }
  }, 600_000);
});
