import { execFileSync } from 'node:child_process';
import { chmod, lstat, mkdir, mkdtemp, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BuildManifestSchema, type BuildManifest } from '../contract/build';
import { bootkitInitramfs, dummyKernel, INITRAMFS_NAME, KERNEL_NAME, rootfsTarGz, writeReleaseTarball } from '../release/testing/synthetic-release';
import { cpioExtract, cpioList, extractIso, gzipMemberCount, runCli, sha256, tarList, useMediaLab } from './testing/media-oracles';

// `emt-media build` for a Bootkit-like release (dracut + /rootfs.tar.gz): custom.img must carry a
// pre-pivot hook in the image's own hooks directory and the overlay as a tar whose paths are
// resolved through the *root's* symlinks, so that unpacking it into $NEWROOT never replaces one.
// GNU cpio and tar read what we wrote; GNU tar then runs the hook's own unpack command on a real
// copy of the root.

const UNITS = 'etc/systemd/system';
const lab = useMediaLab('emt-media-bootkit-');
let out: string;
let rootfs: Buffer;
let manifest: BuildManifest;
let custom: Buffer;

async function buildFor(hooksDir: string, name: string): Promise<string> {
  const kit = join(lab.root, 'kit');
  const release = await writeReleaseTarball(
    join(lab.root, `${name}.tar.gz`),
    { [KERNEL_NAME]: dummyKernel(), [INITRAMFS_NAME]: await bootkitInitramfs({ hooksDir, rootfs }) },
    join(lab.root, `${name}-src`),
  );
  const iso = join(lab.root, `${name}.iso`);
  const r = await runCli(['build', '--release', release, '--out', iso, '--overlay', join(lab.root, 'overlay'), '--kit', kit], lab.root);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  const dir = join(lab.root, `${name}-iso`);
  extractIso(iso, dir);
  return dir;
}

beforeAll(async () => {
  rootfs = await rootfsTarGz();
  const ov = join(lab.root, 'overlay');
  await mkdir(join(ov, 'etc', 'emt-test'), { recursive: true });
  await writeFile(join(ov, 'etc', 'emt-test', 'site.conf'), 'site=lab-7\n');
  await chmod(join(ov, 'etc', 'emt-test', 'site.conf'), 0o600);
  await mkdir(join(ov, UNITS, 'multi-user.target.wants'), { recursive: true });
  await mkdir(join(ov, UNITS, 'caddy.service.d'));
  await symlink('/dev/null', join(ov, UNITS, 'tink-worker.service'));
  await writeFile(join(ov, UNITS, 'emt-added.service'), '[Service]\nType=oneshot\nExecStart=/bin/true\n');
  await symlink('/etc/systemd/system/emt-added.service', join(ov, UNITS, 'multi-user.target.wants', 'emt-added.service'));
  await writeFile(join(ov, UNITS, 'caddy.service.d', '10-emt.conf'), '[Service]\nUser=root\n');
  // Below the root's lib -> usr/lib and bin -> usr/bin.
  await mkdir(join(ov, 'lib', 'emt'), { recursive: true });
  await writeFile(join(ov, 'lib', 'emt', 'data'), 'data\n');
  await mkdir(join(ov, 'bin'));
  await writeFile(join(ov, 'bin', 'emt-tool'), '#!/bin/sh\n');
  await chmod(join(ov, 'bin', 'emt-tool'), 0o755);

  out = await buildFor('usr/lib/dracut/hooks', 'bootkit');
  manifest = BuildManifestSchema.parse(JSON.parse(await readFile(join(out, 'emt-media.json'), 'utf8')));
  custom = await readFile(join(out, 'boot', 'custom.img'));
});

