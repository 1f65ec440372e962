import { resolve } from 'node:path';
import type { Drive, FlashPhase, FlashTarget, RestoreFilesystem, RestoreResult, SafetyFinding, TargetResult, WriteResult } from '../contract/drives';
import type { ErrorInfo, ProgressEvent } from '../contract/jobs';
import { EmtError } from '../errors';
import type { ByteSource } from '../formats/byte-source';
import type { OnProgress } from '../jobs/progress';
import { listDrives } from './drives';
import type { WriterLaunch } from './elevate';
import { coveredBytes, coveredRanges, type ByteRange } from './extents';
import { devicesHolding } from './locate';
import { blockingFindings, checkTarget, findingError } from './safety';
import { CHECKS_PASSED } from '../writer/protocol';
import { mappedPaths, planSourceMap, type SourceMap } from './source-map';
import { runWriterJob, type RunWriterJobOptions, type TargetsJobRequest } from './writer-client';

/**
 * The engine's API for sticks, shared by the CLI, the build command and the GUI. Every call checks
 * the targets here first (so a doomed target fails before any password prompt) and the privileged
 * writer checks them again on its own drive list before it touches anything.
 */

/**
 * A source to write. `unusedRanges`: bytes whose content does not matter (free FAT/exFAT space).
 * `path`: the source is exactly this file, so the writer may read it itself (faster than the socket).
 */
export type WritableSource = ByteSource & { readonly unusedRanges?: readonly ByteRange[]; readonly path?: string };

export interface StickJobOptions {
  /** Loop devices and image files to accept as drives (EMT_TEST_TARGETS / the testTargets setting). */
  testTargets?: readonly string[];
  /** Folders the job must not destroy: the download cache, the build output. */
  cachePaths?: readonly string[];
  launch?: WriterLaunch;
  isInteractive?: boolean;
  /** Where EMT_WRITER is looked up when `launch` is not given. */
  env?: NodeJS.ProcessEnv;
  onProgress?: OnProgress;
  onFindings?: (device: string, findings: SafetyFinding[]) => void;
  onReady?: RunWriterJobOptions['onReady'];
  signal?: AbortSignal;
}

export interface WriteTargetsOptions extends StickJobOptions {
  source: WritableSource;
  targets: ReadonlyArray<FlashTarget | string>;
  /** Read every stick back and compare (default true). */
  verify?: boolean;
  eject?: boolean;
  /** The user said yes to warnings (a drive over 128 GB). */
  acceptWarnings?: boolean;
  /** Files the source is read from: the drives holding them are refused. */
  sourcePaths?: readonly string[];
}

export interface TargetCheck {
  target: FlashTarget;
  drive: Drive | null;
  findings: SafetyFinding[];
  blocking: SafetyFinding[];
}

const asTarget = (t: FlashTarget | string): FlashTarget => (typeof t === 'string' ? { device: t } : t);

/** Run the safety rules on targets without writing anything (the CLI prints these; the GUI shows them). */
export async function checkTargets(
  targets: ReadonlyArray<FlashTarget | string>,
  size: number,
  o: Pick<WriteTargetsOptions, 'testTargets' | 'cachePaths' | 'sourcePaths' | 'acceptWarnings'> = {},
): Promise<TargetCheck[]> {
  const drives = await listDrives({ testTargets: o.testTargets });
  const context = { sourceDevices: await devicesHolding(o.sourcePaths ?? [], drives), cacheDevices: await devicesHolding(o.cachePaths ?? [], drives) };
  return targets.map(asTarget).map((target) => {
    const drive = drives.find((d) => d.device === target.device) ?? null;
    if (!drive) {
      const missing: SafetyFinding = { code: 'E_DRIVE_NOT_FOUND', severity: 'error', message: `${target.device} is not a drive this computer lists now.`, hint: 'Check that the stick is plugged in, and name the whole drive (/dev/sdb, not the partition /dev/sdb1); `emt-media drives` lists them.' };
      return { target, drive, findings: [missing], blocking: [missing] };
    }
    const findings = checkTarget(drive, { size }, { ...context, typedName: target.typedName });
    return { target, drive, findings, blocking: blockingFindings(findings, o) };
  });
}

function notRun(c: TargetCheck, error: ErrorInfo, phase: FlashPhase = 'check'): TargetResult {
  return {
    device: c.target.device,
    name: c.drive?.name ?? c.target.device,
    ok: false,
    phase,
    bytesWritten: 0,
    bytesVerified: 0,
    bytesSkipped: 0,
    isVerified: false,
    isCacheBypassed: false,
    isEjected: false,
    isWiped: false,
    writeSeconds: 0,
    verifySeconds: 0,
    findings: c.findings,
    error,
  };
}

/** The writer died mid-job: every stick it had fails, told by the phase it was last seen in. */
function crashed(c: TargetCheck, error: ErrorInfo, phase: FlashPhase | undefined, isWrite: boolean): TargetResult {
  const wasWriting = isWrite && (phase === 'write' || phase === 'flush');
  const hint = wasWriting ? 'Its first MiB was zeroed before writing began, so it will not boot half-written; write it again.' : error.hint;
  return notRun(c, { ...error, hint }, phase);
}

