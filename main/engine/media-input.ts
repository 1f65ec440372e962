import { dirname, isAbsolute, resolve } from 'node:path';
import type { Profile } from '../../app/contract/profile';
import type { BuildInput } from '../../app/media/build';
import type { SecretText } from '../../app/profile/secrets';
import { openCache } from '../../app/release/cache';
import { useCachedRelease } from '../../app/release/cache-use';
import { classifyRelease } from '../../app/release/read-release';
import type { OnProgress } from '../../app/jobs/progress';
import { settingsOf, type EngineContext } from './context';

export interface MediaRecipe {
  releaseId: string;
  profile: Profile | null;
  password?: SecretText;
  /** Where the profile's relative paths (OS image, user apps) start. */
  profileDir: string;
}

/**
 * Runs `work` with the build input of a recipe: the cached release leased (the cache will not
 * evict it while it is read) and checked, released again when `work` ends.
 */
export async function withBuildInput<T>(ctx: EngineContext, recipe: MediaRecipe, job: { progress: OnProgress; signal: AbortSignal }, work: (input: BuildInput) => Promise<T>): Promise<T> {
  const cache = await openCache(await settingsOf(ctx), ctx.env);
  const inUse = await useCachedRelease(cache, recipe.releaseId, { onProgress: job.progress, signal: job.signal });
  try {
    const release = await classifyRelease(inUse.files.filter((f) => f.role !== 'checksum' && f.role !== 'certificate').map((f) => f.absolutePath));
    return await work({
      release,
      releaseId: recipe.releaseId,
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
