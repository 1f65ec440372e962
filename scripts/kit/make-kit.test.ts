import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, symlink, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateKit } from '../../app/kit/locate-kit';
import { readBootChain } from '../../app/kit/boot-chain';

// `npm run kit` as a user runs it: the launcher in a child process, on this machine's packages.
const LAUNCHER = resolve(__dirname, 'make-kit.mjs');
const REPO = resolve(__dirname, '../..');
// The .deb cache is the checkout's own (gitignored): the download test fetches each .deb once per machine.
const DEB_CACHE = join(REPO, '.cache', 'debs');

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'emt-make-kit-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function makeKitCli(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(process.execPath, [LAUNCHER, ...args], { cwd: REPO, env, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('npm run kit', () => {
  it('makes a kit that locateKit accepts, and a second run changes nothing', async () => {
    const out = join(root, 'twice');
    const first = makeKitCli(['--out', out, '--cache', join(root, 'debs')]);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/twice: written, 4 files/);
    const manifestBefore = await readFile(join(out, 'kit.json'), 'utf8');
    const mtimes = async () => Promise.all(['kit.json', 'efi/gcdx64.efi', 'signed-chain-debian/kit.json', 'signed-chain-debian/BOOTX64.EFI'].map(async (f) => (await stat(join(out, f))).mtimeMs));
    const before = await mtimes();

    const second = makeKitCli(['--out', out, '--cache', join(root, 'debs')]);
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/twice: up to date/);
    expect(second.stdout).toMatch(/signed-chain-debian: up to date/);
    expect(await readFile(join(out, 'kit.json'), 'utf8')).toBe(manifestBefore);
    expect(await mtimes()).toEqual(before);

    const kit = await locateKit({ setting: out });
    expect(kit.manifest.packages.every((p) => p.source === 'installed')).toBe(true);
    expect((await readBootChain(join(out, 'signed-chain-debian'))).isSigned).toBe(true);
  });

  it('repairs a damaged file on the next run', async () => {
    const out = join(root, 'repair');
    expect(makeKitCli(['--out', out, '--cache', join(root, 'debs')]).status).toBe(0);
    await writeFile(join(out, 'bios', 'ldlinux.c32'), 'damaged');
    await expect(locateKit({ setting: out })).rejects.toMatchObject({ code: 'E_KIT_CORRUPT' });
    const again = makeKitCli(['--out', out, '--cache', join(root, 'debs')]);
    expect(again.stdout).toMatch(/repair: written/);
    await expect(locateKit({ setting: out })).resolves.toMatchObject({ source: 'setting' });
  });

  it('takes the same files from downloaded .debs when asked to (the path for machines without the packages)', async () => {
    const installed = await locateKit({ setting: join(root, 'twice') });
    const out = join(root, 'download');
    const r = makeKitCli(['--out', out, '--cache', DEB_CACHE, '--download']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const kit = await locateKit({ setting: out });
    expect(kit.manifest.packages.map((p) => p.source)).toEqual(['download', 'download', 'download']);
    expect(kit.manifest.files.map((f) => f.sha256)).toEqual(installed.manifest.files.map((f) => f.sha256));
  });

  it('on a machine without dpkg/apt, says how to get a kit instead', async () => {
    // A PATH with node only: dpkg-query and apt-get cannot be found, as on Fedora, macOS or Windows.
    const bin = join(root, 'bin');
    await mkdir(bin, { recursive: true });
    await symlink(process.execPath, join(bin, 'node'));
    const r = makeKitCli(['--out', join(root, 'none')], { PATH: bin, HOME: root });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no dpkg/apt-get');
    expect(r.stderr).toContain('EMT_BOOT_KIT');
    expect(r.stderr).toContain('packaged EMT Media Builder app');
  });
});
