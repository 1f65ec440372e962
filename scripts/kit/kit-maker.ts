import { copyFile, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KIT_MANIFEST_NAME, KIT_SCHEMA_VERSION, readKitManifest, sha256OfFile, type KitFile, type KitManifest, type KitPackage, type KitRole } from '../../app/kit/kit-manifest';
import { DebianToolsMissing, hasDebianTools, obtainPackages, type DebPackage } from './debian-packages';

/**
 * `npm run kit`: the boot loader kit (`.kit/`) and the Debian signed chain for the Secure Boot
 * tests (`.kit/signed-chain-debian/`), copied out of Debian packages with a kit.json that records
 * each package's version and each file's sha256. Never committed; safe to run again (a kit that
 * is already right is left untouched, a damaged file is replaced).
 */

export interface KitEntry {
  role: KitRole;
  package: string;
  /** Absolute path inside the package. */
  from: string;
  /** Path inside the kit folder. */
  to: string;
  isOptional?: boolean;
}

// Paths: reference/iso-boot-formats.md §3.6 (Debian bookworm packages).
export const BOOT_KIT: readonly KitEntry[] = [
  { role: 'uefi-grub', package: 'grub-efi-amd64-bin', from: '/usr/lib/grub/x86_64-efi/monolithic/gcdx64.efi', to: 'efi/gcdx64.efi' },
  { role: 'bios-isolinux', package: 'isolinux', from: '/usr/lib/ISOLINUX/isolinux.bin', to: 'bios/isolinux.bin' },
  { role: 'bios-hybrid-mbr', package: 'isolinux', from: '/usr/lib/ISOLINUX/isohdpfx.bin', to: 'bios/isohdpfx.bin' },
  { role: 'bios-ldlinux', package: 'syslinux-common', from: '/usr/lib/syslinux/modules/bios/ldlinux.c32', to: 'bios/ldlinux.c32' },
];

// Shim loads grubx64.efi and mmx64.efi from its own folder, so the chain uses those names.
export const DEBIAN_SIGNED_CHAIN: readonly KitEntry[] = [
  { role: 'shim', package: 'shim-signed', from: '/usr/lib/shim/shimx64.efi.signed', to: 'BOOTX64.EFI' },
  { role: 'grub', package: 'grub-efi-amd64-signed', from: '/usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed', to: 'grubx64.efi' },
  { role: 'mok-manager', package: 'shim-helpers-amd64-signed', from: '/usr/lib/shim/mmx64.efi.signed', to: 'mmx64.efi', isOptional: true },
];

export const SIGNED_CHAIN_DIR = 'signed-chain-debian';

export interface MakeOptions {
  cacheDir: string;
  /** Take every file from downloaded .debs even when the package is installed. */
  preferDownload?: boolean;
  log?: (line: string) => void;
}

export interface FolderResult {
  dir: string;
  manifest: KitManifest;
  /** False when the folder was already right and nothing was written. */
  isChanged: boolean;
  skipped: string[];
}

