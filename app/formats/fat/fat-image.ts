import { EmtError } from '../../errors';
import { BACKUP_BOOT_SECTOR, FSINFO_SECTOR, NO_NAME, encodeBootSector, encodeFsInfo } from './boot-sector';
import { renderFat, type ClusterRun } from './fat-table';
import { clusterBytes, fatGeometry, firstDataSector, NUM_FATS, SECTOR, type FatGeometry, type FatType } from './geometry';
import { buildTree, walkTree, type ImageTreeSpec, type TreeDir, type TreeNode, type TreeRules } from './image-tree';
import { ATTR_ARCHIVE, ATTR_DIRECTORY, ATTR_VOLUME_ID, ENTRY_SIZE, encodeNamedEntry, encodeShortEntry, entryCount } from './dir-entry';
import { ShortNameAllocator, type ShortName } from './short-name';
import { sparseImage, type Segment, type SparseImage } from './sparse-image';

export interface FatImageSpec extends ImageTreeSpec {
  /** Up to 11 characters: A-Z, 0-9, spaces (not first) and ! # $ % & ' ( ) - @ ^ _ ` { } ~. */
  label?: string;
  /** The volume serial number (32 bits); an input, so that the same spec gives the same bytes. */
  volumeId: number;
  /** Total bytes, a multiple of 512. Default: the smallest size that fits, with a little slack, in whole MiB. */
  size?: number;
  /** Default `auto`: like mkfs.fat, FAT32 from 512 MiB, else FAT12 or FAT16 by cluster count. */
  fatType?: 'auto' | FatType;
  /** Where the volume starts on its disk, in bytes (the BPB's hidden sectors); 0 for a standalone image. */
  partitionOffset?: number;
}

export interface FatLayout {
  fatType: FatType;
  clusterSize: number;
  clusterCount: number;
  usedClusters: number;
  reservedSectors: number;
  fatSectors: number;
  rootEntries: number;
  /** Byte offset of cluster 2. */
  dataOffset: number;
  /** Where each file's content starts in the image (empty files have no clusters and are left out). */
  files: Array<{ path: string; offset: number; size: number }>;
}

/** A write-once FAT image; `unusedRanges` are its free clusters (see SparseImage). */
export interface FatImage extends SparseImage {
  readonly layout: FatLayout;
}

/** FAT stores sizes in 32 bits. */
export const FAT_MAX_FILE_SIZE = 0xffffffff;
const MAX_DIR_ENTRIES = 65536; // FAT §6.1: a directory holds at most 65,536 entries
const MAX_FIXED_ROOT_ENTRIES = 0xfff0; // the FAT12/16 root: a 16-bit count, whole sectors
const MIB = 1 << 20;

const RULES: TreeRules = {
  codePrefix: 'FAT',
  fsName: 'FAT',
  maxFileSize: FAT_MAX_FILE_SIZE,
  tooLargeHint: 'Files of 4 GiB or more need exFAT: make this partition exFAT instead of FAT.',
};

interface DirPlan {
  dir: TreeDir;
  names: Map<TreeNode, ShortName>;
  entries: number;
  isRoot: boolean;
}

/** Build a FAT12/16/32 image; throws EmtError when the tree cannot be stored (see RULES and below). */
export function fatImage(spec: FatImageSpec): FatImage {
  const label = checkLabel(spec.label);
  if (!Number.isInteger(spec.volumeId) || spec.volumeId < 0 || spec.volumeId > 0xffffffff) {
    throw new EmtError('E_FAT_VOLUME_ID', `The volume id ${spec.volumeId} is not a 32-bit number.`, 'Pass a volume id between 0 and 4294967295.');
  }
  const hiddenSectors = checkOffset(spec.partitionOffset ?? 0);
  const tree = buildTree(spec, RULES);
  const plans = planDirectories(tree, label !== null);
  let forced = spec.fatType === 'auto' ? undefined : spec.fatType;
  const rootPlan = plans[0]!;
  // FAT12/16 keep the root in a fixed region counted in 16 bits; FAT32's root is a chain like any folder.
  if (rootPlan.entries > MAX_FIXED_ROOT_ENTRIES && forced !== 32) {
    if (forced) {
      throw new EmtError('E_FAT_DIR_TOO_LARGE', `The root folder needs ${rootPlan.entries} directory entries; FAT${forced} holds at most ${MAX_FIXED_ROOT_ENTRIES} there.`, 'Use FAT32, or move files into subfolders.');
    }
    forced = 32;
  }
  const geometryFor = (bytes: number): FatGeometry | null => fatGeometry(bytes / SECTOR, { fatType: forced, minRootEntries: rootPlan.entries });

  let g: FatGeometry;
  let size: number;
  if (spec.size !== undefined) {
    checkSize(spec.size);
    const found = geometryFor(spec.size);
    if (!found) {
      throw new EmtError('E_FAT_BAD_SIZE', `A ${forced ? `FAT${forced}` : 'FAT'} file system cannot be made in ${spec.size} bytes.`, forced === 32 ? 'FAT32 needs at least 33 MiB; choose a bigger size or let the FAT type be chosen automatically.' : 'Choose another size, or let the FAT type be chosen automatically.');
    }
    if (clustersNeeded(plans, found) > found.clusterCount) {
      const minimum = smallestSize(plans, geometryFor, 0);
      throw new EmtError('E_FAT_TOO_SMALL', `The files and folders need a FAT image of ${minimum} bytes (in whole MiB), but the requested size is ${spec.size} bytes.`, 'Make the image or partition bigger, or put fewer files on it.', { details: { needed: minimum, requested: spec.size } });
    }
    g = found;
    size = spec.size;
  } else {
    size = smallestSize(plans, geometryFor, slackBytes(plans));
    g = geometryFor(size)!;
  }
  return assemble(plans, g, size, label, spec.volumeId, hiddenSectors);
}