describe('custom.img for a Bootkit', () => {
  it('holds only the pre-pivot hook in the image\'s hooks dir and the overlay archive, owned by root', () => {
    expect(gzipMemberCount(custom)).toBe(1);
    // No entry for folders the image already has (usr, .../hooks/pre-pivot): an entry would change
    // their mode, or replace a symlink of the same name.
    expect(cpioList(custom).map((e) => `${e.mode} ${e.owner}:${e.group} ${e.path}`)).toEqual([
      'drwxr-xr-x root:root emt-media',
      '-rwxr-xr-x root:root usr/lib/dracut/hooks/pre-pivot/90-emt-media-overlay.sh',
      '-rw------- root:root emt-media/overlay.tar',
    ]);
  });

  it('has a hook that is valid sh, unpacks the archive into $NEWROOT and names the archive\'s hash', async () => {
    const dir = join(lab.root, 'custom');
    await mkdir(dir);
    cpioExtract(custom, dir);
    const hookPath = join(dir, 'usr/lib/dracut/hooks/pre-pivot/90-emt-media-overlay.sh');
    execFileSync('sh', ['-n', hookPath]);
    const hook = await readFile(hookPath, 'utf8');
    const tar = await readFile(join(dir, 'emt-media', 'overlay.tar'));
    expect(hook).toContain('tar -xpf "$emt_overlay" -C "$NEWROOT"');
    expect(hook).toContain('emt_overlay=/emt-media/overlay.tar');
    expect(hook).toContain(`overlay.tar sha256 ${sha256(tar)}`);
    // Sourced by dracut: `exit` would end dracut itself.
    expect(hook).not.toMatch(/\bexit\b/);
  });

  it('puts the overlay into the tar at the paths it lands on in the root, with modes, owned by root', async () => {
    const tar = await overlayTar();
    expect(tarList(tar).map(({ mode, owner, group, path, target }) => `${mode} ${owner}:${group} ${path}${target ? ` -> ${target}` : ''}`).sort()).toEqual(
      [
        'drwxr-xr-x root:root etc/emt-test/',
        '-rw------- root:root etc/emt-test/site.conf',
        'drwxr-xr-x root:root etc/systemd/system/caddy.service.d/',
        '-rw-r--r-- root:root etc/systemd/system/caddy.service.d/10-emt.conf',
        '-rw-r--r-- root:root etc/systemd/system/emt-added.service',
        'lrwxrwxrwx root:root etc/systemd/system/multi-user.target.wants/emt-added.service -> /etc/systemd/system/emt-added.service',
        'lrwxrwxrwx root:root etc/systemd/system/tink-worker.service -> /dev/null',
        '-rwxr-xr-x root:root usr/bin/emt-tool',
        'drwxr-xr-x root:root usr/lib/emt/',
        '-rw-r--r-- root:root usr/lib/emt/data',
      ].sort(),
    );
    expect(manifest.overlay.map((o) => o.path)).toContain('/usr/lib/emt/data');
  });

  it('has no entry at or below a symlink of the root, so unpacking it keeps lib -> usr/lib', async () => {
    const tar = await overlayTar();
    const links = new Set(tarList(execFileSync('gzip', ['-dc'], { input: rootfs })).filter((e) => e.target).map((e) => e.path));
    expect(links).toContain('lib');
    for (const { path } of tarList(tar)) {
      const parts = path.replace(/\/$/, '').split('/');
      for (let i = 1; i < parts.length; i++) expect(links.has(parts.slice(0, i).join('/')), `${path} goes through a link`).toBe(false);
    }
    // What the hook does, done by GNU tar on a real copy of the root.
    const newroot = join(lab.root, 'newroot');
    await mkdir(newroot);
    execFileSync('tar', ['-xzpf', '-', '-C', newroot], { input: rootfs });
    await writeFile(join(lab.root, 'overlay.tar'), tar);
    execFileSync('tar', ['-xpf', join(lab.root, 'overlay.tar'), '-C', newroot]);
    for (const [link, target] of [['lib', 'usr/lib'], ['bin', 'usr/bin']]) {
      expect((await lstat(join(newroot, link!))).isSymbolicLink()).toBe(true);
      expect(await readlink(join(newroot, link!))).toBe(target);
    }
    expect(await readFile(join(newroot, 'lib', 'emt', 'data'), 'utf8')).toBe('data\n');
    expect((await stat(join(newroot, 'etc', 'emt-test', 'site.conf'))).mode & 0o7777).toBe(0o600);
    expect(await readlink(join(newroot, UNITS, 'tink-worker.service'))).toBe('/dev/null');
    // The vendor's own units and links are still there.
    expect(await readlink(join(newroot, UNITS, 'multi-user.target.wants', 'caddy.service'))).toBe('/usr/lib/systemd/system/caddy.service');
  });

  it('puts the hook where a newer dracut keeps its hooks (var/lib/dracut/hooks)', async () => {
    const dir = await buildFor('var/lib/dracut/hooks', 'bootkit-var');
    expect(cpioList(await readFile(join(dir, 'boot', 'custom.img'))).map((e) => e.path)).toEqual([
      'emt-media',
      'var/lib/dracut/hooks/pre-pivot/90-emt-media-overlay.sh',
      'emt-media/overlay.tar',
    ]);
  });

  it('boots with the Bootkit parameters and records the layout', () => {
    expect(manifest.release.layout).toBe('bootkit');
    expect(manifest.kernelCommandLine).toBe('root=tmpfs rootflags=mode=0755 rd.skipfsck noresume modules-load=nbd console=tty0 console=ttyS0,115200 emt.media=none');
  });
});

async function overlayTar(): Promise<Buffer> {
  const dir = await mkdtemp(join(lab.root, 'tar-'));
  cpioExtract(custom, dir);
  return readFile(join(dir, 'emt-media', 'overlay.tar'));
}
