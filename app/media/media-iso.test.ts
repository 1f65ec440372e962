import { execFileSync } from 'node:child_process';
import { chmod, mkdir, open, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BuildManifestSchema, type BuildManifest } from '../contract/build';
import { dummyKernel, INITRAMFS_NAME, KERNEL_NAME, plainInitramfs, writeReleaseTarball } from '../release/testing/synthetic-release';
import { cpioList, extractIso, gzipMemberCount, isoBootReport, runCli, sha256, sha256File, useMediaLab } from './testing/media-oracles';

// `emt-media build` of a small plain release with an overlay folder, read back only by other tools:
// xorriso for the boot records and the system area, osirrox for the files, GNU cpio for custom.img,
// fsck.fat and mtools for the ESP, fdisk for the partition table.

const lab = useMediaLab('emt-media-iso-');
let iso: string;
let out: string;
let kernel: Buffer;
let initramfs: Buffer;
let manifest: BuildManifest;

beforeAll(async () => {
  kernel = dummyKernel(300_000);
  initramfs = await plainInitramfs();
  const release = await writeReleaseTarball(join(lab.root, 'emb_uos_x86_64_20260526.tar.gz'), { [KERNEL_NAME]: kernel, [INITRAMFS_NAME]: initramfs }, join(lab.root, 'src'));
  // The overlay folder: a new folder with unusual modes, a script, a file below the base's
  // lib -> usr/lib and sbin -> bin links, and a symlink.
  const ov = join(lab.root, 'overlay');
  await mkdir(join(ov, 'opt', 'emt-test'), { recursive: true });
  await chmod(join(ov, 'opt', 'emt-test'), 0o750);
  await writeFile(join(ov, 'opt', 'emt-test', 'site.conf'), 'site=lab-7\n');
  await chmod(join(ov, 'opt', 'emt-test', 'site.conf'), 0o640);
  await mkdir(join(ov, 'usr', 'local', 'bin'), { recursive: true });
  await writeFile(join(ov, 'usr', 'local', 'bin', 'hello.sh'), '#!/bin/sh\necho hello\n');
  await chmod(join(ov, 'usr', 'local', 'bin', 'hello.sh'), 0o755);
  await mkdir(join(ov, 'lib', 'emt'), { recursive: true });
  await writeFile(join(ov, 'lib', 'emt', 'data.txt'), 'data\n');
  await chmod(join(ov, 'lib', 'emt', 'data.txt'), 0o600);
  await mkdir(join(ov, 'sbin'));
  await writeFile(join(ov, 'sbin', 'emt-tool'), '#!/bin/sh\n');
  await chmod(join(ov, 'sbin', 'emt-tool'), 0o750);
  await mkdir(join(ov, 'etc'));
  await symlink('/opt/emt-test/site.conf', join(ov, 'etc', 'emt-site.conf'));

  iso = join(lab.root, 'out.iso');
  const r = await runCli(['build', '--release', release, '--out', iso, '--overlay', ov, '--kit', lab.kit, '--json'], lab.root);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  out = join(lab.root, 'extracted');
  extractIso(iso, out);
  manifest = BuildManifestSchema.parse(JSON.parse(await readFile(join(out, 'emt-media.json'), 'utf8')));
});

describe('the ISO of a plain release, read by xorriso and fdisk', () => {
  it('has a BIOS and a UEFI El Torito entry, and an isohybrid MBR with a GPT whose ESP is the UEFI image', async () => {
    const report = isoBootReport(iso);
    expect(report).toMatch(/El Torito boot img :\s+1\s+BIOS\s+y\s+none\s+0x0000\s+0x00\s+4\s+\d+/);
    expect(report).toMatch(/El Torito boot img :\s+2\s+UEFI\s+y\s+none/);
    expect(report).toMatch(/El Torito img path :\s+1\s+\/isolinux\/isolinux\.bin/);
    expect(report).toMatch(/El Torito img opts :\s+1\s+boot-info-table isohybrid-suitable/);
    expect(report).toMatch(/El Torito img path :\s+2\s+\/boot\/efi\.img/);
    expect(report).toMatch(/System area summary: MBR isohybrid cyl-align-off GPT/);
    expect(report).toMatch(/MBR partition\s+:\s+1\s+0x80\s+0xee/);
    expect(report).toMatch(/GPT partname local :\s+2\s+EFI System/);
    // C12A7328-F81F-11D2-BA4B-00A0C93EC93B as stored (mixed endian).
    expect(report).toMatch(/GPT type GUID\s+:\s+2\s+28732ac11ff8d211ba4b00a0c93ec93b/);
    expect(report).toMatch(/GPT partition path :\s+2\s+\/boot\/efi\.img/);
    // The partition's bytes are the ESP file's bytes.
    const [, start, sectors] = /GPT start and size :\s+2\s+(\d+)\s+(\d+)/.exec(report)!;
    const fh = await open(iso, 'r');
    const part = Buffer.alloc(Number(sectors) * 512);
    await fh.read(part, 0, part.length, Number(start) * 512);
    await fh.close();
    expect(sha256(part)).toBe(await sha256File(join(out, 'boot', 'efi.img')));
    const fdisk = execFileSync('fdisk', ['-l', iso], { encoding: 'utf8' });
    expect(fdisk).toContain('Disklabel type: gpt');
    expect(fdisk).toMatch(new RegExp(`out\\.iso2\\s+${start}\\s+\\d+\\s+${sectors}\\s+\\S+\\s+EFI System`));
  });

  it('has an ESP that fsck.fat accepts, holding the kit GRUB as EFI/BOOT/BOOTX64.EFI', async () => {
    const esp = join(out, 'boot', 'efi.img');
    execFileSync('fsck.fat', ['-n', esp]);
    const grub = execFileSync('mtype', ['-i', esp, '::/EFI/BOOT/BOOTX64.EFI'], { maxBuffer: 16 << 20 });
    expect(sha256(grub)).toBe(await sha256File(join(lab.kit, 'efi', 'gcdx64.efi')));
  });
});

