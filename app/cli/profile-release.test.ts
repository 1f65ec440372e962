import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli';
import type { Finding } from '../contract/build';
import type { TarInput } from '../formats/tar/writer';
import { saveProfile } from '../profile/profile-file';
import { makeCert } from '../profile/testing/pki';
import { emfProfile, standaloneProfile } from '../profile/testing/profiles';
import { recordingIo } from '../release/testing/cli-io';
import { bootkitInitramfs, dummyKernel, INITRAMFS_NAME, KERNEL_NAME, rootfsTarGz, writeReleaseDir } from '../release/testing/synthetic-release';

/**
 * `profile validate/show --release`: the profile checked against what a real (small, synthetic)
 * Bootkit-shaped release has in its root, read the way a build reads it.
 */

const FULL = 'emb_uos_x86_64_20260526';
const NO_PARTED = 'emb_uos_x86_64_20260527';
const NO_DEVICE_DISCOVERY = 'emb_uos_x86_64_20260528';
const EMF_UNITS = ['caddy', 'fluent-bit', 'device-discovery', 'tink-worker'];

let dir: string;

/**
 * A merged-/usr root with everything the standalone installer runs (bash, efibootmgr, gawk, lvm2,
 * net-tools, parted) and the four EMF services enabled, less what a test leaves out.
 */
function bootkitRoot(leaveOut: { parted?: boolean; unit?: string } = {}): TarInput[] {
  const owner = { uid: 0, gid: 0 };
  const d = (path: string): TarInput => ({ type: 'dir', path, mode: 0o755, ...owner });
  const l = (path: string, target: string): TarInput => ({ type: 'symlink', path, target, ...owner });
  const prog = (path: string): TarInput => ({ type: 'file', path, mode: 0o755, data: Buffer.from(`ELF ${path}`), ...owner });
  const units = EMF_UNITS.filter((u) => u !== leaveOut.unit);
  return [
    ...['usr', 'usr/bin', 'usr/sbin', 'usr/lib', 'usr/lib/systemd', 'usr/lib/systemd/system', 'etc', 'etc/systemd', 'etc/systemd/system', 'etc/systemd/system/multi-user.target.wants'].map(d),
    l('bin', 'usr/bin'),
    l('sbin', 'usr/sbin'),
    l('lib', 'usr/lib'),
    ...['usr/bin/bash', 'usr/bin/tar', 'usr/bin/gawk', 'usr/sbin/efibootmgr', 'usr/sbin/lvm', 'usr/sbin/route', 'usr/sbin/ifconfig', 'usr/sbin/partprobe'].map(prog),
    ...['pvcreate', 'pvremove', 'vgcreate', 'vgremove'].map((n) => l(`usr/sbin/${n}`, 'lvm')),
    // parted and partprobe come in one package; a root with only partprobe lacks exactly parted.
    ...(leaveOut.parted ? [] : [prog('usr/sbin/parted')]),
    ...units.map((u): TarInput => ({ type: 'file', path: `usr/lib/systemd/system/${u}.service`, mode: 0o644, data: Buffer.from(`[Unit]\nDescription=${u}\n`), ...owner })),
    ...units.map((u) => l(`etc/systemd/system/multi-user.target.wants/${u}.service`, `/usr/lib/systemd/system/${u}.service`)),
  ];
}

async function release(name: string, root: TarInput[]): Promise<void> {
  const initramfs = await bootkitInitramfs({ rootfs: await rootfsTarGz(root) });
  await writeReleaseDir(join(dir, name), { [KERNEL_NAME]: dummyKernel(), [INITRAMFS_NAME]: initramfs });
}