function checkLabel(label: string | undefined): string | null {
  if (label === undefined || label === '') return null;
  if (label.length > 11 || !/^[A-Z0-9!#$%&'()\-@^_`{}~][A-Z0-9!#$%&'()\-@^_`{}~ ]*$/.test(label)) {
    throw new EmtError('E_FAT_LABEL', `"${label}" cannot be a FAT volume label.`, "Use up to 11 characters: capital letters, digits, spaces (not first) and ! # $ % & ' ( ) - @ ^ _ ` { } ~.");
  }
  return label.padEnd(11, ' ');
}

function checkOffset(offset: number): number {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset % SECTOR !== 0 || offset / SECTOR > 0xffffffff) {
    throw new EmtError('E_FAT_BAD_OFFSET', `The partition offset ${offset} is not a whole number of 512-byte sectors below 2 TiB.`, 'Align the partition to 512 bytes (1 MiB is usual).');
  }
  return offset / SECTOR;
}

function checkSize(size: number): void {
  if (!Number.isSafeInteger(size) || size <= 0 || size % SECTOR !== 0 || size / SECTOR > 0xffffffff) {
    throw new EmtError('E_FAT_BAD_SIZE', `${size} bytes is not a valid FAT volume size.`, 'Give a multiple of 512 bytes, at most 2 TiB.');
  }
}

function planDirectories(tree: TreeDir, hasLabel: boolean): DirPlan[] {
  return walkTree(tree).dirs.map((dir) => {
    const isRoot = dir.path === '/';
    const alloc = new ShortNameAllocator();
    const names = new Map<TreeNode, ShortName>();
    let entries = isRoot ? (hasLabel ? 1 : 0) : 2; // the label, or "." and ".."
    for (const child of dir.children) {
      const short = alloc.allocate(child.name);
      names.set(child, short);
      entries += entryCount(child.name, short);
    }
    if (entries > MAX_DIR_ENTRIES) {
      throw new EmtError('E_FAT_DIR_TOO_LARGE', `The folder ${dir.path} needs ${entries} directory entries; FAT allows ${MAX_DIR_ENTRIES}.`, 'Spread the files over several folders, or use shorter names (long names take several entries).');
    }
    return { dir, names, entries, isRoot };
  });
}

function dirClusters(p: DirPlan, g: FatGeometry): number {
  if (p.isRoot && g.fatType !== 32) return 0; // FAT12/16 keep the root in its own region
  return Math.max(1, Math.ceil((p.entries * ENTRY_SIZE) / clusterBytes(g)));
}

function clustersNeeded(plans: DirPlan[], g: FatGeometry): number {
  const cs = clusterBytes(g);
  let n = 0;
  for (const p of plans) {
    n += dirClusters(p, g);
    for (const c of p.dir.children) if (c.kind === 'file') n += Math.ceil(c.size / cs);
  }
  return n;
}

function slackBytes(plans: DirPlan[]): number {
  let content = 0;
  for (const p of plans) for (const c of p.dir.children) if (c.kind === 'file') content += c.size;
  return Math.max(64 * 1024, Math.ceil(content / 64));
}

/** The smallest whole-MiB size whose geometry holds the tree plus `slack` bytes of free clusters. */
function smallestSize(plans: DirPlan[], geometryFor: (bytes: number) => FatGeometry | null, slack: number): number {
  let content = 0;
  for (const p of plans) for (const c of p.dir.children) if (c.kind === 'file') content += c.size;
  let size = Math.ceil((content + slack) / MIB) * MIB || MIB;
  for (;;) {
    if (size / SECTOR > 0xffffffff) {
      throw new EmtError('E_FAT_TOO_LARGE', `The files (${content} bytes) do not fit in the largest FAT volume (2 TiB).`, 'Use exFAT for this much data.');
    }
    const g = geometryFor(size);
    if (g) {
      const missing = clustersNeeded(plans, g) + Math.ceil(slack / clusterBytes(g)) - g.clusterCount;
      if (missing <= 0) return size;
      size += Math.max(MIB, Math.ceil((missing * clusterBytes(g)) / MIB) * MIB);
    } else {
      size += MIB;
    }
  }
}

