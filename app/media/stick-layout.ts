import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { EmtError } from '../errors';
import { hashFileOffThread, OffThreadHash } from '../jobs/hash-worker';
import { isVerified, rememberVerified } from './verified-images';
import { fromBuffer, fromFile, sliceOf, zeros, type ByteSource } from '../formats/byte-source';
import type { StickPartition } from '../contract/build';
import { dataPartitionImage } from '../formats/exfat/data-partition';
import type { SparseImage } from '../formats/fat/sparse-image';
import type { ImageFile } from '../formats/fat/image-tree';
import type { IsoImage } from '../formats/iso9660/writer';
import { buildGpt, entryArraySectors } from '../formats/partition/gpt';
import { appendGptPartitions, relocateGpt } from '../formats/partition/gpt-resize';
import { derivedGuid, GPT_TYPE } from '../formats/partition/guid';
import { protectiveMbr, readMbr, SECTOR } from '../formats/partition/mbr';
import type { StickContent } from '../profile/render-types';
import { composeDisk, type Placed } from './sparse-compose';

const MIB = 2 ** 20;
/** GPT type "Linux reserved": a partition no system mounts or offers to format. */
const RESERVED_TYPE = '8DA63339-0007-60C0-C436-083AC8230908';
// Basic data, not Linux: the partitions are FAT/exFAT, and with this type Windows and macOS mount
// them too, so a technician can swap the OS image on any laptop (the installer mounts by number).
const DATA_TYPE = GPT_TYPE.microsoftBasicData;
const RESERVED_BYTES = MIB;
const CONFIG_BYTES = 256 * MIB;
const OS_SLACK_BYTES = 256 * MIB;
const MIN_OS_BYTES = 1024 * MIB;
const MIN_APPS_BYTES = 64 * MIB;


export interface StandaloneStick extends SparseImage {
  partitions: StickPartition[];
}

/**
 * The EMT-S stick from any OS, with no external tools (DOMAIN.md §3): the hybrid ISO at the start,
 * then **exactly seven** GPT partitions, as the upstream installer's stick detection demands —
 * 1 the ISO 9660 data and 2 the EFI System Partition (both from the ISO), 3 and 4 small reserved
 * partitions that keep the numbering (upstream's grub-mkrescue ISO has four entries of its own),
 * 5 the OS image and its .sha256sum, 6 config-file and .psswd, 7 user-apps/. Data partitions are
 * FAT32, or exFAT when a file needs it; the table is laid out for `diskBytes` (the stick, or the
 * image file the user sized), with its backup at the very end.
 */
