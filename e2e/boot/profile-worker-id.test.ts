import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmfProfile } from '../../app/contract/profile';
import { buildIsoFile } from '../../app/media/build';
import { makeCert } from '../../app/profile/testing/pki';
import { emfProfile } from '../../app/profile/testing/profiles';
import { assertBooted, bootQemu } from './harness/boot-qemu';
import { loadFixture } from './harness/fixtures';

/**
 * docs/worker-id.md, proven on the media we build: an EMF profile with an automatic worker_id, the
 * Bootkit fixture, two NICs of which the first has no cable. The node must choose the second one,
 * and the fixture's device-discovery and tink-worker must read its MAC from /proc/cmdline.
 *
 * What cannot exist here is stood in for by one test unit in an overlay folder: onboarding itself
 * (device-discovery's tokens in /dev/shm) and the DMI UUID that QEMU gives only with -uuid; caddy
 * and fluent-bit need both before tink-worker may start.
 */
const UNPLUGGED = '52:54:00:12:34:01';
const CHOSEN = '52:54:00:12:34:02';

const STAND_IN = `[Unit]
Description=e2e stand-in for onboarding: the tokens device-discovery would leave, and a DMI UUID
After=device-discovery.service
Before=caddy.service fluent-bit.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'for t in idp_access_token release_token project_id; do echo e2e > /dev/shm/$t; done'
ExecStart=/bin/sh -c 'mount -t tmpfs -o size=64k tmpfs /sys/class/dmi/id && echo 6c0ffee0-0000-4000-8000-000000000001 > /sys/class/dmi/id/product_uuid'

[Install]
WantedBy=multi-user.target
`;

let dir: string;
let iso: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emt-worker-id-boot-'));
  const fixture = await loadFixture('bootkit');
  const units = join(dir, 'overlay', 'etc', 'systemd', 'system');
  await mkdir(join(units, 'multi-user.target.wants'), { recursive: true });
  await writeFile(join(units, 'emt-e2e-onboarded.service'), STAND_IN);
  await symlink('/etc/systemd/system/emt-e2e-onboarded.service', join(units, 'multi-user.target.wants', 'emt-e2e-onboarded.service'));
  // No DHCP server answers inside the fixture: a short wait, then the link decides.
  const profile: EmfProfile = emfProfile(makeCert('Orchestrator CA'), { workerId: { mode: 'auto', leaseWaitSeconds: 3 } });
  iso = join(dir, 'emf-auto-worker-id.iso');
  await buildIsoFile({ release: { kind: 'tarball', path: fixture.release }, profile, overlayDir: join(dir, 'overlay'), date: new Date('2026-06-01T00:00:00Z') }, iso);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('automatic worker_id in QEMU', () => {
  it('chooses the NIC with a link and shows its MAC to device-discovery and tink-worker', async () => {
    const r = await bootQemu({
      name: 'profile-worker-id',
      mode: 'bios-cd',
      media: iso,
      nics: [{ mac: UNPLUGGED, isLinkUp: false }, { mac: CHOSEN }],
      markers: [
        'EMT-FIXTURE: tmpfsroot unpacked',
        `emt-worker-id: chose eth1 (${CHOSEN}): link-without-lease`,
        `emt-worker-id: published worker_id=${CHOSEN} in /proc/cmdline`,
        `EMT-FIXTURE: device-discovery param worker_id=${CHOSEN}`,
        'EMT-FIXTURE: caddy user root',
        'EMT-FIXTURE: exec /usr/bin/caddy run --config /etc/caddy/Caddyfile --adapter caddyfile',
        `EMT-FIXTURE: tink-worker param worker_id=${CHOSEN}`,
        'EMT-FIXTURE: failed-units none',
        'EMT-FIXTURE: done',
      ],
      failOn: [/FAILED\] Failed to start/],
      timeoutMs: 600_000,
    });
    console.log(`automatic worker_id: booted to done in ${(r.durationMs / 1000).toFixed(1)} s`);
    assertBooted(r);
    // The kernel command line on the media has no worker_id: the node chose it.
    expect(r.log).not.toMatch(new RegExp(`worker_id=${UNPLUGGED}`));
    expect(r.log).toContain(`EMT-FIXTURE: nic eth0 ${UNPLUGGED} down`);
  });
});
