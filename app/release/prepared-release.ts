import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { cancelledError, EmtError } from '../errors';
import { hashFileOffThread } from '../jobs/hash-worker';
import type { OnProgress } from '../jobs/progress';
import type { BaseTree } from '../media/base-tree';
import { inspectRelease, type ReleaseInspection } from './inspect-release';
import { openRelease, type ReleaseFile, type ReleaseFiles, type ReleaseInput } from './read-release';

/**
 * A release read and inspected once, kept for the next build. A technician makes many sticks from
 * one release: unpacking the tarball and listing its 1 GiB root each time is most of a build's
 * time. The prepared form lives in `<cache>/prepared/<key>/` — the kernel and initramfs taken from a
 * tarball, and the inspection — keyed by the release's content hash when the download cache knows
 * it, else by the input files' identity (path, size, time, inode). It is used only while every file
 * it names still has the size and time recorded; the newest few are kept.
 *
 * The kernel's and initramfs's sha256 (for the media manifest) are part of the prepared form: they
 * are taken while the release is inspected, on a worker, so a build streams the release once and
 * hashes only the image it writes.
 */
export interface PreparedFile extends ReleaseFile {
  sha256: string;
  /** The file's time when it was hashed: the build checks that the bytes it streamed are those. */
  mtimeMs: number;
}

export interface PreparedFiles extends ReleaseFiles {
  kernel: PreparedFile;
  initramfs: PreparedFile;
}

export interface PreparedRelease {
  files: PreparedFiles;
  inspection: ReleaseInspection;
  isFromCache: boolean;
  /** Remove what is not kept (the temporary unpack when there is no cache). */
  dispose(): Promise<void>;
}

const KEEP = 4;
/** A prepared release used this recently may be in use by another build: it is not pruned. */
const IN_USE_MS = 15 * 60_000;
const SCHEMA = 2;

