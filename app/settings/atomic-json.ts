import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';

/**
 * Write a file so that readers (and a crash) see either the old content or the new, never half:
 * write a temporary file beside it, flush it to disk, rename it over the target, flush the folder.
 * `isDurable: false` skips the flushes, for state rewritten every few seconds whose loss in a
 * power cut only costs a little (a download's progress record): still never half-written.
 */
export async function writeFileAtomic(path: string, data: string | Buffer, { isDurable = true } = {}): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'w', 0o644);
    try {
      await fh.writeFile(data);
      if (isDurable) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  if (isDurable) await syncDir(dirname(path));
}

export async function writeJsonAtomic(path: string, value: unknown, options?: { isDurable?: boolean }): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, options);
}

/** The parsed JSON, or null when the file does not exist. Parse errors are thrown. */
export async function readJsonIfExists(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  return JSON.parse(text) as unknown;
}

/** Make a rename durable. Windows cannot open a folder for flushing; NTFS journals the rename. */
async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