describe('the files on the ISO, extracted by osirrox', () => {
  it('carries the release kernel and initramfs byte-identical', async () => {
    expect((await readFile(join(out, 'boot', 'vmlinuz'))).equals(kernel)).toBe(true);
    expect((await readFile(join(out, 'boot', 'initrd'))).equals(initramfs)).toBe(true);
  });

  it('has a manifest whose every file, size and hash matches the extracted file, and nothing unlisted', async () => {
    expect(manifest.release).toMatchObject({
      source: 'emb_uos_x86_64_20260526.tar.gz',
      layout: 'plain',
      kernel: { name: KERNEL_NAME, size: kernel.length, sha256: sha256(kernel) },
      initramfs: { name: INITRAMFS_NAME, size: initramfs.length, sha256: sha256(initramfs) },
    });
    for (const f of manifest.files) {
      const data = await readFile(join(out, f.path));
      expect({ path: f.path, size: data.length, sha256: sha256(data) }).toEqual({ path: f.path, size: f.size, sha256: f.sha256 });
    }
    const onIso = (await readdir(out, { recursive: true, withFileTypes: true })).filter((d) => d.isFile()).map((d) => `/${relative(out, join(d.parentPath, d.name))}`);
    expect(onIso.sort()).toEqual([...manifest.files.map((f) => f.path), '/emt-media.json'].sort());
    expect(manifest.secureBoot.state).toBe('off-required');
    expect(manifest.mode).toBe('none');
  });

  it('lists the overlay in the manifest at the paths it lands on, with its modes and hashes', () => {
    // In archive order (the overlay's own paths sorted, then resolved): compare as a set.
    expect([...manifest.overlay].sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: '/bin/emt-tool', kind: 'file', mode: '750', sha256: sha256('#!/bin/sh\n') },
      { path: '/etc/emt-site.conf', kind: 'symlink', mode: '777', target: '/opt/emt-test/site.conf' },
      { path: '/opt', kind: 'dir', mode: '755' },
      { path: '/opt/emt-test', kind: 'dir', mode: '750' },
      { path: '/opt/emt-test/site.conf', kind: 'file', mode: '640', sha256: sha256('site=lab-7\n') },
      { path: '/usr/lib/emt', kind: 'dir', mode: '755' },
      { path: '/usr/lib/emt/data.txt', kind: 'file', mode: '600', sha256: sha256('data\n') },
      { path: '/usr/local', kind: 'dir', mode: '755' },
      { path: '/usr/local/bin', kind: 'dir', mode: '755' },
      { path: '/usr/local/bin/hello.sh', kind: 'file', mode: '755', sha256: sha256('#!/bin/sh\necho hello\n') },
    ]);
  });

  it('has custom.img as one gzip member whose cpio holds the overlay with its modes, owned by root, no base link shadowed', async () => {
    const custom = await readFile(join(out, 'boot', 'custom.img'));
    expect(gzipMemberCount(custom)).toBe(1);
    const listed = cpioList(custom);
    expect(listed.map(({ mode, owner, group, path, target }) => `${mode} ${owner}:${group} ${path}${target ? ` -> ${target}` : ''}`).sort()).toEqual(
      [
        '-rwxr-x--- root:root bin/emt-tool',
        'lrwxrwxrwx root:root etc/emt-site.conf -> /opt/emt-test/site.conf',
        'drwxr-xr-x root:root opt',
        'drwxr-x--- root:root opt/emt-test',
        '-rw-r----- root:root opt/emt-test/site.conf',
        'drwxr-xr-x root:root usr/lib/emt',
        '-rw------- root:root usr/lib/emt/data.txt',
        'drwxr-xr-x root:root usr/local',
        'drwxr-xr-x root:root usr/local/bin',
        '-rwxr-xr-x root:root usr/local/bin/hello.sh',
      ].sort(),
    );
    // Parents come before what they hold: the kernel's unpacker does not create folders.
    const paths = listed.map((e) => e.path);
    for (const [i, p] of paths.entries()) {
      const parent = p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : null;
      if (parent && paths.includes(parent)) expect(paths.indexOf(parent)).toBeLessThan(i);
    }
  });

  it('boots the release with both initrds in order and the same command line from GRUB and ISOLINUX', async () => {
    const grub = await readFile(join(out, 'boot', 'grub', 'grub.cfg'), 'utf8');
    const isolinux = await readFile(join(out, 'isolinux', 'isolinux.cfg'), 'utf8');
    const cmdline = manifest.kernelCommandLine;
    expect(cmdline).toBe('console=tty0 console=ttyS0,115200 emt.media=none');
    expect(grub).toContain(`  linux /boot/vmlinuz ${cmdline}\n  initrd /boot/initrd /boot/custom.img\n`);
    expect(isolinux).toContain(`  KERNEL /boot/vmlinuz\n  INITRD /boot/initrd,/boot/custom.img\n  APPEND ${cmdline}\n`);
    // GRUB for CDs finds its disc by this file (reference/iso-boot-formats.md §3.1).
    expect((await stat(join(out, '.disk', 'info'))).size).toBeGreaterThan(0);
  });
});
