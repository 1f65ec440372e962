import type { ByteSource } from '../byte-source';
import { EmtError } from '../../errors';
import { upcase } from './upcase';

/**
 * The file tree a FAT or exFAT image is made of, as a caller describes it, and its validated form.
 * Shared by both writers: they accept the same names (Windows long-name rules) and compare them
 * the same way (case-insensitively, through the up-case table).
 */

export interface ImageFile {
  /** Slash-separated path inside the volume, e.g. `EFI/BOOT/BOOTX64.EFI` (a leading `/` is allowed). */
  path: string;
  content: ByteSource;
  /** Modification time written to the entry; defaults to the tree's `mtime`. */
  mtime?: Date;
}

export interface ImageDir {
  /** Folders are created for every file's parents anyway; list one here to create it empty or to date it. */
  path: string;
  mtime?: Date;
}

export interface ImageTreeSpec {
  files: readonly ImageFile[];
  dirs?: readonly ImageDir[];
  /** Time for entries that have none, so that the same spec always gives the same bytes. Default 1980-01-01 UTC. */
  mtime?: Date;
}

export interface TreeFile {
  kind: 'file';
  name: string;
  path: string;
  content: ByteSource;
  size: number;
  mtime: Date;
}

export interface TreeDir {
  kind: 'dir';
  name: string;
  path: string;
  mtime: Date;
  /** Sorted by up-cased name, so that the output does not depend on the order of the spec. */
  children: TreeNode[];
}

export type TreeNode = TreeFile | TreeDir;

/** What differs between FAT and exFAT when checking a tree. */
export interface TreeRules {
  /** `FAT` or `EXFAT`: error codes are `E_<prefix>_…`. */
  codePrefix: string;
  /** The name users know: `FAT` or `exFAT`. */
  fsName: string;
  maxFileSize: number;
  tooLargeHint: string;
}

const DEFAULT_MTIME = new Date(Date.UTC(1980, 0, 1));

// Windows long names (FAT LFN and exFAT alike): no control characters and none of these.
const FORBIDDEN_CHARS = '"*/:<>?\\|';
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why a long name cannot be stored, or null when it can. */
export function longNameProblem(name: string): string | null {
  if (name.length === 0) return 'it is empty';
  if (name.length > 255) return `it is ${name.length} characters long (the limit is 255)`;
  if (name === '.' || name === '..') return 'it is reserved for the directory itself or its parent';
  for (const ch of name) {
    if (ch.charCodeAt(0) < 0x20) return 'it contains a control character';
    if (FORBIDDEN_CHARS.includes(ch)) return `it contains "${ch}"`;
  }
  if (/[. ]$/.test(name)) return 'it ends with a dot or a space, which Windows and Linux drop';
  if (UNPAIRED_SURROGATE.test(name)) return 'it is not valid Unicode';
  return null;
}

export function splitPath(path: string, rules: TreeRules): string[] {
  const parts = path.replace(/^\/+/, '').split('/');
  if (path.replace(/^\/+/, '') === '' || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new EmtError(`E_${rules.codePrefix}_BAD_PATH`, `The path "${path}" is not a plain path inside the ${rules.fsName} volume.`, 'Use slash-separated names without empty parts, "." or "..", e.g. EFI/BOOT/BOOTX64.EFI.');
  }
  for (const name of parts) {
    const problem = longNameProblem(name);
    if (problem) {
      throw new EmtError(`E_${rules.codePrefix}_BAD_NAME`, `${rules.fsName} cannot hold the name "${name}" in ${path}: ${problem}.`, 'Rename it: names must be 1-255 characters without control characters or any of " * / : < > ? \\ |, and must not end with a dot or a space.');
    }
  }
  return parts;
}

