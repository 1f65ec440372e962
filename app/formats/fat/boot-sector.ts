import { EmtError } from '../../errors';
import { oemText } from './short-name';
import { MEDIA_FIXED_DISK, NUM_FATS, SECTOR, type FatGeometry, type FatType } from './geometry';

/** FAT §3: the boot sector with its BIOS parameter block, and the FAT32 FSInfo sector (§5). */

export const NO_NAME = 'NO NAME    ';
const FAT32_ROOT_CLUSTER = 2;
export const FSINFO_SECTOR = 1;
export const BACKUP_BOOT_SECTOR = 6;

// Boot code for a volume that is not bootable by BIOS: "int 18h" asks the BIOS to try the next
// boot device, then halt in a loop should it return.
const BOOT_CODE = [0xcd, 0x18, 0xf4, 0xeb, 0xfd];

export interface BootSectorFields {
  geometry: FatGeometry;
  volumeId: number;
  /** 11 bytes, space-padded. */
  label: string;
  hiddenSectors: number;
}

export function encodeBootSector(f: BootSectorFields): Buffer {
  const g = f.geometry;
  const b = Buffer.alloc(SECTOR);
  const is32 = g.fatType === 32;
  const codeAt = is32 ? 90 : 62;
  b.set([0xeb, codeAt - 2, 0x90], 0); // short jump over the BPB to the boot code
  b.write('MSWIN4.1', 3, 'latin1'); // FAT §3.1 recommends this OEM name for compatibility
  b.writeUInt16LE(SECTOR, 11);
  b[13] = g.sectorsPerCluster;
  b.writeUInt16LE(g.reservedSectors, 14);
  b[16] = NUM_FATS;
  b.writeUInt16LE(g.rootEntries, 17);
  b.writeUInt16LE(!is32 && g.totalSectors < 0x10000 ? g.totalSectors : 0, 19);
  b[21] = MEDIA_FIXED_DISK;
  b.writeUInt16LE(is32 ? 0 : g.fatSectors, 22);
  b.writeUInt16LE(g.sectorsPerTrack, 24);
  b.writeUInt16LE(g.heads, 26);
  b.writeUInt32LE(f.hiddenSectors, 28);
  b.writeUInt32LE(!is32 && g.totalSectors < 0x10000 ? 0 : g.totalSectors, 32);
  let ext = 36;
  if (is32) {
    b.writeUInt32LE(g.fatSectors, 36);
    b.writeUInt16LE(0, 40); // ExtFlags: the FATs are mirrored
    b.writeUInt16LE(0, 42); // FSVer 0.0
    b.writeUInt32LE(FAT32_ROOT_CLUSTER, 44);
    b.writeUInt16LE(FSINFO_SECTOR, 48);
    b.writeUInt16LE(BACKUP_BOOT_SECTOR, 50);
    ext = 64;
  }
  b[ext] = 0x80; // drive number of a fixed disk
  b[ext + 2] = 0x29; // extended boot signature: the three fields below are present
  b.writeUInt32LE(f.volumeId >>> 0, ext + 3);
  b.write(f.label.padEnd(11, ' '), ext + 7, 11, 'latin1');
  b.write(`FAT${g.fatType}`.padEnd(8, ' '), ext + 18, 8, 'latin1');
  b.set(BOOT_CODE, codeAt);
  b[510] = 0x55;
  b[511] = 0xaa;
  return b;
}

export function encodeFsInfo(freeClusters: number, nextFree: number): Buffer {
  const b = Buffer.alloc(SECTOR);
  b.writeUInt32LE(0x41615252, 0);
  b.writeUInt32LE(0x61417272, 484);
  b.writeUInt32LE(freeClusters, 488);
  b.writeUInt32LE(nextFree, 492);
  b.writeUInt32LE(0xaa550000, 508);
  return b;
}

/** The BPB as a reader needs it. */
export interface Bpb {
  fatType: FatType;
  bytesPerSector: number;
  sectorsPerCluster: number;
  reservedSectors: number;
  numFats: number;
  rootEntries: number;
  totalSectors: number;
  fatSectors: number;
  rootCluster: number;
  volumeId: number;
  label: string;
  clusterCount: number;
  firstDataSector: number;
}

export function decodeBpb(b: Buffer): Bpb {
  const notFat = (why: string): EmtError =>
    new EmtError('E_FAT_NOT_FAT', `This is not a FAT file system: ${why}.`, 'Check that you opened the right image or partition.');
  if (b.length < SECTOR || b[510] !== 0x55 || b[511] !== 0xaa) throw notFat('the boot sector signature is missing');
  const bytesPerSector = b.readUInt16LE(11);
  const sectorsPerCluster = b[13]!;
  const reservedSectors = b.readUInt16LE(14);
  const numFats = b[16]!;
  const rootEntries = b.readUInt16LE(17);
  const totalSectors = b.readUInt16LE(19) || b.readUInt32LE(32);
  const fat16Size = b.readUInt16LE(22);
  const fatSectors = fat16Size || b.readUInt32LE(36);
  const isPow2 = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;
  if (![512, 1024, 2048, 4096].includes(bytesPerSector)) throw notFat(`the sector size ${bytesPerSector} is invalid`);
  if (!isPow2(sectorsPerCluster) || reservedSectors === 0 || numFats === 0 || totalSectors === 0 || fatSectors === 0) {
    throw notFat('the BIOS parameter block is invalid');
  }
  const rootSectors = Math.ceil((rootEntries * 32) / bytesPerSector);
  const firstDataSector = reservedSectors + numFats * fatSectors + rootSectors;
  if (firstDataSector >= totalSectors) throw notFat('the BIOS parameter block leaves no data area');
  const clusterCount = Math.floor((totalSectors - firstDataSector) / sectorsPerCluster);
  // FAT §3.5 decides the type by the cluster count; a zero 16-bit FAT size (Linux's test) means FAT32.
  const fatType: FatType = fat16Size === 0 ? 32 : clusterCount < 4085 ? 12 : 16;
  const ext = fatType === 32 ? 64 : 36;
  const hasExt = b[ext + 2] === 0x29;
  return {
    fatType,
    bytesPerSector,
    sectorsPerCluster,
    reservedSectors,
    numFats,
    rootEntries,
    totalSectors,
    fatSectors,
    rootCluster: fatType === 32 ? b.readUInt32LE(44) : 0,
    volumeId: hasExt ? b.readUInt32LE(ext + 3) : 0,
    label: hasExt ? oemText(b.subarray(ext + 7, ext + 18)).trimEnd() : '',
    clusterCount,
    firstDataSector,
  };
}
