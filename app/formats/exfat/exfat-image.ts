import { EmtError } from '../../errors';
import { renderFat, type ClusterRun } from '../fat/fat-table';
import { buildTree, longNameProblem, walkTree, type ImageTreeSpec, type TreeDir, type TreeNode, type TreeRules } from '../fat/image-tree';
import { sparseImage, type Segment, type SparseImage } from '../fat/sparse-image';
import { BOOT_REGION_SECTORS, defaultClusterSize, encodeBootRegion, exfatGeometry, SECTOR, type ExfatGeometry } from './boot-region';
import { encodeFileSet, encodeLabel, encodeSystemEntry, ENTRY, setEntryCount, TYPE_BITMAP, TYPE_UPCASE } from './entry-sets';
import { tableChecksum, upcaseTableBytes } from './upcase-table';

export interface ExfatImageSpec extends ImageTreeSpec {
  /** Up to 11 characters. */
  label?: string;
  /** The volume serial number (32 bits); an input, so that the same spec gives the same bytes. */
  volumeId: number;
  /** Total bytes, a multiple of 512. Default: the smallest size that fits, with a little slack, in whole MiB. */
  size?: number;
  /** Bytes per cluster, a power of two from 512 to 32 MiB. Default like mkfs.exfat (4 KiB / 32 KiB / 128 KiB). */
  clusterSize?: number;
  /** Where the volume starts on its disk, in bytes (PartitionOffset); 0 for a standalone image. */
  partitionOffset?: number;
}

export interface ExfatLayout {
  clusterSize: number;
  clusterCount: number;
  usedClusters: number;
  fatOffset: number;
  /** Byte offset of cluster 2. */
  heapOffset: number;
  /** Where each file's content starts in the image (empty files have no clusters and are left out). */
  files: Array<{ path: string; offset: number; size: number }>;
}

/** A write-once exFAT image; `unusedRanges` are its free clusters (see SparseImage). */
export interface ExfatImage extends SparseImage {
  readonly layout: ExfatLayout;
}

const MIB = 1 << 20;
const MAX_DIR_BYTES = 256 * MIB; // exFAT §6.2: a directory is at most 256 MiB

const RULES: TreeRules = {
  codePrefix: 'EXFAT',
  fsName: 'exFAT',
  maxFileSize: Number.MAX_SAFE_INTEGER,
  tooLargeHint: 'Split the file.',
};

interface DirPlan {
  dir: TreeDir;
  isRoot: boolean;
  bytes: number;
}

/** Build an exFAT image: files contiguous (NoFatChain), folders and system files chained in the FAT. */
export function exfatImage(spec: ExfatImageSpec): ExfatImage {
  const label = checkLabel(spec.label);
  if (!Number.isInteger(spec.volumeId) || spec.volumeId < 0 || spec.volumeId > 0xffffffff) {
    throw new EmtError('E_EXFAT_VOLUME_ID', `The volume id ${spec.volumeId} is not a 32-bit number.`, 'Pass a volume id between 0 and 4294967295.');
  }
  const offset = spec.partitionOffset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0 || offset % SECTOR !== 0) {
    throw new EmtError('E_EXFAT_BAD_OFFSET', `The partition offset ${offset} is not a whole number of 512-byte sectors.`, 'Align the partition to 512 bytes (1 MiB is usual).');
  }
  const cs = spec.clusterSize;
  if (cs !== undefined && (!Number.isInteger(Math.log2(cs)) || cs < SECTOR || cs > 32 * MIB)) {
    throw new EmtError('E_EXFAT_CLUSTER_SIZE', `${cs} bytes is not a valid exFAT cluster size.`, 'Use a power of two from 512 bytes to 32 MiB, or leave it out.');
  }
  const tree = buildTree(spec, RULES);
  const plans = walkTree(tree).dirs.map((dir): DirPlan => {
    const isRoot = dir.path === '/';
    let entries = isRoot ? (label ? 1 : 0) + 2 : 0; // label, allocation bitmap, up-case table
    for (const c of dir.children) entries += setEntryCount(c.name);
    const bytes = entries * ENTRY;
    if (bytes > MAX_DIR_BYTES) {
      throw new EmtError('E_EXFAT_DIR_TOO_LARGE', `The folder ${dir.path} needs ${bytes} bytes of directory entries; exFAT allows 256 MiB.`, 'Spread the files over several folders.');
    }
    return { dir, isRoot, bytes };
  });
  const geometryFor = (bytes: number): ExfatGeometry | null => exfatGeometry(bytes, cs ?? defaultClusterSize(bytes));
  let size: number;
  let g: ExfatGeometry | null;
  if (spec.size !== undefined) {
    size = spec.size;
    g = Number.isSafeInteger(size) && size > 0 && size % SECTOR === 0 ? geometryFor(size) : null;
    if (!g) throw new EmtError('E_EXFAT_BAD_SIZE', `An exFAT file system cannot be made in ${size} bytes.`, 'Give a multiple of 512 bytes, at least 3 MiB.');
    if (clustersNeeded(plans, g) > g.clusterCount) {
      const minimum = smallestSize(plans, geometryFor, 0);
      throw new EmtError('E_EXFAT_TOO_SMALL', `The files and folders need an exFAT image of ${minimum} bytes (in whole MiB), but the requested size is ${size} bytes.`, 'Make the image or partition bigger, or put fewer files on it.', { details: { needed: minimum, requested: size } });
    }
  } else {
    size = smallestSize(plans, geometryFor, slackBytes(plans));
    g = geometryFor(size)!;
  }
  return assemble(plans, g, size, label, spec.volumeId, offset / SECTOR);
}

