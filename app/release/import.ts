import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { link, mkdir, open, readdir, rm, stat, symlink } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { CachedFile, CacheEntry, ImportRequest } from '../contract/catalog';
import { ReleaseIdSchema } from '../contract/catalog';
import type { Settings } from '../contract/settings';
import { cancelledError, EmtError, toEmtError } from '../errors';
import { ProgressMeter, type OnProgress } from '../jobs/progress';
import { openCache } from './cache';
import { bootId } from './cache-boot';

/**
 * A release from local files: a Bootkit tarball, a folder holding a kernel (`vmlinuz-*`) and an
 * initramfs (`initramfs*`) at its top level (as the tarball holds them), or a kernel and an
 * initramfs given one by one. Copied into the cache, or referenced in place, with the sha256 of
 * every file. The content check (one kernel, one readable initramfs) is the injected `validate`.
 */
export interface ImportOptions extends Omit<ImportRequest, 'mode'> {
  mode?: ImportRequest['mode'];
  settings: Settings;
  env?: NodeJS.ProcessEnv;
  /** Resolves relative paths. */
  cwd?: string;
  /** Gets a tarball path or a folder holding the kernel and the initramfs; throws when they are unusable. */
  validate?: (path: string) => Promise<void>;
  onProgress?: OnProgress;
  signal?: AbortSignal;
}

interface Source {
  path: string;
  role: CachedFile['role'];
}

export async function importRelease(opts: ImportOptions): Promise<{ entry: CacheEntry; evicted: string[] }> {
  const mode = opts.mode ?? 'copy';
  const at = (p: string) => resolve(opts.cwd ?? process.cwd(), p);
  const sources = await findSources(at(opts.path), opts.initramfs ? at(opts.initramfs) : undefined);
  const cache = await openCache(opts.settings, opts.env);
  const stage = await cache.stage();
  const check = await cache.stage();
  try {
    const total = (await Promise.all(sources.map((s) => stat(s.path)))).reduce((n, s) => n + s.size, 0);
    const meter = new ProgressMeter(mode === 'copy' ? 'import' : 'hash', total, opts.onProgress);
    const files: CachedFile[] = [];
    let done = 0;
    for (const s of sources) {
      const name = canonicalName(s);
      const target = mode === 'copy' ? join(stage, name) : null;
      const { sha256, size } = await hashAndCopy(s.path, target, (n) => meter.set(done + n), opts.signal);
      done += size;
      const mtimeMs = (await stat(target ?? s.path)).mtimeMs;
      files.push({ name, role: s.role, size, sha256, mtimeMs, ...(target ? {} : { path: s.path }) });
    }
    meter.finish();
    if (opts.validate) await opts.validate(await validationTarget(sources, files, mode, stage, check));
    const id = opts.id ?? `import-${files[0]!.sha256.slice(0, 12)}`;
    if (!ReleaseIdSchema.safeParse(id).success) {
      throw new EmtError('E_USAGE', `"${id}" cannot be a release id.`, 'Use lower-case letters, digits, ".", "_" and "-".');
    }
    const now = new Date().toISOString();
    const entry: CacheEntry = {
      schemaVersion: 1,
      id,
      kind: 'bootkit',
      name: opts.name ?? `Imported ${basename(at(opts.path))}`,
      origin: { type: 'import', path: at(opts.path), mode },
      files,
      verification: 'imported',
      addedAt: now,
      lastUsedAt: now,
      ...(mode === 'copy' ? { unflushedBootId: bootId() } : {}),
    };
    await cache.commit(stage, entry);
    return { entry, evicted: await cache.evict([id]) };
  } finally {
    await rm(stage, { recursive: true, force: true });
    await rm(check, { recursive: true, force: true });
  }
}

async function findSources(path: string, initramfs: string | undefined): Promise<Source[]> {
  const s = await stat(path).catch((e: unknown) => {
    throw toEmtError(e, `Cannot import ${path}`);
  });
  if (initramfs) {
    if (!s.isFile()) throw layout(`${path} is not a kernel file`);
    if (!(await stat(initramfs).catch(() => null))?.isFile()) throw layout(`${initramfs} is not an initramfs file`);
    return [
      { path, role: 'kernel' },
      { path: initramfs, role: 'initramfs' },
    ];
  }
  if (s.isFile()) return [{ path, role: 'tarball' }];
  if (!s.isDirectory()) throw layout(`${path} is neither a file nor a folder`);
  // The names consumers of the Bootkit tarball look for at its top level (DOMAIN.md §1).
  const names = (await readdir(path, { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name);
  const kernels = names.filter((n) => n.startsWith('vmlinuz-'));
  const initrds = names.filter((n) => n.startsWith('initramfs'));
  if (kernels.length !== 1 || initrds.length !== 1) {
    throw layout(`${path} holds ${kernels.length} kernel(s) (vmlinuz-*) and ${initrds.length} initramfs file(s) (initramfs*); exactly one of each is needed`);
  }
  return [
    { path: join(path, kernels[0]!), role: 'kernel' },
    { path: join(path, initrds[0]!), role: 'initramfs' },
  ];
}

/**
 * File-name safe, and for a kernel and initramfs given one by one, named as in the tarball
 * (`vmlinuz-*`, `initramfs*`) so that whatever looks for them by name finds them.
 */
function canonicalName(s: Source): string {
  const name = basename(s.path).replace(/[^A-Za-z0-9._-]/g, '_');
  if (s.role === 'kernel' && !name.startsWith('vmlinuz-')) return `vmlinuz-${name}`;
  if (s.role === 'initramfs' && !name.startsWith('initramfs')) return `initramfs-${name}`;
  return name;
}

function layout(why: string): EmtError {
  return new EmtError('E_IMPORT_LAYOUT', `Cannot import: ${why}.`, 'Give a Bootkit tarball, a folder with one vmlinuz-* and one initramfs*, or a kernel with --initramfs.');
}

/** sha256 of a file, copying it to `target` on the way when there is one. */
async function hashAndCopy(path: string, target: string | null, onBytes: (n: number) => void, signal?: AbortSignal): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  const out = target ? await open(target, 'wx') : null;
  let size = 0;
  try {
    for await (const c of createReadStream(path, { highWaterMark: 1 << 20, signal })) {
      const chunk = c as Buffer;
      hash.update(chunk);
      for (let off = 0; out && off < chunk.length; ) off += (await out.write(chunk, off, chunk.length - off, size + off)).bytesWritten;
      size += chunk.length;
      onBytes(size);
    }
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw cancelledError();
    throw toEmtError(e, `Importing ${path} failed`);
  } finally {
    await out?.close();
  }
  return { sha256: hash.digest('hex'), size };
}

/**
 * What `validate` gets: the tarball, or a folder holding just the kernel and the initramfs. For
 * files referenced in place from different folders that folder is made of links (hard links where
 * possible: they need no privilege on Windows), removed after the check.
 */
async function validationTarget(sources: Source[], files: CachedFile[], mode: 'copy' | 'reference', stage: string, check: string): Promise<string> {
  if (sources[0]!.role === 'tarball') return mode === 'copy' ? join(stage, files[0]!.name) : sources[0]!.path;
  if (mode === 'copy') return stage;
  const folder = join(check, 'release');
  await mkdir(folder);
  for (const [i, s] of sources.entries()) {
    const to = join(folder, files[i]!.name);
    await link(s.path, to).catch(() => symlink(s.path, to));
  }
  return folder;
}
