import { readFile, realpath } from 'node:fs/promises';
import type { Drive } from '../contract/drives';

/** One mounted filesystem: where, and from which device. */
export interface MountEntry {
  mountpoint: string;
  source: string;
}

function isInside(path: string, mountpoint: string): boolean {
  if (mountpoint === '/') return path.startsWith('/');
  const sep = mountpoint.includes('\\') ? '\\' : '/';
  return path === mountpoint || path.startsWith(mountpoint.endsWith(sep) ? mountpoint : mountpoint + sep);
}

/** The mount a path lives on: the longest mount point that contains it. */
export function mountOf(path: string, mounts: readonly MountEntry[]): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const m of mounts) if (isInside(path, m.mountpoint) && (!best || m.mountpoint.length > best.mountpoint.length)) best = m;
  return best;
}

/**
 * The drive that stores a path: the mount holding it, mapped to the disk behind its device (or
 * behind whatever is stacked on the disk's partitions: LUKS, LVM). Undefined for tmpfs and other
 * filesystems that live on no listed drive.
 */
export function driveHolding(path: string, drives: readonly Drive[], mounts: readonly MountEntry[]): Drive | undefined {
  const m = mountOf(path, mounts);
  if (!m) return undefined;
  return (
    drives.find((d) => d.device === m.source || d.partitions.some((p) => p.device === m.source)) ??
    drives.find((d) => d.mountpoints.includes(m.mountpoint))
  );
}

/** `/proc/self/mounts` fields escape space, tab, newline and backslash as octal (\040 …). */
export function parseProcMounts(text: string): MountEntry[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' '))
    .filter((f) => f.length >= 2)
    .map((f) => ({ source: unescape(f[0]!), mountpoint: unescape(f[1]!) }));
}

async function currentMounts(drives: readonly Drive[]): Promise<MountEntry[]> {
  if (process.platform === 'linux') return parseProcMounts(await readFile('/proc/self/mounts', 'utf8'));
  return drives.flatMap((d) => d.mountpoints.map((mountpoint) => ({ mountpoint, source: d.device })));
}

/** The devices of the drives holding any of `paths` (paths that do not exist are ignored). */
export async function devicesHolding(paths: readonly string[], drives: readonly Drive[]): Promise<string[]> {
  if (paths.length === 0) return [];
  const mounts = await currentMounts(drives);
  const out = new Set<string>();
  for (const p of paths) {
    const real = await realpath(p).catch(() => null);
    // An image file that is itself a (test) target holds itself.
    const d = real ? (drives.find((x) => x.device === real) ?? driveHolding(real, drives, mounts)) : undefined;
    if (d) out.add(d.device);
  }
  return [...out];
}
