/**
 * The layout of a FAT volume of a given size: FAT type, cluster size, reserved sectors, FAT size,
 * root directory size. We make the choices `mkfs.fat` (dosfstools 4.x) makes, because firmware is
 * tested against its images (archiso warns that some firmware dislikes other geometry): FAT32 from
 * 512 MiB up, Microsoft's FAT32 cluster-size table, FAT12/16 starting at 2 KiB clusters, and the
 * reserved area, FATs and root directory each rounded up to whole clusters so that clusters are
 * aligned to their own size (except on floppy-sized volumes of 4 MiB or less).
 */

export type FatType = 12 | 16 | 32;

export const SECTOR = 512;
export const NUM_FATS = 2;
export const MEDIA_FIXED_DISK = 0xf8;
export const FAT32_THRESHOLD = 512 * 1024 * 1024;

// FAT §3.5: the type is decided by the count of clusters; these are the bounds we build within.
// FAT12/16 stay a little below the spec's 4085/65525, as mkfs.fat does (the top entries are reserved).
const MAX_CLUSTERS: Record<FatType, number> = { 12: 4080 - 2, 16: 65520 - 2, 32: 2 ** 28 - 16 };
const MIN_CLUSTERS: Record<FatType, number> = { 12: 1, 16: 4085, 32: 65525 };

export interface FatGeometry {
  fatType: FatType;
  totalSectors: number;
  sectorsPerCluster: number;
  reservedSectors: number;
  /** Sectors of one FAT. */
  fatSectors: number;
  /** Root directory entries of FAT12/16 (0 on FAT32, whose root is a cluster chain). */
  rootEntries: number;
  clusterCount: number;
  sectorsPerTrack: number;
  heads: number;
}

export interface GeometryOptions {
  /** Force a type; the default picks like mkfs.fat. */
  fatType?: FatType;
  /** FAT12/16: at least this many root entries (512 otherwise). */
  minRootEntries?: number;
}

/** The geometry of a volume of `totalSectors` 512-byte sectors, or null if no valid one exists. */
export function fatGeometry(totalSectors: number, options: GeometryOptions = {}): FatGeometry | null {
  const bytes = totalSectors * SECTOR;
  const forced = options.fatType;
  const types: FatType[] = forced ? [forced] : bytes >= FAT32_THRESHOLD ? [32] : [12, 16];
  const is32 = types[0] === 32;
  const isAligned = totalSectors > 8192;
  const align = (n: number, spc: number): number => (isAligned ? Math.ceil(n / spc) * spc : n);

  let spc = is32 ? fat32ClusterSectors(bytes) : 4;
  const baseReserved = is32 ? 32 : 1;
  const rootEntries = is32 ? 0 : Math.ceil(Math.max(512, options.minRootEntries ?? 0) / 16) * 16;
  const rootSectors = (rootEntries * 32) / SECTOR;

  for (; spc <= 128; spc *= 2) {
    const reserved = align(baseReserved, spc);
    const root = align(rootSectors, spc);
    const candidates = types.map((t) => fit(t, totalSectors - reserved - (t === 32 ? 0 : root), spc, align));
    // mkfs.fat: with both FAT12 and FAT16 possible, take the one that gives more clusters.
    const best = candidates.filter((c) => c !== null).sort((a, b) => b.clusters - a.clusters || a.type - b.type)[0];
    if (!best) continue;
    return {
      fatType: best.type,
      totalSectors,
      sectorsPerCluster: spc,
      reservedSectors: reserved,
      fatSectors: best.fatSectors,
      rootEntries: best.type === 32 ? 0 : (root * SECTOR) / 32,
      clusterCount: best.clusters,
      ...chs(bytes),
    };
  }
  return null;
}

/** Microsoft's FAT32 cluster sizes (fatgen103 p. 20), as mkfs.fat applies them. */
function fat32ClusterSectors(bytes: number): number {
  const mib = Math.floor(bytes / (1024 * 1024));
  return mib > 32 * 1024 ? 64 : mib > 16 * 1024 ? 32 : mib > 8 * 1024 ? 16 : mib > 260 ? 8 : 1;
}

/**
 * How many clusters a type gets out of the sectors left for FATs + data: first an estimate that
 * shares the space between data and FAT entries, then the exact count once the FAT size (rounded
 * to whole sectors, and clusters when aligning) is known.
 */
function fit(type: FatType, sectors: number, spc: number, align: (n: number, spc: number) => number): { type: FatType; clusters: number; fatSectors: number } | null {
  if (sectors <= 0) return null;
  const bits = type;
  const estimate = Math.floor((sectors * SECTOR * 8 + NUM_FATS * 2 * bits) / (spc * SECTOR * 8 + NUM_FATS * bits));
  const fatSectors = align(Math.ceil(Math.ceil(((estimate + 2) * bits) / 8) / SECTOR), spc);
  const entries = Math.floor((fatSectors * SECTOR * 8) / bits);
  let clusters = Math.floor((sectors - NUM_FATS * fatSectors) / spc);
  // A FAT of N entries describes clusters 2..N-1. mkfs.fat lets FAT32 overshoot that by up to two
  // clusters; we leave those sectors unused instead.
  if (type === 32) clusters = Math.min(clusters, entries - 2);
  if (clusters > Math.min(entries - 2, MAX_CLUSTERS[type]) || clusters < MIN_CLUSTERS[type]) return null;
  return { type, clusters, fatSectors };
}

/** Meaningless for LBA access but checked by some old code; mkfs.fat's defaults for fixed disks. */
function chs(bytes: number): { sectorsPerTrack: number; heads: number } {
  return bytes < FAT32_THRESHOLD ? { sectorsPerTrack: 32, heads: 64 } : { sectorsPerTrack: 63, heads: 255 };
}

export function clusterBytes(g: FatGeometry): number {
  return g.sectorsPerCluster * SECTOR;
}

/** Sector where cluster 2 begins. */
export function firstDataSector(g: FatGeometry): number {
  return g.reservedSectors + NUM_FATS * g.fatSectors + (g.rootEntries * 32) / SECTOR;
}
