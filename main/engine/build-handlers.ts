import { dirname } from 'node:path';
import type { Contract } from '../../app/contract/api';
import { fromFile } from '../../app/formats/byte-source';
import { buildIsoFile } from '../../app/media/build';
import { SecretText } from '../../app/profile/secrets';
import { openCache } from '../../app/release/cache';
import { useCachedRelease } from '../../app/release/cache-use';
import { classifyRelease } from '../../app/release/read-release';
import type { Handlers } from '../handler-types';
import { settingsOf, type EngineContext } from './context';

/** `build`: a cached release plus a profile into an ISO file (app/media), remembered for the write. */
export function buildHandlers(ctx: EngineContext, options: { resourcesPath?: string } = {}): Pick<Handlers<Contract>, 'build'> {
  return {
    build: {
      run: async (job, req) => {
        const cache = await openCache(await settingsOf(ctx), ctx.env);
        // Leased: the cache will not evict the release while it is being read.
        const inUse = await useCachedRelease(cache, req.releaseId, { onProgress: job.progress, signal: job.signal });
        try {
          const release = await classifyRelease(inUse.files.filter((f) => f.role !== 'checksum' && f.role !== 'certificate').map((f) => f.absolutePath));
          const result = await buildIsoFile(
            {
              release,
              releaseId: req.releaseId,
              ...(req.profile ? { profile: req.profile, profileDir: dirname(req.output) } : {}),
              ...(req.password ? { password: new SecretText(req.password) } : {}),
              ...(options.resourcesPath ? { resourcesPath: options.resourcesPath } : {}),
            },
            req.output,
            { onProgress: job.progress, signal: job.signal },
          );
          // A standalone stick is the ISO plus partitions 5-7 (DOMAIN.md §3); the ISO alone would be refused by its installer.
          if (result.manifest.mode !== 'standalone') ctx.builds.set(result.output, { source: await fromFile(result.output), sourcePaths: [result.output] });
          else ctx.builds.delete(result.output);
          return result;
        } finally {
          await inUse.release();
        }
      },
    },
  };
}
