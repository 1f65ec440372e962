import type { ByteSource } from '../byte-source';
import type { GptTable } from '../partition/gpt';
import type { Mbr } from '../partition/mbr';

/** Paths are absolute (`/boot/vmlinuz`); missing parent directories are made with mode 0755. */
export type IsoEntry =
  | { kind: 'file'; path: string; content: ByteSource; mode?: number; mtime?: Date }
  | { kind: 'dir'; path: string; mode?: number; mtime?: Date }
  | { kind: 'symlink'; path: string; target: string; mtime?: Date };

export interface IsoBiosBoot {
  /** Path of the no-emulation boot file in the tree (ISOLINUX's isolinux.bin). */
  path: string;
  /** 512-byte sectors the BIOS loads (El Torito "sector count"); ISOLINUX wants 4. */
  loadSectors?: number;
  /** Patch the boot info table (PVD LBA, file LBA, length, checksum) into bytes 8-63: ISOLINUX needs it. */
  hasBootInfoTable?: boolean;
}

export interface IsoEfiBoot {
  /** The EFI System Partition: a FAT image with EFI/BOOT/BOOTX64.EFI; a whole number of 512-byte sectors. */
  image: ByteSource;
  /** Also show the image in the tree at this path (e.g. `/boot/efi.img`); the bytes are stored once. */
  path?: string;
}

export interface IsoHybrid {
  /**
   * MBR boot code for BIOS boot from a disk (ISOLINUX's 432-byte isohdpfx.bin); the 512-byte LBA of the
   * BIOS boot file is written at offset 432. Needs `boot.bios`.
   */
  mbrCode?: Uint8Array;
  /** Seed for the disk and partition GUIDs and the MBR disk signature (same seed, same bytes). */
  guidSeed: string;
}

export interface IsoSpec {
  /** d-characters (A-Z, 0-9, _), at most 32; also the Joliet volume name. */
  volumeId: string;
  /** The one date used for volume dates and every entry without its own mtime (e.g. SOURCE_DATE_EPOCH). */
  date: Date;
  entries: IsoEntry[];
  systemId?: string;
  publisherId?: string;
  preparerId?: string;
  applicationId?: string;
  /** Rock Ridge (POSIX names, modes, symlinks) in the primary tree; default true. */
  hasRockRidge?: boolean;
  /** A Joliet tree (Windows names); default true. */
  hasJoliet?: boolean;
  boot?: { bios?: IsoBiosBoot; efi?: IsoEfiBoot };
  /** Make the image a valid disk too: protective MBR (+ boot code) and GPT with the ESP as partition 2. */
  hybrid?: IsoHybrid;
}

/** Where everything went. LBAs are 2048-byte blocks unless named `...Sector` (512 bytes). */
export interface IsoLayout {
  blocks: number;
  size: number;
  files: { path: string; lba: number; size: number }[];
  bootCatalogLba: number | null;
  biosBoot: { path: string; lba: number; size: number; loadSectors: number } | null;
  esp: { lba: number; size: number } | null;
  partitions: { mbr: Mbr; gpt: GptTable } | null;
}
