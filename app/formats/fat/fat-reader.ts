import type { ByteSource, RandomAccess } from '../byte-source';
import { decodeBpb, type Bpb } from './boot-sector';
import { parseDirectory } from './dir-entry';
import { fat12Entry } from './fat-table';
import { extentsSource, FatBlocks, joinPath, VolumeBase, type Extent, type FsVolume, type LocatedEntry } from './volume';

/**
 * Read a FAT12/16/32 volume (ours, mkfs.fat's, Windows'): label, tree with long names, file
 * contents following the cluster chains. Nothing is read until asked for, and the FAT is read in
 * blocks, so a multi-GiB volume costs a few reads.
 */
export async function openFat(ra: RandomAccess, offset = 0): Promise<FsVolume> {
  const bpb = decodeBpb(await ra.read(offset, 512));
  const volume = new FatVolume(ra, offset, bpb);
  await volume.readLabel();
  return volume;
}

interface FatEntry extends LocatedEntry {
  readonly location: number; // first cluster
}

const MAX_DIR_BYTES = 65536 * 32; // FAT §6.1: at most 65,536 entries per directory

class FatVolume extends VolumeBase<FatEntry> {
  readonly type: FsVolume['type'];
  label = '';
  readonly volumeId: number;
  readonly size: number;
  readonly clusterSize: number;
  private readonly heap: number;
  private readonly fatStart: number;
  private readonly fat: FatBlocks;
  private fat12: Buffer | undefined;

  constructor(ra: RandomAccess, private readonly offset: number, private readonly bpb: Bpb) {
    super(ra, 'FAT', 'FAT');
    this.type = `fat${bpb.fatType}`;
    this.volumeId = bpb.volumeId;
    this.size = bpb.totalSectors * bpb.bytesPerSector;
    this.clusterSize = bpb.sectorsPerCluster * bpb.bytesPerSector;
    this.heap = offset + bpb.firstDataSector * bpb.bytesPerSector;
    this.fatStart = offset + bpb.reservedSectors * bpb.bytesPerSector;
    this.fat = new FatBlocks(ra, this.fatStart, bpb.fatSectors * bpb.bytesPerSector, bpb.fatType === 16 ? 2 : 4);
  }

  /** The label entry of the root wins over the BPB copy, as in Windows and Linux. */
  async readLabel(): Promise<void> {
    const fromRoot = parseDirectory(await this.rootBytes(), this.bpb.fatType === 32).label;
    const fromBpb = this.bpb.label === 'NO NAME' ? '' : this.bpb.label;
    this.label = fromRoot ?? fromBpb;
  }

  private async next(cluster: number): Promise<number> {
    if (this.bpb.fatType === 12) {
      this.fat12 ??= await this.ra.read(this.fatStart, this.bpb.fatSectors * this.bpb.bytesPerSector);
      return fat12Entry(this.fat12, cluster);
    }
    const value = await this.fat.entry(cluster);
    return this.bpb.fatType === 32 ? value & 0x0fffffff : value; // FAT §4: the top 4 bits are reserved
  }

  /** Follow a chain into extents; `maxBytes` bounds it (a file's size, a directory's limit). */
  private async chain(first: number, maxBytes: number): Promise<Extent[]> {
    const extents: Extent[] = [];
    const last = this.bpb.clusterCount + 1;
    const endMark = this.bpb.fatType === 12 ? 0xff8 : this.bpb.fatType === 16 ? 0xfff8 : 0x0ffffff8;
    const maxClusters = Math.min(this.bpb.clusterCount, Math.ceil(maxBytes / this.clusterSize));
    let cluster = first;
    for (let n = 0; ; n++) {
      if (cluster < 2 || cluster > last) throw this.corrupt(`a cluster chain points at cluster ${cluster}, outside the volume`);
      if (n >= maxClusters) throw this.corrupt(`the cluster chain starting at ${first} is longer than its content`);
      const x = extents.at(-1);
      if (x && x.first + x.count === cluster) x.count++;
      else extents.push({ first: cluster, count: 1 });
      const value = await this.next(cluster);
      if (value >= endMark) return extents;
      cluster = value;
    }
  }

  private async readExtents(extents: Extent[]): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (const x of extents) parts.push(await this.ra.read(this.heap + (x.first - 2) * this.clusterSize, x.count * this.clusterSize));
    return Buffer.concat(parts);
  }

  private async rootBytes(): Promise<Buffer> {
    if (this.bpb.fatType === 32) return this.readExtents(await this.chain(this.bpb.rootCluster, MAX_DIR_BYTES));
    const at = this.offset + (this.bpb.reservedSectors + this.bpb.numFats * this.bpb.fatSectors) * this.bpb.bytesPerSector;
    return this.ra.read(at, this.bpb.rootEntries * 32);
  }

  private entries(buf: Buffer, dirPath: string): FatEntry[] {
    return parseDirectory(buf, this.bpb.fatType === 32).entries.map((e) => ({
      path: joinPath(dirPath, e.name),
      name: e.name,
      isDirectory: e.isDirectory,
      size: e.isDirectory ? 0 : e.size,
      mtime: e.mtime,
      location: e.firstCluster,
    }));
  }

  protected async readRoot(): Promise<FatEntry[]> {
    return this.entries(await this.rootBytes(), '/');
  }

  protected async readFolder(dir: FatEntry): Promise<FatEntry[]> {
    if (dir.location === 0) return this.readRoot(); // a ".." style reference to the root
    return this.entries(await this.readExtents(await this.chain(dir.location, MAX_DIR_BYTES)), dir.path);
  }

  protected fileContent(e: FatEntry): ByteSource {
    const tooShort = (): Error => this.corrupt(`the clusters of ${e.path} hold less than its ${e.size} bytes`);
    if (e.size > 0 && e.location === 0) throw tooShort();
    return extentsSource(this.ra, this.heap, this.clusterSize, async () => (e.size === 0 ? [] : this.chain(e.location, e.size)), e.size, tooShort);
  }
}
