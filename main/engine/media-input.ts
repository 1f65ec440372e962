import { dirname, isAbsolute, resolve } from 'node:path';
import type { Profile } from '../../app/contract/profile';
import type { BuildInput } from '../../app/media/build';
import type { SecretText } from '../../app/profile/secrets';
import { openCache } from '../../app/release/cache';
import { useCachedRelease } from '../../app/release/cache-use';
import { classifyRelease } from '../../app/release/read-release';
import type { OnProgress } from '../../app/jobs/progress';
import { loadSettings } from '../../app/settings/settings';
import { current } from '../../app/settings/paths';
import type { EngineContext } from './context';

export interface MediaRecipe {
  releaseId: string;
  profile: Profile | null;
  password?: SecretText;
  /** Where the profile's relative paths (OS image, user apps) start. */
  profileDir: string;
  /** A signed boot chain folder for Secure Boot; absent or null: the kit's GRUB. */
  bootChainDir?: string | null;
}

/**
 * Runs `work` with the build input of a recipe: the cached release leased (the cache will not
 * evict it while it is read) and checked, released again when `work` ends. The release is read and
 * inspected once and kept prepared in the cache (app/release/prepared-release.ts): Review's check,
 * the build and every stick written from it start from that copy.
 */
export async function withBuildInput<T>(ctx: EngineContext, recipe: MediaRecipe, job: { progress: OnProgress; signal: AbortSignal }, work: (input: BuildInput) => Promise<T>): Promise<T> {
  const { settings, cacheDir } = await loadSettings(current(ctx.env));
  const cache = await openCache(settings, ctx.env);
  const inUse = await useCachedRelease(cache, recipe.releaseId, { onProgress: job.progress, signal: job.signal });
  try {
    const release = await classifyRelease(inUse.files.filter((f) => f.role !== 'checksum' && f.role !== 'certificate').map((f) => f.absolutePath));
    const tarball = inUse.files.find((f) => f.role === 'tarball');
    return await work({
      release,
      releaseId: recipe.releaseId,
      cacheDir,
      ...(tarball?.sha256 ? { releaseSha256: tarball.sha256 } : {}),
      ...(recipe.bootChainDir ? { bootChainDir: recipe.bootChainDir } : {}),
      ...(recipe.profile ? { profile: recipe.profile, profileDir: recipe.profileDir } : {}),
      ...(recipe.password ? { password: recipe.password } : {}),
      ...(ctx.resourcesPath ? { resourcesPath: ctx.resourcesPath } : {}),
    });
  } finally {
    await inUse.release();
  }
}

/** The OS image a standalone profile names, as an absolute path. */
export function osImagePath(profile: Profile, profileDir: string): string | null {
  if (profile.mode !== 'standalone' || !profile.standalone.osImage) return null;
  const p = profile.standalone.osImage.path;
  return isAbsolute(p) ? p : resolve(profileDir, p);
}

/** The folder a profile's relative paths start from: its file's, or the output's for a profile never saved. */
export function profileDirOf(fileInIt: string): string {
  return dirname(fileInIt);
}
