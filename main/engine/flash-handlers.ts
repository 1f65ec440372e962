import { stat } from 'node:fs/promises';
import type { Contract, DriveListing, WriteSource } from '../../app/contract/api';
import { EmtError, toEmtError } from '../../app/errors';
import { fromFile } from '../../app/formats/byte-source';
import { listDrives } from '../../app/flash/drives';
import { devicesHolding } from '../../app/flash/locate';
import { checkTarget } from '../../app/flash/safety';
import { restoreDrive, writeTargets } from '../../app/flash/write-targets';
import type { Handlers } from '../handler-types';
import { stickScope, type EngineContext, type WritableBuild } from './context';

/** What a write source streams: this session's build, or an image file as it is. */
async function writable(ctx: EngineContext, source: WriteSource): Promise<WritableBuild> {
  if (source.kind === 'file') return { source: await fromFile(source.path).catch((e: unknown) => Promise.reject(toEmtError(e, 'The image cannot be read'))), sourcePaths: [source.path] };
  const build = ctx.builds.get(source.output);
  if (!build) {
    throw new EmtError('E_BUILD_NOT_WRITABLE', `${source.output} is not a build of this session that can go onto a stick as it is (a standalone stick needs its data partitions laid out with it).`, 'Build it again in this session. Standalone sticks need their data partitions, which this version does not lay out yet.');
  }
  return build;
}

async function sizeOf(ctx: EngineContext, source: WriteSource | null): Promise<{ size: number; sourcePaths: string[] }> {
  if (!source) return { size: 0, sourcePaths: [] };
  if (source.kind === 'file') return { size: (await stat(source.path)).size, sourcePaths: [source.path] };
  const b = await writable(ctx, source);
  return { size: b.source.size, sourcePaths: b.sourcePaths };
}

/** `drives` and `flash`: the drive list judged by the safety rules, writing and restoring sticks (app/flash). */
export function flashHandlers(ctx: EngineContext): Pick<Handlers<Contract>, 'drives' | 'flash'> {
  return {
    drives: {
      list: async (_c, source): Promise<DriveListing[]> => {
        const { testTargets, cachePaths } = await stickScope(ctx);
        const { size, sourcePaths } = await sizeOf(ctx, source);
        const drives = await listDrives({ testTargets });
        const context = { sourceDevices: await devicesHolding(sourcePaths, drives), cacheDevices: await devicesHolding(cachePaths, drives) };
        return drives.map((drive) => ({ drive, findings: checkTarget(drive, { size }, context) }));
      },
    },
    flash: {
      write: async (job, req) => {
        const scope = await stickScope(ctx);
        const { source, sourcePaths } = await writable(ctx, req.source);
        return writeTargets({ ...scope, source, sourcePaths, targets: req.targets, verify: req.verify, eject: req.eject, acceptWarnings: req.acceptWarnings, onProgress: job.progress, signal: job.signal });
      },
      restore: async (job, req) => restoreDrive({ ...(await stickScope(ctx)), ...req, onProgress: job.progress, signal: job.signal }),
    },
  };
}
