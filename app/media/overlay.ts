import { posix } from 'node:path';
import { EmtError } from '../errors';

/**
 * What a customization puts into the running system: files, directories and symlinks at absolute
 * paths of the booted root, all owned by root:root. Profiles render into an Overlay; the media
 * layer turns it into `custom.img` (see overlay-initrd.ts).
 */
export type OverlayNode =
  | { kind: 'file'; path: string; mode: number; content: Buffer }
  | { kind: 'dir'; path: string; mode: number }
  | { kind: 'symlink'; path: string; target: string };

const UNIT_DIR = '/etc/systemd/system';
const UNIT_NAME = /^[A-Za-z0-9:_.@-]+\.(service|socket|target|timer|mount|path)$/;

export class Overlay {
  private readonly nodes = new Map<string, OverlayNode>();

  /** Nodes sorted so that every directory comes before what it contains. */
  list(): OverlayNode[] {
    return [...this.nodes.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  get(path: string): OverlayNode | undefined {
    return this.nodes.get(normalize(path));
  }

  get size(): number {
    return this.nodes.size;
  }

  /** Total bytes of file content (for the tmpfs size check). */
  contentBytes(): number {
    let n = 0;
    for (const node of this.nodes.values()) if (node.kind === 'file') n += node.content.length;
    return n;
  }

  addFile(path: string, content: string | Buffer, mode = 0o644): this {
    const p = normalize(path);
    this.ensureParents(p);
    this.put({ kind: 'file', path: p, mode: mode & 0o7777, content: typeof content === 'string' ? Buffer.from(content, 'utf8') : content });
    return this;
  }

  addDir(path: string, mode = 0o755): this {
    const p = normalize(path);
    this.ensureParents(p);
    const existing = this.nodes.get(p);
    if (existing && existing.kind !== 'dir') conflict(p, existing.kind, 'dir');
    this.nodes.set(p, { kind: 'dir', path: p, mode: mode & 0o7777 });
    return this;
  }

  addSymlink(path: string, target: string): this {
    const p = normalize(path);
    if (!target) throw new EmtError('E_OVERLAY_PATH', `The link ${p} has no target.`, 'Give the symlink a target.');
    this.ensureParents(p);
    this.put({ kind: 'symlink', path: p, target });
    return this;
  }

  /** `systemctl mask`: the unit becomes a link to /dev/null in /etc/systemd/system. */
  maskUnit(unit: string): this {
    checkUnit(unit);
    return this.addSymlink(`${UNIT_DIR}/${unit}`, '/dev/null');
  }

  /** Install a unit file into /etc/systemd/system and enable it for `wantedBy` (a `.wants/` link). */
  addUnit(unit: string, text: string, wantedBy: string | null = 'multi-user.target'): this {
    checkUnit(unit);
    this.addFile(`${UNIT_DIR}/${unit}`, text, 0o644);
    if (wantedBy) this.enableUnit(unit, wantedBy);
    return this;
  }

  /** `systemctl enable` for a unit that is installed under /etc/systemd/system or the vendor dir. */
  enableUnit(unit: string, wantedBy = 'multi-user.target', unitPath = `${UNIT_DIR}/${unit}`): this {
    checkUnit(unit);
    checkUnit(wantedBy);
    return this.addSymlink(`${UNIT_DIR}/${wantedBy}.wants/${unit}`, unitPath);
  }

  /** A drop-in `/etc/systemd/system/<unit>.d/<name>.conf`: changes a vendor unit without editing it. */
  addDropIn(unit: string, name: string, text: string): this {
    checkUnit(unit);
    if (!/^[A-Za-z0-9_.-]+\.conf$/.test(name)) {
      throw new EmtError('E_OVERLAY_PATH', `The drop-in name ${name} is not a plain .conf file name.`, 'Use a name like 10-order.conf.');
    }
    return this.addFile(`${UNIT_DIR}/${unit}.d/${name}`, text, 0o644);
  }

  /** Copy every node of another overlay into this one (later wins, as in the initramfs). */
  merge(other: Overlay): this {
    for (const node of other.list()) {
      if (node.kind === 'dir') this.addDir(node.path, node.mode);
      else if (node.kind === 'file') this.addFile(node.path, node.content, node.mode);
      else this.addSymlink(node.path, node.target);
    }
    return this;
  }

  private put(node: OverlayNode): void {
    const existing = this.nodes.get(node.path);
    if (existing?.kind === 'dir') conflict(node.path, 'dir', node.kind);
    this.nodes.set(node.path, node);
  }

  private ensureParents(p: string): void {
    for (let dir = posix.dirname(p); dir !== '/'; dir = posix.dirname(dir)) {
      const existing = this.nodes.get(dir);
      if (existing && existing.kind !== 'dir') conflict(dir, existing.kind, 'dir');
      if (!existing) this.nodes.set(dir, { kind: 'dir', path: dir, mode: 0o755 });
    }
  }
}

function normalize(path: string): string {
  if (!path.startsWith('/')) {
    throw new EmtError('E_OVERLAY_PATH', `The overlay path ${path} is not absolute.`, 'Overlay paths name a place in the running system, such as /etc/foo.conf.');
  }
  if (path.includes('\0')) throw new EmtError('E_OVERLAY_PATH', 'An overlay path contains a NUL byte.', 'Remove the NUL byte from the name.');
  const p = posix.normalize(path).replace(/\/+$/, '');
  if (p === '' || p === '/') throw new EmtError('E_OVERLAY_PATH', 'The overlay cannot replace the root directory.', 'Name a file or folder below /.');
  if (path.split('/').includes('..')) {
    throw new EmtError('E_OVERLAY_PATH', `The overlay path ${path} climbs out with "..".`, 'Use a plain absolute path without "..".');
  }
  return p;
}

function checkUnit(unit: string): void {
  if (!UNIT_NAME.test(unit)) {
    throw new EmtError('E_OVERLAY_UNIT', `"${unit}" is not a systemd unit name.`, 'Use a name such as caddy.service.');
  }
}

function conflict(path: string, has: string, wants: string): never {
  throw new EmtError('E_OVERLAY_CONFLICT', `The overlay has ${path} both as a ${has} and as a ${wants}.`, 'Remove one of the two.');
}
