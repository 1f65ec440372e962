import type { WriteResult } from '../contract/drives';
import type { ProgressEvent } from '../contract/jobs';
import { EmtError, toEmtError } from '../errors';
import { listDrives } from '../flash/drives';
import { BLOCK_BYTES, HOLD_BACK_BYTES, coveredLength, coveredRanges, planBlocks, type Block } from '../flash/extents';
import { devicesHolding } from '../flash/locate';
import { ProgressMeter } from '../jobs/progress';
import { BufferPool, alignedBuffers } from './aligned';
import { SocketReader, type SourceReader } from './data-channel';
import { FileSourceReader, invokingUser } from './file-source';
import { fanOut, fillBlock, writeHeldBlock } from './fanout';
import { MapSourceReader } from './map-source';
import { Hasher } from './hasher';
import type { VerifyJob, WriteJob } from './protocol';
import { readBack } from './readback';
import { Stick } from './stick';

export interface JobIo {
  progress(e: ProgressEvent): void;
  findings(device: string, findings: Stick['findings']): void;
  signal: AbortSignal;
}

/** Direct writes in flight per stick: two keeps a USB stick's queue busy while the next block is prepared. */
const DEPTH = 2;

/**
 * A write (or a verify) to several sticks. The writer trusts nothing it was told about the
 * targets: it lists the drives itself, finds each requested device in its own list, and applies
 * every safety rule again before touching it.
 */
export async function runTargetsJob(job: WriteJob | VerifyJob, io: JobIo): Promise<WriteResult> {
  const isWrite = job.type === 'write';
  const drives = await listDrives({ testTargets: job.testTargets });
  const context = { sourceDevices: await devicesHolding(job.sourcePaths, drives), cacheDevices: await devicesHolding(job.cachePaths, drives) };
  const sticks = job.targets.map((t) => new Stick(t, io.progress));
  for (const s of sticks) {
    await s.check(drives, job.size, context, job.acceptWarnings, isWrite);
    if (s.drive && sticks.some((o) => o !== s && o.drive?.device === s.drive!.device && o.isLive)) {
      s.error = new EmtError('E_DUPLICATE_TARGET', `${s.label} was chosen twice.`, 'Choose each stick once.');
    }
    io.findings(s.drive?.device ?? s.request.device, s.findings);
  }

  const covered = coveredRanges(job.size, job.unused);
  const total = coveredLength(covered);
  const blocks = planBlocks(covered);
  const live = () => sticks.filter((s) => s.isLive);
  const [held, zero] = alignedBuffers(HOLD_BACK_BYTES, 2) as [Buffer, Buffer];

  await Promise.all(live().map((s) => s.prepare(isWrite, zero)));
  if (live().length > 0) {
    // One hash per block while writing, one per stick while verifying: a spare worker keeps up with both.
    const hasher = new Hasher(live().length + 1);
    try {
      const data = await openSource(job, io.signal);
      try {
        const digests = isWrite ? await write(sticks, blocks, total, data, held, hasher, io.signal) : await hashSource(blocks, total, data, hasher, io);
        if (isWrite ? job.verify : true) await verify(live(), blocks, digests, total, hasher, io.signal);
      } finally {
        data.close();
      }
    } catch (e) {
      for (const s of live()) s.fail(e);
    } finally {
      await hasher.close();
    }
  }
  for (const s of sticks) await s.finish(isWrite, job.eject && isWrite, zero);

  return {
    ok: sticks.every((s) => s.isLive),
    size: job.size,
    targets: sticks.map((s) => s.result(job.size - total, isWrite)),
    writerMaxRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

function openSource(job: WriteJob | VerifyJob, signal: AbortSignal): Promise<SourceReader> {
  const s = job.source;
  if (s.kind === 'socket') return SocketReader.connect(s.socket, s.token, signal);
  if (s.kind === 'map') return invokingUser().then((user) => MapSourceReader.open(s, job.size, user, signal));
  return invokingUser().then((user) => FileSourceReader.open(s.path, job.size, user));
}

async function write(sticks: Stick[], blocks: Block[], total: number, data: SourceReader, held: Buffer, hasher: Hasher, signal: AbortSignal): Promise<Map<number, Buffer>> {
  const targets = sticks.filter((s) => s.isLive);
  const t0 = performance.now();
  for (const s of targets) s.startPhase('write', total);
  const pool = new BufferPool(alignedBuffers(BLOCK_BYTES, Math.min(16, 2 + DEPTH * targets.length)));
  const digests = await fanOut({ blocks, data, targets, pool, held, depth: DEPTH, hasher, signal });
  const first = blocks[0]?.index === 0 ? blocks[0] : undefined;
  await Promise.all(
    targets
      .filter((s) => s.isLive)
      .map(async (s) => {
        try {
          await writeHeldBlock(s, first, held);
          s.endPhase();
        } catch (e) {
          s.fail(e);
        }
        s.writeSeconds = (performance.now() - t0) / 1000;
      }),
  );
  return digests;
}

/** A verify without a write: take the digests from one read of the source first. */
async function hashSource(blocks: Block[], total: number, data: SourceReader, hasher: Hasher, io: JobIo): Promise<Map<number, Buffer>> {
  const [buf] = alignedBuffers(BLOCK_BYTES, 1) as [Buffer];
  const meter = new ProgressMeter('verify', total, io.progress, {});
  const digests = new Map<number, Buffer>();
  for (const block of blocks) {
    await fillBlock(block, buf, data, io.signal);
    digests.set(block.index, await hasher.digest(block, buf));
    meter.add(block.dataLength);
  }
  await data.expectEnd();
  meter.finish('image read');
  return digests;
}

async function verify(sticks: Stick[], blocks: Block[], digests: Map<number, Buffer>, total: number, hasher: Hasher, signal: AbortSignal): Promise<void> {
  // Blocks in flight per stick while verifying: two being read while two are hashed.
  const per = 4;
  const bufs = alignedBuffers(BLOCK_BYTES, per * sticks.length);
  await Promise.all(
    sticks.map(async (s, i) => {
      const t0 = performance.now();
      s.startPhase('verify', total);
      try {
        s.bytesVerified = await readBack({ dev: s.dev, blocks, digests, bufs: bufs.slice(per * i, per * i + per), hasher, signal, onVerified: (n) => s.progress(n) });
        s.isVerified = true;
        s.endPhase();
      } catch (e) {
        s.fail(toEmtError(e, `Verifying ${s.label} failed`));
      }
      s.verifySeconds = (performance.now() - t0) / 1000;
    }),
  );
}
