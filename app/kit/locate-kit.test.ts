import { cp, mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeKit } from '../../scripts/kit/kit-maker';
import { sha256OfFile } from './kit-manifest';
import { locateKit } from './locate-kit';

// A real kit made by the kit maker from this machine's Debian packages, copied into each place
// locateKit looks, so that every test sees which one won.
let root: string;
let kit: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'emt-kit-'));
  kit = join(root, 'made');
  await makeKit(kit, { cacheDir: join(root, 'debs') });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function copyKit(to: string): Promise<string> {
  await cp(kit, to, { recursive: true });
  return to;
}

describe('locateKit: where it looks', () => {
  it('prefers the setting, then EMT_BOOT_KIT, then the packaged resources, then the checkout', async () => {
    const setting = await copyKit(join(root, 'order', 'setting'));
    const env = await copyKit(join(root, 'order', 'env'));
    const resources = join(root, 'order', 'resources');
    await copyKit(join(resources, 'boot-kit'));
    const repo = join(root, 'order', 'repo');
    await copyKit(join(repo, '.kit'));

    const all = { setting, env: { EMT_BOOT_KIT: env }, resourcesPath: resources, repoRoot: repo };
    expect(await locateKit(all)).toMatchObject({ source: 'setting', dir: setting });
    expect(await locateKit({ ...all, setting: undefined })).toMatchObject({ source: 'env', dir: env });
    expect(await locateKit({ ...all, setting: undefined, env: {} })).toMatchObject({ source: 'packaged', dir: join(resources, 'boot-kit') });
    expect(await locateKit({ env: {}, repoRoot: repo })).toMatchObject({ source: 'checkout', dir: join(repo, '.kit') });
  });

  it('returns the boot files by role, byte-identical to the Debian packages', async () => {
    const k = await locateKit({ setting: kit });
    expect(await sha256OfFile(k.files.uefiGrub)).toBe(await sha256OfFile('/usr/lib/grub/x86_64-efi/monolithic/gcdx64.efi'));
    expect(await sha256OfFile(k.files.isolinuxBin)).toBe(await sha256OfFile('/usr/lib/ISOLINUX/isolinux.bin'));
    expect(await sha256OfFile(k.files.isohdpfxBin)).toBe(await sha256OfFile('/usr/lib/ISOLINUX/isohdpfx.bin'));
    expect(await sha256OfFile(k.files.ldlinuxC32)).toBe(await sha256OfFile('/usr/lib/syslinux/modules/bios/ldlinux.c32'));
    expect(k.manifest.packages.map((p) => p.name)).toEqual(['grub-efi-amd64-bin', 'isolinux', 'syslinux-common']);
  });

  it('the signed chain made beside the kit is not a boot loader kit', async () => {
    await expect(locateKit({ setting: join(kit, 'signed-chain-debian') })).rejects.toMatchObject({ code: 'E_KIT_CORRUPT', message: expect.stringContaining('boot-chain') });
  });
});

describe('locateKit: a missing kit', () => {
  it('in a checkout, names the command that makes it', async () => {
    const repo = join(root, 'empty-repo');
    await mkdir(repo, { recursive: true });
    await expect(locateKit({ env: {}, repoRoot: repo })).rejects.toMatchObject({ code: 'E_KIT_MISSING', hint: expect.stringContaining('npm run kit') });
  });

  it('in the packaged app, says to reinstall and never falls back to a checkout', async () => {
    await copyKit(join(root, 'fallback-repo', '.kit'));
    await expect(locateKit({ env: {}, resourcesPath: join(root, 'no-resources'), repoRoot: join(root, 'fallback-repo') })).rejects.toMatchObject({
      code: 'E_KIT_MISSING',
      hint: expect.stringContaining('Reinstall'),
    });
  });

  it('for EMT_BOOT_KIT pointing at a folder without kit.json, names the variable', async () => {
    await expect(locateKit({ env: { EMT_BOOT_KIT: root } })).rejects.toMatchObject({ code: 'E_KIT_MISSING', message: expect.stringContaining('EMT_BOOT_KIT') });
  });
});

describe('locateKit: a damaged kit', () => {
  it('names the file and both hashes when a byte changed', async () => {
    const dir = await copyKit(join(root, 'flipped'));
    const path = join(dir, 'bios', 'isolinux.bin');
    const bytes = await readFile(path);
    const expected = await sha256OfFile(path);
    bytes[100] = bytes[100]! ^ 0xff;
    await writeFile(path, bytes);
    const actual = await sha256OfFile(path);
    const err = await locateKit({ setting: dir }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_KIT_CORRUPT', details: { file: 'bios/isolinux.bin', expected, actual } });
    expect((err as Error).message).toContain(expected);
    expect((err as Error).message).toContain(actual);
  });

  it('says so when a file is cut short or gone', async () => {
    const dir = await copyKit(join(root, 'cut'));
    await truncate(join(dir, 'efi', 'gcdx64.efi'), 1000);
    await expect(locateKit({ setting: dir })).rejects.toMatchObject({ code: 'E_KIT_CORRUPT', message: expect.stringContaining('1000 bytes') });
    await rm(join(dir, 'efi', 'gcdx64.efi'));
    await expect(locateKit({ setting: dir })).rejects.toMatchObject({ code: 'E_KIT_CORRUPT', message: expect.stringContaining('missing') });
  });

  it('refuses a manifest that leaves the kit folder or lacks a role', async () => {
    const dir = await copyKit(join(root, 'bad-manifest'));
    const manifest = JSON.parse(await readFile(join(dir, 'kit.json'), 'utf8'));
    manifest.files[0].path = '../../etc/passwd';
    await writeFile(join(dir, 'kit.json'), JSON.stringify(manifest));
    await expect(locateKit({ setting: dir })).rejects.toMatchObject({ code: 'E_KIT_CORRUPT', message: expect.stringContaining('files.0.path') });

    manifest.files = manifest.files.slice(1);
    await writeFile(join(dir, 'kit.json'), JSON.stringify(manifest));
    await expect(locateKit({ setting: dir })).rejects.toMatchObject({ code: 'E_KIT_CORRUPT', message: expect.stringContaining('uefi-grub') });

    await writeFile(join(dir, 'kit.json'), '{ not json');
    await expect(locateKit({ setting: dir })).rejects.toMatchObject({ code: 'E_KIT_CORRUPT', message: expect.stringContaining('not valid JSON') });
  });
});
