import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BootkitRelease, CatalogRelease } from '../../contract/catalog';
import { SettingsSchema, type Settings } from '../../contract/settings';
import { bootkitInitramfs, INITRAMFS_NAME, KERNEL_NAME, writeReleaseTarball } from './synthetic-release';

/**
 * A throw-away world for release tests: a temp folder with a cache and a config folder, settings
 * (also saved there) that point at a catalog file in it, and an environment without proxies.
 */
export interface Harness {
  dir: string;
  cacheDir: string;
  env: NodeJS.ProcessEnv;
  settings: Settings;
  catalogFile: string;
  writeCatalog(releases: CatalogRelease[]): Promise<void>;
  cleanup(): Promise<void>;
}

export async function makeHarness(patch: Partial<Settings> = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'emt-release-'));
  const cacheDir = join(dir, 'cache');
  const catalogFile = join(dir, 'catalog.json');
  const settings = SettingsSchema.parse({ version: 1, catalogs: [catalogFile], ...patch });
  await writeFile(catalogFile, JSON.stringify({ schemaVersion: 1, name: 'test catalog', releases: [] }));
  // The same settings on disk, for code that loads them itself (the CLI).
  await mkdir(join(dir, 'config'));
  await writeFile(join(dir, 'config', 'settings.json'), JSON.stringify(settings));
  return {
    dir,
    cacheDir,
    env: { EMT_CACHE_DIR: cacheDir, EMT_CONFIG_DIR: join(dir, 'config') },
    settings,
    catalogFile,
    writeCatalog: (releases) => writeFile(catalogFile, JSON.stringify({ schemaVersion: 1, name: 'test catalog', releases }, null, 2)),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export function bootkit(id: string, url: string, extra: Partial<BootkitRelease> = {}): BootkitRelease {
  return { kind: 'bootkit', id, name: 'Bootkit (EMT-Tink)', line: '26.06', buildDate: '20260526', url, ...extra };
}

/**
 * A real (tiny) Bootkit release tarball, for tests where the release's content is checked (download,
 * import): a synthetic kernel of `kernelBytes` incompressible bytes — so the tarball is about that
 * big — and a Bootkit-shaped initramfs.
 */
export async function bootkitTarball(kernelBytes: number): Promise<{ bytes: Buffer; sha256: string }> {
  const work = await mkdtemp(join(tmpdir(), 'emt-bootkit-tarball-'));
  try {
    const path = await writeReleaseTarball(join(work, 'release.tar.gz'), { [KERNEL_NAME]: randomBytes(kernelBytes), [INITRAMFS_NAME]: await bootkitInitramfs() }, join(work, 'files'));
    const bytes = await readFile(path);
    return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Incompressible test bytes with their sha256. */
export function randomFile(size: number): { bytes: Buffer; sha256: string } {
  const bytes = randomBytes(size);
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Settings for fast failure in tests: short timeouts, few and quick retries. */
export const FAST_NETWORK = {
  tuning: { connectTimeoutMs: 5000, idleTimeoutMs: 1000 },
  retry: { retries: 2, baseDelayMs: 5, maxDelayMs: 20 },
};
