import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateKit } from '../../app/kit/locate-kit';
import { sha256 } from '../../app/media/testing/media-oracles';
import { assertBooted, bootQemu } from './harness/boot-qemu';
import { loadFixture, type Fixture } from './harness/fixtures';
import { buildWithCli, fileCheck } from './media-support';

// Secure Boot on media built by `emt-media build` from the plain fixture (Debian-signed kernel):
// with the kit's Debian signed chain (--boot-chain) it boots under OVMF with Secure Boot on and
// Microsoft's keys, and the overlay still arrives (initrds are not verified, which is why a
// customization survives Secure Boot); the manifest says `possible`. Built with the kit's unsigned
// GRUB, the firmware refuses it, quickly, and the manifest says `off-required`.

const SITE = 'secure=yes\n';
const TIMEOUT_MS = 600_000;

let dir: string;
let fixture: Fixture;
let overlay: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emt-media-sb-'));
  fixture = await loadFixture('plain');
  overlay = join(dir, 'overlay');
  await mkdir(join(overlay, 'etc', 'emt-test'), { recursive: true });
  await writeFile(join(overlay, 'etc', 'emt-test', 'sb.conf'), SITE);
  await chmod(join(overlay, 'etc', 'emt-test', 'sb.conf'), 0o640);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Secure Boot on built media', () => {
  it('boots with Secure Boot on through the Debian signed chain, overlay included; the manifest says possible', async () => {
    const chain = join((await locateKit()).dir, 'signed-chain-debian');
    const built = await buildWithCli(dir, 'signed', ['--release', fixture.release, '--overlay', overlay, '--boot-chain', chain, '--append', 'emt.check=/etc/emt-test/sb.conf panic=-1']);
    expect(built.manifest.secureBoot.state).toBe('possible');
    expect(built.manifest.secureBoot.explanation).toContain(fixture.manifest.kernel.signers[0]!);
    const r = await bootQemu({
      name: 'media-secureboot-signed-chain',
      mode: 'uefi-secureboot-usb',
      media: built.iso,
      markers: ['Secure boot enabled', 'EMT-FIXTURE: init', fileCheck('/etc/emt-test/sb.conf', 0o640, sha256(SITE)), 'EMT-FIXTURE: done'],
      timeoutMs: TIMEOUT_MS,
    });
    console.log(`media Secure Boot, signed chain: done in ${(r.durationMs / 1000).toFixed(1)} s`);
    assertBooted(r);
  });

  it('is refused by the firmware, fast, when built with the kit\'s unsigned GRUB; the manifest says off-required', async () => {
    const built = await buildWithCli(dir, 'unsigned', ['--release', fixture.release, '--overlay', overlay]);
    expect(built.manifest.secureBoot.state).toBe('off-required');
    const r = await bootQemu({
      name: 'media-secureboot-unsigned-grub',
      mode: 'uefi-secureboot-usb',
      media: built.iso,
      markers: ['Access Denied'],
      failOn: ['EMT-FIXTURE: init', 'Linux version'],
      exitGraceMs: 0,
      timeoutMs: TIMEOUT_MS,
    });
    console.log(`media Secure Boot, unsigned GRUB: refused after ${(r.durationMs / 1000).toFixed(1)} s`);
    assertBooted(r);
    expect(r.durationMs).toBeLessThan(TIMEOUT_MS / 2);
  });
});