function checkLabel(label: string | undefined): string | null {
  if (label === undefined || label === '') return null;
  const problem = label.length > 11 ? 'it is longer than 11 characters' : longNameProblem(label);
  if (problem) throw new EmtError('E_EXFAT_LABEL', `"${label}" cannot be an exFAT volume label: ${problem}.`, 'Use up to 11 characters without control characters or any of " * / : < > ? \\ |.');
  return label;
}

function clusterBytes(g: ExfatGeometry): number {
  return SECTOR << g.clusterShift;
}

function systemClusters(g: ExfatGeometry): { bitmap: number; upcase: number } {
  const cs = clusterBytes(g);
  return { bitmap: Math.ceil(Math.ceil(g.clusterCount / 8) / cs), upcase: Math.ceil(upcaseTableBytes().length / cs) };
}

function dirClusters(p: DirPlan, g: ExfatGeometry): number {
  return Math.max(1, Math.ceil(p.bytes / clusterBytes(g)));
}

function clustersNeeded(plans: DirPlan[], g: ExfatGeometry): number {
  const sys = systemClusters(g);
  let n = sys.bitmap + sys.upcase;
  for (const p of plans) {
    n += dirClusters(p, g);
    for (const c of p.dir.children) if (c.kind === 'file') n += Math.ceil(c.size / clusterBytes(g));
  }
  return n;
}

function contentBytes(plans: DirPlan[]): number {
  let n = 0;
  for (const p of plans) for (const c of p.dir.children) if (c.kind === 'file') n += c.size;
  return n;
}

function slackBytes(plans: DirPlan[]): number {
  return Math.max(64 * 1024, Math.ceil(contentBytes(plans) / 64));
}

function smallestSize(plans: DirPlan[], geometryFor: (bytes: number) => ExfatGeometry | null, slack: number): number {
  let size = Math.max(3 * MIB, Math.ceil((contentBytes(plans) + slack) / MIB) * MIB);
  for (;;) {
    const g = geometryFor(size);
    const missing = g ? clustersNeeded(plans, g) + Math.ceil(slack / clusterBytes(g)) - g.clusterCount : 1;
    if (missing <= 0) return size;
    size += Math.max(MIB, Math.ceil((missing * (g ? clusterBytes(g) : MIB)) / MIB) * MIB);
  }
}

