import type { OnProgress } from '../jobs/progress';
import type { RenderContext } from '../profile/render-types';
import type { ReleaseInspection } from '../release/inspect-release';
import { prepareRelease } from '../release/prepared-release';
import type { ReleaseInput } from '../release/read-release';
import { renderContextOf } from './build';

export interface ReleaseContext {
  /** What render() and its preflight checks learn of the release. */
  context: RenderContext;
  inspection: ReleaseInspection;
  /** The tarball's or folder's name, as summaries and findings show it. */
  displayName: string;
}

/**
 * A release read and inspected exactly as a build reads it, for checking a profile against it
 * without making media (`profile validate/show --release`, the GUI's Review). With a cache folder
 * the prepared release is kept for the build that usually follows (app/release/prepared-release.ts);
 * without one, what a tarball unpacks to is removed before this returns.
 */
export async function releaseContext(input: ReleaseInput, options: { cacheDir?: string; contentKey?: string; signal?: AbortSignal; onProgress?: OnProgress } = {}): Promise<ReleaseContext> {
  const prepared = await prepareRelease(input, options);
  try {
    return { context: renderContextOf(prepared.inspection, prepared.files.displayName), inspection: prepared.inspection, displayName: prepared.files.displayName };
  } finally {
    await prepared.dispose();
  }
}
