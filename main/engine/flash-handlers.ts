import { stat } from 'node:fs/promises';
import type { Contract, DriveListing, WriteSource } from '../../app/contract/api';
import type { FlashTarget } from '../../app/contract/drives';
import { EmtError, toEmtError } from '../../app/errors';
import { fromFile } from '../../app/formats/byte-source';
import { listDrives } from '../../app/flash/drives';
import { devicesHolding } from '../../app/flash/locate';
import { checkTarget } from '../../app/flash/safety';
import { restoreDrive, writeTargets } from '../../app/flash/write-targets';
import { ejectDrives, inspectDrive } from '../../app/flash/stick-access';
import { mediaSource, prepareBuild } from '../../app/media/build';
import { inspectPath } from '../../app/media/inspect';
import type { Handlers } from '../handler-types';
import { canReadDevices, stickScope, type EngineContext, type WritableBuild, type WritableBytes } from './context';
import { standaloneFloor } from './build-handlers';
import { withBuildInput } from './media-input';

async function buildOf(ctx: EngineContext, source: WriteSource): Promise<WritableBuild> {
  if (source.kind === 'file') {
    const bytes = await fromFile(source.path).catch((e: unknown) => Promise.reject(toEmtError(e, 'The image cannot be read')));
    return { kind: 'iso', source: bytes, sourcePaths: [source.path] };
  }
  const build = ctx.builds.get(source.output);
  if (!build) throw new EmtError('E_BUILD_NOT_WRITABLE', `${source.output} was not built in this session.`, 'Build the media again, then write it.');
  return build;
}

/** What the safety rules judge a drive against: the image size, and the files it is read from. */
async function needOf(ctx: EngineContext, source: WriteSource | null): Promise<{ size: number; sourcePaths: string[] }> {
  if (!source) return { size: 0, sourcePaths: [] };
  const b = await buildOf(ctx, source);
  return b.kind === 'iso' ? { size: b.source.size, sourcePaths: b.sourcePaths } : { size: await standaloneFloor(b), sourcePaths: [b.osImagePath] };
}

/**
 * A standalone stick is laid out for the smallest chosen stick and streamed from the build into the
 * writer, with no temporary image (as `emt-media build --target` does).
 */
async function withStandaloneBytes<T>(ctx: EngineContext, b: Extract<WritableBuild, { kind: 'standalone' }>, targets: readonly FlashTarget[], job: Parameters<typeof withBuildInput>[2], work: (bytes: WritableBytes) => Promise<T>): Promise<T> {
  const { testTargets } = await stickScope(ctx);
  const drives = await listDrives({ testTargets });
  const sizes = targets.map((t) => drives.find((d) => d.device === t.device)?.size ?? 0).filter((n) => n > 0);
  return withBuildInput(ctx, b, job, async (input) => {
    const prepared = await prepareBuild(input, { onProgress: job.progress, signal: job.signal });
    try {
      const media = await mediaSource(prepared, Math.min(...sizes, Number.MAX_SAFE_INTEGER));
      return await work({ source: media.source, sourcePaths: [b.osImagePath] });
    } finally {
      await prepared.dispose();
    }
  });
}

/** A block device (Linux), a character disk device (macOS /dev/rdiskN), or a Windows drive path. */
async function isDevice(path: string): Promise<boolean> {
  if (/^\\\\\.\\/.test(path)) return true;
  const st = await stat(path).catch((e: unknown) => Promise.reject(toEmtError(e, `${path} cannot be read`)));
  return st.isBlockDevice() || st.isCharacterDevice();
}

/** `drives`, `flash` and `tools`: the drive list judged by the safety rules, writing, restoring and inspecting sticks (app/flash, app/media). */
export function flashHandlers(ctx: EngineContext): Pick<Handlers<Contract>, 'drives' | 'flash' | 'tools'> {
  return {
    drives: {
      list: async (_c, source): Promise<DriveListing[]> => {
        const { testTargets, cachePaths } = await stickScope(ctx);
        const { size, sourcePaths } = await needOf(ctx, source);
        const drives = await listDrives({ testTargets });
        const context = { sourceDevices: await devicesHolding(sourcePaths, drives), cacheDevices: await devicesHolding(cachePaths, drives) };
        return drives.map((drive) => ({ drive, findings: checkTarget(drive, { size }, context) }));
      },
    },
    flash: {
      write: async (job, req) => {
        const scope = await stickScope(ctx);
        const write = ({ source, sourcePaths }: WritableBytes) =>
          writeTargets({ ...scope, source, sourcePaths, targets: req.targets, verify: req.verify, eject: req.eject, acceptWarnings: req.acceptWarnings, env: ctx.env, onProgress: job.progress, signal: job.signal });
        const b = await buildOf(ctx, req.source);
        return b.kind === 'iso' ? write(b) : withStandaloneBytes(ctx, b, req.targets, job, write);
      },
      restore: async (job, req) => restoreDrive({ ...(await stickScope(ctx)), ...req, env: ctx.env, onProgress: job.progress, signal: job.signal }),
      eject: async (job, req) => ejectDrives({ ...(await stickScope(ctx)), targets: req.targets, env: ctx.env, onProgress: job.progress, signal: job.signal }),
    },
    tools: {
      inspect: async (job, path) => {
        // A file (an ISO, an image) is read here; a device only by a process allowed to, else by the writer.
        if (canReadDevices(ctx) || !(await isDevice(path))) return inspectPath(path, { onProgress: job.progress, signal: job.signal });
        return inspectDrive({ ...(await stickScope(ctx)), target: path, env: ctx.env, onProgress: job.progress, signal: job.signal });
      },
    },
  };
}
