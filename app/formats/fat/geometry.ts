/**
 * The layout of a FAT volume of a given size: FAT type, cluster size, reserved sectors, FAT size,
 * root directory size. We make the choices `mkfs.fat` (dosfstools 4.2) makes, because firmware is
 * tested against its images (archiso warns that some firmware dislikes other geometry): FAT32 from
 * 512 MiB up, Microsoft's FAT32 cluster-size table, FAT12/16 starting at 2 KiB clusters, the
 * reserved area, FATs and root directory each rounded up to whole clusters so that clusters are
 * aligned to their own size, and the volume trimmed to whole tracks (DOS and mtools expect it).
 * Floppy-sized volumes (4 MiB or less) are not aligned.
 */

export type FatType = 12 | 16 | 32;

export const SECTOR = 512;
export const NUM_FATS = 2;
export const MEDIA_FIXED_DISK = 0xf8;
export const FAT32_THRESHOLD = 512 * 1024 * 1024;

// FAT §3.5 decides the type by the count of clusters. Like mkfs.fat 4.2 we keep clear of the
// boundaries: Windows' fastfat.sys reads fewer than 4087 clusters as FAT12, and FAT32 below 65525
// clusters would be read as FAT16 by firmware that follows the specification.
const MAX_CLUSTERS: Record<FatType, number> = { 12: 4084, 16: 65524, 32: 0x0ffffff6 };
const MIN_CLUSTERS: Record<FatType, number> = { 12: 1, 16: 4087, 32: 65525 };

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

/**
 * The geometry of a volume in a space of `sectors` 512-byte sectors, or null if no valid one
 * exists. `totalSectors` of the result may be a little smaller (whole tracks).
 */
export function fatGeometry(sectors: number, options: GeometryOptions = {}): FatGeometry | null {
  const bytes = sectors * SECTOR;
  const forced = options.fatType;
  const types: FatType[] = forced ? [forced] : bytes >= FAT32_THRESHOLD ? [32] : [12, 16];
  const is32 = types[0] === 32;
  const { sectorsPerTrack, heads } = chs(sectors);
  const totalSectors = Math.floor(sectors / sectorsPerTrack) * sectorsPerTrack;
  const isAligned = totalSectors > 8192;
  const align = (n: number, spc: number): number => (isAligned ? Math.ceil(n / spc) * spc : n);

  let spc = is32 ? fat32ClusterSectors(sectors) : 4;
  const baseReserved = is32 ? 32 : 1;
  const rootEntries = is32 ? 0 : Math.ceil(Math.max(512, options.minRootEntries ?? 0) / 16) * 16;
  const rootSectors = (rootEntries * 32) / SECTOR;

  for (; spc <= 128; spc *= 2) {
    const reserved = align(baseReserved, spc);
    const root = align(rootSectors, spc);
    if (!is32 && (root * SECTOR) / 32 > 0xffff) continue; // the BPB's 16-bit root entry count
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
      sectorsPerTrack,
      heads,
    };
  }
  return null;
}

/** Microsoft's FAT32 cluster sizes (fatgen103 p. 20), as mkfs.fat applies them. */
function fat32ClusterSectors(sectors: number): number {
  const gib = 1024 * 1024 * 2;
  return sectors > 32 * gib ? 64 : sectors > 16 * gib ? 32 : sectors > 8 * gib ? 16 : sectors > 260 * 2048 ? 8 : 1;
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
  // A FAT of N entries describes clusters 2..N-1. mkfs.fat lets the estimate overshoot that by up
  // to two clusters; we leave those sectors unused instead.
  clusters = Math.min(clusters, entries - 2);
  if (clusters > MAX_CLUSTERS[type] || clusters < MIN_CLUSTERS[type]) return null;
  return { type, clusters, fatSectors };
}

/**
 * Cylinder/head/sector geometry: meaningless for LBA access but read by DOS and mtools. mkfs.fat's
 * choice when the device reports none: the SD card recommendation up to 256 MiB, LBA-assist
 * translation above.
 */
function chs(sectors: number): { sectorsPerTrack: number; heads: number } {
  if (sectors <= 524288) {
    return { sectorsPerTrack: sectors <= 4096 ? 16 : 32, heads: sectors <= 32768 ? 2 : sectors <= 65536 ? 4 : sectors <= 262144 ? 8 : 16 };
  }
  const heads = [16, 32, 64, 128].find((h) => sectors <= h * 63 * 1024) ?? 255;
  return { sectorsPerTrack: 63, heads };
}

export function clusterBytes(g: FatGeometry): number {
  return g.sectorsPerCluster * SECTOR;
}

/** Sector where cluster 2 begins. */
export function firstDataSector(g: FatGeometry): number {
  return g.reservedSectors + NUM_FATS * g.fatSectors + (g.rootEntries * 32) / SECTOR;
}
