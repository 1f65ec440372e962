import { EmtError } from '../../errors';

/**
 * The member path made relative and normalized (`./usr//bin/` → `usr/bin`, `.` for the top), or
 * E_TAR_PATH_ESCAPE when extracting it could write outside the target folder: an absolute path, a
 * `..` component anywhere (as GNU tar refuses by default), or a NUL byte. Check hard-link targets
 * with it too. Symlink targets need no check here: a symlink is only dangerous when a later member
 * is written through it, which an extractor must refuse on its own.
 */
export function safeMemberPath(path: string): string {
  const refuse = (why: string) =>
    new EmtError('E_TAR_PATH_ESCAPE', `The archive member "${path.replace(/\0/g, '\\0')}" ${why}.`, 'Do not use this archive: it may write outside its folder. Get it again from a trusted source.', {
      details: { path },
    });
  if (path.includes('\0')) throw refuse('contains a NUL byte');
  if (path.startsWith('/')) throw refuse('is an absolute path');
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw refuse('climbs out of its folder with ".."');
  return parts.length === 0 ? '.' : parts.join('/');
}