const FileStampSchema = z.object({ name: z.string(), path: z.string(), size: z.number(), mtimeMs: z.number(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });
const PreparedSchema = z.object({
  schemaVersion: z.literal(SCHEMA),
  displayName: z.string(),
  kernel: FileStampSchema,
  initramfs: FileStampSchema,
  inspection: z.unknown(),
});

export async function prepareRelease(input: ReleaseInput, options: { cacheDir?: string; contentKey?: string; signal?: AbortSignal; onProgress?: OnProgress } = {}): Promise<PreparedRelease> {
  if (!options.cacheDir) {
    const workDir = await mkdtemp(join(tmpdir(), 'emt-release-'));
    const dispose = () => rm(workDir, { recursive: true, force: true });
    try {
      const opened = await openRelease(input, { workDir, signal: options.signal });
      const { kernel, initramfs, inspection } = await inspectAndHash(opened, options);
      return { files: { ...opened, kernel, initramfs }, inspection, isFromCache: false, dispose };
    } catch (e) {
      await dispose();
      throw e;
    }
  }
  const root = join(options.cacheDir, 'prepared');
  const key = options.contentKey ?? (await identityKey(input));
  const dir = join(root, key);
  const cached = await load(dir, input);
  if (cached) {
    const now = new Date();
    await utimes(join(dir, 'prepared.json'), now, now).catch(() => {});
    return { ...cached, isFromCache: true, dispose: async () => {} };
  }
  await mkdir(root, { recursive: true });
  // Unique even for two preparations in one process at the same millisecond (the GUI's check and build).
  const tmp = await mkdtemp(join(root, '.tmp-'));
  try {
    const opened = await openRelease(input, { workDir: tmp, signal: options.signal });
    const { kernel, initramfs, inspection } = await inspectAndHash(opened, options);
    const inTmp = (f: ReleaseFile) => f.path.startsWith(`${tmp}/`);
    const record = {
      schemaVersion: SCHEMA,
      displayName: opened.displayName,
      kernel: movedTo(kernel, inTmp(kernel) ? dir : null),
      initramfs: movedTo(initramfs, inTmp(initramfs) ? dir : null),
      inspection: serialize(inspection),
    };
    await writeFile(join(tmp, 'prepared.json'), JSON.stringify(record));
    const theirs = await publish(tmp, dir, input);
    if (theirs) return { ...theirs, isFromCache: true, dispose: async () => {} };
    await prune(root, dir);
    const files: PreparedFiles = { input, displayName: record.displayName, kernel: record.kernel, initramfs: record.initramfs };
    return { files, inspection, isFromCache: false, dispose: async () => {} };
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Move a prepared release into place. Another build (a second window, a parallel CLI) may have
 * prepared the same release meanwhile and be using it: a valid one there is kept and returned
 * (ours is dropped), never replaced under that build; only a stale one is.
 */
async function publish(tmp: string, dir: string, input: ReleaseInput): Promise<{ files: PreparedFiles; inspection: ReleaseInspection } | null> {
  for (let attempt = 0; ; attempt++) {
    try {
      await rename(tmp, dir);
      return null;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || attempt > 0) throw e;
    }
    const theirs = await load(dir, input);
    if (theirs) {
      await rm(tmp, { recursive: true, force: true });
      return theirs;
    }
    await rm(dir, { recursive: true, force: true });
  }
}

async function identityKey(input: ReleaseInput): Promise<string> {
  const paths = input.kind === 'pair' ? [input.kernel, input.initramfs] : [input.path];
  const ids = await Promise.all(paths.map(async (p) => {
    const st = await stat(p);
    return [p, st.size, st.mtimeMs, st.ino];
  }));
  return createHash('sha256').update(JSON.stringify([input.kind, ids])).digest('hex').slice(0, 32);
}

/**
 * Inspect the release and hash its two files at once (the hashes on workers, the inspection here).
 * A file that changes meanwhile is refused: its hash would describe other bytes than were inspected.
 */
async function inspectAndHash(files: ReleaseFiles, options: { signal?: AbortSignal; onProgress?: OnProgress }): Promise<{ kernel: PreparedFile; initramfs: PreparedFile; inspection: ReleaseInspection }> {
  const hashing = Promise.all([hashed(files.kernel, options.signal), hashed(files.initramfs, options.signal)]);
  // Inspection errors win (they say what is wrong with the release); the hashes then end unobserved.
  hashing.catch(() => {});
  const inspection = await inspectRelease(files, options);
  const [kernel, initramfs] = await hashing;
  return { kernel: kernel!, initramfs: initramfs!, inspection };
}

async function hashed(f: ReleaseFile, signal?: AbortSignal): Promise<PreparedFile> {
  const before = await stat(f.path);
  let sha256: string;
  try {
    sha256 = await hashFileOffThread(f.path, signal);
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw cancelledError();
    throw e;
  }
  const after = await stat(f.path);
  if (after.size !== before.size || after.mtimeMs !== before.mtimeMs) throw releaseChangedError(f.path);
  return { ...f, size: after.size, mtimeMs: after.mtimeMs, sha256 };
}

export function releaseChangedError(path: string): EmtError {
  return new EmtError('E_RELEASE_CHANGED', `The release file ${path} changed while it was being read.`, 'Wait until whatever writes the release has finished (a copy or a download), then build again.', { details: { path } });
}

/** Where a file will be once the temporary folder is renamed into place; `to` null: it stays. */
const movedTo = (f: PreparedFile, to: string | null): PreparedFile => ({ name: f.name, path: to ? join(to, f.name) : f.path, size: f.size, mtimeMs: f.mtimeMs, sha256: f.sha256 });

async function load(dir: string, input: ReleaseInput): Promise<{ files: PreparedFiles; inspection: ReleaseInspection } | null> {
  try {
    const parsed = PreparedSchema.safeParse(JSON.parse(await readFile(join(dir, 'prepared.json'), 'utf8')));
    if (!parsed.success) return null;
    const p = parsed.data;
    for (const f of [p.kernel, p.initramfs]) {
      const st = await stat(f.path);
      if (st.size !== f.size || st.mtimeMs !== f.mtimeMs) return null;
    }
    return { files: { input, displayName: p.displayName, kernel: p.kernel, initramfs: p.initramfs }, inspection: deserialize(p.inspection) };
  } catch {
    return null;
  }
}

/**
 * Keep the newest few prepared releases; the one just made or used is always kept, and so is any
 * used in the last minutes: another build (a second window, a parallel CLI) may be streaming it.
 */
async function prune(root: string, keep: string): Promise<void> {
  const entries = await Promise.all(
    (await readdir(root)).filter((n) => !n.startsWith('.')).map(async (n) => ({ dir: join(root, n), t: (await stat(join(root, n, 'prepared.json')).catch(() => null))?.mtimeMs ?? 0 })),
  );
  entries.sort((a, b) => b.t - a.t);
  const inUse = Date.now() - IN_USE_MS;
  for (const e of entries.slice(KEEP)) if (e.dir !== keep && e.t < inUse) await rm(e.dir, { recursive: true, force: true });
}

type SerialTree = { dirs: string[]; symlinks: [string, string][]; files: string[] };
const treeOut = (t: BaseTree): SerialTree => ({ dirs: [...t.dirs], symlinks: [...t.symlinks], files: [...t.files] });
const treeIn = (t: SerialTree): BaseTree => ({ dirs: new Set(t.dirs), symlinks: new Map(t.symlinks), files: new Set(t.files) });

function serialize(i: ReleaseInspection): unknown {
  return { ...i, initramfs: { ...i.initramfs, base: treeOut(i.initramfs.base) }, rootfs: i.rootfs && { ...i.rootfs, base: treeOut(i.rootfs.base) } };
}

function deserialize(raw: unknown): ReleaseInspection {
  const i = raw as ReleaseInspection & { initramfs: { base: SerialTree }; rootfs: { base: SerialTree } | null };
  return { ...i, initramfs: { ...i.initramfs, base: treeIn(i.initramfs.base) }, rootfs: i.rootfs && { ...i.rootfs, base: treeIn(i.rootfs.base) } } as ReleaseInspection;
}