/** `size` is the image's; the volume itself may end a few sectors earlier, at a track boundary. */
function assemble(plans: DirPlan[], g: FatGeometry, size: number, label: string | null, volumeId: number, hiddenSectors: number): FatImage {
  const cs = clusterBytes(g);
  const is32 = g.fatType === 32;
  // Allocation order: directories breadth-first (the FAT32 root gets cluster 2, as mkfs.fat does), then files.
  const firstCluster = new Map<TreeNode, number>();
  const parentOf = new Map<TreeNode, DirPlan>();
  for (const p of plans) for (const c of p.dir.children) parentOf.set(c, p);
  const runs: ClusterRun[] = [];
  let next = 2;
  for (const p of plans) {
    const count = dirClusters(p, g);
    if (count === 0) continue;
    firstCluster.set(p.dir, next);
    runs.push({ first: next, count });
    next += count;
  }
  const files = walkTree(plans[0]!.dir).files;
  for (const f of files) {
    const count = Math.ceil(f.size / cs);
    if (count === 0) continue;
    firstCluster.set(f, next);
    runs.push({ first: next, count });
    next += count;
  }
  const used = next - 2;
  const dataOffset = firstDataSector(g) * SECTOR;

  const dirBytes = (p: DirPlan): Buffer => {
    const buf = Buffer.alloc(p.isRoot && !is32 ? g.rootEntries * ENTRY_SIZE : dirClusters(p, g) * cs);
    let at = 0;
    const self = firstCluster.get(p.dir) ?? 0;
    if (p.isRoot && label) {
      encodeShortEntry({ name: Buffer.from(label, 'latin1'), attr: ATTR_VOLUME_ID, caseFlags: 0, mtime: p.dir.mtime, firstCluster: 0, size: 0 }, buf, 0);
      at = ENTRY_SIZE;
    }
    if (!p.isRoot) {
      const parent = parentOf.get(p.dir)!;
      // FAT §6.7: ".." of a first-level folder points at cluster 0, even on FAT32.
      const parentCluster = parent.isRoot ? 0 : firstCluster.get(parent.dir)!;
      for (const [name, cluster] of [['.', self], ['..', parentCluster]] as const) {
        encodeShortEntry({ name: Buffer.from(name.padEnd(11, ' '), 'latin1'), attr: ATTR_DIRECTORY, caseFlags: 0, mtime: p.dir.mtime, firstCluster: cluster, size: 0 }, buf, at);
        at += ENTRY_SIZE;
      }
    }
    for (const child of p.dir.children) {
      const isDir = child.kind === 'dir';
      at = encodeNamedEntry(child.name, p.names.get(child)!, {
        attr: isDir ? ATTR_DIRECTORY : ATTR_ARCHIVE,
        mtime: child.mtime,
        firstCluster: firstCluster.get(child) ?? 0,
        size: isDir ? 0 : child.size,
      }, buf, at);
    }
    return buf;
  };

  const reserved = Buffer.alloc(g.reservedSectors * SECTOR);
  const boot = encodeBootSector({ geometry: g, volumeId, label: label ?? NO_NAME, hiddenSectors });
  reserved.set(boot, 0);
  if (is32) {
    const free = g.clusterCount - used;
    const info = encodeFsInfo(free, free > 0 ? next : 0xffffffff);
    reserved.set(info, FSINFO_SECTOR * SECTOR);
    reserved.set(boot, BACKUP_BOOT_SECTOR * SECTOR);
    reserved.set(info, (BACKUP_BOOT_SECTOR + 1) * SECTOR);
  }
  const fatBytes = g.fatSectors * SECTOR;
  const segments: Segment[] = [{ kind: 'bytes', data: reserved }];
  for (let i = 0; i < NUM_FATS; i++) segments.push({ kind: 'generated', length: fatBytes, chunks: () => renderFat(g.fatType, runs, fatBytes) });
  if (!is32) segments.push({ kind: 'bytes', data: dirBytes(plans[0]!) });
  for (const p of plans) if (dirClusters(p, g) > 0) segments.push({ kind: 'bytes', data: dirBytes(p) });
  for (const f of files) {
    const count = Math.ceil(f.size / cs);
    if (count > 0) segments.push({ kind: 'source', source: f.content, length: count * cs, path: f.path });
  }
  segments.push({ kind: 'zeros', length: (g.clusterCount - used) * cs, isUnused: true });
  const end = dataOffset + g.clusterCount * cs;
  segments.push({ kind: 'zeros', length: size - end, isUnused: true });

  const image = sparseImage(segments, 'FAT');
  const layout: FatLayout = {
    fatType: g.fatType,
    clusterSize: cs,
    clusterCount: g.clusterCount,
    usedClusters: used,
    reservedSectors: g.reservedSectors,
    fatSectors: g.fatSectors,
    rootEntries: g.rootEntries,
    dataOffset,
    files: files.filter((f) => firstCluster.has(f)).map((f) => ({ path: f.path, offset: dataOffset + (firstCluster.get(f)! - 2) * cs, size: f.size })),
  };
  return { ...image, layout };
}
