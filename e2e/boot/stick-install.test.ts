import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WriteResult } from '../../app/contract/drives';
import { LoopLab } from '../../app/flash/testing/loops';
import { OS_IMAGE_NAME, readRange } from '../../app/media/testing/standalone-stick';
import { bundleWriter } from '../../app/writer/bundle';
import { assertBooted, bootQemu } from './harness/boot-qemu';
import { loadFixture, type Fixture } from './harness/fixtures';
import { emtMedia, jsonOf, ownFolders, PASSWORD, PASSWORD_ENV, standaloneWorkspace, type StandaloneWorkspace } from './stick-support';

/**
 * The standalone install end to end: `emt-media build --target` writes the stick layout onto a loop
 * device, which boots the Bootkit fixture as a UEFI USB stick with a blank NVMe disk beside it. The
 * profile's installer applies the upstream installer's stick rule (reference/emt-upstream.md §3.3:
 * the disk with exactly seven partitions, *.raw.gz on p5, config-file and .psswd on p6, user-apps
 * on p7), checks the image against its .sha256sum and runs `gzip -dc <image> | dd of=<disk>`. The
 * fixture's kernel has no USB host driver, so the stick is attached a second time as a virtio disk
 * for the installer to find. After QEMU ends, the NVMe disk's bytes must be the OS image's.
 */

const MiB = 2 ** 20;
const MARK = 'EMT-E2E-INSTALL:';

const INSTALL_OS = `#!/bin/bash
# e2e stand-in for EMT-S install-os.sh: finds the stick by upstream's rule, checks what it carries,
# writes the OS image to the node's disk. Reports on the console, as the test reads the serial line.
exec >/dev/console 2>&1
say() { echo "${MARK} $*"; }
# The reason first: the test stops reading the console at FAILED.
fail() { say "error: $*"; say FAILED; exit 1; }
part() { case $1 in *[0-9]) echo "/dev/\${1}p$2" ;; *) echo "/dev/$1$2" ;; esac; }
say start

# Upstream takes the USB disk with exactly 7 partitions; this kernel sees no USB, so: any disk.
stick=""
for d in /sys/block/*; do
  name=\${d##*/}
  case $name in loop* | ram* | sr* | nbd*) continue ;; esac
  count=0
  for p in "$d/$name"*; do [ -e "$p" ] && count=$((count + 1)); done
  say "disk $name partitions $count"
  if [ "$count" -eq 7 ]; then
    [ -z "$stick" ] || fail "two disks with 7 partitions: $stick $name"
    stick=$name
  fi
done
[ -n "$stick" ] || fail "no disk with exactly 7 partitions"
say "stick $stick"

mkdir -p /run/stick/os /run/stick/config /run/stick/apps
mount -o ro "$(part "$stick" 5)" /run/stick/os || fail "mount p5"
image=$(ls /run/stick/os/*.raw.gz 2>/dev/null | head -n 1)
[ -n "$image" ] || fail "no *.raw.gz on p5"
say "p5 $(basename "$image")"
(cd /run/stick/os && sha256sum --check --status "$(basename "$image").sha256sum") || fail "p5 sha256 mismatch"
say "p5 sha256 ok"

mount -o ro "$(part "$stick" 6)" /run/stick/config || fail "mount p6"
[ -f /run/stick/config/config-file ] || fail "no config-file on p6"
[ -f /run/stick/config/.psswd ] || fail "no .psswd on p6"
say "p6 config-file $(grep '^user_name=' /run/stick/config/config-file)"
password=$(grep '^passwd=' /run/stick/config/.psswd | cut -d '=' -f 2-)
say "p6 .psswd sha256 $(printf '%s' "$password" | sha256sum | cut -d ' ' -f 1)"

mount -o ro "$(part "$stick" 7)" /run/stick/apps || fail "mount p7"
[ -d /run/stick/apps/user-apps ] || fail "no user-apps on p7"
say "p7 user-apps $(cd /run/stick/apps && find user-apps -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d ' ' -f 1)"

# Upstream picks the SATA/NVMe disks; this node has one, blank.
target=$(cd /sys/block && ls -d nvme* 2>/dev/null | head -n 1)
[ -n "$target" ] || fail "no NVMe disk"
say "target /dev/$target"
gzip -dc "$image" | dd of="/dev/$target" bs=4M conv=fsync status=none || fail "writing /dev/$target"
sync
bytes=$(gzip -dc "$image" | wc -c)
say "written $bytes bytes"
say "target sha256 $(head -c "$bytes" "/dev/$target" | sha256sum | cut -d ' ' -f 1)"
say done
`;

