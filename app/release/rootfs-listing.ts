import { posix } from 'node:path';
import { EmtError } from '../errors';
import { readTar } from '../formats/tar/reader';
import { safeMemberPath } from '../formats/tar/safe-path';
import { resolveInBase, type BaseTree } from '../media/base-tree';

export interface UnitInfo {
  name: string;
  /** Where the unit file is (`/usr/lib/systemd/system/caddy.service`). */
  path: string;
  /** Targets that want it (`multi-user.target`), from `*.wants/` links. */
  wantedBy: string[];
  isMasked: boolean;
}

export interface RootfsListing {
  entryCount: number;
  /** Bytes the root takes in a tmpfs: file data rounded up to 4 KiB pages. */
  unpackedBytes: number;
  base: BaseTree;
  units: UnitInfo[];
  /** Program names found in the bin directories (`tar`, `efibootmgr`, `pvcreate`, …), sorted. */
  binaries: string[];
}

const PAGE = 4096;
const UNIT_FILE = /^(?:\/usr)?\/lib\/systemd\/system\/([^/]+\.(?:service|socket|target|timer|mount|path))$|^\/etc\/systemd\/system\/([^/]+\.(?:service|socket|target|timer|mount|path))$/;
const WANTS_LINK = /^(?:\/usr\/lib|\/lib|\/etc)\/systemd\/system\/([^/]+)\.(?:wants|requires)\/([^/]+)$/;
const BIN_DIRS = ['/usr/bin', '/usr/sbin', '/bin', '/sbin'];

/**
 * Lists the Bootkit's root from the decompressed bytes of rootfs.tar.gz while they stream past:
 * nothing is written to disk and only paths are kept.
 */
export async function listRootfs(tarBytes: AsyncIterable<Buffer>, _compressedSize: number, signal?: AbortSignal): Promise<RootfsListing> {
  const dirs = new Set<string>(['/']);
  const symlinks = new Map<string, string>();
  const files = new Set<string>();
  const modes = new Map<string, number>();
  let entryCount = 0;
  let unpackedBytes = 0;
  try {
    for await (const e of readTar(tarBytes, { signal })) {
      entryCount++;
      const rel = safeMemberPath(e.path);
      if (rel === '.') continue;
      const path = `/${rel}`;
      dirs.delete(path);
      symlinks.delete(path);
      files.delete(path);
      if (e.type === 'dir') dirs.add(path);
      else if (e.type === 'symlink' && e.linkTarget !== null) symlinks.set(path, e.linkTarget);
      else {
        files.add(path);
        modes.set(path, e.mode);
        if (e.type === 'file') unpackedBytes += Math.ceil(e.size / PAGE) * PAGE;
      }
    }
  } catch (e) {
    if (e instanceof EmtError && e.code === 'E_TAR_PATH_ESCAPE') throw e;
    throw new EmtError('E_RELEASE_ROOTFS_CORRUPT', `The Bootkit's rootfs.tar.gz cannot be read: ${(e as Error).message}`, 'The release is damaged: download it again, or choose another build.', { cause: e });
  }
  const base: BaseTree = { dirs, symlinks, files };
  return { entryCount, unpackedBytes, base, units: unitsOf(base), binaries: binariesOf(base, modes) };
}

function unitsOf(base: BaseTree): UnitInfo[] {
  const units = new Map<string, UnitInfo>();
  const etc = (name: string) => `/etc/systemd/system/${name}`;
  for (const path of [...base.files, ...base.symlinks.keys()]) {
    const m = UNIT_FILE.exec(path);
    if (!m) continue;
    const name = (m[1] ?? m[2])!;
    const isMasked = base.symlinks.get(etc(name)) === '/dev/null';
    const existing = units.get(name);
    // A unit in /etc overrides the vendor one of the same name; keep the vendor path for display.
    if (!existing || path.startsWith('/etc/') === false) units.set(name, { name, path: existing && path.startsWith('/etc/') ? existing.path : path, wantedBy: existing?.wantedBy ?? [], isMasked });
  }
  for (const [link] of base.symlinks) {
    const m = WANTS_LINK.exec(link);
    if (!m) continue;
    const unit = units.get(m[2]!);
    if (unit && !unit.wantedBy.includes(m[1]!)) unit.wantedBy.push(m[1]!);
  }
  return [...units.values()].filter((u) => base.symlinks.get(u.path) !== '/dev/null' || u.isMasked).sort((a, b) => a.name.localeCompare(b.name));
}

function binariesOf(base: BaseTree, modes: Map<string, number>): string[] {
  const binDirs = new Set(BIN_DIRS.map((d) => resolveInBase(base, `${d}/x`)).map((p) => posix.dirname(p)));
  const names = new Set<string>();
  for (const path of base.files) {
    if (binDirs.has(posix.dirname(path)) && ((modes.get(path) ?? 0) & 0o111) !== 0) names.add(posix.basename(path));
  }
  for (const path of base.symlinks.keys()) if (binDirs.has(posix.dirname(path))) names.add(posix.basename(path));
  return [...names].sort();
}
