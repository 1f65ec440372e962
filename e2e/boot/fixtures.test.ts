import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { openRandomAccess } from '../../app/formats/byte-source';
import { readPeSignature } from '../../app/kit/pe-signature';
import { assertBooted, bootQemu } from './harness/boot-qemu';
import { loadFixture } from './harness/fixtures';

// The fixture releases that every boot test builds on (scripts/fixtures/README.md): shaped like
// Intel's tarball, and booting to their done markers with the harness.

function listTar(path: string): string[] {
  const r = spawnSync('tar', ['-tzf', path], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  return r.stdout.trim().split('\n').sort();
}

function listInitramfs(path: string): string[] {
  const r = spawnSync('sh', ['-c', 'zcat "$1" | cpio -it --quiet', 'sh', path], { encoding: 'utf8', maxBuffer: 64 << 20 });
  expect(r.status).toBe(0);
  return r.stdout.trim().split('\n');
}

describe('the plain fixture release', () => {
  it('is a tarball with vmlinuz-<kver> and initramfs-<kver>.img at the top, and a Debian-signed kernel', async () => {
    const f = await loadFixture('plain');
    const kver = f.manifest.kernel.version;
    expect(f.manifest.release.file).toMatch(/^emb_uos_x86_64_\d{8}\.tar\.gz$/);
    expect(listTar(f.release)).toEqual([`initramfs-${kver}.img`, `vmlinuz-${kver}`]);
    const ra = await openRandomAccess(f.vmlinuz);
    try {
      const pe = await readPeSignature(ra, f.vmlinuz);
      expect(pe.isSigned).toBe(true);
      expect(pe.signers[0]?.issuer).toBe('Debian Secure Boot CA');
    } finally {
      await ra.close();
    }
    expect(listInitramfs(f.initramfs)).toEqual(expect.arrayContaining(['init', 'bin/busybox', 'lib', 'sbin', 'usr/lib/emt-fixture/emt-check.sh']));
  });

  it('boots to its done marker and reports the paths asked for', async () => {
    const f = await loadFixture('plain');
    const r = await bootQemu({
      name: 'fixture-plain',
      mode: 'direct-kernel',
      kernel: f.vmlinuz,
      initrd: f.initramfs,
      append: `${f.cmdline} emt.check=/init,/lib,/etc,/etc/nothing-here`,
      memoryMiB: 512,
      markers: [
        'EMT-FIXTURE: init',
        'EMT-FIXTURE: cmdline console=ttyS0',
        'EMT-FIXTURE: check /init file 0755 0:0 ',
        'EMT-FIXTURE: check /lib symlink -> usr/lib',
        'EMT-FIXTURE: check /etc dir 0755 0:0',
        'EMT-FIXTURE: check /etc/nothing-here missing',
        'EMT-FIXTURE: done',
      ],
    });
    console.log(`plain fixture: booted to done in ${(r.durationMs / 1000).toFixed(1)} s`);
    assertBooted(r);
    expect(r.exitCode).toBe(0);
  });
});

describe('the Bootkit-shaped fixture release', () => {
  it('carries /rootfs.tar.gz and a 90tmpfsroot mount hook in a dracut initramfs', async () => {
    const f = await loadFixture('bootkit');
    const kver = f.manifest.kernel.version;
    expect(listTar(f.release)).toEqual([`initramfs-${kver}.img`, `vmlinuz-${kver}`]);
    const entries = listInitramfs(f.initramfs);
    expect(entries).toContain('rootfs.tar.gz');
    expect(entries.some((e) => /dracut\/hooks\/mount\/90-tmpfsroot-mount\.sh$/.test(e))).toBe(true);
    const root = listTar(f.rootfs!);
    for (const bin of ['efibootmgr', 'gawk']) expect(root).toContain(`./usr/bin/${bin}`);
    for (const bin of ['parted', 'lvm', 'ifconfig']) expect(root).toContain(`./usr/sbin/${bin}`);
  });

  it('boots into the tmpfs root, runs the four services and the final unit, and shows an unplugged cable', async () => {
    const f = await loadFixture('bootkit');
    const r = await bootQemu({
      name: 'fixture-bootkit',
      mode: 'direct-kernel',
      kernel: f.vmlinuz,
      initrd: f.initramfs,
      append: `${f.cmdline} worker_id=52:54:00:12:34:01 grpc_authority=127.0.0.1:42113 emt.check=/etc/systemd/system/serial-getty@ttyS0.service`,
      nics: [{ mac: '52:54:00:12:34:01' }, { mac: '52:54:00:12:34:02', isLinkUp: false }],
      markers: ['EMT-FIXTURE: tmpfsroot unpacked', 'EMT-FIXTURE: root tmpfs ', 'EMT-FIXTURE: done'],
      timeoutMs: 300_000,
    });
    console.log(`Bootkit fixture: booted to done in ${(r.durationMs / 1000).toFixed(1)} s`);
    assertBooted(r);
    const between = r.log.slice(r.log.indexOf('EMT-FIXTURE: tmpfsroot unpacked'), r.log.indexOf('EMT-FIXTURE: root tmpfs '));
    for (const unit of ['caddy', 'fluent-bit', 'device-discovery', 'tink-worker']) {
      expect(between).toContain(`EMT-FIXTURE: unit ${unit} start`);
    }
    expect(between).toContain('EMT-FIXTURE: caddy user caddy');
    expect(between).toContain('EMT-FIXTURE: caddy file /etc/caddy/Caddyfile missing');
    expect(between).toContain('EMT-FIXTURE: exec /usr/bin/caddy run --environ --config /etc/caddy/Caddyfile');
    expect(between).toContain('EMT-FIXTURE: tink-worker param worker_id=52:54:00:12:34:01');
    expect(between).toContain('EMT-FIXTURE: tink-worker param grpc_authority=127.0.0.1:42113');
    expect(between).toContain('EMT-FIXTURE: tink-worker param tinkerbell_tls=<unset>');
    expect(r.log).toMatch(/EMT-FIXTURE: root tmpfs \S*size=1048576k/);
    expect(r.log).toContain('EMT-FIXTURE: nic eth0 52:54:00:12:34:01 up');
    expect(r.log).toContain('EMT-FIXTURE: nic eth1 52:54:00:12:34:02 down');
    expect(r.log).toContain('EMT-FIXTURE: check /etc/systemd/system/serial-getty@ttyS0.service symlink -> /dev/null');
    expect(r.log).toContain('EMT-FIXTURE: failed-units none');
  });
});
