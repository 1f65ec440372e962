import type { EjectResult, EjectTargetResult, FlashTarget } from '../contract/drives';
import type { MediaInspection } from '../contract/inspect';
import { EmtError } from '../errors';
import { findListedDrive, listDrives, notListedError } from './drives';
import { devicesHolding } from './locate';
import { accessBlock } from './safety';
import type { StickJobOptions } from './write-targets';
import { runWriterJob, type WriterOutcome } from './writer-client';

/**
 * What only root may do to a stick besides writing it, through the privileged writer: power it
 * down, read it back. As for a write, the rules are checked here first (a refused stick fails
 * before any password prompt) and by the writer again on its own drive list.
 */

const asTarget = (t: FlashTarget | string): FlashTarget => (typeof t === 'string' ? { device: t } : t);

function failed(outcome: Extract<WriterOutcome, { type: 'error' }>): EmtError {
  return new EmtError(outcome.error.code, outcome.error.message, outcome.error.hint, { details: outcome.error.details });
}

function unexpected(type: string): EmtError {
  return new EmtError('E_WRITER_PROTOCOL', `The writer answered with a ${type}.`, 'This is a bug in EMT Media Builder. Save the log and report it.');
}

/** Unmount and power down sticks; one result per stick, in the order asked. */
export async function ejectDrives(o: StickJobOptions & { targets: ReadonlyArray<FlashTarget | string> }): Promise<EjectResult> {
  const targets = o.targets.map(asTarget);
  const drives = await listDrives({ testTargets: o.testTargets });
  const cacheDevices = await devicesHolding(o.cachePaths ?? [], drives);
  const results = new Map<FlashTarget, EjectTargetResult>();
  for (const t of targets) {
    const drive = await findListedDrive(drives, t.device);
    const error = drive ? accessBlock(drive, 'eject', { cacheDevices, typedName: t.typedName }) : notListedError(t.device);
    if (error) results.set(t, { device: drive?.device ?? t.device, name: drive?.name ?? t.device, isEjected: false, error: error.toJSON() });
  }
  const go = targets.filter((t) => !results.has(t));
  if (go.length > 0) {
    const outcome = await runWriterJob({ ...o, job: { type: 'eject', targets: go, cachePaths: [...(o.cachePaths ?? [])], testTargets: [...(o.testTargets ?? [])] } });
    if (outcome.type === 'error') throw failed(outcome);
    if (outcome.type !== 'eject-result') throw unexpected(outcome.type);
    go.forEach((t, i) => results.set(t, outcome.result.targets[i]!));
  }
  return { targets: targets.map((t) => results.get(t)!) };
}

/** Read a stick back through the writer and check it against its manifest (for a user who may not read devices). */
export async function inspectDrive(o: StickJobOptions & { target: FlashTarget | string }): Promise<MediaInspection> {
  const target = asTarget(o.target);
  const drive = await findListedDrive(await listDrives({ testTargets: o.testTargets }), target.device);
  if (!drive) throw notListedError(target.device);
  const blocked = accessBlock(drive, 'inspect', { typedName: target.typedName });
  if (blocked) throw blocked;
  const outcome = await runWriterJob({ ...o, job: { type: 'inspect', target, testTargets: [...(o.testTargets ?? [])] } });
  if (outcome.type === 'error') throw failed(outcome);
  if (outcome.type !== 'inspect-result') throw unexpected(outcome.type);
  return outcome.result;
}
