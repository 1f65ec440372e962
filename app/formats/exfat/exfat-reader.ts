import { concat, zeros, type ByteSource, type RandomAccess } from '../byte-source';
import { extentsSource, FatBlocks, joinPath, VolumeBase, type Extent, type FsVolume, type LocatedEntry } from '../fat/volume';
import { BOOT_REGION_SECTORS, decodeBootRegion, SECTOR, type ExfatBoot } from './boot-region';
import { parseDirectory, type ParsedSet } from './entry-sets';

/**
 * Read an exFAT volume (ours, mkfs.exfat's, Windows'): label, tree, file contents, whether the
 * clusters are chained in the FAT or contiguous (NoFatChain). Checks the boot region checksum and
 * every entry set's checksum, as verification needs.
 */
export async function openExfat(ra: RandomAccess, offset = 0): Promise<FsVolume> {
  const boot = decodeBootRegion(await ra.read(offset, BOOT_REGION_SECTORS * SECTOR));
  const volume = new ExfatVolume(ra, offset, boot);
  await volume.readLabel();
  return volume;
}

interface ExfatEntry extends LocatedEntry {
  readonly location: ParsedSet;
}

const EOC = 0xffffffff;
const MAX_DIR_BYTES = 256 * 1024 * 1024; // exFAT §6.2

class ExfatVolume extends VolumeBase<ExfatEntry> {
  readonly type = 'exfat' as const;
  label = '';
  readonly volumeId: number;
  readonly size: number;
  readonly clusterSize: number;
  private readonly heap: number;
  private readonly fat: FatBlocks;

  constructor(ra: RandomAccess, offset: number, private readonly boot: ExfatBoot) {
    super(ra, 'EXFAT', 'exFAT');
    this.volumeId = boot.volumeSerial;
    this.size = boot.volumeSectors * boot.bytesPerSector;
    this.clusterSize = boot.clusterSize;
    this.heap = offset + boot.heapOffset;
    this.fat = new FatBlocks(ra, offset + boot.fatOffset, boot.fatLength, 4);
  }

  async readLabel(): Promise<void> {
    this.label = parseDirectory(await this.rootBytes(), (why) => this.corrupt(why)).label ?? '';
  }

  private async chain(first: number, maxBytes: number): Promise<Extent[]> {
    const extents: Extent[] = [];
    const maxClusters = Math.min(this.boot.clusterCount, Math.ceil(maxBytes / this.clusterSize));
    let cluster = first;
    for (let n = 0; ; n++) {
      if (cluster < 2 || cluster > this.boot.clusterCount + 1) throw this.corrupt(`a cluster chain points at cluster ${cluster}, outside the volume`);
      if (n >= maxClusters) throw this.corrupt(`the cluster chain starting at ${first} is longer than its content`);
      const x = extents.at(-1);
      if (x && x.first + x.count === cluster) x.count++;
      else extents.push({ first: cluster, count: 1 });
      const next = await this.fat.entry(cluster);
      if (next === EOC) return extents;
      cluster = next;
    }
  }

  /** A file's or folder's clusters: contiguous when NoFatChain says so, else from the FAT. */
  private async extents(set: ParsedSet, maxBytes: number): Promise<Extent[]> {
    if (set.size === 0) return [];
    if (!set.isContiguous) return this.chain(set.firstCluster, maxBytes);
    const count = Math.ceil(set.size / this.clusterSize);
    if (set.firstCluster < 2 || set.firstCluster + count - 1 > this.boot.clusterCount + 1) throw this.corrupt(`the clusters of a ${set.size}-byte entry run past the end of the volume`);
    return [{ first: set.firstCluster, count }];
  }

  private async readExtents(extents: Extent[]): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (const x of extents) parts.push(await this.ra.read(this.heap + (x.first - 2) * this.clusterSize, x.count * this.clusterSize));
    return Buffer.concat(parts);
  }

  private async rootBytes(): Promise<Buffer> {
    return this.readExtents(await this.chain(this.boot.rootCluster, MAX_DIR_BYTES));
  }

  private entries(buf: Buffer, dirPath: string): ExfatEntry[] {
    return parseDirectory(buf, (why) => this.corrupt(why)).sets.map((s) => ({
      path: joinPath(dirPath, s.name),
      name: s.name,
      isDirectory: s.isDirectory,
      size: s.isDirectory ? 0 : s.size,
      mtime: s.mtime,
      location: s,
    }));
  }

  protected async readRoot(): Promise<ExfatEntry[]> {
    return this.entries(await this.rootBytes(), '/');
  }

  protected async readFolder(dir: ExfatEntry): Promise<ExfatEntry[]> {
    return this.entries(await this.readExtents(await this.extents(dir.location, MAX_DIR_BYTES)), dir.path);
  }

  protected fileContent(e: ExfatEntry): ByteSource {
    const set = e.location;
    const tooShort = (): Error => this.corrupt(`the clusters of ${e.path} hold less than its ${e.size} bytes`);
    // exFAT §7.6.5: bytes past ValidDataLength read as zeros.
    const valid = Math.min(set.validSize, set.size);
    const written = extentsSource(this.ra, this.heap, this.clusterSize, () => this.extents(set, set.size), valid, tooShort);
    return valid === set.size ? written : concat([written, zeros(set.size - valid)]);
  }
}
