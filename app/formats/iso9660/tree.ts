import { EmtError } from '../../errors';
import type { ByteSource } from '../byte-source';
import type { IsoEntry } from './spec';

interface Common {
  /** The real (Rock Ridge) name; '' for the root. */
  name: string;
  mtime: Date;
  parent: DirNode | null;
}
export interface FileNode extends Common {
  kind: 'file';
  mode: number;
  content: ByteSource;
}
export interface DirNode extends Common {
  kind: 'dir';
  mode: number;
  /** Root = 1, as ECMA-119 counts levels. */
  level: number;
  children: Map<string, TreeNode>;
}
export interface SymlinkNode extends Common {
  kind: 'symlink';
  target: string;
}
export type TreeNode = FileNode | DirNode | SymlinkNode;

/** ECMA-119 §6.8.2.1: at most eight levels of directories, the root being the first. */
export const MAX_LEVELS = 8;
/** ECMA-119 §9.4.4: a path table record names its parent by a 16-bit directory number. */
export const MAX_DIRECTORIES = 0xffff;
/** A directory record's data length is a 32-bit field; larger files would need multi-extent files. */
export const MAX_FILE_SIZE = 0xffffffff;
const MAX_NAME_BYTES = 255;

function pathError(path: string, why: string): EmtError {
  return new EmtError('E_ISO_PATH', `The ISO path "${path}" ${why}.`, 'Use absolute paths such as /boot/vmlinuz, without "." or ".." parts.');
}

function splitPath(path: string): string[] {
  if (!path.startsWith('/')) throw pathError(path, 'is not absolute');
  if (path.includes('\0')) throw pathError(path.replace(/\0/g, '\\0'), 'contains a NUL byte');
  const parts = path.split('/').filter((p) => p !== '');
  if (parts.length === 0) throw pathError(path, 'names the root directory');
  for (const p of parts) {
    if (p === '.' || p === '..') throw pathError(path, 'contains "." or ".."');
    if (Buffer.byteLength(p, 'utf8') > MAX_NAME_BYTES) throw pathError(path, `has a name longer than ${MAX_NAME_BYTES} bytes`);
  }
  return parts;
}

function newDir(name: string, parent: DirNode | null, mode: number, mtime: Date): DirNode {
  const level = parent ? parent.level + 1 : 1;
  if (level > MAX_LEVELS) {
    throw new EmtError(
      'E_ISO_TOO_DEEP',
      `The folder ${pathOf(parent!)}/${name} is ${level} levels deep; ISO 9660 allows ${MAX_LEVELS} (the root counts as one).`,
      'Move the folder higher up in the tree.',
    );
  }
  return { kind: 'dir', name, mode, mtime, parent, level, children: new Map() };
}

export function pathOf(node: TreeNode): string {
  const parts: string[] = [];
  for (let n: TreeNode | null = node; n && n.parent; n = n.parent) parts.unshift(n.name);
  return `/${parts.join('/')}`;
}

/**
 * The directory tree of an ISO spec. Missing parents are made with mode 0755 and the default date;
 * a later `dir` entry for an implicit parent sets its mode and date.
 */
export function buildTree(entries: readonly IsoEntry[], date: Date): DirNode {
  const root = newDir('', null, 0o755, date);
  let dirCount = 1;
  const explicit = new Set<string>();
  for (const e of entries) {
    const parts = splitPath(e.path);
    const key = `/${parts.join('/')}`;
    if (explicit.has(key)) {
      throw new EmtError('E_ISO_DUPLICATE_PATH', `The ISO tree names ${key} twice.`, 'Give each file, folder and link its own path.');
    }
    explicit.add(key);
    let dir = root;
    for (const part of parts.slice(0, -1)) {
      const next = dir.children.get(part);
      if (next && next.kind !== 'dir') {
        throw new EmtError('E_ISO_PATH_CONFLICT', `${pathOf(next)} is a ${next.kind} but ${key} needs it to be a folder.`, 'Rename one of the two.');
      }
      if (next) dir = next;
      else {
        const made = newDir(part, dir, 0o755, date);
        dirCount++;
        dir.children.set(part, made);
        dir = made;
      }
    }
    const name = parts[parts.length - 1]!;
    const existing = dir.children.get(name);
    const mtime = e.mtime ?? date;
    if (existing && !(existing.kind === 'dir' && e.kind === 'dir')) {
      throw new EmtError('E_ISO_PATH_CONFLICT', `${key} is both a ${existing.kind} and a ${e.kind}.`, 'Rename one of the two.');
    }
    if (e.kind === 'dir') {
      if (existing?.kind === 'dir') {
        existing.mode = (e.mode ?? 0o755) & 0o7777;
        existing.mtime = mtime;
      } else {
        dir.children.set(name, newDir(name, dir, (e.mode ?? 0o755) & 0o7777, mtime));
        dirCount++;
      }
    } else if (e.kind === 'file') {
      if (e.content.size > MAX_FILE_SIZE) {
        throw new EmtError(
          'E_ISO_FILE_TOO_LARGE',
          `${key} is ${e.content.size} bytes; an ISO 9660 file without multi-extent support must be smaller than 4 GiB.`,
          'Keep files under 4 GiB, or put large payloads on a data partition of the stick instead.',
        );
      }
      dir.children.set(name, { kind: 'file', name, mode: (e.mode ?? 0o644) & 0o7777, mtime, parent: dir, content: e.content });
    } else {
      if (!e.target) throw new EmtError('E_ISO_PATH', `The link ${key} has no target.`, 'Give the symlink a target.');
      dir.children.set(name, { kind: 'symlink', name, mtime, parent: dir, target: e.target });
    }
  }
  if (dirCount > MAX_DIRECTORIES) {
    throw new EmtError('E_ISO_TOO_MANY_FOLDERS', `The ISO tree has ${dirCount} folders; path tables can number at most ${MAX_DIRECTORIES}.`, 'Put the files into fewer folders.');
  }
  return root;
}

/** Every node below `dir`, depth first, siblings by name: the order file data is laid out in. */
export function* walk(dir: DirNode): Generator<TreeNode> {
  for (const child of [...dir.children.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    yield child;
    if (child.kind === 'dir') yield* walk(child);
  }
}
