import { copyFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeKit, SIGNED_CHAIN_DIR } from '../../scripts/kit/kit-maker';
import { readBootChain } from './boot-chain';

// The Debian signed chain made by the kit maker (shim-signed, grub-efi-amd64-signed,
// shim-helpers-amd64-signed), and hand-assembled folders as a user would supply them.
let root: string;
let chain: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'emt-chain-'));
  await makeKit(join(root, 'kit'), { cacheDir: join(root, 'debs') });
  chain = join(root, 'kit', SIGNED_CHAIN_DIR);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function userFolder(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  for (const [to, from] of Object.entries(files)) await copyFile(from, join(dir, to));
  return dir;
}

describe('readBootChain', () => {
  it('reads the Debian signed chain: shim signed by Microsoft, GRUB and MokManager by Debian', async () => {
    const c = await readBootChain(chain);
    expect(c.isSigned).toBe(true);
    expect(c.manifest?.kind).toBe('boot-chain');
    expect(c.shim).toMatchObject({ name: 'BOOTX64.EFI', isSigned: true });
    expect(c.shim.signers.map((s) => s.issuer)).toContain('Microsoft Corporation UEFI CA 2011');
    expect(c.grub).toMatchObject({ name: 'grubx64.efi', isSigned: true, signers: [{ issuer: 'Debian Secure Boot CA' }] });
    expect(c.mokManager).toMatchObject({ name: 'mmx64.efi', isSigned: true });
    expect(c.shim.sha256).toBe(c.manifest?.files.find((f) => f.role === 'shim')?.sha256);
  });

  it('accepts a user folder without a manifest, with names in any case and no MokManager', async () => {
    const dir = await userFolder('lowercase', {
      'bootx64.efi': '/usr/lib/shim/shimx64.efi.signed',
      'GRUBX64.EFI': '/usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed',
    });
    const c = await readBootChain(dir);
    expect(c).toMatchObject({ manifest: null, mokManager: null, isSigned: true });
    expect(c.shim.path).toBe(join(dir, 'bootx64.efi'));
  });

  it('reports an unsigned GRUB, so the media can say Secure Boot must be off', async () => {
    const dir = await userFolder('unsigned-grub', {
      'BOOTX64.EFI': '/usr/lib/shim/shimx64.efi.signed',
      'grubx64.efi': '/usr/lib/grub/x86_64-efi/monolithic/gcdx64.efi',
    });
    const c = await readBootChain(dir);
    expect(c.grub.isSigned).toBe(false);
    expect(c.isSigned).toBe(false);
  });

  it('names the file that is missing', async () => {
    const dir = await userFolder('no-grub', { 'BOOTX64.EFI': '/usr/lib/shim/shimx64.efi.signed' });
    await expect(readBootChain(dir)).rejects.toMatchObject({ code: 'E_BOOT_CHAIN_MISSING', message: expect.stringContaining('grubx64.efi') });
    await expect(readBootChain(join(root, 'nowhere'))).rejects.toMatchObject({ code: 'E_BOOT_CHAIN_MISSING' });
  });

  it('refuses a file that is not an EFI program', async () => {
    const dir = await userFolder('text', { 'BOOTX64.EFI': '/usr/lib/shim/shimx64.efi.signed' });
    await writeFile(join(dir, 'grubx64.efi'), 'set timeout=5\n');
    await expect(readBootChain(dir)).rejects.toMatchObject({ code: 'E_PE_INVALID', message: expect.stringContaining('grubx64.efi') });
  });

  it('refuses a 32-bit EFI program', async () => {
    const dir = await userFolder('ia32', { 'BOOTX64.EFI': '/usr/lib/shim/shimx64.efi.signed' });
    const grub = await readFile('/usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed');
    grub.writeUInt16LE(0x014c, grub.readUInt32LE(0x3c) + 4);
    await writeFile(join(dir, 'grubx64.efi'), grub);
    await expect(readBootChain(dir)).rejects.toMatchObject({ code: 'E_BOOT_CHAIN_ARCH' });
  });

  it('checks the files of a chain that has a manifest', async () => {
    const dir = join(root, 'tampered');
    await cp(chain, dir, { recursive: true });
    await copyFile('/usr/lib/grub/x86_64-efi/monolithic/gcdx64.efi', join(dir, 'grubx64.efi'));
    await expect(readBootChain(dir)).rejects.toMatchObject({ code: 'E_KIT_CORRUPT', details: { file: 'grubx64.efi' } });
  });
});