async function runTargets(kind: 'write' | 'verify', opts: WriteTargetsOptions): Promise<WriteResult> {
  const filePath = opts.source.path === undefined ? undefined : resolve(opts.source.path);
  // The drives holding the files being written are refused like any drive holding the source.
  const o = { ...opts, sourcePaths: [...(opts.sourcePaths ?? []), ...(filePath ? [filePath] : mappedPaths(opts.source))] };
  const size = o.source.size;
  const checks = await checkTargets(o.targets, size, o);
  const isWrite = kind === 'write';
  const go = checks.filter((c) => (isWrite ? c.blocking.length === 0 : !c.blocking.some((f) => f.code === 'E_DRIVE_TOO_SMALL' || f.code === 'E_DRIVE_NOT_FOUND')));
  const results = new Map<FlashTarget, TargetResult>(checks.filter((c) => !go.includes(c)).map((c) => [c.target, notRun(c, findingError(c.blocking[0]!).toJSON())]));
  let writerMaxRssBytes = 0;
  if (go.length > 0) {
    const covered = coveredRanges(size, o.source.unusedRanges);
    const lastPhase = new Map<string, FlashPhase>();
    const onProgress = (e: ProgressEvent) => {
      if (e.target) lastPhase.set(e.target, e.phase as FlashPhase);
      o.onProgress?.(e);
    };
    const base = {
      targets: go.map((c) => c.target),
      size,
      unused: o.source.unusedRanges ? [...o.source.unusedRanges] : [],
      sourcePaths: [...(o.sourcePaths ?? [])],
      cachePaths: [...(o.cachePaths ?? [])],
      testTargets: [...(o.testTargets ?? [])],
      acceptWarnings: o.acceptWarnings ?? false,
      eject: o.eject ?? true,
    };
    // Composed media the writer reads from its files itself (see source-map.ts), the map made
    // while the writer starts; a plain file it opens; anything else comes through the socket.
    const mapped = filePath ? Promise.resolve(null) : planSourceMap(o.source, o.signal);
    const job = mapped.then((m): TargetsJobRequest => {
      const source = filePath ? { source: { kind: 'file' as const, path: filePath } } : m ? { source: m.source } : {};
      return isWrite ? { type: 'write', verify: o.verify ?? true, ...base, ...source } : { type: 'verify', ...base, ...source };
    });
    const data = (signal: AbortSignal) => sourceData(mapped, o.source, covered, signal);
    try {
      const outcome = await runWriterJob({ ...o, onProgress, job, data });
      if (outcome.type === 'error') {
        if (outcome.error.code !== 'E_WRITER_CRASHED') throw new EmtError(outcome.error.code, outcome.error.message, outcome.error.hint, { details: outcome.error.details });
        for (const c of go) results.set(c.target, crashed(c, outcome.error, lastPhase.get(c.drive?.device ?? c.target.device), isWrite));
      } else if (outcome.type === 'write-result') {
        go.forEach((c, i) => results.set(c.target, outcome.result.targets[i]!));
        writerMaxRssBytes = outcome.result.writerMaxRssBytes;
      }
    } finally {
      await (await mapped.catch(() => null))?.dispose();
    }
  }
  const targets = checks.map((c) => results.get(c.target)!);
  return { ok: targets.every((t) => t.ok), size, targets, writerMaxRssBytes };
}

/** What the data socket carries: with a map, only the word that the app's checks passed. */
async function* sourceData(mapped: Promise<SourceMap | null>, source: ByteSource, covered: ByteRange[], signal: AbortSignal): AsyncIterable<Buffer> {
  const m = await mapped;
  if (!m) {
    yield* coveredBytes(source.stream(signal), covered);
    return;
  }
  await Promise.all(m.checks.map((check) => check(signal)));
  yield CHECKS_PASSED;
}

/** Write one source to several sticks (one read of the source), verify each, eject. One result per stick. */
export function writeTargets(o: WriteTargetsOptions): Promise<WriteResult> {
  return runTargets('write', o);
}

/** Compare sticks with a source, byte for byte, reading the sticks around the OS cache. Changes nothing. */
export function verifyTargets(o: Omit<WriteTargetsOptions, 'verify' | 'eject' | 'acceptWarnings'>): Promise<WriteResult> {
  return runTargets('verify', { ...o, eject: false });
}

export interface RestoreDriveOptions extends StickJobOptions {
  target: FlashTarget | string;
  filesystem?: RestoreFilesystem;
  label?: string;
  eject?: boolean;
  acceptWarnings?: boolean;
}

/** Turn a stick (ours or any) back into a normal drive: one partition, FAT32 or exFAT, labelled. */
export async function restoreDrive(o: RestoreDriveOptions): Promise<RestoreResult> {
  const target = asTarget(o.target);
  const [check] = await checkTargets([target], 0, o);
  if (check!.blocking.length > 0) throw findingError(check!.blocking[0]!);
  const outcome = await runWriterJob({
    ...o,
    job: {
      type: 'restore',
      target,
      filesystem: o.filesystem ?? 'fat32',
      label: o.label ?? 'USBSTICK',
      cachePaths: [...(o.cachePaths ?? [])],
      testTargets: [...(o.testTargets ?? [])],
      acceptWarnings: o.acceptWarnings ?? false,
      eject: o.eject ?? true,
    },
  });
  if (outcome.type === 'restore-result') return outcome.result;
  if (outcome.type === 'error') throw new EmtError(outcome.error.code, outcome.error.message, outcome.error.hint, { details: outcome.error.details });
  throw new EmtError('E_WRITER_PROTOCOL', 'The writer answered a restore with a write result.', 'This is a bug in EMT Media Builder. Save the log and report it.');
}