export async function planStandaloneStick(iso: IsoImage, content: StickContent, diskBytes: number, guidSeed: string, date: Date, options: { cacheDir?: string } = {}): Promise<StandaloneStick> {
  const tables = iso.layout.partitions;
  if (!tables) throw new Error('internal: the standalone stick needs a hybrid ISO');
  if (!content.osImage) {
    throw new EmtError('E_STICK_NO_OS_IMAGE', 'The standalone stick needs an EMT OS image (*.raw.gz) for partition 5; the profile names none.', 'Choose the OS image in the profile (standalone → OS image).');
  }
  if (!content.passwordFile) {
    throw new EmtError('E_STICK_NO_PASSWORD', 'The standalone stick needs the password of the user the installer creates (.psswd on partition 6).', 'Give the password when you build (the CLI asks, or use --password-stdin / --password-env).');
  }
  const osFiles: ImageFile[] = [
    { path: basename(content.osImage.path), content: await checkedOsImage(content.osImage.path, content.osImage.checksumPath, options.cacheDir) },
    { path: basename(content.osImage.checksumPath), content: await fromFile(content.osImage.checksumPath) },
  ];
  const configFiles: ImageFile[] = [
    { path: 'config-file', content: fromBuffer(Buffer.from(content.configFile)) },
    // The secret goes to the stick only, never to a file of this machine (it is streamed from memory).
    { path: '.psswd', content: fromBuffer(Buffer.from(content.passwordFile.reveal())) },
  ];
  const appFiles = content.userAppsDir ? await treeOf(content.userAppsDir, 'user-apps') : [];
  // user-apps/ exists even when empty: the installer looks for it on partition 7.
  const appDirs = [{ path: 'user-apps' }];

  const roundMiB = (n: number) => Math.ceil(n / MIB) * MIB;
  const osBytes = Math.max(MIN_OS_BYTES, roundMiB(osFiles.reduce((n, f) => n + f.content.size, 0) + OS_SLACK_BYTES));
  const appsNeed = roundMiB(appFiles.reduce((n, f) => n + f.content.size, 0) * 1.05 + MIN_APPS_BYTES);
  const diskSectors = Math.floor(diskBytes / SECTOR);
  const tailSectors = 1 + entryArraySectors();
  const isoEnd = roundMiB(iso.source.size);
  const needed = isoEnd + 2 * RESERVED_BYTES + osBytes + CONFIG_BYTES + appsNeed + 4 * MIB + tailSectors * SECTOR;
  if (diskBytes < needed) {
    throw new EmtError(
      'E_STICK_TOO_SMALL',
      `The stick is ${gb(diskBytes)} GB; this standalone media needs ${gb(needed)} GB (ISO ${gb(isoEnd)} GB, OS image ${gb(osBytes)} GB, user apps ${gb(appsNeed)} GB).`,
      `Use a stick of at least ${Math.ceil(needed / 1e9)} GB.`,
      { details: { diskBytes, needed } },
    );
  }

  let table = relocateGpt(tables.gpt, diskSectors);
  table = appendGptPartitions(
    table,
    [
      { number: 3, typeGuid: RESERVED_TYPE, name: 'EMT reserved', sectors: RESERVED_BYTES / SECTOR },
      { number: 4, typeGuid: RESERVED_TYPE, name: 'EMT reserved', sectors: RESERVED_BYTES / SECTOR },
      { number: 5, typeGuid: DATA_TYPE, name: 'EMT OS image', sectors: osBytes / SECTOR },
      { number: 6, typeGuid: DATA_TYPE, name: 'EMT config', sectors: CONFIG_BYTES / SECTOR },
      { number: 7, typeGuid: DATA_TYPE, name: 'EMT user apps', sectors: 'rest' },
    ],
    { guidSeed },
  );
  const part = (n: number) => table.partitions[n - 1]!;
  const bytesOf = (n: number) => ({ firstByte: part(n).firstLba * SECTOR, bytes: (part(n).lastLba - part(n).firstLba + 1) * SECTOR });

  const volume = (n: number) => Number.parseInt(derivedGuid(guidSeed, `volume ${n}`).slice(0, 8), 16) >>> 0;
  const data = (n: number, label: string, files: ImageFile[], dirs: { path: string }[] = []) => {
    const { firstByte, bytes } = bytesOf(n);
    return { n, firstByte, bytes, ...dataPartitionImage({ label, volumeId: volume(n), size: bytes, partitionOffset: firstByte, files, dirs, mtime: date }) };
  };
  const p5 = data(5, 'EMT_OSIMAGE', osFiles);
  const p6 = data(6, 'EMT_CONFIG', configFiles);
  const p7 = data(7, 'EMT_APPS', appFiles, appDirs);

  // The ISO keeps its bytes except its own partition tables: LBA 0-33 get the stick's. The MBR keeps
  // all 440 bytes before the disk signature: isohdpfx.bin's 432 and, after them, the address of
  // isolinux.bin it loads, without which BIOS boot from the stick fails.
  const gpt = buildGpt(table);
  const oldMbr = readMbr(await firstSector(iso.source));
  const mbr = protectiveMbr(diskSectors, { bootCode: oldMbr.bootCode, diskSignature: oldMbr.diskSignature, isBootable: true });
  const head = Buffer.concat([mbr, gpt.primary]);
  // Past the ISO's last partition (the ESP) come its padding and backup GPT, zeroed so no tool
  // mistakes that backup for this disk's. When the ESP ends on a MiB boundary p3 starts right there,
  // over the ISO's backup, and p3's own zeros cover it.
  const isoDataEnd = Math.max(...tables.gpt.partitions.map((p) => (p ? (p.lastLba + 1) * SECTOR : 0)));
  const isoZeroEnd = Math.min(iso.source.size, bytesOf(3).firstByte);
  const reserved = (n: number): Placed => ({ offset: bytesOf(n).firstByte, source: zeros(bytesOf(n).bytes) });
  const pieces: Placed[] = [
    { offset: 0, source: fromBuffer(head) },
    { offset: head.length, source: sliceOf(iso.source, head.length, isoDataEnd) },
    ...(isoZeroEnd > isoDataEnd ? [{ offset: isoDataEnd, source: zeros(isoZeroEnd - isoDataEnd) }] : []),
    reserved(3),
    reserved(4),
    ...[p5, p6, p7].map((p): Placed => ({ offset: p.firstByte, source: p.image })),
    { offset: gpt.backupOffset, source: fromBuffer(gpt.backup) },
  ];
  const disk = composeDisk(diskSectors * SECTOR, pieces);
  const isoParts: StickPartition[] = [
    { number: 1, name: part(1).name, ...bytesOf(1), filesystem: 'iso9660', files: [] },
    { number: 2, name: part(2).name, ...bytesOf(2), filesystem: 'esp', files: ['EFI/BOOT/BOOTX64.EFI'] },
    { number: 3, name: part(3).name, ...bytesOf(3), filesystem: 'reserved', files: [] },
    { number: 4, name: part(4).name, ...bytesOf(4), filesystem: 'reserved', files: [] },
  ];
  const dataParts = [p5, p6, p7].map((p, i): StickPartition => ({
    number: p.n,
    name: part(p.n).name,
    firstByte: p.firstByte,
    bytes: p.bytes,
    filesystem: p.filesystem,
    files: [osFiles, configFiles, appFiles][i]!.map((f) => f.path),
  }));
  return { ...disk, partitions: [...isoParts, ...dataParts] };
}

