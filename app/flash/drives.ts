import { realpath } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Drive } from '../contract/drives';
import { EmtError } from '../errors';
import { describeNode, findNode, lsblk, partitionsOf, treeMountpoints, type LsblkNode } from './lsblk';
import { systemReasonOf } from './safety';
import { describeTestTarget } from './test-targets';

/** The part of drivelist's `Drive` we read (drivelist 12). */
interface DrivelistDrive {
  device: string;
  description: string;
  size: number | null;
  busType: string;
  error: unknown;
  logicalBlockSize: number;
  mountpoints: Array<{ path: string; label?: string | null }>;
  isReadOnly: boolean;
  isSystem: boolean;
  isRemovable: boolean;
  isVirtual: boolean | null;
}

export interface ListDrivesOptions {
  /** Loop devices and image files to show as drives (see test-targets.ts). */
  testTargets?: readonly string[];
}

/**
 * Every drive a stick could be, system drives included and flagged (the UI hides them; the
 * safety rules refuse them). drivelist enumerates; on Linux lsblk adds partitions and nested mount
 * points, which drivelist does not report.
 */
export async function listDrives(options: ListDrivesOptions = {}): Promise<Drive[]> {
  const found = await enumerate();
  const tree = process.platform === 'linux' ? await lsblk() : [];
  const drives = found.filter(isUsable).map((d) => fromDrivelist(d, findNode(tree, d.device)));
  for (const path of options.testTargets ?? []) {
    const t = await describeTestTarget(path);
    if (t && !drives.some((d) => d.device === t.device)) drives.push(t);
  }
  return drives.map((d) => {
    const systemReason = systemReasonOf(d.mountpoints, d.isSystem && !d.isTestTarget);
    return { ...d, systemReason, isSystem: systemReason !== null };
  });
}

async function enumerate(): Promise<DrivelistDrive[]> {
  try {
    const drivelist = (await import('drivelist')) as { list: () => Promise<DrivelistDrive[]> };
    return await drivelist.list();
  } catch (e) {
    if (e instanceof EmtError) throw e;
    throw new EmtError('E_DRIVE_LIST', `Listing the drives failed: ${(e as Error).message}.`, 'Reinstall EMT Media Builder; if it persists, report it with this message.', {
      cause: e,
    });
  }
}

// Etcher's rules: RAID members, drives that report an error and drives without a size (empty card
// readers, zram) cannot be written.
function isUsable(d: DrivelistDrive): boolean {
  return !d.error && !!d.size && d.busType !== 'RAID';
}

function fromDrivelist(d: DrivelistDrive, node: LsblkNode | undefined): Drive {
  const description = (node ? describeNode(node) : '') || d.description.trim();
  const mountpoints = node ? treeMountpoints(node) : d.mountpoints.map((m) => m.path);
  return {
    device: d.device,
    name: description ? `${description} (${basename(d.device)})` : basename(d.device),
    description,
    size: d.size ?? 0,
    bus: busOf(d, node),
    kind: 'disk',
    logicalBlockSize: d.logicalBlockSize || 512,
    isRemovable: d.isRemovable,
    isReadOnly: d.isReadOnly,
    isSystem: d.isSystem,
    systemReason: null,
    isTestTarget: false,
    mountpoints,
    // macOS and Windows: drivelist reports mount points but not the partitions under them.
    partitions: node ? partitionsOf(node) : [],
  };
}

function busOf(d: DrivelistDrive, node: LsblkNode | undefined): string {
  if (d.busType && d.busType !== 'UNKNOWN') return d.busType;
  // lsblk leaves TRAN empty for virtio disks; SUBSYSTEMS still says "block:virtio:pci".
  if (node?.subsystems?.includes('virtio')) return 'VIRTIO';
  return 'UNKNOWN';
}

/**
 * The listed drive a request names, by its path or by what a link such as /dev/disk/by-id/… points
 * to; null when none is listed (unplugged, a partition, or never a drive at all).
 */
export async function findListedDrive(drives: readonly Drive[], device: string): Promise<Drive | null> {
  const resolved = await realpath(device).catch(() => device);
  return drives.find((d) => d.device === resolved || d.device === device) ?? null;
}

/** The error for a device that is not a listed drive. */
export function notListedError(device: string): EmtError {
  return new EmtError('E_DRIVE_NOT_FOUND', `${device} is not a drive this computer lists now.`, 'Check that the stick is plugged in and pick the whole drive (not one of its partitions) from the list again.', { details: { device } });
}
