import type { Partition } from '../contract/drives';
import { EmtError } from '../errors';
import { run } from './run';

/** One node of `lsblk --json` output (util-linux ≥ 2.37 for MOUNTPOINTS). */
export interface LsblkNode {
  name: string;
  type: string;
  size: number | null;
  ro: boolean;
  rm: boolean;
  tran: string | null;
  model: string | null;
  vendor: string | null;
  label: string | null;
  fstype: string | null;
  mountpoints: Array<string | null>;
  'log-sec': number | null;
  subsystems: string | null;
  children?: LsblkNode[];
}

const COLUMNS = 'NAME,TYPE,SIZE,RO,RM,TRAN,MODEL,VENDOR,LABEL,FSTYPE,MOUNTPOINTS,LOG-SEC,SUBSYSTEMS';

/** The block device trees lsblk reports, all of them or only `devices`. Linux only. */
export async function lsblk(devices: readonly string[] = []): Promise<LsblkNode[]> {
  const r = await run('lsblk', ['--bytes', '--json', '--paths', '--output', COLUMNS, ...devices], { timeoutMs: 15_000 });
  if (r.code !== 0) {
    throw new EmtError('E_DRIVE_LIST', `Listing the drives failed: lsblk said "${r.stderr.trim() || `exit ${r.code}`}".`, 'Check that util-linux (lsblk) is installed, then try again.');
  }
  return (JSON.parse(r.stdout) as { blockdevices: LsblkNode[] }).blockdevices;
}

/** Every mount point in a device tree (partitions, and what sits on them), swap as `[SWAP]`. */
export function treeMountpoints(node: LsblkNode): string[] {
  const own = node.mountpoints.filter((m): m is string => typeof m === 'string' && m.length > 0);
  return [...own, ...(node.children ?? []).flatMap(treeMountpoints)];
}

/** The partitions of a disk, each with the mount points of everything stacked on it. */
export function partitionsOf(disk: LsblkNode): Partition[] {
  return (disk.children ?? [])
    .filter((c) => c.type === 'part')
    .map((c) => ({ device: c.name, size: c.size ?? 0, label: c.label, fsType: c.fstype, mountpoints: treeMountpoints(c) }));
}

/** A readable description: vendor and model, or the first filesystem label. */
export function describeNode(node: LsblkNode): string {
  const text = [node.vendor, node.model].map((s) => (s ?? '').trim()).filter(Boolean).join(' ');
  return text || (node.children ?? []).map((c) => c.label).find((l): l is string => !!l) || '';
}

export function findNode(nodes: readonly LsblkNode[], device: string): LsblkNode | undefined {
  return nodes.find((n) => n.name === device);
}
