import { BLOCK, blocksFor, encodeUcs2, recordDate, writeBoth16, writeBoth32 } from './encoding';
import { comparePrimaryIds, compareJolietIds, jolietIds, primaryIds } from './names';
import { ceEntry, erEntry, inlineLength, nmEntries, planSystemUse, pxEntry, slEntries, spEntry, tfEntry, type SuPlan } from './susp';
import { pathOf, type DirNode, type TreeNode } from './tree';

/** One directory record to be written: what it points at, its identifier and System Use plan. */
export interface RecordPlan {
  /** The node the record describes (for "." the directory itself, for ".." its parent). */
  node: TreeNode;
  id: Buffer;
  su: SuPlan | null;
  length: number;
  /** Where each continuation area of `su` lives; filled in by the layout. */
  areaAt: { lba: number; offset: number }[];
}

/** One directory of one tree (primary or Joliet), in path-table order. */
export interface DirPlan {
  node: DirNode;
  /** Path table directory number (1 = root) and the parent's number. */
  number: number;
  parentNumber: number;
  /** Identifier in the path table and the parent's records ([0] for the root). */
  id: Buffer;
  records: RecordPlan[];
  blocks: number;
  lba: number;
}

export interface TreePlan {
  isJoliet: boolean;
  dirs: DirPlan[];
  byNode: Map<DirNode, DirPlan>;
  pathTableSize: number;
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

/** ECMA-119 §9.1: 33 fixed bytes, the identifier, a pad byte when its length is even. */
const recordBase = (idLength: number): number => 33 + idLength + (idLength % 2 === 0 ? 1 : 0);
/** The largest even record length (records are kept even so that System Use starts even, SUSP §4). */
const MAX_RECORD = 254;

/** `links` gives a directory's POSIX link count (its entry, its ".", and each subdirectory's ".."). */
function rockRidgeEntries(node: TreeNode, name: string | null, isRootDot: boolean, links: (dir: DirNode) => number): Buffer[] {
  const out: Buffer[] = [];
  if (isRootDot) out.push(spEntry());
  if (node.kind === 'dir') out.push(pxEntry(S_IFDIR | node.mode, links(node)));
  else if (node.kind === 'file') out.push(pxEntry(S_IFREG | node.mode, 1));
  else out.push(pxEntry(S_IFLNK | 0o777, 1));
  out.push(tfEntry(node.mtime));
  if (name !== null) out.push(...nmEntries(name));
  if (node.kind === 'symlink') out.push(...slEntries(node.target));
  if (isRootDot) out.push(erEntry());
  return out;
}

function record(node: TreeNode, id: Buffer, suEntries: Buffer[] | null): RecordPlan {
  const base = recordBase(id.length);
  const su = suEntries ? planSystemUse(suEntries, MAX_RECORD - base) : null;
  const suLength = su ? inlineLength(su) : 0;
  return { node, id, su, length: base + suLength + (suLength % 2), areaAt: [] };
}

/**
 * Plan the directories of one tree: identifiers, records with their Rock Ridge entries (primary tree
 * only), extents in blocks, and the path-table order (ECMA-119 §9.4.3: by level, then parent number,
 * then identifier), which also gives each directory its number.
 */
export function planTree(root: DirNode, options: { isJoliet: boolean; hasRockRidge: boolean }): TreePlan {
  const { isJoliet } = options;
  const hasRockRidge = options.hasRockRidge && !isJoliet;
  const encodeId = (id: string) => (isJoliet ? encodeUcs2(id) : Buffer.from(id, 'latin1'));
  const compare = isJoliet ? compareJolietIds : comparePrimaryIds;

  const dirs: DirPlan[] = [];
  const byNode = new Map<DirNode, DirPlan>();
  // Memoized: every subdirectory's ".." record asks for its parent's count again.
  const linkCounts = new Map<DirNode, number>();
  const links = (dir: DirNode): number => {
    let n = linkCounts.get(dir);
    if (n === undefined) {
      n = 2;
      for (const c of dir.children.values()) if (c.kind === 'dir') n++;
      linkCounts.set(dir, n);
    }
    return n;
  };
  const rr = (node: TreeNode, name: string | null, isRootDot: boolean) => (hasRockRidge ? rockRidgeEntries(node, name, isRootDot, links) : null);
  const rootPlan: DirPlan = { node: root, number: 1, parentNumber: 1, id: Buffer.from([0]), records: [], blocks: 0, lba: 0 };
  dirs.push(rootPlan);
  byNode.set(root, rootPlan);

  for (let i = 0; i < dirs.length; i++) {
    const plan = dirs[i]!;
    const dir = plan.node;
    // Symlinks have no meaning for Joliet readers (Windows); they stay in the Rock Ridge tree only.
    const children = [...dir.children.values()]
      .filter((c) => !(isJoliet && c.kind === 'symlink'))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const inputs = children.map((c) => ({ name: c.name, isDir: c.kind === 'dir' }));
    const ids = isJoliet ? jolietIds(inputs, pathOf(dir)) : primaryIds(inputs);
    const named = children.map((node, k) => ({ node, id: ids[k]! })).sort((a, b) => compare(a.id, b.id));

    const parent = dir.parent ?? dir;
    plan.records.push(record(dir, Buffer.from([0]), rr(dir, null, dir.parent === null)));
    plan.records.push(record(parent, Buffer.from([1]), rr(parent, null, false)));
    for (const { node, id } of named) {
      plan.records.push(record(node, encodeId(id), rr(node, node.name, false)));
      if (node.kind === 'dir') {
        const child: DirPlan = { node, number: dirs.length + 1, parentNumber: plan.number, id: encodeId(id), records: [], blocks: 0, lba: 0 };
        dirs.push(child);
        byNode.set(node, child);
      }
    }
    plan.blocks = directoryBlocks(plan.records);
  }
  const pathTableSize = dirs.reduce((n, d) => n + 8 + d.id.length + (d.id.length % 2), 0);
  return { isJoliet, dirs, byNode, pathTableSize };
}

/** ECMA-119 §6.8.1.1: a record never crosses a block boundary; the rest of the block stays zero. */
function directoryBlocks(records: readonly RecordPlan[]): number {
  let blocks = 1;
  let used = 0;
  for (const r of records) {
    if (used + r.length > BLOCK) {
      blocks++;
      used = 0;
    }
    used += r.length;
  }
  return blocks;
}

/** Where a record points: its extent and data length. */
export type ExtentOf = (node: TreeNode) => { lba: number; size: number };

function encodeRecord(r: RecordPlan, extent: { lba: number; size: number }): Buffer {
  const b = Buffer.alloc(r.length);
  b[0] = r.length;
  writeBoth32(b, 2, extent.lba);
  writeBoth32(b, 10, extent.size);
  recordDate(r.node.mtime).copy(b, 18);
  b[25] = r.node.kind === 'dir' ? 0x02 : 0x00;
  writeBoth16(b, 28, 1);
  b[32] = r.id.length;
  r.id.copy(b, 33);
  let at = recordBase(r.id.length);
  if (r.su) {
    for (const e of r.su.inline) {
      e.copy(b, at);
      at += e.length;
    }
    if (r.su.areas.length > 0) ceFor(r, 0).copy(b, at);
  }
  return b;
}

function ceFor(r: RecordPlan, area: number): Buffer {
  const su = r.su!;
  const own = su.areas[area]!.reduce((n, e) => n + e.length, 0);
  const length = own + (area < su.areas.length - 1 ? 28 : 0);
  return ceEntry(r.areaAt[area]!.lba, r.areaAt[area]!.offset, length);
}

/** Write a directory's extent into `out` (a zeroed buffer whose block 0 is at LBA `baseLba`). */
export function writeDirectory(out: Buffer, baseLba: number, dir: DirPlan, extentOf: ExtentOf): void {
  let at = (dir.lba - baseLba) * BLOCK;
  let used = 0;
  for (const r of dir.records) {
    if (used + r.length > BLOCK) {
      at += BLOCK - used;
      used = 0;
    }
    encodeRecord(r, extentOf(r.node)).copy(out, at);
    at += r.length;
    used += r.length;
  }
}

/** Write every continuation area of the tree's records (entries, then the CE chaining onwards). */
export function writeContinuationAreas(out: Buffer, baseLba: number, tree: TreePlan): void {
  for (const d of tree.dirs) {
    for (const r of d.records) {
      r.su?.areas.forEach((entries, i) => {
        let at = (r.areaAt[i]!.lba - baseLba) * BLOCK + r.areaAt[i]!.offset;
        for (const e of entries) {
          e.copy(out, at);
          at += e.length;
        }
        if (i < r.su!.areas.length - 1) ceFor(r, i + 1).copy(out, at);
      });
    }
  }
}

/** ECMA-119 §9.4: the L (little-endian) or M (big-endian) path table. */
export function pathTable(tree: TreePlan, isBigEndian: boolean): Buffer {
  const b = Buffer.alloc(tree.pathTableSize);
  let at = 0;
  for (const d of tree.dirs) {
    b[at] = d.id.length;
    if (isBigEndian) {
      b.writeUInt32BE(d.lba, at + 2);
      b.writeUInt16BE(d.parentNumber, at + 6);
    } else {
      b.writeUInt32LE(d.lba, at + 2);
      b.writeUInt16LE(d.parentNumber, at + 6);
    }
    d.id.copy(b, at + 8);
    at += 8 + d.id.length + (d.id.length % 2);
  }
  return b;
}

export const pathTableBlocks = (tree: TreePlan): number => blocksFor(tree.pathTableSize);
