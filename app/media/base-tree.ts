import { posix } from 'node:path';
import { EmtError } from '../errors';

/**
 * What is already there before our overlay lands: the vendor initramfs (for a plain layout, and
 * for our dracut hook) or the Bootkit's root (for the overlay archive). Only the shape matters:
 * which paths are directories, which are symlinks (and to where), which are files.
 */
export interface BaseTree {
  dirs: ReadonlySet<string>;
  symlinks: ReadonlyMap<string, string>;
  files: ReadonlySet<string>;
}

export function emptyBase(): BaseTree {
  return { dirs: new Set(['/']), symlinks: new Map(), files: new Set() };
}

/**
 * Where a path of ours really lands in the base, following the base's symlinks in every parent
 * component (`/lib/systemd/x` lands in `/usr/lib/systemd/x` when `/lib -> usr/lib`). Writing the
 * resolved path matters: a directory entry named `/lib` in an appended cpio or tar **replaces** the
 * base's `/lib -> usr/lib` symlink, and the system then fails to boot (TESTING.md).
 * The last component is not followed unless `followLast` (for a directory of ours: the base's
 * `/lib -> usr/lib` must stay a symlink, so our `/lib` means its target); a file or symlink of ours
 * replaces whatever the base has at that name.
 */
export function resolveInBase(base: BaseTree, path: string, followLast = false): string {
  const parts = path.split('/').filter(Boolean);
  let resolved: string[] = [];
  let hops = 0;
  const queue = [...parts];
  while (queue.length > 0) {
    const part = queue.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = `/${[...resolved, part].join('/')}`;
    const target = queue.length > 0 || followLast ? base.symlinks.get(candidate) : undefined;
    if (target === undefined) {
      if (queue.length > 0 && base.files.has(candidate)) {
        throw new EmtError(
          'E_OVERLAY_SHADOWS_FILE',
          `The overlay puts ${path} inside ${candidate}, which is a file in the release.`,
          `Choose another place for ${posix.basename(path)}; ${candidate} cannot become a folder.`,
        );
      }
      resolved.push(part);
      continue;
    }
    if (++hops > 40) {
      throw new EmtError('E_OVERLAY_SYMLINK_LOOP', `The release's symlinks loop while resolving ${path}.`, 'Choose another path for the overlay file.');
    }
    if (target.startsWith('/')) resolved = [];
    queue.unshift(...target.split('/').filter(Boolean));
  }
  return `/${resolved.join('/')}`;
}

/** The directories that must be created for `path` (already resolved) to exist, parents first. */
export function missingParents(base: BaseTree, resolvedPath: string, planned: ReadonlySet<string>): string[] {
  const missing: string[] = [];
  for (let dir = posix.dirname(resolvedPath); dir !== '/'; dir = posix.dirname(dir)) {
    if (base.dirs.has(dir) || planned.has(dir)) break;
    missing.unshift(dir);
  }
  return missing;
}
