import { EmtError, throwIfAborted } from '../../errors';
import type { ByteSource, RandomAccess } from '../byte-source';
import { BLOCK, decodeUcs2, parseRecordDate, parseVolumeDate } from './encoding';
import { parseBootCatalog, type BootEntry } from './el-torito';
import { readRockRidge } from './reader-susp';

export interface IsoNodeInfo {
  path: string;
  name: string;
  kind: 'file' | 'dir' | 'symlink';
  /** st_mode (type bits included) from Rock Ridge; null without Rock Ridge. */
  mode: number | null;
  size: number;
  /** Where the data is (several extents for a multi-extent file). */
  extents: { lba: number; size: number }[];
  mtime: Date;
  target: string | null;
  children: IsoNodeInfo[];
}

export interface IsoVolume {
  volumeId: string;
  systemId: string;
  publisherId: string;
  applicationId: string;
  created: Date | null;
  modified: Date | null;
  blocks: number;
  /** Which names the tree shows: Rock Ridge, else Joliet, else the primary identifiers. */
  nameSource: 'rockridge' | 'joliet' | 'primary';
  root: IsoNodeInfo;
  elTorito: { catalogLba: number; entries: BootEntry[] } | null;
  /** Every node below the root, depth first. */
  list(): IsoNodeInfo[];
  lookup(path: string): IsoNodeInfo | null;
  /** A file's bytes as a stream, read on demand. */
  readFile(path: string): ByteSource;
}

const MAX_DESCRIPTORS = 64;
/** A directory larger than this is not something a sane image has; refuse rather than exhaust memory. */
const MAX_DIRECTORY_BYTES = 64 << 20;
/** Rock Ridge relocation (CL) can make loops in a damaged image; no real tree is this deep. */
const MAX_DEPTH = 128;
const CHUNK = 1 << 20;

const notIso = (why: string) => new EmtError('E_ISO_NOT_ISO', `This is not a readable ISO 9660 image: ${why}.`, 'Check that you chose an ISO image (or the right drive).');
const trimA = (b: Buffer, from: number, len: number) => b.toString('latin1', from, from + len).replace(/[ \0]+$/, '');

interface DirRecord {
  id: Buffer;
  isDir: boolean;
  isMultiExtentPart: boolean;
  lba: number;
  size: number;
  date: Date;
  su: Buffer;
}

function parseRecord(b: Buffer, at: number): DirRecord {
  const idLen = b[at + 32]!;
  const base = 33 + idLen + (idLen % 2 === 0 ? 1 : 0);
  return {
    id: b.subarray(at + 33, at + 33 + idLen),
    isDir: (b[at + 25]! & 0x02) !== 0,
    isMultiExtentPart: (b[at + 25]! & 0x80) !== 0,
    lba: b.readUInt32LE(at + 2),
    size: b.readUInt32LE(at + 10),
    date: parseRecordDate(b.subarray(at + 18, at + 25)),
    su: b.subarray(at + base, at + b[at]!),
  };
}

/** ECMA-119 §6.8.1.1: records do not cross blocks; a zero length byte means "go to the next block". */
function parseDirectory(b: Buffer): DirRecord[] {
  const out: DirRecord[] = [];
  for (let at = 0; at < b.length; ) {
    const len = b[at]!;
    if (len === 0) {
      at = (Math.floor(at / BLOCK) + 1) * BLOCK;
      continue;
    }
    if (len < 34 || at + len > b.length) break;
    out.push(parseRecord(b, at));
    at += len;
  }
  return out;
}

/**
 * Open an ISO 9660 image: volume descriptors, the directory tree with Rock Ridge names, modes and
 * links (else Joliet names, else primary ones), and the El Torito catalog. Reads ISOs made by
 * xorriso/mkisofs too (multi-extent files, Rock Ridge continuation areas and relocated directories).
 */
