import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BuildManifestSchema, type BuildManifest } from '../contract/build';
import { dummyKernel, INITRAMFS_NAME, KERNEL_NAME, plainInitramfs, writeReleaseDir } from '../release/testing/synthetic-release';
import { extractIso, runCli, sha256, sha256File, useMediaLab } from './testing/media-oracles';

// --boot-chain: the user's shim chain replaces the kit's GRUB in the ESP under shim's own file names,
// and the manifest says whether Secure Boot may stay on. The dummy kernel here is not even a PE file
// (like a kernel built without the EFI stub), so even the Debian-signed chain gives `off-required`;
// the signed fixture kernel's `possible` is proven by a real Secure Boot boot in
// e2e/boot/media-secure-boot.test.ts.

const lab = useMediaLab('emt-boot-chain-');
let release: string;

beforeAll(async () => {
  release = await writeReleaseDir(join(lab.root, 'release'), { [KERNEL_NAME]: dummyKernel(), [INITRAMFS_NAME]: await plainInitramfs() });
});

async function build(name: string, chain: string | null): Promise<{ manifest: BuildManifest; esp: string }> {
  const iso = join(lab.root, `${name}.iso`);
  const r = await runCli(['build', '--release', release, '--out', iso, '--kit', lab.kit, ...(chain ? ['--boot-chain', chain] : [])], lab.root);
  expect(r.err).toBe('');
  const dir = join(lab.root, name);
  extractIso(iso, dir);
  return { manifest: BuildManifestSchema.parse(JSON.parse(await readFile(join(dir, 'emt-media.json'), 'utf8'))), esp: join(dir, 'boot', 'efi.img') };
}

const espFile = (esp: string, path: string) => sha256(execFileSync('mtype', ['-i', esp, `::/${path}`], { maxBuffer: 16 << 20 }));
const espNames = (esp: string) => execFileSync('mdir', ['-b', '-i', esp, '::/EFI/BOOT'], { encoding: 'utf8' }).split('\n').filter(Boolean).map((l) => l.replace('::/EFI/BOOT/', '')).sort();

describe('the boot chain on the media', () => {
  it('puts the signed chain into the ESP under shim\'s names, and asks for Secure Boot off with an unsigned kernel', async () => {
    const chain = join(lab.kit, 'signed-chain-debian');
    const { manifest, esp } = await build('signed-chain', chain);
    execFileSync('fsck.fat', ['-n', esp]);
    expect(espNames(esp)).toEqual(['BOOTX64.EFI', 'grubx64.efi', 'mmx64.efi']);
    for (const name of ['BOOTX64.EFI', 'grubx64.efi', 'mmx64.efi']) expect(espFile(esp, `EFI/BOOT/${name}`)).toBe(await sha256File(join(chain, name)));
    expect(manifest.secureBoot.state).toBe('off-required');
    expect(manifest.secureBoot.explanation).toContain('the release kernel is not');
    expect(manifest.secureBoot.bootChain!.files.map((f) => [f.name, f.isSigned])).toEqual([
      ['BOOTX64.EFI', true],
      ['grubx64.efi', true],
      ['mmx64.efi', true],
    ]);
    expect(manifest.bootLoader.kit).toBe('user boot chain');
  });

  it('names the unsigned file of a chain that is not signed', async () => {
    const chain = join(lab.root, 'unsigned-chain');
    await mkdir(chain);
    await copyFile(join(lab.kit, 'signed-chain-debian', 'BOOTX64.EFI'), join(chain, 'BOOTX64.EFI'));
    await copyFile(join(lab.kit, 'efi', 'gcdx64.efi'), join(chain, 'grubx64.efi'));
    const { manifest, esp } = await build('unsigned-chain', chain);
    expect(espNames(esp)).toEqual(['BOOTX64.EFI', 'grubx64.efi']);
    expect(manifest.secureBoot).toMatchObject({ state: 'off-required', explanation: expect.stringContaining('grubx64.efi is not signed') });
  });

  it('with the kit alone, has the unsigned GRUB as BOOTX64.EFI and says Secure Boot must be off', async () => {
    const { manifest, esp } = await build('kit-only', null);
    expect(espNames(esp)).toEqual(['BOOTX64.EFI']);
    expect(espFile(esp, 'EFI/BOOT/BOOTX64.EFI')).toBe(await sha256File(join(lab.kit, 'efi', 'gcdx64.efi')));
    expect(manifest.secureBoot).toEqual({ state: 'off-required', explanation: expect.stringContaining('unsigned GRUB') });
  });
});