/**
 * The OS image, checked against its published .sha256sum: the node's installer would only find a
 * damaged image after wiping the node's disks. Streamed (an image file, the data socket), it is
 * hashed as it goes and a mismatch fails the write at the end of the image (the stick is then
 * wiped, an image file removed); read by the writer itself, the check runs beside the write and the
 * stick is not finished before it passes. An image checked before (verified-images.ts, in the
 * cache folder) is not hashed again while it keeps its size, time and inode.
 */
async function checkedOsImage(path: string, checksumPath: string, cacheDir: string | undefined): Promise<ByteSource> {
  const sum = await readFile(checksumPath, 'utf8').catch(() => {
    throw new EmtError('E_OS_IMAGE_CHECKSUM_MISSING', `${basename(checksumPath)} is missing beside the OS image.`, 'Download the .sha256sum published with the image into the same folder.');
  });
  const expected = /^([0-9a-fA-F]{64})\b/.exec(sum.trim())?.[1]?.toLowerCase();
  if (!expected) {
    throw new EmtError('E_OS_IMAGE_CHECKSUM_FORMAT', `${basename(checksumPath)} does not start with a SHA-256 hash.`, 'Download the .sha256sum file again; it holds "<hash>  <file name>".');
  }
  const before = await stat(path);
  const stamp = { size: before.size, mtimeMs: before.mtimeMs };
  const changed = () => new EmtError('E_SOURCE_CHANGED', `The OS image ${basename(path)} changed while the stick was being made.`, 'Wait until whatever writes the image has finished (a copy or a download), then try again.', { details: { path } });
  const unchanged = async () => {
    const now = await stat(path);
    if (now.size !== before.size || now.mtimeMs !== before.mtimeMs) throw changed();
  };
  const compare = async (actual: string) => {
    if (actual !== expected) {
      throw new EmtError(
        'E_OS_IMAGE_HASH',
        `The OS image ${basename(path)} does not match its .sha256sum (sha256 ${actual.slice(0, 16)}…, expected ${expected.slice(0, 16)}…).`,
        'The image is damaged or is not the one the checksum was published for: download it again.',
        { details: { path, expected, actual } },
      );
    }
    await unchanged();
    await rememberVerified(cacheDir, path, before, expected);
  };
  if (await isVerified(cacheDir, path, before, expected)) return fromFile(path, { stamp, changed });
  const image = await fromFile(path, { stamp, changed, check: async (signal) => compare(await hashFileOffThread(path, signal)) });
  return {
    size: image.size,
    runs: () => image.runs!(),
    async *stream(signal) {
      const hash = new OffThreadHash();
      try {
        for await (const chunk of image.stream(signal)) {
          await hash.update(chunk);
          yield chunk;
        }
        await compare(await hash.digest());
      } finally {
        hash.dispose();
      }
    },
  };
}

async function firstSector(src: ByteSource): Promise<Buffer> {
  for await (const chunk of src.stream()) {
    if (chunk.length >= SECTOR) return Buffer.from(chunk.subarray(0, SECTOR));
    throw new Error('internal: the ISO starts with a short chunk');
  }
  throw new Error('internal: the ISO is empty');
}

/** Every file below `dir`, as image files under `prefix/`. */
async function treeOf(dir: string, prefix: string): Promise<ImageFile[]> {
  const out: ImageFile[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const abs = join(d, e.name);
      if (e.isDirectory()) await walk(abs);
      else if (e.isFile() || (e.isSymbolicLink() && (await stat(abs)).isFile())) out.push({ path: `${prefix}/${relative(dir, abs).split(/[\\/]/).join('/')}`, content: await fromFile(abs) });
      else {
        throw new EmtError('E_STICK_USER_APPS', `${abs} in the user apps folder is not a regular file.`, 'Keep only files and folders in the user apps folder (links, devices and sockets cannot go onto FAT).');
      }
    }
  };
  await walk(dir);
  return out;
}

const gb = (n: number) => (n / 1e9).toFixed(1);
