import { copyFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BuildInput } from './build';
import { buildIsoFile, prepareBuild } from './build';
import { checkBuild } from './build-check';
import { planStandaloneStick } from './stick-layout';
import { SecretText } from '../profile/secrets';
import { makeCert } from '../profile/testing/pki';
import { emfProfile } from '../profile/testing/profiles';
import { validateProfile } from '../profile/validate';
import { bootkitInitramfs, INITRAMFS_NAME, KERNEL_NAME, plainInitramfs, writeReleaseDir, dummyKernel } from '../release/testing/synthetic-release';
import { useMediaLab } from './testing/media-oracles';
import { stickProfile, writeStandaloneRelease, writeStickInputs } from './testing/standalone-stick';

// The check before a build, on real (small, synthetic) releases read the way a build reads them.

const lab = useMediaLab('emt-build-check-');
let chain: string;
const date = new Date('2026-05-26T10:00:00Z');

beforeAll(async () => {
  chain = join(lab.kit, 'signed-chain-debian');
});

const dirRelease = (path: string): BuildInput['release'] => ({ kind: 'directory', path });

describe('checkBuild', () => {
  it('lays the EMF media out exactly as the build then writes it: same size, same findings, Secure Boot off with the kit', async () => {
    const release = await writeReleaseDir(join(lab.root, 'plain'), { [KERNEL_NAME]: dummyKernel(), [INITRAMFS_NAME]: await plainInitramfs() });
    const input: BuildInput = { release: dirRelease(release), kitDir: lab.kit, profile: emfProfile(makeCert('Lab CA')), date, cacheDir: join(lab.root, 'cache') };
    const check = await checkBuild(input);
    const built = await buildIsoFile(input, join(lab.root, 'emf.iso'));
    expect(check.media).toEqual({ isoBytes: built.size, stickMinBytes: null });
    expect(check.media.isoBytes).toBe((await stat(join(lab.root, 'emf.iso'))).size);
    expect(check.findings).toEqual(built.findings);
    expect(check.release).toEqual({ name: 'plain', layout: 'plain' });
    expect(check.secureBoot.state).toBe('off-required');
    expect(check.bootChain).toBeNull();
  });

  it('says Secure Boot may stay on with the signed chain and a signed kernel, and lists who signed each file', async () => {
    // A kernel is a PE file like any EFI program: Debian's signed GRUB stands in for a signed kernel.
    const release = await writeReleaseDir(join(lab.root, 'signed'), { [INITRAMFS_NAME]: await plainInitramfs() });
    await copyFile(join(chain, 'grubx64.efi'), join(release, KERNEL_NAME));
    const check = await checkBuild({ release: dirRelease(release), kitDir: lab.kit, bootChainDir: chain, date });
    expect(check.secureBoot.state).toBe('possible');
    expect(check.secureBoot.explanation).toContain('Debian Secure Boot Signer');
    expect(check.bootChain!.isSigned).toBe(true);
    expect(check.bootChain!.files.map((f) => [f.name, f.isSigned])).toEqual([
      ['BOOTX64.EFI', true],
      ['grubx64.efi', true],
      ['mmx64.efi', true],
    ]);
    expect(check.bootChain!.files[1]!.signers[0]!.subject).toMatch(/Debian Secure Boot Signer/);
    expect(check.bootChain!.packages.map((p) => p.name)).toContain('shim-signed');
  });

  it('finds what only the release can tell: installer tools it lacks are errors, and nothing is laid out', async () => {
    // The default synthetic Bootkit root has gawk, efibootmgr and lvm but no bash, parted or net-tools.
    const release = await writeReleaseDir(join(lab.root, 'no-tools'), { [KERNEL_NAME]: dummyKernel(), [INITRAMFS_NAME]: await bootkitInitramfs() });
    const dir = join(lab.root, 'no-tools-site');
    await writeStickInputs(dir);
    const profile = stickProfile();
    expect(validateProfile(profile).filter((f) => f.severity === 'error')).toEqual([]);
    const check = await checkBuild({ release: dirRelease(release), kitDir: lab.kit, profile, profileDir: dir, date });
    const missing = check.findings.filter((f) => f.code === 'E_RELEASE_TOOL_MISSING').map((f) => f.message);
    expect(missing).toEqual(expect.arrayContaining([expect.stringContaining('parted'), expect.stringContaining('route, ifconfig'), expect.stringContaining('bash')]));
    expect(check.media).toEqual({ isoBytes: null, stickMinBytes: null });
    // The build refuses the same profile on the same release.
    await expect(prepareBuild({ release: dirRelease(release), kitDir: lab.kit, profile, profileDir: dir, password: new SecretText('pw-Long-enough-1'), date })).rejects.toMatchObject({ code: 'E_PROFILE_INVALID' });
  });

  it('gives the smallest stick the standalone layout fits on, and the layout agrees to the byte', async () => {
    const release = await writeStandaloneRelease(join(lab.root, 'standalone'));
    const dir = join(lab.root, 'standalone-site');
    await writeStickInputs(dir, 4 << 20);
    const input: BuildInput = { release: dirRelease(release), kitDir: lab.kit, profile: stickProfile(), profileDir: dir, date };
    const check = await checkBuild(input);
    expect(check.findings.filter((f) => f.severity === 'error')).toEqual([]);
    const min = check.media.stickMinBytes!;
    expect(min).toBeGreaterThan(check.media.isoBytes!);
    const prepared = await prepareBuild({ ...input, password: new SecretText('pw-Long-enough-1') });
    try {
      const stick = prepared.rendered!.stick!;
      await expect(planStandaloneStick(prepared.plan.iso, stick, min, 'seed', date)).resolves.toBeDefined();
      await expect(planStandaloneStick(prepared.plan.iso, stick, min - 512, 'seed', date)).rejects.toMatchObject({ code: 'E_STICK_TOO_SMALL' });
    } finally {
      await prepared.dispose();
    }
  });

  it('reports a missing OS image of a standalone profile, as the build would refuse it', async () => {
    const release = await writeStandaloneRelease(join(lab.root, 'standalone-2'));
    const check = await checkBuild({ release: dirRelease(release), kitDir: lab.kit, profile: stickProfile(), profileDir: join(lab.root, 'nowhere'), date });
    expect(check.findings.map((f) => f.code)).toContain('E_OS_IMAGE_NOT_FOUND');
    expect(check.media.isoBytes).toBeNull();
  });
});
