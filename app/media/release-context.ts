import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OnProgress } from '../jobs/progress';
import type { RenderContext } from '../profile/render-types';
import { inspectRelease, type ReleaseInspection } from '../release/inspect-release';
import { openRelease, type ReleaseInput } from '../release/read-release';
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
 * without making media (`profile validate/show --release`). The kernel and initramfs a tarball
 * unpacks to are removed before this returns: only the inspection is kept.
 */
export async function releaseContext(input: ReleaseInput, options: { signal?: AbortSignal; onProgress?: OnProgress } = {}): Promise<ReleaseContext> {
  const workDir = await mkdtemp(join(tmpdir(), 'emt-release-check-'));
  try {
    const files = await openRelease(input, { workDir, signal: options.signal });
    const inspection = await inspectRelease(files, options);
    return { context: renderContextOf(inspection, files.displayName), inspection, displayName: files.displayName };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
