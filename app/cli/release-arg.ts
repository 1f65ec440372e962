import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { EmtError } from '../errors';
import { openCache } from '../release/cache';
import { useCachedRelease } from '../release/cache-use';
import { classifyRelease, type ReleaseInput } from '../release/read-release';
import { current } from '../settings/paths';
import { loadSettings } from '../settings/settings';
import type { CliIo } from './command';

export interface ResolvedRelease {
  release: ReleaseInput;
  /** The catalog id, for a release from the cache. */
  releaseId?: string;
  /** Its content hash, when the cache knows it (keys the prepared release). */
  releaseSha256?: string;
  /** Where prepared releases are kept. */
  cacheDir: string;
  /** Ends the lease of a cached release; call when the command is done. */
  done(): Promise<void>;
}

/**
 * What `--release` names: files (a tarball, a folder, a kernel and an initramfs) or the id of a
 * release in the cache (`emt-media download <id>` put it there). A cached release is checked and
 * leased, so that eviction leaves it alone while the command runs.
 */
export async function resolveReleaseArg(names: string[], io: CliIo): Promise<ResolvedRelease> {
  const { settings, cacheDir } = await loadSettings(current(io.env));
  const paths = names.map((n) => resolve(io.cwd, n));
  const none = async () => {};
  if (names.length !== 1 || existsSync(paths[0]!)) return { release: await classifyRelease(paths), cacheDir, done: none };
  const cache = await openCache(settings, io.env);
  const entry = await cache.get(names[0]!);
  if (!entry) return { release: await classifyRelease(paths), cacheDir, done: none };
  const inUse = await useCachedRelease(cache, entry.id);
  const file = (role: string) => inUse.files.find((f) => f.role === role);
  const tarball = file('tarball');
  const kernel = file('kernel');
  const initramfs = file('initramfs');
  const release: ReleaseInput | null = tarball ? { kind: 'tarball', path: tarball.absolutePath } : kernel && initramfs ? { kind: 'pair', kernel: kernel.absolutePath, initramfs: initramfs.absolutePath } : null;
  if (!release) {
    await inUse.release();
    throw new EmtError('E_RELEASE_NOT_BOOTKIT', `The cached "${entry.id}" is not a Bootkit release.`, 'Name a Bootkit release (emt-media releases lists them).');
  }
  return { release, releaseId: entry.id, releaseSha256: tarball?.sha256, cacheDir, done: inUse.release };
}
