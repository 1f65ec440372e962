import { missingParents, resolveInBase, type BaseTree } from './base-tree';
import type { Overlay } from './overlay';

/** One entry to write into an archive, at its resolved path, parents before children. */
export type PlannedEntry =
  | { type: 'dir'; path: string; mode: number }
  | { type: 'file'; path: string; mode: number; content: Buffer }
  | { type: 'symlink'; path: string; target: string };

/**
 * The overlay as archive entries that are safe to unpack over `base`: every path resolved through
 * the base's symlinks, no entry for a directory the base already has (an entry would change its mode
 * or, worse, replace a symlink to it), and every missing parent directory created first (the
 * kernel's cpio unpacker does not create parents).
 */
export function planOverlay(overlay: Overlay, base: BaseTree): PlannedEntry[] {
  const out: PlannedEntry[] = [];
  const planned = new Set<string>();
  const addDir = (path: string, mode: number) => {
    if (planned.has(path) || base.dirs.has(path)) return;
    planned.add(path);
    out.push({ type: 'dir', path, mode });
  };
  for (const node of overlay.list()) {
    const path = resolveInBase(base, node.path, node.kind === 'dir');
    for (const parent of missingParents(base, path, planned)) addDir(parent, 0o755);
    if (node.kind === 'dir') addDir(path, node.mode);
    else if (node.kind === 'file') out.push({ type: 'file', path, mode: node.mode, content: node.content });
    else out.push({ type: 'symlink', path, target: node.target });
  }
  return out;
}
