import type { Drive, SafetyFinding, SystemReason } from '../contract/drives';
import { EmtError } from '../errors';
import { formatSize } from './size';

/**
 * The safety rules, as pure functions of what was listed. The GUI and the CLI run them to explain;
 * the privileged writer runs them again on its own listing and refuses whatever they block.
 */

/** Bigger than any usual USB stick (Etcher's threshold): probably a backup disk. */
export const LARGE_DRIVE_BYTES = 128e9;

/** Mount points of the running system: a drive holding one cannot be written, whatever is typed. */
export const SYSTEM_MOUNTS: readonly string[] = ['/', '/boot', '/boot/efi', '/efi', '/usr', '/var', '/home', '[SWAP]', 'C:\\'];

export function systemReasonOf(mountpoints: readonly string[], isFixed: boolean): SystemReason | null {
  if (mountpoints.some((m) => SYSTEM_MOUNTS.includes(m))) return 'in-use';
  return isFixed ? 'fixed' : null;
}

export interface SafetyContext {
  /** Drives (device paths) holding the source image, the download cache or the output folder. */
  sourceDevices?: readonly string[];
  cacheDevices?: readonly string[];
  /** What the user typed to confirm a fixed system drive. */
  typedName?: string;
}

export function checkTarget(drive: Drive, source: { size: number }, context: SafetyContext = {}): SafetyFinding[] {
  const findings: SafetyFinding[] = [];
  const add = (f: SafetyFinding) => findings.push(f);
  const who = drive.name;

  if (drive.systemReason === 'in-use') {
    add({
      code: 'E_SYSTEM_DRIVE_IN_USE',
      severity: 'error',
      message: `${who} holds the running system (${drive.mountpoints.filter((m) => SYSTEM_MOUNTS.includes(m)).join(', ')}); it cannot be written.`,
      hint: 'Choose the USB stick you want to erase.',
    });
  } else if (drive.systemReason === 'fixed') {
    const isConfirmed = context.typedName === drive.name;
    add({
      code: isConfirmed ? 'I_SYSTEM_DRIVE_CONFIRMED' : 'E_SYSTEM_DRIVE',
      severity: isConfirmed ? 'info' : 'confirm',
      message: isConfirmed ? `${who} is an internal drive; you confirmed it by typing its name.` : `${who} looks like an internal drive of this computer, not a USB stick.`,
      hint: isConfirmed ? 'Everything on it will be erased.' : `If you are sure this is the drive to erase, type its name exactly: ${drive.name}`,
    });
  }
  if (drive.isReadOnly) {
    add({ code: 'E_READ_ONLY', severity: 'error', message: `${who} is read-only.`, hint: 'Slide the write-protect switch of the stick or card to unlocked, or choose another stick.' });
  }
  if (source.size > drive.size) {
    add({
      code: 'E_DRIVE_TOO_SMALL',
      severity: 'error',
      message: `The image needs ${formatSize(source.size)} but ${who} holds only ${formatSize(drive.size)}.`,
      hint: `Use a stick of at least ${formatSize(source.size)}.`,
      details: { needed: source.size, available: drive.size },
    });
  }
  if (context.sourceDevices?.includes(drive.device)) {
    add({ code: 'E_SOURCE_ON_TARGET', severity: 'error', message: `The image being written is stored on ${who}.`, hint: 'Copy the image to another drive first, or choose another stick.' });
  }
  if (context.cacheDevices?.includes(drive.device)) {
    add({
      code: 'E_CACHE_ON_TARGET',
      severity: 'error',
      message: `EMT Media Builder keeps its downloads and builds on ${who}.`,
      hint: 'Choose another stick, or move the cache folder in the settings.',
    });
  }
  if (drive.size > LARGE_DRIVE_BYTES) {
    add({
      code: 'W_LARGE_DRIVE',
      severity: 'warning',
      message: `${who} holds ${formatSize(drive.size)}, more than a usual USB stick. Is this a backup disk?`,
      hint: 'Check that this is the drive to erase, then confirm.',
      details: { size: drive.size },
    });
  }
  const mounted = drive.partitions.filter((p) => p.mountpoints.length > 0);
  const direct = drive.mountpoints.filter((m) => !mounted.some((p) => p.mountpoints.includes(m)));
  if (mounted.length > 0 || direct.length > 0) {
    const list = [...mounted.map((p) => `${p.device} (${p.mountpoints.join(', ')})`), ...direct];
    add({
      code: 'I_MOUNTED',
      severity: 'info',
      message: `These will be unmounted before writing: ${list.join('; ')}.`,
      hint: 'Close any files open on them first.',
      details: { mountpoints: drive.mountpoints },
    });
  }
  return findings;
}

/** The findings that stop a write: errors, unconfirmed system drives, and unaccepted warnings. */
export function blockingFindings(findings: readonly SafetyFinding[], options: { acceptWarnings?: boolean } = {}): SafetyFinding[] {
  return findings.filter((f) => f.severity === 'error' || f.severity === 'confirm' || (f.severity === 'warning' && !options.acceptWarnings));
}

/** The error to report for a blocking finding. */
export function findingError(f: SafetyFinding): EmtError {
  if (f.severity === 'warning') {
    return new EmtError('E_NOT_CONFIRMED', f.message, `${f.hint} (In the CLI: --yes.)`, { details: { finding: f.code } });
  }
  return new EmtError(f.code, f.message, f.hint, f.details ? { details: f.details } : undefined);
}

/**
 * Whether the privileged writer may eject a drive, or read it back, for a user who may not touch
 * devices: never a drive holding the running system; an internal drive only when the user typed
 * its name (as writing it needed); and no eject of the drive the cache lives on. Reading changes
 * nothing, but as root it would show any disk's content to anyone: sticks only. Null: allowed.
 */
export function accessBlock(drive: Drive, purpose: 'eject' | 'inspect', context: Pick<SafetyContext, 'cacheDevices' | 'typedName'> = {}): EmtError | null {
  const verb = purpose === 'eject' ? 'ejects' : 'reads back';
  if (drive.systemReason === 'in-use') {
    return new EmtError('E_SYSTEM_DRIVE_IN_USE', `${drive.name} holds the running system; EMT Media Builder ${verb} USB sticks only.`, 'Choose the USB stick.', { details: { device: drive.device } });
  }
  if (drive.systemReason === 'fixed' && context.typedName !== drive.name) {
    return new EmtError('E_SYSTEM_DRIVE', `${drive.name} looks like an internal drive of this computer; EMT Media Builder ${verb} USB sticks only.`, 'Choose the USB stick.', { details: { device: drive.device } });
  }
  if (purpose === 'eject' && context.cacheDevices?.includes(drive.device)) {
    return new EmtError('E_CACHE_ON_TARGET', `EMT Media Builder keeps its downloads and builds on ${drive.name}, so it is not ejected.`, 'Eject it from the system once EMT Media Builder is closed.', { details: { device: drive.device } });
  }
  return null;
}
