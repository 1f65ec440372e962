import type { ByteSource, RandomAccess } from '../byte-source';
import { EmtError, throwIfAborted } from '../../errors';
import { upcase } from './upcase';

/** What the FAT and exFAT readers offer `inspect` and verification: the same shape for both. */

export interface VolumeEntry {
  /** Absolute, slash-separated, with the names as stored (long names). */
  path: string;
  name: string;
  isDirectory: boolean;
  size: number;
  mtime: Date;
}

export interface FsVolume {
  readonly type: 'fat12' | 'fat16' | 'fat32' | 'exfat';
  /** The volume label, '' when there is none. */
  readonly label: string;
  readonly volumeId: number;
  /** Bytes the volume spans. */
  readonly size: number;
  readonly clusterSize: number;
  /** The entries of one folder ('/' for the root). */
  readdir(path?: string): Promise<VolumeEntry[]>;
  /** Every entry of the volume, each folder before its contents. */
  list(): Promise<VolumeEntry[]>;
  stat(path: string): Promise<VolumeEntry>;
  /** A file's content, streamed from the volume on each `stream()`. */
  file(path: string): Promise<ByteSource>;
}

/** A reader's own entry: the public fields plus where its data lives. */
export interface LocatedEntry extends VolumeEntry {
  readonly location: unknown;
}

/**
 * The path logic both readers share: case-insensitive lookup (as the file systems compare names),
 * folder walking and errors. A reader supplies how to read the root and a folder entry.
 */
export abstract class VolumeBase<E extends LocatedEntry> implements FsVolume {
  abstract readonly type: FsVolume['type'];
  abstract readonly label: string;
  abstract readonly volumeId: number;
  abstract readonly size: number;
  abstract readonly clusterSize: number;

  protected constructor(protected readonly ra: RandomAccess, private readonly codePrefix: string, private readonly fsName: string) {}

  protected abstract readRoot(): Promise<E[]>;
  protected abstract readFolder(dir: E): Promise<E[]>;
  protected abstract fileContent(entry: E): ByteSource;

  // Folders are read once per opened volume: the readers inspect images that do not change under them.
  private readonly folders = new Map<string, Promise<E[]>>();

  private children(dir: E | null): Promise<E[]> {
    const key = dir?.path ?? '/';
    let p = this.folders.get(key);
    if (!p) {
      p = dir ? this.readFolder(dir) : this.readRoot();
      this.folders.set(key, p);
    }
    return p;
  }

  /** null stands for the root. */
  protected async resolve(path: string): Promise<E | null> {
    let current: E | null = null;
    const parts = path.split('/').filter((p) => p !== '');
    for (let i = 0; i < parts.length; i++) {
      if (current && !current.isDirectory) throw this.error('NOT_A_DIRECTORY', `${current.path} is a file, not a folder.`, 'Check the path.');
      const want = upcase(parts[i]!);
      const found: E | undefined = (await this.children(current)).find((e) => upcase(e.name) === want);
      if (!found) throw this.error('NOT_FOUND', `There is no /${parts.slice(0, i + 1).join('/')} on the ${this.fsName} volume.`, 'Check the path; names are compared without regard to case.');
      current = found;
    }
    return current;
  }

  async readdir(path = '/'): Promise<VolumeEntry[]> {
    const dir = await this.resolve(path);
    if (dir && !dir.isDirectory) throw this.error('NOT_A_DIRECTORY', `${dir.path} is a file, not a folder.`, 'Check the path.');
    return (await this.children(dir)).map(publicEntry);
  }

  async list(): Promise<VolumeEntry[]> {
    const out: VolumeEntry[] = [];
    const visit = async (dir: E | null): Promise<void> => {
      for (const e of await this.children(dir)) {
        out.push(publicEntry(e));
        if (e.isDirectory) await visit(e);
      }
    };
    await visit(null);
    return out;
  }

  async stat(path: string): Promise<VolumeEntry> {
    const e = await this.resolve(path);
    if (!e) return { path: '/', name: '', isDirectory: true, size: 0, mtime: new Date(0) };
    return publicEntry(e);
  }

  async file(path: string): Promise<ByteSource> {
    const e = await this.resolve(path);
    if (!e || e.isDirectory) throw this.error('IS_A_DIRECTORY', `${e?.path ?? '/'} is a folder, not a file.`, 'Give the path of a file.');
    return this.fileContent(e);
  }

  protected error(code: string, message: string, hint: string): EmtError {
    return new EmtError(`E_${this.codePrefix}_${code}`, message, hint);
  }

  /** The volume's metadata is inconsistent (a chain loops, a cluster is out of range, …). */
  protected corrupt(what: string): EmtError {
    return this.error('CORRUPT', `The ${this.fsName} volume is damaged: ${what}.`, `Rebuild the image or rewrite the stick; on a used stick, run fsck.${this.fsName === 'exFAT' ? 'exfat' : 'fat'} on it.`);
  }
}

function publicEntry(e: LocatedEntry): VolumeEntry {
  return { path: e.path, name: e.name, isDirectory: e.isDirectory, size: e.size, mtime: e.mtime };
}

export function joinPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/** Contiguous clusters `first`.. of a chain, `count` of them. */
export interface Extent {
  first: number;
  count: number;
}

const READ_CHUNK = 1 << 20;

/**
 * Stream `size` bytes stored in `extents` of clusters, cluster 2 starting at byte `heap` of `ra`.
 * Reads at most 1 MiB at a time.
 */
export function extentsSource(ra: RandomAccess, heap: number, clusterSize: number, extents: () => Promise<Extent[]>, size: number, tooShort: () => Error): ByteSource {
  return {
    size,
    async *stream(signal) {
      let left = size;
      for (const x of await extents()) {
        let at = heap + (x.first - 2) * clusterSize;
        let inExtent = Math.min(left, x.count * clusterSize);
        while (inExtent > 0) {
          throwIfAborted(signal);
          const n = Math.min(READ_CHUNK, inExtent);
          yield await ra.read(at, n);
          at += n;
          inExtent -= n;
          left -= n;
        }
        if (left === 0) break;
      }
      if (left > 0) throw tooShort();
    },
  };
}

const FAT_BLOCK = 64 * 1024;
const MAX_CACHED_BLOCKS = 64;

/** FAT16/FAT32/exFAT table entries read on demand in 64 KiB blocks, a few MiB cached at most. */
export class FatBlocks {
  private readonly blocks = new Map<number, Buffer>();

  constructor(
    private readonly ra: RandomAccess,
    private readonly start: number,
    private readonly bytes: number,
    private readonly width: 2 | 4,
  ) {}

  /** The raw little-endian value of entry `index`. */
  async entry(index: number): Promise<number> {
    const block = Math.floor((index * this.width) / FAT_BLOCK);
    let buf = this.blocks.get(block);
    if (!buf) {
      buf = await this.ra.read(this.start + block * FAT_BLOCK, Math.min(FAT_BLOCK, this.bytes - block * FAT_BLOCK));
      if (this.blocks.size >= MAX_CACHED_BLOCKS) this.blocks.clear();
      this.blocks.set(block, buf);
    }
    const at = index * this.width - block * FAT_BLOCK;
    return this.width === 2 ? buf.readUInt16LE(at) : buf.readUInt32LE(at);
  }
}
