import { FAT_MAX_FILE_SIZE, fatImage, type FatImage } from '../fat/fat-image';
import { fatGeometry, SECTOR } from '../fat/geometry';
import type { ImageTreeSpec } from '../fat/image-tree';
import { exfatImage, type ExfatImage } from './exfat-image';

/**
 * The file system of a standalone stick's data partition (DOMAIN.md §3: p5 the OS image, p6 the
 * config, p7 user apps). FAT32 needs no extra tools on the node; a file of 4 GiB or more (an OS
 * image `*.raw.gz` can be) needs exFAT. A partition too small for FAT32 (under 33 MiB) gets FAT16
 * or FAT12, which the Bootkit's vfat driver mounts just the same.
 */

export type DataFilesystem = 'fat12' | 'fat16' | 'fat32' | 'exfat';

export interface DataPartitionSpec extends ImageTreeSpec {
  /** FAT rules apply unless exFAT is chosen: up to 11 capital letters, digits, `_` and `-` are safe for both. */
  label?: string;
  volumeId: number;
  /** The partition's size in bytes. */
  size: number;
  /** Where the partition starts on the stick, in bytes. */
  partitionOffset?: number;
}

/** FAT32, unless a file is too large for FAT. */
export function chooseDataFilesystem(files: ReadonlyArray<{ content: { size: number } }>): 'fat32' | 'exfat' {
  return files.some((f) => f.content.size > FAT_MAX_FILE_SIZE) ? 'exfat' : 'fat32';
}

/** The partition's image, in the file system `chooseDataFilesystem` picks (FAT16/12 when FAT32 cannot fit). */
export function dataPartitionImage(spec: DataPartitionSpec): { filesystem: DataFilesystem; image: FatImage | ExfatImage } {
  if (chooseDataFilesystem(spec.files) === 'exfat') return { filesystem: 'exfat', image: exfatImage(spec) };
  const canFat32 = Number.isSafeInteger(spec.size / SECTOR) && fatGeometry(spec.size / SECTOR, { fatType: 32 }) !== null;
  const image = fatImage({ ...spec, fatType: canFat32 ? 32 : 'auto' });
  return { filesystem: `fat${image.layout.fatType}`, image };
}
