import { EmtError, throwIfAborted } from '../../errors';
import { runsOf, fromBuffer, readAll, zeros, type ByteSource, type ByteRun } from '../byte-source';
import { BLOCK } from './encoding';
import { bootCatalog, patchBootInfoTable, PLATFORM_BIOS, PLATFORM_EFI } from './el-torito';
import { bootRecord, terminator, volumeDescriptor, type VolumeFields } from './descriptors';
import { pathTable, writeContinuationAreas, writeDirectory, type ExtentOf, type TreePlan } from './directory';
import { checkHybrid, hybridTables, type HybridTables } from './hybrid';
import { layoutIso, PVD_LBA, type Extent, type Layout } from './layout';
import type { IsoEntry, IsoLayout, IsoSpec } from './spec';
import { buildTree, pathOf, type DirNode, type FileNode, type TreeNode } from './tree';

export interface IsoImage {
  source: ByteSource;
  layout: IsoLayout;
}

/** El Torito's sector count is 16 bits of 512-byte sectors: the largest ESP a catalog entry can describe. */
export const MAX_ESP_BYTES = 0xffff * 512;
/** The BIOS boot file is patched in memory; boot loaders that need a boot info table are small. */
const MAX_PATCHED_BOOT_FILE = 1 << 20;

function checkIds(spec: IsoSpec): void {
  if (!/^[A-Z0-9_]{1,32}$/.test(spec.volumeId)) {
    throw new EmtError('E_ISO_VOLUME_ID', `The volume name "${spec.volumeId}" is not 1-32 characters of A-Z, 0-9 and _.`, 'Choose a volume name such as EMT_BOOTKIT.');
  }
  const aChars = /^[A-Z0-9_ !"%&'()*+,\-./:;<=>?]*$/;
  for (const [field, value, max] of [['systemId', spec.systemId, 32], ['publisherId', spec.publisherId, 128], ['preparerId', spec.preparerId, 128], ['applicationId', spec.applicationId, 128]] as const) {
    if (value !== undefined && (!aChars.test(value) || value.length > max)) {
      throw new EmtError('E_ISO_FIELD', `The ISO ${field} "${value}" is not up to ${max} upper-case ISO 9660 a-characters.`, 'Use upper-case letters, digits, spaces and simple punctuation.');
    }
  }
}

function findFile(root: DirNode, path: string, what: string): FileNode {
  let node: TreeNode | undefined = root;
  for (const part of path.split('/').filter((p) => p !== '')) node = node?.kind === 'dir' ? node.children.get(part) : undefined;
  if (node?.kind !== 'file') {
    throw new EmtError('E_ISO_BOOT_FILE_MISSING', `The ${what} ${path} is not a file in the ISO tree.`, 'Add the boot file to the tree at that path.');
  }
  return node;
}

function checkEsp(image: ByteSource): void {
  if (image.size === 0 || image.size % 512 !== 0) {
    throw new EmtError('E_ISO_ESP_SIZE', `The EFI boot image is ${image.size} bytes, not a whole number of 512-byte sectors.`, 'Make the FAT image a multiple of 512 bytes.');
  }
  if (image.size > MAX_ESP_BYTES) {
    throw new EmtError(
      'E_ISO_ESP_TOO_LARGE',
      `The EFI boot image is ${image.size} bytes; El Torito can describe at most ${MAX_ESP_BYTES} bytes (65535 sectors).`,
      'Keep the kernel and initrd on the ISO file system and only the boot loader in the EFI image.',
    );
  }
}

/**
 * An ISO 9660 image (Rock Ridge, Joliet, El Torito BIOS + UEFI, optionally hybrid MBR/GPT) as a
 * ByteSource. Only metadata and a patched BIOS boot file are held in memory; file contents are
 * streamed from their sources in LBA order. Same spec, same bytes.
 */
export async function isoImage(spec: IsoSpec): Promise<IsoImage> {
  checkIds(spec);
  const efi = spec.boot?.efi;
  if (efi) checkEsp(efi.image);
  const entries: IsoEntry[] = efi?.path ? [...spec.entries, { kind: 'file', path: efi.path, content: efi.image }] : [...spec.entries];
  const root = buildTree(entries, spec.date);

  const bios = spec.boot?.bios;
  const biosNode = bios ? findFile(root, bios.path, 'BIOS boot file') : null;
  const loadSectors = bios?.loadSectors ?? 4;
  if (bios && (!Number.isInteger(loadSectors) || loadSectors < 1 || loadSectors > 0xffff)) {
    throw new EmtError('E_ISO_BOOT_LOAD_SIZE', `A BIOS load size of ${loadSectors} sectors is not between 1 and 65535.`, 'ISOLINUX needs 4.');
  }
  const hasBootInfoTable = !!bios && (bios.hasBootInfoTable ?? true);
  let biosBytes: Buffer | null = null;
  if (biosNode && (hasBootInfoTable || spec.hybrid?.mbrCode)) {
    if (biosNode.content.size > MAX_PATCHED_BOOT_FILE) {
      throw new EmtError('E_ISO_BOOT_FILE_TOO_LARGE', `The BIOS boot file ${bios!.path} is ${biosNode.content.size} bytes; at most 1 MiB can be patched.`, 'Use isolinux.bin, or turn the boot info table off.');
    }
    biosBytes = await readAll(biosNode.content, MAX_PATCHED_BOOT_FILE);
    if (hasBootInfoTable && biosBytes.length < 64) {
      throw new EmtError('E_ISO_BOOT_FILE_TOO_SMALL', `The BIOS boot file ${bios!.path} is ${biosBytes.length} bytes, too small for a boot info table.`, 'Check that the boot file is isolinux.bin.');
    }
  }
  if (spec.hybrid) checkHybrid(spec.hybrid, biosBytes);

  const layout = layoutIso(root, {
    hasJoliet: spec.hasJoliet ?? true,
    hasRockRidge: spec.hasRockRidge ?? true,
    hasBoot: !!bios || !!efi,
    biosBootNode: biosNode,
    esp: efi ? { node: efi.path ? findFile(root, efi.path, 'EFI image') : null, source: efi.image } : null,
    isHybrid: !!spec.hybrid,
  });
  const hybrid = spec.hybrid ? hybridTables(layout, spec.hybrid) : null;
  const metadata = writeMetadata(spec, layout, hybrid, loadSectors);
  const patched = biosBytes && hasBootInfoTable ? patchBootInfoTable(biosBytes, PVD_LBA, layout.biosBoot!.lba) : biosBytes;
  const size = layout.totalBlocks * BLOCK;

  const source: ByteSource = {
    size,
    runs() {
      const out: ByteRun[] = [{ kind: 'bytes', length: metadata.length, source: fromBuffer(metadata) }];
      for (const e of layout.extents) {
        if (e === layout.biosBoot && patched) out.push({ kind: 'bytes', length: patched.length, source: fromBuffer(patched) });
        else out.push(...runsOf(e.source));
        const pad = (BLOCK - (e.size % BLOCK)) % BLOCK;
        if (pad > 0) out.push({ kind: 'zeros', length: pad });
      }
      if (hybrid) {
        const gap = hybrid.gpt.backupOffset - layout.dataEndBlock * BLOCK;
        if (gap > 0) out.push({ kind: 'zeros', length: gap });
        out.push({ kind: 'bytes', length: hybrid.gpt.backup.length, source: fromBuffer(hybrid.gpt.backup) });
      }
      return out;
    },
    async *stream(signal) {
      yield metadata;
      for (const e of layout.extents) {
        throwIfAborted(signal);
        if (e === layout.biosBoot && patched) yield patched;
        else yield* exactly(e, signal);
        const pad = (BLOCK - (e.size % BLOCK)) % BLOCK;
        if (pad > 0) yield Buffer.alloc(pad);
      }
      if (hybrid) {
        yield* zeros(hybrid.gpt.backupOffset - layout.dataEndBlock * BLOCK).stream();
        yield hybrid.gpt.backup;
      }
    },
  };
  return { source, layout: publicLayout(layout, hybrid, loadSectors) };
}

/** A file's bytes, refusing a source that yields more or fewer bytes than it promised. */
async function* exactly(e: Extent, signal: AbortSignal | undefined): AsyncIterable<Buffer> {
  let seen = 0;
  const changed = () =>
    new EmtError('E_ISO_SOURCE_CHANGED', `${e.node ? pathOf(e.node) : 'The EFI image'} changed size while the ISO was written (expected ${e.size} bytes).`, 'Make sure no other program changes the input files, then build again.');
  try {
    for await (const chunk of e.source.stream(signal)) {
      seen += chunk.length;
      if (seen > e.size) throw changed();
      yield chunk;
    }
  } catch (err) {
    // A source stopped by the signal throws its own AbortError; the caller wants E_CANCELLED.
    throwIfAborted(signal);
    throw err;
  }
  if (seen !== e.size) throw changed();
}

function writeMetadata(spec: IsoSpec, layout: Layout, hybrid: HybridTables | null, loadSectors: number): Buffer {
  const out = Buffer.alloc(layout.metadataBlocks * BLOCK);
  const at = (lba: number) => lba * BLOCK;
  if (hybrid) {
    hybrid.mbr.copy(out, 0);
    hybrid.gpt.primary.copy(out, 512);
  }
  const fields = (tree: TreePlan, l: number, m: number): VolumeFields => ({
    volumeId: spec.volumeId,
    systemId: spec.systemId ?? '',
    publisherId: spec.publisherId ?? '',
    preparerId: spec.preparerId ?? '',
    applicationId: spec.applicationId ?? '',
    date: spec.date,
    volumeBlocks: layout.totalBlocks,
    pathTableSize: tree.pathTableSize,
    lPathLba: l,
    mPathLba: m,
    rootLba: tree.dirs[0]!.lba,
    rootBlocks: tree.dirs[0]!.blocks,
  });
  const pt = layout.pathTables;
  volumeDescriptor(fields(layout.primary, pt.primaryL, pt.primaryM), false).copy(out, at(PVD_LBA));
  if (layout.bootRecordLba !== null) bootRecord(layout.catalogLba!).copy(out, at(layout.bootRecordLba));
  if (layout.joliet) volumeDescriptor(fields(layout.joliet, pt.jolietL, pt.jolietM), true).copy(out, at(layout.jolietVdLba!));
  terminator().copy(out, at(layout.terminatorLba));

  const trees: [TreePlan, number, number][] = [[layout.primary, pt.primaryL, pt.primaryM]];
  if (layout.joliet) trees.push([layout.joliet, pt.jolietL, pt.jolietM]);
  for (const [tree, l, m] of trees) {
    pathTable(tree, false).copy(out, at(l));
    pathTable(tree, true).copy(out, at(m));
    const extentOf: ExtentOf = (node) => {
      if (node.kind === 'dir') {
        const d = tree.byNode.get(node)!;
        return { lba: d.lba, size: d.blocks * BLOCK };
      }
      // Symlinks have no data: Rock Ridge SL carries the target.
      const e = node.kind === 'file' ? layout.extentOf.get(node) : undefined;
      return e ? { lba: e.lba, size: e.size } : { lba: 0, size: 0 };
    };
    for (const d of tree.dirs) writeDirectory(out, 0, d, extentOf);
    writeContinuationAreas(out, 0, tree);
  }

  if (layout.catalogLba !== null) {
    const images: { platform: number; sectorCount: number; loadRba: number }[] = [];
    if (layout.biosBoot) images.push({ platform: PLATFORM_BIOS, sectorCount: loadSectors, loadRba: layout.biosBoot.lba });
    if (layout.esp) images.push({ platform: PLATFORM_EFI, sectorCount: layout.esp.size / 512, loadRba: layout.esp.lba });
    bootCatalog(images).copy(out, at(layout.catalogLba));
  }
  return out;
}

function publicLayout(layout: Layout, hybrid: HybridTables | null, loadSectors: number): IsoLayout {
  return {
    blocks: layout.totalBlocks,
    size: layout.totalBlocks * BLOCK,
    files: layout.extents.filter((e) => e.node).map((e) => ({ path: pathOf(e.node!), lba: e.lba, size: e.size })),
    bootCatalogLba: layout.catalogLba,
    biosBoot: layout.biosBoot ? { path: pathOf(layout.biosBoot.node!), lba: layout.biosBoot.lba, size: layout.biosBoot.size, loadSectors } : null,
    esp: layout.esp ? { lba: layout.esp.lba, size: layout.esp.size } : null,
    partitions: hybrid ? { mbr: hybrid.mbrInfo, gpt: hybrid.table } : null,
  };
}
