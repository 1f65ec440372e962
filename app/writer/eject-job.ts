import type { Drive, EjectResult, EjectTargetResult, FlashTarget } from '../contract/drives';
import { EmtError, throwIfAborted, toEmtError } from '../errors';
import { findListedDrive, listDrives, notListedError } from '../flash/drives';
import { devicesHolding } from '../flash/locate';
import { accessBlock } from '../flash/safety';
import { ProgressMeter } from '../jobs/progress';
import { platform } from './platform';
import { detachLoop } from './platform-linux';
import type { EjectJob } from './protocol';
import type { JobIo } from './targets-job';

/**
 * Power sticks down so they can be unplugged, after a write that left them attached. As for a
 * write, the writer lists the drives itself and judges every request again: only sticks, never the
 * running system or the drive the cache is on. Each stick is unmounted first (a desktop mounts a
 * freshly written stick at once) and ends with its own result, so one busy stick does not keep the
 * others attached.
 */
export async function runEjectJob(job: EjectJob, io: JobIo): Promise<EjectResult> {
  const drives = await listDrives({ testTargets: job.testTargets });
  const cacheDevices = await devicesHolding(job.cachePaths, drives);
  const targets: EjectTargetResult[] = [];
  for (const target of job.targets) {
    throwIfAborted(io.signal);
    targets.push(await ejectOne(target, drives, cacheDevices, io));
  }
  return { targets };
}

async function ejectOne(target: FlashTarget, drives: readonly Drive[], cacheDevices: readonly string[], io: JobIo): Promise<EjectTargetResult> {
  const drive = await findListedDrive(drives, target.device);
  const result = (isEjected: boolean, error: EmtError | null): EjectTargetResult => ({ device: drive?.device ?? target.device, name: drive?.name ?? target.device, isEjected, error: error && error.toJSON() });
  if (!drive) return result(false, notListedError(target.device));
  const blocked = accessBlock(drive, 'eject', { cacheDevices, typedName: target.typedName });
  if (blocked) return result(false, blocked);
  if (drive.kind === 'file') {
    return result(false, new EmtError('E_NOT_EJECTABLE', `${drive.name} is an image file standing in for a stick: there is nothing to eject.`, 'Nothing to do; the file is complete.'));
  }
  const meter = new ProgressMeter('eject', 2, io.progress, { target: drive.device });
  try {
    meter.set(0);
    await platform.unmount(drive);
    meter.set(1);
    // A loop test target stands in for a stick: detaching it is what powering a stick down does
    // (the device goes away). A write's own eject leaves loops attached, so that tests can read
    // back what was written.
    const isEjected = drive.kind === 'loop' ? await detachLoop(drive) : await platform.eject(drive);
    meter.finish();
    if (!isEjected) {
      return result(false, new EmtError('E_EJECT_FAILED', `${drive.name} was unmounted and flushed but could not be powered down.`, 'Its data is safe: wait until its light stops blinking, then unplug it.'));
    }
    return result(true, null);
  } catch (e) {
    return result(false, toEmtError(e, `Ejecting ${drive.name} failed`));
  }
}
