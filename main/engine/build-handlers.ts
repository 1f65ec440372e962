import { stat } from 'node:fs/promises';
import type { Contract } from '../../app/contract/api';
import { fromFile } from '../../app/formats/byte-source';
import { buildIsoFile } from '../../app/media/build';
import { checkBuild } from '../../app/media/build-check';
import { describeBootChain, readBootChain } from '../../app/kit/boot-chain';
import { SecretText } from '../../app/profile/secrets';
import type { Handlers } from '../handler-types';
import type { EngineContext } from './context';
import { osImagePath, profileDirOf, withBuildInput } from './media-input';

/**
 * `build`: a cached release plus a profile into an ISO file (app/media), remembered for the write;
 * the check before it (Review), and what a signed boot chain folder holds.
 */
export function buildHandlers(ctx: EngineContext): Pick<Handlers<Contract>, 'build'> {
  return {
    build: {
      run: async (job, req) => {
        const recipe = {
          releaseId: req.releaseId,
          profile: req.profile,
          profileDir: profileDirOf(req.profilePath ?? req.output),
          bootChainDir: req.bootChainDir ?? null,
          ...(req.password ? { password: new SecretText(req.password) } : {}),
        };
        const result = await withBuildInput(ctx, recipe, job, (input) => buildIsoFile(input, req.output, { onProgress: job.progress, signal: job.signal }));
        const osImage = req.profile ? osImagePath(req.profile, recipe.profileDir) : null;
        if (req.profile?.mode === 'standalone' && osImage && recipe.password) {
          ctx.builds.set(result.output, { kind: 'standalone', releaseId: req.releaseId, profile: req.profile, password: recipe.password, profileDir: recipe.profileDir, isoBytes: result.size, osImagePath: osImage });
        } else {
          ctx.builds.set(result.output, { kind: 'iso', source: await fromFile(result.output), sourcePaths: [result.output] });
        }
        // The ISO's own warning says to write the stick directly: that is what the Write step does.
        return { ...result, findings: result.findings.filter((f) => !(f.code === 'W_STANDALONE_ISO_ONLY' && ctx.builds.get(result.output)?.kind === 'standalone')) };
      },
      check: async (job, req) => {
        // A profile never saved has its relative paths nowhere yet: the working folder, as the check as-you-type has it.
        const recipe = { releaseId: req.releaseId, profile: req.profile, profileDir: req.profilePath ? profileDirOf(req.profilePath) : process.cwd(), bootChainDir: req.bootChainDir ?? null };
        return withBuildInput(ctx, recipe, job, (input) => checkBuild(input, { onProgress: job.progress, signal: job.signal }));
      },
      bootChain: async (_c, dir) => describeBootChain(await readBootChain(dir)),
    },
  };
}

/** The smallest a standalone stick can be: the ISO and the OS image (the layout adds its own partitions). */
export async function standaloneFloor(b: { isoBytes: number; osImagePath: string }): Promise<number> {
  return b.isoBytes + (await stat(b.osImagePath)).size;
}