async function cli(...argv: string[]) {
  const r = recordingIo({ EMT_CACHE_DIR: join(dir, 'cache'), EMT_CONFIG_DIR: join(dir, 'config') }, dir);
  const code = await main(['profile', ...argv], r.io);
  return { code, out: r.out, text: r.text() };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'emt-cli-profile-release-'));
  await release(FULL, bootkitRoot());
  await release(NO_PARTED, bootkitRoot({ parted: true }));
  await release(NO_DEVICE_DISCOVERY, bootkitRoot({ unit: 'device-discovery' }));
  // The stick files the standalone profile names, so that only the release can make it fail.
  const image = join(dir, standaloneProfile().standalone.osImage!.path);
  mkdirSync(join(dir, 'images'));
  writeFileSync(image, gzipSync(Buffer.alloc(4096)));
  writeFileSync(`${image}.sha256sum`, `${'c'.repeat(64)}  ${image.split('/').pop()}\n`);
  await saveProfile(join(dir, 'kiosk.yaml'), standaloneProfile());
  await saveProfile(join(dir, 'site.yaml'), emfProfile(makeCert('Orchestrator CA')));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('emt-media profile validate --release', () => {
  it('names the installer tool the release root lacks, and only that one', async () => {
    const r = await cli('validate', 'kiosk.yaml', '--release', NO_PARTED);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`error E_RELEASE_TOOL_MISSING: ${NO_PARTED} lacks parted (package parted), which the standalone installer runs.`);
    expect(r.out.filter((l) => l.startsWith('error '))).toHaveLength(1);
    expect(r.out.at(-1)).toMatch(new RegExp(`^kiosk\\.yaml with ${NO_PARTED}: 1 error, \\d+ warnings\\.$`));

    const json = await cli('validate', 'kiosk.yaml', '--release', NO_PARTED, '--json');
    const doc = JSON.parse(json.out.join('\n')) as { ok: boolean; release: unknown; findings: Finding[] };
    expect(doc.ok).toBe(false);
    expect(doc.release).toEqual({ name: NO_PARTED, layout: 'bootkit' });
    const missing = doc.findings.filter((f) => f.code === 'E_RELEASE_TOOL_MISSING');
    expect(missing).toHaveLength(1);
    expect(missing[0]!.message).not.toContain('partprobe');
    // The root has no yq; the profile uses no YAML section, so that is only a warning.
    expect(doc.findings.map((f) => f.code)).toContain('W_RELEASE_NO_YQ');
  });

  it('passes the same profile with a release that has every tool, and without a release', async () => {
    const full = await cli('validate', 'kiosk.yaml', '--release', FULL);
    expect(full.code).toBe(0);
    expect(full.out.at(-1)).toMatch(new RegExp(`^kiosk\\.yaml with ${FULL}: 0 errors, \\d+ warnings — ready to build\\.$`));
    const alone = await cli('validate', 'kiosk.yaml');
    expect(alone.code).toBe(0);
    expect(alone.text).not.toContain('W_RELEASE_NO_YQ');
  });

  it('checks an EMF profile for the services EMF needs in the release', async () => {
    expect((await cli('validate', 'site.yaml', '--release', FULL)).code).toBe(0);
    const r = await cli('validate', 'site.yaml', '--release', NO_DEVICE_DISCOVERY);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`error E_RELEASE_UNIT_MISSING: ${NO_DEVICE_DISCOVERY} has no device-discovery.service; EMF onboarding needs it.`);
    expect(r.out.filter((l) => l.startsWith('error '))).toHaveLength(1);
  });

  it('refuses a release that does not exist, with its code', async () => {
    const r = await cli('validate', 'kiosk.yaml', '--release', 'nowhere.tar.gz');
    expect(r.code).toBe(1);
    expect(r.text).toMatch(/^error E_RELEASE_NOT_FOUND: /);
  });
});

describe('emt-media profile show --release', () => {
  it('renders against the release: its name in the summary and the preflight finding in the tally', async () => {
    const r = await cli('show', 'kiosk.yaml', '--release', NO_PARTED);
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe(`Standalone kiosk (standalone installer, profile version 2) with ${NO_PARTED} (bootkit)`);
    expect(r.text).toContain(`the node boots ${NO_PARTED}, which runs install-os.sh`);
    expect(r.out.at(-1)).toMatch(/^\n1 error, \d+ warnings \(run profile validate for the details\)\.$/);

    const json = await cli('show', 'kiosk.yaml', '--release', FULL, '--json');
    const doc = JSON.parse(json.out.join('\n')) as { release: unknown; isRenderable: boolean; overlay: { path: string; target?: string }[] };
    expect(doc.release).toEqual({ name: FULL, layout: 'bootkit' });
    expect(doc.isRenderable).toBe(true);
    expect(doc.overlay).toContainEqual(expect.objectContaining({ path: '/etc/systemd/system/caddy.service', target: '/dev/null' }));
  });
});
