import type { RestoreFilesystem, RestoreResult } from '../contract/drives';
import type { ProgressEvent } from '../contract/jobs';
import { EmtError, throwIfAborted } from '../errors';
import { listDrives } from '../flash/drives';
import { HOLD_BACK_BYTES } from '../flash/extents';
import { devicesHolding } from '../flash/locate';
import { alignedBuffers } from './aligned';
import { openDevice } from './device';
import { platform } from './platform';
import type { RestoreJob } from './protocol';
import { Stick } from './stick';
import { wipeEnds } from './wipe';

/**
 * Smallest stick each filesystem is made on: FAT32 needs 65525 clusters (32 MiB of 512-byte
 * clusters plus its tables); exFAT has no such floor, 16 MiB keeps room for its metadata.
 */
const MIN_SIZE: Record<RestoreFilesystem, number> = { fat32: 64 << 20, exfat: 16 << 20 };

/**
 * A volume label the filesystem accepts: FAT (Microsoft FAT spec, "BS_VolLab") 11 bytes of
 * upper-case OEM characters without "*+,./:;<=>?[\]|; exFAT (spec §7.3) 11 UTF-16 characters
 * without control characters or "*\/:<>?\|.
 */
export function normalizeLabel(label: string, filesystem: RestoreFilesystem): string {
  const value = filesystem === 'fat32' ? label.toUpperCase() : label;
  const isValid = filesystem === 'fat32' ? /^[A-Z0-9 !#$%&'()\-@^_`{}~]{1,11}$/.test(value) : value.length >= 1 && value.length <= 11 && ![...value].some((c) => c.charCodeAt(0) < 0x20 || '"*/:<>?\\|'.includes(c));
  if (!isValid) {
    throw new EmtError(
      'E_BAD_LABEL',
      `"${label}" cannot be the label of a ${filesystem === 'fat32' ? 'FAT32' : 'exFAT'} drive.`,
      filesystem === 'fat32' ? 'Use 1 to 11 letters, digits, spaces or - _ characters.' : 'Use 1 to 11 characters, without " * / : < > ? \\ |.',
    );
  }
  return value;
}

/** Turn any stick back into a normal drive: wipe both ends, one partition, a labelled FAT32 or exFAT filesystem. */
export async function runRestoreJob(job: RestoreJob, io: { progress(e: ProgressEvent): void; findings(device: string, f: Stick['findings']): void; signal: AbortSignal }): Promise<RestoreResult> {
  const label = normalizeLabel(job.label, job.filesystem);
  const drives = await listDrives({ testTargets: job.testTargets });
  const stick = new Stick(job.target, io.progress);
  await stick.check(drives, MIN_SIZE[job.filesystem], { cacheDevices: await devicesHolding(job.cachePaths, drives) }, job.acceptWarnings, true);
  io.findings(stick.drive?.device ?? job.target.device, stick.findings);
  if (stick.error) throw stick.error;
  const drive = stick.drive!;
  throwIfAborted(io.signal);

  stick.startPhase('unmount', 1);
  await platform.unmount(drive);
  stick.endPhase();
  throwIfAborted(io.signal);

  stick.startPhase('restore', 3);
  const dev = await openDevice(drive);
  try {
    await wipeEnds(dev, drive.size, alignedBuffers(HOLD_BACK_BYTES, 1)[0]!);
  } finally {
    await dev.close();
  }
  stick.progress(1);
  const part = await platform.partitionAndFormat(drive, job.filesystem, label);
  stick.progress(2);
  stick.endPhase();

  const isEjected = job.eject ? await platform.eject(drive).catch(() => false) : false;
  return {
    device: drive.device,
    name: drive.name,
    filesystem: job.filesystem,
    label,
    partitionOffset: part?.offset ?? null,
    partitionSize: part?.size ?? null,
    isEjected,
  };
}
