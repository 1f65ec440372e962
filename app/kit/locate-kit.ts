import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmtError } from '../errors';
import { KIT_MANIFEST_NAME, readKitManifest, verifyKitFiles, type KitManifest, type KitRole } from './kit-manifest';

/**
 * Finds the boot loader kit (GRUB for UEFI, ISOLINUX for BIOS; see DESIGN.md "Media anatomy"):
 * an explicit setting, then `EMT_BOOT_KIT`, then the packaged app's `<resources>/boot-kit`, then a
 * checkout's `.kit/`. The kit is checked file by file against its manifest on every call: the
 * files are a few MiB, and a damaged boot loader would only show as media that does not boot.
 */

export type KitSource = 'setting' | 'env' | 'packaged' | 'checkout';

export interface BootKit {
  dir: string;
  source: KitSource;
  manifest: KitManifest;
  /** Absolute paths of the boot files, by what they are for. */
  files: {
    uefiGrub: string;
    isolinuxBin: string;
    isohdpfxBin: string;
    ldlinuxC32: string;
  };
}

export interface LocateKitOptions {
  /** A kit folder the user chose in the settings (wins over everything else). */
  setting?: string;
  env?: NodeJS.ProcessEnv;
  /** Electron's `process.resourcesPath` in the packaged app (electron-builder ships the kit as `boot-kit`). */
  resourcesPath?: string;
  /** The checkout to look in; found from this module's location (or the working directory) when not given. */
  repoRoot?: string;
}

const ROLE_KEYS: Record<keyof BootKit['files'], KitRole> = {
  uefiGrub: 'uefi-grub',
  isolinuxBin: 'bios-isolinux',
  isohdpfxBin: 'bios-hybrid-mbr',
  ldlinuxC32: 'bios-ldlinux',
};

export async function locateKit(options: LocateKitOptions = {}): Promise<BootKit> {
  const env = options.env ?? process.env;
  if (options.setting) return openKit(resolve(options.setting), 'setting');
  if (env.EMT_BOOT_KIT) return openKit(resolve(env.EMT_BOOT_KIT), 'env');
  if (options.resourcesPath) {
    const dir = join(options.resourcesPath, 'boot-kit');
    if (existsSync(join(dir, KIT_MANIFEST_NAME))) return openKit(dir, 'packaged');
    // A packaged app must not fall back to a checkout: its own package.json (inside app.asar)
    // would look like one, and the hint would send the user to run npm.
    throw new EmtError('E_KIT_MISSING', `The boot loader kit that comes with EMT Media Builder is missing (${dir}).`, 'Reinstall EMT Media Builder, or point EMT_BOOT_KIT at a kit folder made by `npm run kit`.', {
      details: { dir },
    });
  }
  const repo = options.repoRoot ?? findRepoRoot();
  if (repo) {
    const dir = join(repo, '.kit');
    if (existsSync(join(dir, KIT_MANIFEST_NAME))) return openKit(dir, 'checkout');
    throw new EmtError('E_KIT_MISSING', `The boot loader kit is missing: ${dir} has no ${KIT_MANIFEST_NAME}.`, `Run \`npm run kit\` in ${repo} (it takes GRUB and ISOLINUX from Debian packages), or point EMT_BOOT_KIT at a kit folder.`, {
      details: { dir },
    });
  }
  throw new EmtError('E_KIT_MISSING', 'The boot loader kit is missing: this is neither the packaged app nor a checkout.', 'Point EMT_BOOT_KIT at a kit folder made by `npm run kit`, or reinstall EMT Media Builder.');
}

async function openKit(dir: string, source: KitSource): Promise<BootKit> {
  const manifest = await readKitManifest(dir, 'boot-kit');
  if (!manifest) {
    const where = source === 'setting' ? 'the kit folder chosen in the settings' : source === 'env' ? 'EMT_BOOT_KIT' : 'the kit folder';
    throw new EmtError('E_KIT_MISSING', `${dir} (${where}) is not a boot loader kit: it has no ${KIT_MANIFEST_NAME}.`, 'Choose a folder made by `npm run kit`, or clear the setting to use the kit that comes with the app.', {
      details: { dir, source },
    });
  }
  const files = {} as BootKit['files'];
  for (const [key, role] of Object.entries(ROLE_KEYS) as [keyof BootKit['files'], KitRole][]) {
    const f = manifest.files.find((x) => x.role === role);
    if (!f) {
      throw new EmtError('E_KIT_CORRUPT', `The boot loader kit in ${dir} has no ${role} file.`, 'Make the kit again with `npm run kit`, or reinstall EMT Media Builder.', {
        details: { dir, role },
      });
    }
    files[key] = join(dir, f.path);
  }
  await verifyKitFiles(dir, manifest);
  return { dir, source, manifest, files };
}

/** The checkout this module lives in (or the working directory is in), found by its package.json. */
function findRepoRoot(): string | null {
  const starts: string[] = [];
  try {
    starts.push(dirname(fileURLToPath(import.meta.url)));
  } catch {
    // Bundled as CommonJS (the CLI build): import.meta.url is empty there.
  }
  starts.push(process.cwd());
  for (const start of starts) {
    for (let dir = start; ; dir = dirname(dir)) {
      if (isOurPackage(join(dir, 'package.json'))) return dir;
      if (dirname(dir) === dir) break;
    }
  }
  return null;
}

function isOurPackage(path: string): boolean {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { name?: string }).name === 'emt-media-builder';
  } catch {
    return false;
  }
}
