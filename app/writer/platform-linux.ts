import { randomInt } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Drive, RestoreFilesystem } from '../contract/drives';
import { EmtError } from '../errors';
import { findNode, lsblk, treeMountpoints } from '../flash/lsblk';
import { run } from '../flash/run';
import { alignedBuffers } from './aligned';
import { openDevice } from './device';
import { MBR_TYPE, singlePartitionMbr } from './mbr';
import type { Platform } from './platform';

/** `fuser` prints the pids on stdout (" 14845c 2210"), access letters glued on; names go to stderr. */
export function parseFuserPids(stdout: string, selfPid = process.pid): number[] {
  return [...new Set([...stdout.matchAll(/(\d+)[a-zA-Z]*/g)].map((m) => Number(m[1])))].filter((p) => p !== selfPid);
}

/** "nautilus (pid 2210)" for every process holding the files or mounts named in `args`. */
export async function fuser(args: string[]): Promise<string[]> {
  const r = await run('fuser', args, { timeoutMs: 10_000 });
  const pids = parseFuserPids(r.stdout);
  return Promise.all(pids.map(async (pid) => `${(await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '?')).trim()} (pid ${pid})`));
}

async function unmount(drive: Drive): Promise<void> {
  if (drive.kind === 'file') return;
  const node = findNode(await lsblk([drive.device]), drive.device);
  // Deepest first, so that a filesystem mounted inside another goes before its parent.
  const mounts = (node ? treeMountpoints(node) : []).sort((a, b) => b.length - a.length);
  for (const mp of mounts) {
    if (mp === '[SWAP]') {
      throw new EmtError('E_BUSY', `${drive.name} is in use as swap space.`, 'Turn that swap off (swapoff) or choose another stick.', { details: { device: drive.device } });
    }
    // A plain umount: never lazy or forced, which would hide a busy filesystem and lose its data.
    const r = await run('umount', [mp], { timeoutMs: 60_000 });
    if (r.code !== 0) {
      const holders = await fuser(['-m', mp]);
      const by = holders.length ? `: it is used by ${holders.join(', ')}` : '';
      throw new EmtError('E_BUSY', `${mp} on ${drive.name} could not be unmounted${by}.`, 'Close the files and windows open on the stick, then try again.', {
        details: { device: drive.device, mountpoint: mp, holders, umount: r.stderr.trim() },
      });
    }
  }
}

async function holders(drive: Drive): Promise<string[]> {
  if (drive.kind === 'file') return [];
  const parts = drive.partitions.map((p) => p.device);
  const stacked = await readdir(`/sys/class/block/${basename(drive.device)}/holders`).catch(() => [] as string[]);
  return [...(await fuser([drive.device, ...parts])), ...stacked.map((h) => `the device-mapper volume ${h}`)];
}

async function isPresent(drive: Drive): Promise<boolean> {
  if (drive.kind === 'file') return stat(drive.device).then(() => true, () => false);
  const size = await readFile(`/sys/class/block/${basename(drive.device)}/size`, 'utf8').catch(() => '0');
  return Number(size.trim()) > 0;
}

async function eject(drive: Drive): Promise<boolean> {
  if (drive.kind === 'file') return false;
  // BLKFLSBUF: drop the OS buffers of the device so nothing stale is written back later.
  await run('blockdev', ['--flushbufs', drive.device]);
  if (drive.kind !== 'disk') return false;
  if ((await run('eject', [drive.device])).code === 0) return true;
  return (await run('udisksctl', ['power-off', '--block-device', drive.device, '--no-user-interaction'])).code === 0;
}

/**
 * Detach a loop device (a test target), flushed first; false when the kernel keeps it. Partition
 * nodes added with partx would outlive the device and confuse whoever gets its number next.
 */
export async function detachLoop(drive: Drive): Promise<boolean> {
  if (drive.kind !== 'loop') return false;
  await run('blockdev', ['--flushbufs', drive.device]);
  if (drive.partitions.length > 0) await run('partx', ['--delete', drive.device]);
  return (await run('losetup', ['--detach', drive.device])).code === 0;
}

async function writeMbr(drive: Drive, type: number): Promise<{ offset: number; size: number }> {
  const sector = Math.max(512, drive.logicalBlockSize);
  const { mbr, offset, size } = singlePartitionMbr(drive.size, sector, type, randomInt(1, 2 ** 32));
  const [buf] = alignedBuffers(sector, 1);
  buf!.fill(0).set(mbr, 0);
  const dev = await openDevice(drive);
  try {
    await dev.write(buf!, 0, sector, 0);
    await dev.sync();
  } finally {
    await dev.close();
  }
  return { offset, size };
}

async function mkfs(device: string, filesystem: RestoreFilesystem, label: string, hiddenSectors: number): Promise<void> {
  const [tool, args] =
    filesystem === 'fat32' ? ['mkfs.fat', ['-F', '32', '-n', label, '-h', String(hiddenSectors), device]] : ['mkfs.exfat', ['-L', label, device]];
  const r = await run(tool, args, { timeoutMs: 300_000 });
  if (r.code === 127) {
    throw new EmtError('E_TOOL_MISSING', `${tool} is not installed.`, `Install ${filesystem === 'fat32' ? 'dosfstools' : 'exfatprogs'} and try again.`);
  }
  if (r.code !== 0) throw new EmtError('E_FORMAT_FAILED', `Formatting the new partition failed: ${r.stderr.trim() || r.stdout.trim()}.`, 'Try again; if it fails again the stick may be failing.');
}

async function partitionAndFormat(drive: Drive, filesystem: RestoreFilesystem, label: string): Promise<{ offset: number; size: number }> {
  const part = await writeMbr(drive, filesystem === 'fat32' ? MBR_TYPE.fat32 : MBR_TYPE.exfat);
  const sector = Math.max(512, drive.logicalBlockSize);
  // Format through a loop device over the partition's range: the same for sticks, loop devices and
  // image files, and no wait for the OS to create /dev/sdX1 (kernels without partition parsers never do).
  const attach = await run('losetup', ['--find', '--show', '--offset', String(part.offset), '--sizelimit', String(part.size), '--sector-size', String(sector), drive.device]);
  if (attach.code !== 0) throw new EmtError('E_FORMAT_FAILED', `Preparing the new partition failed: ${attach.stderr.trim()}.`, 'Try again; if it fails again, report it with this message.');
  const loop = attach.stdout.trim();
  try {
    await mkfs(loop, filesystem, label, part.offset / sector);
  } finally {
    await run('losetup', ['--detach', loop]);
  }
  if (drive.kind !== 'file') await run('blockdev', ['--rereadpt', drive.device]);
  return part;
}

export const linux: Platform = { unmount, holders, isPresent, eject, partitionAndFormat };
