import { access, constants, readFile, realpath, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Drive } from '../contract/drives';
import { EmtError } from '../errors';
import { describeNode, lsblk, partitionsOf, treeMountpoints } from './lsblk';

/**
 * Test targets make loop devices and image files appear as drives, for tests and demos. They come
 * from `EMT_TEST_TARGETS` (comma-separated paths) and the `testTargets` setting, are labelled
 * "TEST TARGET" everywhere, and never count as fixed system drives. Only a loop device or a regular
 * file can be one: naming /dev/sda here is refused, so this switch cannot unlock a real disk.
 */
export const TEST_TARGET_PREFIX = 'TEST TARGET';

export function testTargetsFrom(env: NodeJS.ProcessEnv, settings?: { testTargets?: readonly string[] }): string[] {
  const fromEnv = (env.EMT_TEST_TARGETS ?? '').split(',').map((s) => s.trim());
  return [...new Set([...fromEnv, ...(settings?.testTargets ?? [])].filter(Boolean))];
}

/** The drive a test target stands for, or null when it does not exist right now (unplugged). */
export async function describeTestTarget(path: string): Promise<Drive | null> {
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    return null;
  }
  const st = await stat(real);
  if (st.isFile()) return describeFile(real, st.size);
  if (st.isBlockDevice() && process.platform === 'linux') return describeLoop(real);
  throw new EmtError(
    'E_TEST_TARGET_INVALID',
    `The test target ${path} is neither a loop device nor an image file.`,
    'List only loop devices (/dev/loopN) or image files in EMT_TEST_TARGETS or the testTargets setting.',
  );
}

async function describeFile(path: string, size: number): Promise<Drive> {
  const isReadOnly = await access(path, constants.W_OK).then(
    () => false,
    () => true,
  );
  return {
    device: path,
    name: `${TEST_TARGET_PREFIX} ${basename(path)}`,
    description: `Image file ${path}`,
    size,
    bus: 'FILE',
    kind: 'file',
    logicalBlockSize: 512,
    isRemovable: true,
    isReadOnly,
    isSystem: false,
    systemReason: null,
    isTestTarget: true,
    mountpoints: [],
    partitions: [],
  };
}

async function describeLoop(device: string): Promise<Drive | null> {
  // A loop device with nothing attached is a stick that is not plugged in: size 0, and lsblk refuses it.
  const sectors = await readFile(`/sys/class/block/${basename(device)}/size`, 'utf8').catch(() => '0');
  if (Number(sectors.trim()) === 0) return null;
  const [node] = await lsblk([device]);
  if (!node || node.type !== 'loop') {
    throw new EmtError(
      'E_TEST_TARGET_INVALID',
      `The test target ${device} is a block device but not a loop device.`,
      'Only loop devices and image files can be test targets; real disks are listed as drives by themselves.',
    );
  }
  const name = basename(device);
  const backing = (await readFile(`/sys/block/${name}/loop/backing_file`, 'utf8').catch(() => '')).trim();
  const mountpoints = treeMountpoints(node);
  return {
    device,
    name: `${TEST_TARGET_PREFIX} ${name}`,
    description: backing ? `Loop device over ${backing}` : describeNode(node) || 'Loop device',
    size: node.size ?? 0,
    bus: 'LOOP',
    kind: 'loop',
    logicalBlockSize: node['log-sec'] ?? 512,
    isRemovable: true,
    isReadOnly: node.ro,
    isSystem: false,
    systemReason: null,
    isTestTarget: true,
    mountpoints,
    partitions: partitionsOf(node),
  };
}
