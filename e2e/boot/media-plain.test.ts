import { copyFile, chmod, mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256, sha256File } from '../../app/media/testing/media-oracles';
import { assertBooted, bootQemu, type BootMode } from './harness/boot-qemu';
import { loadFixture, type Fixture } from './harness/fixtures';
import { buildWithCli, fileCheck, type BuiltIso } from './media-support';

// The plain fixture release built by `emt-media build --overlay` boots in the four ways media
// boots (UEFI and BIOS, stick and CD), and the running system has the overlay file with its mode
// and content. A copy of that ISO with custom.img damaged must fail at once, not hang.

const SITE = 'site=lab-7\nrole=edge\n';
const TIMEOUT_MS = 600_000;

let dir: string;
let fixture: Fixture;
let built: BuiltIso;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emt-media-plain-'));
  fixture = await loadFixture('plain');
  const overlay = join(dir, 'overlay');
  await mkdir(join(overlay, 'opt', 'emt-test'), { recursive: true });
  await chmod(join(overlay, 'opt', 'emt-test'), 0o750);
  await writeFile(join(overlay, 'opt', 'emt-test', 'site.conf'), SITE);
  await chmod(join(overlay, 'opt', 'emt-test', 'site.conf'), 0o640);
  built = await buildWithCli(dir, 'plain', ['--release', fixture.release, '--overlay', overlay, '--append', 'emt.check=/opt/emt-test/site.conf,/opt/emt-test panic=-1']);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const markers = () => [
  'EMT-FIXTURE: init',
  'emt.check=/opt/emt-test/site.conf,/opt/emt-test panic=-1 emt.media=none',
  fileCheck('/opt/emt-test/site.conf', 0o640, sha256(SITE)),
  'EMT-FIXTURE: check /opt/emt-test dir 0750 0:0',
  'EMT-FIXTURE: done',
];

describe('plain fixture ISO built by emt-media build', () => {
  it('carries the release kernel and initramfs byte-identical', async () => {
    expect(await sha256File(join(built.files, 'boot', 'vmlinuz'))).toBe(fixture.manifest.vmlinuz.sha256);
    expect(await sha256File(join(built.files, 'boot', 'initrd'))).toBe(fixture.manifest.initramfs.sha256);
    expect(built.manifest.release.kernel.sha256).toBe(fixture.manifest.vmlinuz.sha256);
    expect(built.manifest.release.initramfs.sha256).toBe(fixture.manifest.initramfs.sha256);
  });

  it.each<[string, BootMode]>([
    ['UEFI USB stick', 'uefi-usb'],
    ['UEFI CD', 'uefi-cd'],
    ['BIOS CD', 'bios-cd'],
    ['BIOS disk', 'bios-disk'],
  ])('boots as a %s and the overlay file is there with its mode and content', async (_, mode) => {
    const r = await bootQemu({ name: `media-plain-${mode}`, mode, media: built.iso, markers: markers(), timeoutMs: TIMEOUT_MS });
    console.log(`media plain ${mode}: done in ${(r.durationMs / 1000).toFixed(1)} s`);
    assertBooted(r);
  });

  it('fails fast, with the kernel\'s own message, when custom.img on the ISO is damaged', async () => {
    const custom = await readFile(join(built.files, 'boot', 'custom.img'));
    const broken = join(dir, 'broken.iso');
    await copyFile(built.iso, broken);
    const whole = await readFile(broken);
    const at = whole.indexOf(custom);
    expect(at).toBeGreaterThan(0);
    expect(whole.indexOf(custom, at + 1)).toBe(-1);
    // Keep the gzip header (so the kernel knows the segment) and damage the deflate data after it.
    const damaged = Buffer.from(custom.subarray(12, custom.length - 8).map((b) => b ^ 0x5a));
    const fh = await open(broken, 'r+');
    await fh.write(damaged, 0, damaged.length, at + 12);
    await fh.close();
    const r = await bootQemu({ name: 'media-plain-broken-custom-img', mode: 'bios-cd', media: broken, markers: markers(), timeoutMs: TIMEOUT_MS });
    console.log(`media plain, damaged custom.img: ${r.failure?.kind} after ${(r.durationMs / 1000).toFixed(1)} s`);
    expect(r.isBooted).toBe(false);
    expect(r.failure).toEqual({ kind: 'fatal-pattern', detail: '"Initramfs unpacking failed" on the serial console' });
    expect(r.matched).toEqual([]);
    expect(r.durationMs).toBeLessThan(TIMEOUT_MS / 2);
  });
});