function assemble(plans: DirPlan[], g: ExfatGeometry, size: number, label: string | null, volumeId: number, partitionOffset: number): ExfatImage {
  const cs = clusterBytes(g);
  const sys = systemClusters(g);
  const runs: ClusterRun[] = [];
  let next = 2;
  const take = (count: number, isChained: boolean): number => {
    const first = next;
    if (isChained) runs.push({ first, count });
    next += count;
    return first;
  };
  const bitmapCluster = take(sys.bitmap, true);
  const upcaseCluster = take(sys.upcase, true);
  const firstCluster = new Map<TreeNode, number>();
  const dirSize = new Map<TreeNode, number>();
  for (const p of plans) {
    firstCluster.set(p.dir, take(dirClusters(p, g), true));
    dirSize.set(p.dir, dirClusters(p, g) * cs);
  }
  const files = walkTree(plans[0]!.dir).files;
  for (const f of files) if (f.size > 0) firstCluster.set(f, take(Math.ceil(f.size / cs), false));
  const used = next - 2;
  const upcase = upcaseTableBytes();

  const dirBytes = (p: DirPlan): Buffer => {
    const buf = Buffer.alloc(dirClusters(p, g) * cs);
    let at = 0;
    if (p.isRoot) {
      if (label) at = encodeLabel(label, buf, at);
      at = encodeSystemEntry(TYPE_BITMAP, bitmapCluster, Math.ceil(g.clusterCount / 8), 0, buf, at);
      at = encodeSystemEntry(TYPE_UPCASE, upcaseCluster, upcase.length, tableChecksum(upcase), buf, at);
    }
    for (const c of p.dir.children) {
      const isDirectory = c.kind === 'dir';
      const bytes = isDirectory ? dirSize.get(c)! : c.size;
      at = encodeFileSet({ name: c.name, isDirectory, mtime: c.mtime, firstCluster: firstCluster.get(c) ?? 0, size: bytes, isContiguous: !isDirectory }, buf, at);
    }
    return buf;
  };

  const boot = encodeBootRegion({ geometry: g, volumeSerial: volumeId, partitionOffset, rootCluster: firstCluster.get(plans[0]!.dir)!, percentInUse: Math.floor((used * 100) / g.clusterCount) });
  const fatStart = g.fatOffset * SECTOR;
  const fatBytes = g.fatLength * SECTOR;
  const heap = g.heapOffset * SECTOR;
  const segments: Segment[] = [
    { kind: 'bytes', data: boot },
    { kind: 'bytes', data: boot },
    { kind: 'zeros', length: fatStart - 2 * BOOT_REGION_SECTORS * SECTOR, isUnused: false },
    { kind: 'generated', length: fatBytes, chunks: () => renderFat('exfat', runs, fatBytes) },
    { kind: 'zeros', length: heap - fatStart - fatBytes, isUnused: false },
    { kind: 'generated', length: sys.bitmap * cs, chunks: () => bitmapChunks(used, sys.bitmap * cs) },
    { kind: 'bytes', data: Buffer.concat([upcase, Buffer.alloc(sys.upcase * cs - upcase.length)]) },
  ];
  for (const p of plans) segments.push({ kind: 'bytes', data: dirBytes(p) });
  for (const f of files) if (f.size > 0) segments.push({ kind: 'source', source: f.content, length: Math.ceil(f.size / cs) * cs, path: f.path });
  segments.push({ kind: 'zeros', length: size - heap - used * cs, isUnused: true });

  const image = sparseImage(segments, 'EXFAT');
  const layout: ExfatLayout = {
    clusterSize: cs,
    clusterCount: g.clusterCount,
    usedClusters: used,
    fatOffset: fatStart,
    heapOffset: heap,
    files: files.filter((f) => f.size > 0).map((f) => ({ path: f.path, offset: heap + (firstCluster.get(f)! - 2) * cs, size: f.size })),
  };
  return { ...image, layout };
}

/** exFAT §7.1.5: one bit per cluster, set for the `used` clusters from cluster 2 on (all ours are). */
function* bitmapChunks(used: number, length: number): Generator<Buffer> {
  const chunk = 1 << 20;
  for (let start = 0; start < length; start += chunk) {
    const b = Buffer.alloc(Math.min(chunk, length - start));
    const full = Math.min(b.length, Math.max(0, Math.floor(used / 8) - start));
    b.fill(0xff, 0, full);
    const partialAt = Math.floor(used / 8) - start;
    if (used % 8 && partialAt >= 0 && partialAt < b.length) b[partialAt] = (1 << used % 8) - 1;
    yield b;
  }
}
