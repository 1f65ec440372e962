import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { EmtError } from '../errors';
import { Overlay } from './overlay';

const MAX_FILES = 10_000;

/**
 * A folder on this machine becomes overlay content: `DIR/etc/foo.conf` lands at `/etc/foo.conf` in
 * the running system, owned by root, with the folder's permission bits (so scripts stay executable)
 * and its symlinks as they are. Devices, sockets and FIFOs are refused: an overlay carries files.
 */
export async function overlayFromDirectory(dir: string, into = new Overlay()): Promise<Overlay> {
  const st = await lstat(dir).catch(() => null);
  if (!st?.isDirectory()) {
    throw new EmtError('E_OVERLAY_DIR', `The overlay folder ${dir} does not exist or is not a folder.`, 'Pass a folder whose layout mirrors the running system, e.g. DIR/etc/foo.conf.', { details: { dir } });
  }
  let count = 0;
  const walk = async (rel: string): Promise<void> => {
    for (const entry of (await readdir(join(dir, rel), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (++count > MAX_FILES) {
        throw new EmtError('E_OVERLAY_DIR', `The overlay folder ${dir} holds more than ${MAX_FILES} entries.`, 'Put only the files the running system needs into the overlay.');
      }
      const relPath = `${rel}/${entry.name}`;
      const abs = join(dir, relPath);
      const s = await lstat(abs);
      if (s.isSymbolicLink()) into.addSymlink(relPath, await readlink(abs));
      else if (s.isDirectory()) {
        into.addDir(relPath, s.mode & 0o7777);
        await walk(relPath);
      } else if (s.isFile()) into.addFile(relPath, await readFile(abs), s.mode & 0o7777);
      else {
        throw new EmtError('E_OVERLAY_DIR', `${abs} is a device, socket or pipe; the overlay carries files, folders and links only.`, 'Remove it from the overlay folder.', { details: { path: abs } });
      }
    }
  };
  await walk('');
  return into;
}
