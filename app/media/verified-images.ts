import type { Stats } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * OS images already checked against their .sha256sum, so that the tenth stick from one image does
 * not hash 4 GB again: an image counts as checked while its path, size, time and inode are those it
 * had when it matched the same expected hash. The writer refuses a file whose size or time changes
 * while it is written, so a checked image cannot be swapped under a write either.
 */
const FILE = 'verified-images.json';
const KEEP = 32;

const EntrySchema = z.object({ path: z.string(), size: z.number(), mtimeMs: z.number(), ino: z.number(), sha256: z.string() });
const FileSchema = z.object({ schemaVersion: z.literal(1), images: z.array(EntrySchema) });
type Entry = z.infer<typeof EntrySchema>;

const entryOf = (path: string, st: Stats, sha256: string): Entry => ({ path, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, sha256 });
const same = (a: Entry, b: Entry) => a.path === b.path && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino && a.sha256 === b.sha256;

async function load(cacheDir: string): Promise<Entry[]> {
  try {
    const parsed = FileSchema.safeParse(JSON.parse(await readFile(join(cacheDir, FILE), 'utf8')));
    return parsed.success ? parsed.data.images : [];
  } catch {
    return [];
  }
}

export async function isVerified(cacheDir: string | undefined, path: string, st: Stats, sha256: string): Promise<boolean> {
  if (!cacheDir) return false;
  const want = entryOf(path, st, sha256);
  return (await load(cacheDir)).some((e) => same(e, want));
}

/** Remember a match (newest first); a cache that cannot be written only costs a hash next time. */
export async function rememberVerified(cacheDir: string | undefined, path: string, st: Stats, sha256: string): Promise<void> {
  if (!cacheDir) return;
  const entry = entryOf(path, st, sha256);
  const images = [entry, ...(await load(cacheDir)).filter((e) => e.path !== path)].slice(0, KEEP);
  const tmp = join(cacheDir, `.${FILE}.${process.pid}`);
  try {
    await mkdir(cacheDir, { recursive: true });
    await writeFile(tmp, JSON.stringify({ schemaVersion: 1, images }));
    await rename(tmp, join(cacheDir, FILE));
  } catch {
    // Not worth failing a stick over.
  }
}
