import { createHash } from 'node:crypto';
import { open, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { PartialDownload } from '../contract/catalog';
import { EmtError } from '../errors';
import { readJsonIfExists, writeJsonAtomic } from '../settings/atomic-json';
import { isProcessAlive } from './cache-evict';

/**
 * A download in progress lives in the cache's `downloads/` folder as three files: `<key>.part`
 * (the bytes), `<key>.json` (what they are: URL, the server's validators, how far they go) and
 * `<key>.lock` (the pid of the process downloading it).
 *
 * The bytes are not flushed to disk while downloading (that would halve the speed on a laptop
 * disk); instead the state records *marks*, the sha256 of the first N bytes, for several N. After
 * a restart, and even after a power cut that left garbage in the file's tail, the download resumes
 * from the last mark whose prefix still hashes the same: the bytes kept are the bytes received.
 */
export const PrefixMarkSchema = z.object({ bytes: z.number().int().nonnegative(), sha256: z.string() });
export type PrefixMark = z.infer<typeof PrefixMarkSchema>;

export const PartStateSchema = z.object({
  id: z.string(),
  url: z.string(),
  etag: z.string().nullable(),
  lastModified: z.string().nullable(),
  total: z.number().int().nonnegative().nullable(),
  /** Prefix hashes, ascending; the last one is as far as the bytes were written at the checkpoint. */
  marks: z.array(PrefixMarkSchema),
  /** All bytes are there (the last mark is at `total`); set once the transfer ended cleanly. */
  isComplete: z.boolean(),
});
export type PartState = z.infer<typeof PartStateSchema>;

export interface PartFiles {
  key: string;
  part: string;
  state: string;
  lock: string;
}

export function partFiles(downloadsDir: string, id: string, url: string): PartFiles {
  const key = `${id}-${createHash('sha256').update(url).digest('hex').slice(0, 12)}`;
  return { key, part: join(downloadsDir, `${key}.part`), state: join(downloadsDir, `${key}.json`), lock: join(downloadsDir, `${key}.lock`) };
}

export async function readPartState(files: PartFiles): Promise<PartState | null> {
  const raw = await readJsonIfExists(files.state).catch(() => null);
  const parsed = raw === null ? null : PartStateSchema.safeParse(raw);
  return parsed?.success ? parsed.data : null;
}

/** Not flushed: a power cut that loses it costs the progress since the last flush by the OS. */
export async function writePartState(files: PartFiles, state: PartState): Promise<void> {
  await writeJsonAtomic(files.state, state, { isDurable: false });
}

export async function discardPart(files: PartFiles): Promise<void> {
  await unlink(files.state).catch(() => undefined);
  await unlink(files.part).catch(() => undefined);
}

/**
 * One downloader per file: the lock file holds the owner's pid; a lock whose process is gone is
 * taken over. Returns the function that releases it.
 */
export async function lockPart(files: PartFiles, id: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(files.lock, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return () => unlink(files.lock).catch(() => undefined);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number(await readFile(files.lock, 'utf8').catch(() => '0'));
      if (owner && isProcessAlive(owner)) {
        throw new EmtError('E_DOWNLOAD_BUSY', `The release "${id}" is already being downloaded (process ${owner}).`, 'Wait for that download to finish, or cancel it.');
      }
      await unlink(files.lock).catch(() => undefined);
    }
  }
  throw new EmtError('E_DOWNLOAD_BUSY', `The release "${id}" is being downloaded by another process.`, 'Wait for that download to finish, or cancel it.');
}

export async function listPartials(downloadsDir: string): Promise<Array<PartialDownload & { key: string }>> {
  let names: string[];
  try {
    names = await readdir(downloadsDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: Array<PartialDownload & { key: string }> = [];
  for (const n of names.filter((f) => f.endsWith('.json')).sort()) {
    const key = n.slice(0, -'.json'.length);
    const files: PartFiles = { key, part: join(downloadsDir, `${key}.part`), state: join(downloadsDir, n), lock: join(downloadsDir, `${key}.lock`) };
    const state = await readPartState(files);
    const size = await stat(files.part).then((s) => s.size, () => null);
    if (!state || size === null) continue;
    out.push({ key, id: state.id, url: state.url, bytes: Math.min(size, state.marks.at(-1)?.bytes ?? 0), total: state.total, isComplete: state.isComplete });
  }
  return out;
}
