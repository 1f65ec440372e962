import type { ByteSource } from '../byte-source';
import { BLOCK, blocksFor } from './encoding';
import { planTree, pathTableBlocks, type DirPlan, type TreePlan } from './directory';
import { areaLength } from './susp';
import { walk, type DirNode, type FileNode } from './tree';

/** A file extent in the data area, in LBA order. */
export interface Extent {
  /** The tree node it belongs to; null for an ESP that is not shown in the tree. */
  node: FileNode | null;
  source: ByteSource;
  lba: number;
  size: number;
}

export interface Layout {
  primary: TreePlan;
  joliet: TreePlan | null;
  bootRecordLba: number | null;
  jolietVdLba: number | null;
  terminatorLba: number;
  pathTables: { primaryL: number; primaryM: number; jolietL: number; jolietM: number };
  catalogLba: number | null;
  /** Blocks [0, metadataBlocks) are system area, descriptors, path tables, directories, catalog. */
  metadataBlocks: number;
  extents: Extent[];
  extentOf: Map<FileNode, Extent>;
  biosBoot: Extent | null;
  esp: Extent | null;
  /** First block after the ISO data (the ESP included); padding for the backup GPT may follow. */
  dataEndBlock: number;
  totalBlocks: number;
}

export const PVD_LBA = 16;
/** The backup GPT (32 sectors of entries + header) in whole blocks at the end of a hybrid image. */
export const GPT_BACKUP_BLOCKS = Math.ceil((33 * 512) / BLOCK);

export interface LayoutOptions {
  hasJoliet: boolean;
  hasRockRidge: boolean;
  hasBoot: boolean;
  biosBootNode: FileNode | null;
  /** The ESP: its node when shown in the tree, and its bytes. */
  esp: { node: FileNode | null; source: ByteSource } | null;
  isHybrid: boolean;
}

/**
 * Give every structure its blocks: descriptors from LBA 16 (El Torito's boot record at 17), path
 * tables, directories of both trees (each followed by its continuation areas), the boot catalog, then file data with the
 * BIOS boot file first and the ESP last, then (hybrid) room for the backup GPT.
 */
export function layoutIso(root: DirNode, o: LayoutOptions): Layout {
  const primary = planTree(root, { isJoliet: false, hasRockRidge: o.hasRockRidge });
  const joliet = o.hasJoliet ? planTree(root, { isJoliet: true, hasRockRidge: false }) : null;

  let next = PVD_LBA + 1;
  const bootRecordLba = o.hasBoot ? next++ : null;
  const jolietVdLba = joliet ? next++ : null;
  const terminatorLba = next++;

  const take = (blocks: number) => {
    const at = next;
    next += blocks;
    return at;
  };
  const primaryL = take(pathTableBlocks(primary));
  const primaryM = take(pathTableBlocks(primary));
  const jolietL = joliet ? take(pathTableBlocks(joliet)) : 0;
  const jolietM = joliet ? take(pathTableBlocks(joliet)) : 0;
  for (const tree of joliet ? [primary, joliet] : [primary]) {
    for (const d of tree.dirs) {
      d.lba = take(d.blocks);
      placeContinuationAreas(d, take);
    }
  }
  const catalogLba = o.hasBoot ? take(1) : null;
  const metadataBlocks = next;

  const extents: Extent[] = [];
  const extentOf = new Map<FileNode, Extent>();
  const place = (node: FileNode | null, source: ByteSource): Extent => {
    const e: Extent = { node, source, lba: take(blocksFor(source.size)), size: source.size };
    extents.push(e);
    if (node) extentOf.set(node, e);
    return e;
  };
  const biosBoot = o.biosBootNode ? place(o.biosBootNode, o.biosBootNode.content) : null;
  for (const node of walk(root)) {
    if (node.kind === 'file' && node !== o.biosBootNode && node !== o.esp?.node) place(node, node.content);
  }
  const esp = o.esp ? place(o.esp.node, o.esp.source) : null;
  const dataEndBlock = next;
  const totalBlocks = dataEndBlock + (o.isHybrid ? GPT_BACKUP_BLOCKS : 0);
  return {
    primary,
    joliet,
    bootRecordLba,
    jolietVdLba,
    terminatorLba,
    pathTables: { primaryL, primaryM, jolietL, jolietM },
    catalogLba,
    metadataBlocks,
    extents,
    extentOf,
    biosBoot,
    esp,
    dataEndBlock,
    totalBlocks,
  };
}

/**
 * Pack a directory's continuation areas into the blocks right after its extent, none crossing a block
 * boundary (SUSP §5.1). Right after: libarchive reads an image front to back and only picks up a
 * continuation area at the position it has reached when it finishes the directory.
 */
function placeContinuationAreas(dir: DirPlan, take: (blocks: number) => number): void {
  let lba = -1;
  let offset = BLOCK;
  for (const r of dir.records) {
    if (!r.su) continue;
    r.su.areas.forEach((_, i) => {
      const len = areaLength(r.su!, i);
      if (offset + len > BLOCK) {
        lba = take(1);
        offset = 0;
      }
      r.areaAt.push({ lba, offset });
      offset += len;
    });
  }
}
