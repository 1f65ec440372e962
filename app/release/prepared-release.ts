import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
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
 */
export interface PreparedRelease {
  files: ReleaseFiles;
  inspection: ReleaseInspection;
  isFromCache: boolean;
  /** Remove what is not kept (the temporary unpack when there is no cache). */
  dispose(): Promise<void>;
}

const KEEP = 4;
const SCHEMA = 1;

const FileStampSchema = z.object({ name: z.string(), path: z.string(), size: z.number(), mtimeMs: z.number() });
const PreparedSchema = z.object({
  schemaVersion: z.literal(SCHEMA),
  displayName: z.string(),
  kernel: FileStampSchema,
  initramfs: FileStampSchema,
  inspection: z.unknown(),
});

export async function prepareRelease(input: ReleaseInput, options: { cacheDir?: string; contentKey?: string; signal?: AbortSignal; onProgress?: OnProgress } = {}): Promise<PreparedRelease> {
  if (!options.cacheDir) {
    const workDir = join(tmpdir(), `emt-release-${process.pid}-${Date.now().toString(36)}`);
    const dispose = () => rm(workDir, { recursive: true, force: true });
    try {
      const files = await openRelease(input, { workDir, signal: options.signal });
      return { files, inspection: await inspectRelease(files, options), isFromCache: false, dispose };
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
  const tmp = join(root, `.tmp-${process.pid}-${Date.now().toString(36)}`);
  await mkdir(tmp, { recursive: true });
  try {
    const opened = await openRelease(input, { workDir: tmp, signal: options.signal });
    const inspection = await inspectRelease(opened, options);
    const inTmp = (f: ReleaseFile) => f.path.startsWith(`${tmp}/`);
    const record = {
      schemaVersion: SCHEMA,
      displayName: opened.displayName,
      kernel: await stamp(opened.kernel, inTmp(opened.kernel) ? dir : null),
      initramfs: await stamp(opened.initramfs, inTmp(opened.initramfs) ? dir : null),
      inspection: serialize(inspection),
    };
    await writeFile(join(tmp, 'prepared.json'), JSON.stringify(record));
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    await prune(root, dir);
    const files: ReleaseFiles = { input, displayName: record.displayName, kernel: fileOf(record.kernel), initramfs: fileOf(record.initramfs) };
    return { files, inspection, isFromCache: false, dispose: async () => {} };
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
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

/** Where a file will be once the temporary folder is renamed into place; `movedTo` null: it stays. */
async function stamp(f: ReleaseFile, movedTo: string | null): Promise<z.infer<typeof FileStampSchema>> {
  const st = await stat(f.path);
  return { name: f.name, path: movedTo ? join(movedTo, f.name) : f.path, size: st.size, mtimeMs: st.mtimeMs };
}

const fileOf = (s: z.infer<typeof FileStampSchema>): ReleaseFile => ({ name: s.name, path: s.path, size: s.size });

async function load(dir: string, input: ReleaseInput): Promise<{ files: ReleaseFiles; inspection: ReleaseInspection } | null> {
  try {
    const parsed = PreparedSchema.safeParse(JSON.parse(await readFile(join(dir, 'prepared.json'), 'utf8')));
    if (!parsed.success) return null;
    const p = parsed.data;
    for (const f of [p.kernel, p.initramfs]) {
      const st = await stat(f.path);
      if (st.size !== f.size || st.mtimeMs !== f.mtimeMs) return null;
    }
    return { files: { input, displayName: p.displayName, kernel: fileOf(p.kernel), initramfs: fileOf(p.initramfs) }, inspection: deserialize(p.inspection) };
  } catch {
    return null;
  }
}

/** Keep the newest few prepared releases; the one just made or used is always kept. */
async function prune(root: string, keep: string): Promise<void> {
  const entries = await Promise.all(
    (await readdir(root)).filter((n) => !n.startsWith('.')).map(async (n) => ({ dir: join(root, n), t: (await stat(join(root, n, 'prepared.json')).catch(() => null))?.mtimeMs ?? 0 })),
  );
  entries.sort((a, b) => b.t - a.t);
  for (const e of entries.slice(KEEP)) if (e.dir !== keep) await rm(e.dir, { recursive: true, force: true });
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
