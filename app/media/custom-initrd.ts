import { readAll, type ByteSource } from '../formats/byte-source';
import { gzipSource } from '../formats/compression/gzip-encode';
import { writeCpio, type CpioInput } from '../formats/cpio/writer';
import { writeTar, type TarInput } from '../formats/tar/writer';
import { EmtError } from '../errors';
import { missingParents, resolveInBase, type BaseTree } from './base-tree';
import { HOOK_NAME, OVERLAY_ARCHIVE_PATH, prePivotHook } from './dracut-hook';
import { sha256 } from './hashing';
import type { Overlay } from './overlay';
import { planOverlay, type PlannedEntry } from './overlay-plan';

/** What the custom initrd must fit into, from the release's inspection. */
export type InitrdTarget =
  | { layout: 'plain'; initramfs: BaseTree }
  | { layout: 'bootkit'; initramfs: BaseTree; rootfs: BaseTree; hooksDir: string };

export interface CustomInitrd {
  /** `custom.img`: one gzip'd newc archive, loaded by the boot loader after the vendor initramfs. */
  image: ByteSource;
  /** The overlay as it will land in the running system (resolved paths), for the manifest. */
  entries: PlannedEntry[];
  /** The bootkit hook's log line carries this; absent for the plain layout. */
  overlayArchive?: { size: number; sha256: string };
}

/** The overlay archive is small text (configs, certs, scripts); a sane bound keeps the tmpfs root safe. */
const MAX_OVERLAY_BYTES = 64 << 20;

/**
 * Builds `custom.img` for the release's layout:
 * - **plain**: the initramfs root is the running system, so the archive holds the overlay tree;
 * - **bootkit**: the running root is a tmpfs unpacked from /rootfs.tar.gz by a dracut mount hook,
 *   so the archive holds our pre-pivot hook (in the image's own hooks directory) and the overlay as
 *   a tar that the hook unpacks into $NEWROOT (see dracut-hook.ts).
 * Paths are resolved through the base's symlinks so that nothing of ours replaces one.
 */
export async function buildCustomInitrd(overlay: Overlay, target: InitrdTarget): Promise<CustomInitrd> {
  if (overlay.contentBytes() > MAX_OVERLAY_BYTES) {
    throw new EmtError(
      'E_OVERLAY_TOO_LARGE',
      `The customization adds ${Math.ceil(overlay.contentBytes() / 2 ** 20)} MiB of files; at most ${MAX_OVERLAY_BYTES / 2 ** 20} MiB fit the in-memory root.`,
      'Large payloads such as OS images belong on the stick\'s data partitions, not in the boot image.',
    );
  }
  if (target.layout === 'plain') {
    const entries = planOverlay(overlay, target.initramfs);
    return { image: await gzipSource(writeCpio(entries.map(toCpio))), entries };
  }
  const entries = planOverlay(overlay, target.rootfs);
  const tar = await readAll(writeTar(entries.map(toTar)), MAX_OVERLAY_BYTES + (16 << 20));
  const archive = { size: tar.length, sha256: sha256(tar) };
  const hookPath = resolveInBase(target.initramfs, `${target.hooksDir}/pre-pivot/${HOOK_NAME}`);
  const archivePath = resolveInBase(target.initramfs, `/${OVERLAY_ARCHIVE_PATH}`);
  const inputs: CpioInput[] = [];
  const planned = new Set<string>();
  for (const path of [hookPath, archivePath]) {
    for (const dir of missingParents(target.initramfs, path, planned)) {
      planned.add(dir);
      inputs.push({ type: 'dir', path: dir, mode: 0o755 });
    }
  }
  inputs.push({ type: 'file', path: hookPath, mode: 0o755, data: Buffer.from(prePivotHook({ entries: entries.length, sha256: archive.sha256 })) });
  inputs.push({ type: 'file', path: archivePath, mode: 0o600, data: tar });
  return { image: await gzipSource(writeCpio(inputs)), entries, overlayArchive: archive };
}

function toCpio(e: PlannedEntry): CpioInput {
  switch (e.type) {
    case 'dir':
      return { type: 'dir', path: e.path, mode: e.mode };
    case 'file':
      return { type: 'file', path: e.path, mode: e.mode, data: e.content };
    case 'symlink':
      return { type: 'symlink', path: e.path, target: e.target };
  }
}

function toTar(e: PlannedEntry): TarInput {
  const owner = { uid: 0, gid: 0, uname: 'root', gname: 'root' };
  switch (e.type) {
    case 'dir':
      return { type: 'dir', path: e.path, mode: e.mode, ...owner };
    case 'file':
      return { type: 'file', path: e.path, mode: e.mode, data: e.content, ...owner };
    case 'symlink':
      return { type: 'symlink', path: e.path, target: e.target, ...owner };
  }
}