export async function makeKitFolder(dir: string, kind: KitManifest['kind'], entries: readonly KitEntry[], packages: Map<string, DebPackage>, log?: (line: string) => void): Promise<FolderResult> {
  const skipped: string[] = [];
  for (const name of new Set(entries.map((e) => e.package))) {
    if (packages.has(name)) continue;
    if (!entries.filter((e) => e.package === name).every((e) => e.isOptional)) {
      throw new Error(`${name} is neither installed nor known to apt`);
    }
    skipped.push(name);
    log?.(`kit: ${name} is not available; the ${kind} goes without it`);
  }
  await mkdir(dir, { recursive: true });
  const previous = await readKitManifest(dir, kind).catch(() => null);
  let isChanged = false;
  const files: KitFile[] = [];
  for (const entry of entries) {
    const pkg = packages.get(entry.package);
    if (!pkg) continue;
    const src = join(pkg.root, entry.from);
    if (!existsSync(src)) throw new Error(`${entry.package} ${pkg.version} has no ${entry.from}`);
    const sha256 = await sha256OfFile(src);
    const size = (await stat(src)).size;
    const dest = join(dir, entry.to);
    if (!existsSync(dest) || (await stat(dest)).size !== size || (await sha256OfFile(dest)) !== sha256) {
      await mkdir(dirname(dest), { recursive: true });
      await copyFile(src, `${dest}.tmp`);
      await rename(`${dest}.tmp`, dest);
      isChanged = true;
    }
    files.push({ role: entry.role, path: entry.to, size, sha256, origin: { package: entry.package, path: entry.from } });
  }
  const pkgList: KitPackage[] = [...packages.values()]
    .filter((p) => entries.some((e) => e.package === p.name))
    .map((p) => ({ name: p.name, version: p.version, architecture: p.architecture, source: p.source }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const next: KitManifest = { schemaVersion: KIT_SCHEMA_VERSION, kind, createdAt: new Date().toISOString(), packages: pkgList, files };
  const isSame = previous && JSON.stringify({ ...previous, createdAt: '' }) === JSON.stringify({ ...next, createdAt: '' });
  if (isSame && !isChanged) return { dir, manifest: previous, isChanged: false, skipped };
  for (const old of previous?.files ?? []) {
    if (!files.some((f) => f.path === old.path)) await rm(join(dir, old.path), { force: true });
  }
  const manifestPath = join(dir, KIT_MANIFEST_NAME);
  await writeFile(`${manifestPath}.tmp`, `${JSON.stringify(next, null, 2)}\n`);
  await rename(`${manifestPath}.tmp`, manifestPath);
  return { dir, manifest: next, isChanged: true, skipped };
}

export async function makeKit(outDir: string, options: MakeOptions): Promise<{ kit: FolderResult; chain: FolderResult }> {
  const all = [...BOOT_KIT, ...DEBIAN_SIGNED_CHAIN];
  const names = [...new Set(all.map((e) => e.package))];
  const requests = names.map((name) => ({ name, paths: all.filter((e) => e.package === name).map((e) => e.from) }));
  const packages = await obtainPackages(requests, options.cacheDir, options.preferDownload);
  const kit = await makeKitFolder(outDir, 'boot-kit', BOOT_KIT, packages, options.log);
  const chain = await makeKitFolder(join(outDir, SIGNED_CHAIN_DIR), 'boot-chain', DEBIAN_SIGNED_CHAIN, packages, options.log);
  return { kit, chain };
}

export const NOT_DEBIAN_MESSAGE = [
  'make-kit: this machine has no dpkg/apt-get, so the boot loader kit cannot be taken from Debian packages.',
  '  fix: either point EMT_BOOT_KIT at a kit folder (run `npm run kit` on a Debian or Ubuntu machine and copy its .kit/ folder here),',
  '       or use the packaged EMT Media Builder app, which bundles the kit.',
].join('\n');

function describe(r: FolderResult): string {
  const pkgs = r.manifest.packages.map((p) => `${p.name} ${p.version} (${p.source})`).join(', ');
  return `${r.dir}: ${r.isChanged ? 'written' : 'up to date'}, ${r.manifest.files.length} files from ${pkgs}`;
}

export async function main(argv: string[]): Promise<number> {
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const outDir = resolve(arg('--out') ?? join(repo, '.kit'));
  const cacheDir = resolve(arg('--cache') ?? join(repo, '.cache', 'debs'));
  const preferDownload = argv.includes('--download');
  if (!hasDebianTools()) {
    process.stderr.write(`${NOT_DEBIAN_MESSAGE}\n`);
    return 1;
  }
  try {
    const { kit, chain } = await makeKit(outDir, { cacheDir, preferDownload, log: (l) => process.stderr.write(`${l}\n`) });
    process.stdout.write(`kit: ${describe(kit)}\nkit: ${describe(chain)}\n`);
    return 0;
  } catch (e) {
    if (e instanceof DebianToolsMissing) {
      process.stderr.write(`${NOT_DEBIAN_MESSAGE}\n`);
      return 1;
    }
    const names = [...BOOT_KIT, ...DEBIAN_SIGNED_CHAIN].filter((x) => !x.isOptional).map((x) => x.package);
    process.stderr.write(`make-kit: ${(e as Error).message}\n  fix: install the packages (apt-get install ${[...new Set(names)].join(' ')}) or check that apt can download them (apt-get update).\n`);
    return 1;
  }
}