export async function openIso(ra: RandomAccess): Promise<IsoVolume> {
  let pvd: Buffer | null = null;
  let joliet: Buffer | null = null;
  let catalogLba: number | null = null;
  for (let i = 0; i < MAX_DESCRIPTORS; i++) {
    const lba = 16 + i;
    if ((lba + 1) * BLOCK > ra.size) break;
    const d = await ra.read(lba * BLOCK, BLOCK);
    if (d.toString('latin1', 1, 6) !== 'CD001') break;
    const type = d[0]!;
    if (type === 255) break;
    if (type === 1 && !pvd) pvd = d;
    if (type === 2 && ['%/@', '%/C', '%/E'].includes(d.toString('latin1', 88, 91))) joliet = d;
    if (type === 0 && d.toString('latin1', 7, 30) === 'EL TORITO SPECIFICATION') catalogLba = d.readUInt32LE(71);
  }
  if (!pvd) throw notIso('there is no primary volume descriptor at block 16');

  const rootOf = (vd: Buffer) => parseRecord(vd, 156);
  const primaryRoot = rootOf(pvd);
  const readExtent = async (lba: number, size: number) => {
    if (size > MAX_DIRECTORY_BYTES || lba * BLOCK + size > ra.size) throw notIso(`a directory at block ${lba} lies outside the image`);
    return ra.read(lba * BLOCK, size);
  };
  const rootDir = parseDirectory(await readExtent(primaryRoot.lba, primaryRoot.size));
  const dot = rootDir[0];
  // SUSP §5.3: an SP entry at the start of the root's "." System Use field says SUSP (Rock Ridge) is used.
  const isRockRidge = !!dot && dot.su.length >= 7 && dot.su.toString('latin1', 0, 2) === 'SP' && dot.su[4] === 0xbe && dot.su[5] === 0xef;
  const skip = isRockRidge ? dot!.su[6]! : 0;
  const nameSource: IsoVolume['nameSource'] = isRockRidge ? 'rockridge' : joliet ? 'joliet' : 'primary';
  const tree = nameSource === 'joliet' ? rootOf(joliet!) : primaryRoot;

  const plainName = (r: DirRecord) => {
    const raw = nameSource === 'joliet' ? decodeUcs2(r.id) : r.id.toString('latin1');
    return r.isDir ? raw : raw.replace(/;\d+$/, '').replace(/\.$/, '');
  };

  const visited = new Set<number>();
  const readDir = async (dir: IsoNodeInfo, lba: number, size: number, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH || visited.has(lba)) throw notIso(`the directory tree loops at block ${lba}`);
    visited.add(lba);
    const records = parseDirectory(await readExtent(lba, size));
    let pending: IsoNodeInfo | null = null;
    for (const r of records.slice(2)) {
      const rr = isRockRidge ? await readRockRidge(ra, r.su, skip) : null;
      if (rr?.isRelocated) continue;
      const name = rr?.name ?? plainName(r);
      // ECMA-119 §9.1.6 bit 7: more records of the same file follow (a multi-extent file).
      if (pending && pending.name === name) {
        pending.extents.push({ lba: r.lba, size: r.size });
        pending.size += r.size;
        if (!r.isMultiExtentPart) pending = null;
        continue;
      }
      const isDir = r.isDir || rr?.childLinkLba != null;
      const isLink = rr?.target != null && ((rr.mode ?? 0o120000) & 0o170000) === 0o120000;
      const node: IsoNodeInfo = {
        path: dir.path === '/' ? `/${name}` : `${dir.path}/${name}`,
        name,
        kind: isDir ? 'dir' : isLink ? 'symlink' : 'file',
        mode: rr?.mode ?? null,
        size: isDir || isLink ? 0 : r.size,
        extents: isDir || isLink ? [] : [{ lba: r.lba, size: r.size }],
        mtime: rr?.mtime ?? r.date,
        target: isLink ? rr!.target : null,
        children: [],
      };
      dir.children.push(node);
      pending = r.isMultiExtentPart && !isDir ? node : null;
      if (isDir) {
        if (rr?.childLinkLba != null) {
          const moved = parseDirectory(await readExtent(rr.childLinkLba, BLOCK))[0];
          if (moved) await readDir(node, rr.childLinkLba, moved.size, depth + 1);
        } else await readDir(node, r.lba, r.size, depth + 1);
      }
    }
  };

  const rootRr = isRockRidge && dot ? await readRockRidge(ra, dot.su, skip) : null;
  const root: IsoNodeInfo = { path: '/', name: '', kind: 'dir', mode: rootRr?.mode ?? null, size: 0, extents: [], mtime: rootRr?.mtime ?? tree.date, target: null, children: [] };
  await readDir(root, tree.lba, tree.size, 0);

  let elTorito: IsoVolume['elTorito'] = null;
  if (catalogLba !== null && (catalogLba + 1) * BLOCK <= ra.size) {
    elTorito = { catalogLba, entries: parseBootCatalog(await ra.read(catalogLba * BLOCK, BLOCK)) };
  }

  const lookup = (path: string): IsoNodeInfo | null => {
    let node: IsoNodeInfo | undefined = root;
    for (const part of path.split('/').filter((p) => p !== '')) node = node?.children.find((c) => c.name === part);
    return node ?? null;
  };
  const list = (): IsoNodeInfo[] => {
    const out: IsoNodeInfo[] = [];
    const visit = (n: IsoNodeInfo) => n.children.forEach((c) => (out.push(c), visit(c)));
    visit(root);
    return out;
  };

  return {
    volumeId: trimA(pvd, 40, 32),
    systemId: trimA(pvd, 8, 32),
    publisherId: trimA(pvd, 318, 128),
    applicationId: trimA(pvd, 574, 128),
    created: parseVolumeDate(pvd.subarray(813, 830)),
    modified: parseVolumeDate(pvd.subarray(830, 847)),
    blocks: pvd.readUInt32LE(80),
    nameSource,
    root,
    elTorito,
    list,
    lookup,
    readFile: (path) => fileSource(ra, lookup(path), path),
  };
}

function fileSource(ra: RandomAccess, node: IsoNodeInfo | null, path: string): ByteSource {
  if (!node) throw new EmtError('E_ISO_NOT_FOUND', `The ISO image has no ${path}.`, 'Check the path; list the image to see what it contains.');
  if (node.kind !== 'file') throw new EmtError('E_ISO_NOT_A_FILE', `${path} in the ISO image is a ${node.kind === 'dir' ? 'folder' : 'link'}, not a file.`, 'Name a file.');
  for (const e of node.extents) {
    if (e.lba * BLOCK + e.size > ra.size) throw new EmtError('E_ISO_TRUNCATED', `${path} lies beyond the end of the image.`, 'The image is incomplete; download or copy it again.');
  }
  return {
    size: node.size,
    async *stream(signal) {
      for (const e of node.extents) {
        for (let done = 0; done < e.size; done += CHUNK) {
          throwIfAborted(signal);
          yield await ra.read(e.lba * BLOCK + done, Math.min(CHUNK, e.size - done));
        }
      }
    },
  };
}