/** Validate a spec and turn it into a tree; throws EmtError for anything the file system cannot hold. */
export function buildTree(spec: ImageTreeSpec, rules: TreeRules): TreeDir {
  const defaultTime = spec.mtime ?? DEFAULT_MTIME;
  const root: TreeDir = { kind: 'dir', name: '', path: '/', mtime: defaultTime, children: [] };
  const dirsByPath = new Map<string, TreeDir>([['/', root]]);
  const keyToNode = new Map<string, TreeNode>();

  const ensureDir = (parts: string[], mtime: Date | undefined): TreeDir => {
    let dir = root;
    for (let i = 0; i < parts.length; i++) {
      const path = `/${parts.slice(0, i + 1).join('/')}`;
      const existing = dirsByPath.get(path);
      if (existing) {
        dir = existing;
        continue;
      }
      const child: TreeDir = { kind: 'dir', name: parts[i]!, path, mtime: defaultTime, children: [] };
      attach(dir, child);
      dirsByPath.set(path, child);
      dir = child;
    }
    if (mtime && parts.length > 0) dir.mtime = mtime;
    return dir;
  };

  const attach = (parent: TreeDir, node: TreeNode): void => {
    const key = `${parent.path}\0${upcase(node.name)}`;
    const clash = keyToNode.get(key);
    if (clash) {
      if (clash.name === node.name && clash.kind !== node.kind) {
        throw new EmtError(`E_${rules.codePrefix}_PATH_CONFLICT`, `${node.path} is given both as a file and as a folder.`, 'Give each path only once, either as a file or as a folder.');
      }
      if (clash.name === node.name) {
        throw new EmtError(`E_${rules.codePrefix}_DUPLICATE_NAME`, `${node.path} is given twice.`, 'List each file only once.');
      }
      throw new EmtError(`E_${rules.codePrefix}_DUPLICATE_NAME`, `"${clash.name}" and "${node.name}" in ${parent.path} are the same name on ${rules.fsName}, which ignores case.`, 'Rename one of them.');
    }
    keyToNode.set(key, node);
    parent.children.push(node);
  };

  for (const d of spec.dirs ?? []) {
    // Folders go in before files, so a file given at a folder's path clashes in attach().
    ensureDir(splitPath(d.path, rules), d.mtime);
  }
  for (const f of spec.files) {
    const parts = splitPath(f.path, rules);
    const size = f.content.size;
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new EmtError('E_INTERNAL', `The content of ${f.path} reports an invalid size (${size}).`, 'This is a bug in EMT Media Builder. Save the log and report it.');
    }
    if (size > rules.maxFileSize) {
      throw new EmtError(`E_${rules.codePrefix}_FILE_TOO_LARGE`, `${f.path} is ${size} bytes; a ${rules.fsName} file can hold at most ${rules.maxFileSize} bytes.`, rules.tooLargeHint);
    }
    const parent = ensureDir(parts.slice(0, -1), undefined);
    const name = parts.at(-1)!;
    attach(parent, { kind: 'file', name, path: `/${parts.join('/')}`, content: f.content, size, mtime: f.mtime ?? defaultTime });
  }
  sortTree(root);
  return root;
}

function sortTree(dir: TreeDir): void {
  const keyed = dir.children.map((node) => ({ node, key: upcase(node.name) }));
  keyed.sort((a, b) => compare(a.key, b.key) || compare(a.node.name, b.node.name));
  dir.children = keyed.map((k) => k.node);
  for (const c of dir.children) if (c.kind === 'dir') sortTree(c);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Directories in breadth-first order (root first), files in depth-first order: the allocation order. */
export function walkTree(root: TreeDir): { dirs: TreeDir[]; files: TreeFile[] } {
  const dirs: TreeDir[] = [root];
  for (let i = 0; i < dirs.length; i++) {
    for (const c of dirs[i]!.children) if (c.kind === 'dir') dirs.push(c);
  }
  const files: TreeFile[] = [];
  const visit = (d: TreeDir): void => {
    for (const c of d.children) if (c.kind === 'file') files.push(c);
    for (const c of d.children) if (c.kind === 'dir') visit(c);
  };
  visit(root);
  return { dirs, files };
}
