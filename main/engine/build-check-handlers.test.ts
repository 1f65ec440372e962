import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeTestKit } from '../../app/media/testing/media-oracles';
import { stickProfile, writeStandaloneRelease, writeStickInputs } from '../../app/media/testing/standalone-stick';
import { bootkitInitramfs, dummyKernel, INITRAMFS_NAME, KERNEL_NAME, writeReleaseTarball } from '../../app/release/testing/synthetic-release';
import { createEngineHandlers } from '../engine-handlers';
import type { EngineContext } from './context';

// Review's check and the boot chain through the handlers, on the real engine: releases imported
// into a cache in a temp folder, the boot loader kit made from Debian packages.
const dir = mkdtempSync(join(tmpdir(), 'emt-build-check-handlers-'));
const ctx: EngineContext = { env: { ...process.env, EMT_CONFIG_DIR: join(dir, 'config'), EMT_CACHE_DIR: join(dir, 'cache'), EMT_TEST_TARGETS: '' }, cwd: dir, builds: new Map() };
const h = createEngineHandlers(ctx);
const call = { senderId: 'test' };
let n = 0;
const job = () => ({ ...call, jobId: `j${++n}`, signal: new AbortController().signal, progress: () => {} });
let kit: string;

beforeAll(async () => {
  kit = await makeTestKit(dir);
  // The engine finds the kit as the packaged app or a checkout would; here through its variable.
  vi.stubEnv('EMT_BOOT_KIT', kit);
});
afterAll(() => {
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
});

async function imported(name: string, files: Record<string, Buffer>): Promise<string> {
  const tarball = await writeReleaseTarball(join(dir, `${name}.tar.gz`), files, join(dir, `${name}-files`));
  return (await h.releases.import(job(), { path: tarball, mode: 'copy' })).id;
}

describe('build.check through the handlers', () => {
  it('refuses at Review what the build would refuse: a release without the installer tools', async () => {
    const releaseId = await imported('emb_uos_x86_64_20260601', { [KERNEL_NAME]: dummyKernel(), [INITRAMFS_NAME]: await bootkitInitramfs() });
    const site = join(dir, 'site-a');
    await writeStickInputs(site);
    const draft = stickProfile();
    // Checked as the user types, without the release, the profile is fine.
    expect((await h.profiles.check(call, draft, join(site, 'site.yaml'))).findings.filter((f) => f.severity === 'error')).toEqual([]);
    const check = await h.build.check(job(), { releaseId, profile: draft, profilePath: join(site, 'site.yaml') });
    expect(check.release.layout).toBe('bootkit');
    expect(check.findings.filter((f) => f.code === 'E_RELEASE_TOOL_MISSING').length).toBeGreaterThanOrEqual(3);
    expect(check.media).toEqual({ isoBytes: null, stickMinBytes: null });
  });

  it('passes a release that has them, gives the sizes, and keeps the release prepared for the build', async () => {
    const from = await writeStandaloneRelease(join(dir, 'full'));
    const files = Object.fromEntries(readdirSync(from).map((f) => [f, readFileSync(join(from, f))]));
    const releaseId = await imported('emb_uos_x86_64_20260602', files);
    const site = join(dir, 'site-b');
    await writeStickInputs(site);
    const profilePath = join(site, 'site.yaml');
    const check = await h.build.check(job(), { releaseId, profile: stickProfile(), profilePath, bootChainDir: join(kit, 'signed-chain-debian') });
    expect(check.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(check.media.stickMinBytes).toBeGreaterThan(check.media.isoBytes!);
    expect(check.bootChain?.files.map((f) => f.name)).toEqual(['BOOTX64.EFI', 'grubx64.efi', 'mmx64.efi']);
    expect(existsSync(join(dir, 'cache', 'prepared'))).toBe(true);
    const built = await h.build.run(job(), { releaseId, profile: stickProfile(), profilePath, output: join(site, 'site.iso'), password: 'pw-Long-enough-1', bootChainDir: join(kit, 'signed-chain-debian') });
    expect(built.size).toBe(check.media.isoBytes);
    expect(built.manifest.secureBoot).toEqual(check.secureBoot);
  });

  it('reads a boot chain folder, and names what is missing in one', async () => {
    const info = await h.build.bootChain(call, join(kit, 'signed-chain-debian'));
    expect(info.isSigned).toBe(true);
    expect(info.files.every((f) => f.isSigned && f.signers.length > 0)).toBe(true);
    await expect(h.build.bootChain(call, join(kit, 'efi'))).rejects.toMatchObject({ code: 'E_BOOT_CHAIN_MISSING' });
  });
});