/**
 * start-provision.service is Type=simple: the fixture's final unit (after multi-user.target) would
 * power the node off while the image is still being written. It waits for the installer instead.
 */
const WAIT_FOR_INSTALLER = `[Service]
ExecStartPre=/bin/sh -c 'while systemctl is-active --quiet start-provision.service; do sleep 1; done'
`;

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

const lab = new LoopLab('stick-install-');
let fixture: Fixture;
let ws: StandaloneWorkspace;
let stick: string;

beforeAll(async () => {
  fixture = await loadFixture('bootkit');
  ws = await standaloneWorkspace(lab.dir, { name: 'node', files: { 'install-os.sh': INSTALL_OS }, rawBytes: 6 * MiB });
  const dropIns = join(lab.dir, 'stand-in', 'etc', 'systemd', 'system', 'emt-fixture-done.service.d');
  mkdirSync(dropIns, { recursive: true });
  writeFileSync(join(dropIns, 'wait-for-installer.conf'), WAIT_FOR_INSTALLER);

  stick = lab.loop('stick.img', 1624 * MiB).dev;
  const run = await emtMedia(
    ['build', '--release', fixture.release, '--profile', ws.profile, '--password-env', PASSWORD_ENV, '--overlay', 'stand-in', '--append', 'modules-load=vfat,nls_cp437,nls_ascii,nls_utf8', '--target', stick, '--yes', '--json'],
    { cwd: lab.dir, env: { ...ownFolders(lab.dir), EMT_WRITER: await bundleWriter(join(lab.dir, 'writer.cjs')), EMT_TEST_TARGETS: stick, [PASSWORD_ENV]: PASSWORD } },
  );
  expect(run.code, run.stderr).toBe(0);
  expect(jsonOf<WriteResult>(run, 'build --target').targets[0]).toMatchObject({ ok: true, isVerified: true });
}, 600_000);

afterAll(() => lab.cleanup());

describe('the standalone stick installs the OS image', () => {
  it('boots as a UEFI USB stick; the installer finds it by its seven partitions and leaves the OS image on the blank NVMe disk', async () => {
    const disk = lab.file('node-disk.img', 16 * MiB, 0);
    const appsDigest = sha256(
      Object.keys(ws.apps)
        .sort()
        .map((p) => `${sha256(ws.apps[p]!)}  ${p}\n`)
        .join(''),
    );
    const r = await bootQemu({
      name: 'stick-install-uefi-usb',
      mode: 'uefi-usb',
      media: stick,
      drives: [
        { file: stick, interface: 'virtio', isSnapshot: true },
        { file: disk, interface: 'nvme' },
      ],
      markers: [
        'EMT-FIXTURE: tmpfsroot unpacked',
        'emt-media: overlay applied',
        `${MARK} start`,
        `${MARK} stick vda`,
        `${MARK} p5 ${OS_IMAGE_NAME}`,
        `${MARK} p5 sha256 ok`,
        `${MARK} p6 config-file user_name="tech"`,
        `${MARK} p6 .psswd sha256 ${sha256(PASSWORD)}`,
        `${MARK} p7 user-apps ${appsDigest}`,
        `${MARK} target /dev/nvme0n1`,
        `${MARK} written ${ws.raw.length} bytes`,
        `${MARK} target sha256 ${sha256(ws.raw)}`,
        `${MARK} done`,
        'EMT-FIXTURE: failed-units none',
        'EMT-FIXTURE: done',
      ],
      failOn: [`${MARK} FAILED`, /FAILED\] Failed to start/],
      timeoutMs: 600_000,
    });
    console.log(`standalone stick install, UEFI USB: booted to done in ${(r.durationMs / 1000).toFixed(1)} s`);
    assertBooted(r);
    // The firmware started the USB stick, not its virtio copy.
    expect(r.log).toMatch(/BdsDxe: starting Boot\d+ "UEFI QEMU QEMU USB HARDDRIVE/);
    expect(r.log.match(/BdsDxe: starting/g)).toHaveLength(1);
    // Only the stick has seven partitions; the node's disk has none.
    expect(r.log).toContain(`${MARK} disk vda partitions 7`);
    expect(r.log).toContain(`${MARK} disk nvme0n1 partitions 0`);

    // In the host, after QEMU ended: the disk holds the OS image, and nothing past it.
    expect(readRange(disk, 0, ws.raw.length).equals(ws.raw)).toBe(true);
    expect(readRange(disk, ws.raw.length, 16 * MiB - ws.raw.length).every((b) => b === 0)).toBe(true);
  }, 700_000);
});
