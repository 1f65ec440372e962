import type { MediaInspection } from '../contract/inspect';
import { EmtError } from '../errors';
import { openRandomAccess } from '../formats/byte-source';
import { findListedDrive, listDrives, notListedError } from '../flash/drives';
import { accessBlock } from '../flash/safety';
import { hasIsoVolume, inspectMedia } from '../media/inspect-media';
import type { InspectJob } from './protocol';
import type { JobIo } from './targets-job';

/**
 * Read a stick back for a user who may not read devices (on Linux only root reads /dev/sdX) and
 * check it against its manifest. Reading changes nothing, but as root it could show any disk to
 * anyone, so the writer lists the drives itself and reads a listed stick only, and only media:
 * an ISO 9660 volume at its start, as this tool writes it. Nothing else of the drive is parsed.
 */
export async function runInspectJob(job: InspectJob, io: JobIo): Promise<MediaInspection> {
  const drives = await listDrives({ testTargets: job.testTargets });
  const drive = await findListedDrive(drives, job.target.device);
  if (!drive) throw notListedError(job.target.device);
  const blocked = accessBlock(drive, 'inspect', { typedName: job.target.typedName });
  if (blocked) throw blocked;
  const ra = await openRandomAccess(drive.device);
  try {
    if (!(await hasIsoVolume(ra))) {
      throw new EmtError('E_NOT_MEDIA', `${drive.name} holds no ISO 9660 volume at its start, so it holds no media made by EMT Media Builder.`, 'Choose the stick you wrote, or inspect the ISO file instead.', { details: { device: drive.device } });
    }
    return await inspectMedia(ra, drive.device, { onProgress: io.progress, signal: io.signal });
  } finally {
    await ra.close();
  }
}
