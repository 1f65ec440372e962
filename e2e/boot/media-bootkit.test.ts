import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256, sha256File } from '../../app/media/testing/media-oracles';
import { inspectRelease } from '../../app/release/inspect-release';
import { openRelease } from '../../app/release/read-release';
import { assertBooted, bootQemu } from './harness/boot-qemu';
import { loadFixture, type Fixture } from './harness/fixtures';
import { buildWithCli, fileCheck, type BuiltIso } from './media-support';

// The Bootkit fixture (real dracut, rootfs.tar.gz unpacked into a tmpfs by a mount hook) built with
// an overlay folder by `emt-media build`, booted once as a UEFI stick: our pre-pivot hook must put
// the overlay into the running root after the vendor root is unpacked, with its modes; a masked
// vendor unit must not start while the other three do; an added unit runs; a drop-in takes effect;
// /lib stays the base's symlink although the overlay has files under /lib.

const UNITS = 'etc/systemd/system';
const SITE = 'site=lab-7\n';
const MARKER = 'landed through /lib -> usr/lib\n';
const ADDED_UNIT = `[Unit]
Description=EMT e2e: a unit the overlay adds

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'echo "EMT-E2E: added unit ran as $(id -un)"'
StandardOutput=tty
TTYPath=/dev/console

[Install]
WantedBy=multi-user.target
`;

let dir: string;
let fixture: Fixture;
let built: BuiltIso;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emt-media-bootkit-'));
  fixture = await loadFixture('bootkit');
  const ov = join(dir, 'overlay');
  await mkdir(join(ov, 'etc', 'emt-test'), { recursive: true });
  await writeFile(join(ov, 'etc', 'emt-test', 'site.conf'), SITE);
  await chmod(join(ov, 'etc', 'emt-test', 'site.conf'), 0o600);
  await mkdir(join(ov, UNITS, 'multi-user.target.wants'), { recursive: true });
  await symlink('/dev/null', join(ov, UNITS, 'fluent-bit.service'));
  await writeFile(join(ov, UNITS, 'emt-e2e-added.service'), ADDED_UNIT);
  await symlink('/etc/systemd/system/emt-e2e-added.service', join(ov, UNITS, 'multi-user.target.wants', 'emt-e2e-added.service'));
  await mkdir(join(ov, UNITS, 'caddy.service.d'));
  await writeFile(join(ov, UNITS, 'caddy.service.d', '10-emt-e2e.conf'), '[Service]\nEnvironment=EMT_DROPIN=from-overlay\n');
  await mkdir(join(ov, 'lib', 'emt-e2e'), { recursive: true });
  await writeFile(join(ov, 'lib', 'emt-e2e', 'marker'), MARKER);
  const checks = ['/etc/emt-test/site.conf', '/lib', '/usr/lib/emt-e2e/marker', '/etc/systemd/system/fluent-bit.service'];
  built = await buildWithCli(dir, 'bootkit', ['--release', fixture.release, '--overlay', ov, '--append', `emt.check=${checks.join(',')} panic=-1`]);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Bootkit fixture: the release as the inspector sees it', () => {
  it('is a Bootkit whose hooks dir, tmpfs, base links, units and programs are read from the image', async () => {
    const files = await openRelease({ kind: 'directory', path: fixture.dir }, { workDir: join(dir, 'inspect') });
    const r = await inspectRelease(files);
    expect(r.layout).toBe('bootkit');
    expect(r.initramfs).toMatchObject({ hooksDir: '/usr/lib/dracut/hooks', tmpfsHook: '/usr/lib/dracut/hooks/mount/90-tmpfsroot-mount.sh', tmpfsBytes: 2 ** 30, hasTar: true });
    expect(r.initramfs.base.symlinks.get('/lib')).toBe('usr/lib');
    const root = r.rootfs!;
    expect(root.base.symlinks.get('/lib')).toBe('usr/lib');
    const unit = (name: string) => root.units.find((u) => u.name === name);
    for (const name of ['caddy', 'fluent-bit', 'device-discovery', 'tink-worker']) expect(unit(`${name}.service`)).toMatchObject({ wantedBy: ['multi-user.target'], isMasked: false });
    expect(unit('serial-getty@ttyS0.service')).toMatchObject({ isMasked: true });
    expect(root.binaries).toEqual(expect.arrayContaining(['efibootmgr', 'gawk', 'lvm', 'ifconfig', 'parted', 'tar']));
    // The root fits its 1 GiB tmpfs with room to spare.
    expect(root.unpackedBytes).toBeGreaterThan(20 << 20);
    expect(root.unpackedBytes).toBeLessThan(512 << 20);
    expect(r.findings).toEqual([]);
  });
});

describe('Bootkit fixture ISO with an overlay', () => {
  it('carries the release kernel and initramfs byte-identical', async () => {
    expect(await sha256File(join(built.files, 'boot', 'vmlinuz'))).toBe(fixture.manifest.vmlinuz.sha256);
    expect(await sha256File(join(built.files, 'boot', 'initrd'))).toBe(fixture.manifest.initramfs.sha256);
  });

  it('boots as a UEFI stick into a root with the overlay applied: mode, masked, added and drop-in units, /lib kept', async () => {
    const r = await bootQemu({
      name: 'media-bootkit-uefi-usb',
      mode: 'uefi-usb',
      media: built.iso,
      markers: [
        'EMT-FIXTURE: tmpfsroot unpacked',
        'emt-media: overlay applied to',
        'EMT-FIXTURE: root tmpfs',
        fileCheck('/etc/emt-test/site.conf', 0o600, sha256(SITE)),
        'EMT-FIXTURE: check /lib symlink -> usr/lib',
        fileCheck('/usr/lib/emt-e2e/marker', 0o644, sha256(MARKER)),
        'EMT-FIXTURE: check /etc/systemd/system/fluent-bit.service symlink -> /dev/null',
        'EMT-FIXTURE: failed-units none',
        'EMT-FIXTURE: done',
      ],
      failOn: ['EMT-FIXTURE: unit fluent-bit start', /FAILED\] Failed to start/],
      memoryMiB: 1536,
      timeoutMs: 600_000,
    });
    console.log(`media bootkit uefi-usb: done in ${(r.durationMs / 1000).toFixed(1)} s`);
    assertBooted(r);
    const beforeDone = r.log.slice(0, r.log.indexOf('EMT-FIXTURE: root tmpfs'));
    for (const unit of ['caddy', 'device-discovery', 'tink-worker']) expect(beforeDone).toContain(`EMT-FIXTURE: unit ${unit} start`);
    expect(r.log).not.toContain('EMT-FIXTURE: unit fluent-bit start');
    expect(beforeDone).toContain('EMT-E2E: added unit ran as root');
    expect(r.log).toContain('EMT-FIXTURE: caddy env EMT_DROPIN=from-overlay');
    expect(r.log).toContain('EMT-FIXTURE: tink-worker env EMT_DROPIN=<unset>');
  });
});
