import type { Drive } from '../contract/drives';
import { EmtError, isEmtError } from '../errors';
import { platform } from './platform';

export type DeviceOp = 'open' | 'write' | 'read' | 'flush';

function at(position: number | undefined): string {
  return position === undefined ? '' : ` at byte ${position}`;
}

/**
 * A failed device operation, told as what happened to the stick: busy (and who holds it, when the
 * OS says), permission, read-only, pulled out, I/O error, or full before the image ended.
 */
export async function deviceError(e: unknown, drive: Drive, op: DeviceOp, position?: number): Promise<EmtError> {
  if (isEmtError(e)) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  const who = drive.name;
  const details = { device: drive.device, op, errno: code, ...(position === undefined ? {} : { position }) };
  const opts = { cause: e, details };
  switch (code) {
    case 'EBUSY': {
      const holders = await platform.holders(drive).catch(() => []);
      const by = holders.length ? ` by ${holders.join(', ')}` : ' by another program';
      return new EmtError('E_BUSY', `${who} is in use${by}.`, 'Close the programs using it (file managers, terminals, another writer), then try again.', {
        ...opts,
        details: { ...details, holders },
      });
    }
    case 'EACCES':
    case 'EPERM':
      return new EmtError('E_PERMISSION', `Permission to ${op} ${who} was denied.`, 'The writer needs administrator rights; accept the authorization prompt, or run as root.', opts);
    case 'EROFS':
      return new EmtError('E_READ_ONLY', `${who} is read-only.`, 'Slide the write-protect switch of the stick or card to unlocked, or choose another stick.', opts);
    case 'ENOENT':
    case 'ENODEV':
    case 'ENXIO':
      return goneError(drive, op, position, e);
    case 'EIO':
      if (!(await platform.isPresent(drive))) return goneError(drive, op, position, e);
      return new EmtError('E_IO', `${who} reported an input/output error during ${op}${at(position)}.`, 'The stick may be failing or badly connected. Try another port or another stick.', opts);
    case 'ENOSPC':
      return new EmtError(
        'E_DRIVE_FULL',
        `${who} ran out of space during ${op}${at(position)}, before the end of the image.`,
        'The stick is smaller than it claims (a fake-capacity stick) or failing. Use another stick.',
        opts,
      );
    default:
      return new EmtError('E_IO', `${who} failed during ${op}${at(position)}: ${(e as Error)?.message ?? String(e)}.`, 'Try another port or another stick. If it persists, report it with this message.', opts);
  }
}

export function goneError(drive: Drive, op: DeviceOp, position: number | undefined, cause?: unknown): EmtError {
  return new EmtError('E_DRIVE_GONE', `${drive.name} disappeared during ${op}${at(position)}.`, 'Plug the stick back in (it may need a restore) and write it again; do not pull it while writing.', {
    cause,
    details: { device: drive.device, op, ...(position === undefined ? {} : { position }) },
  });
}
