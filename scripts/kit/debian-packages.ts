import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256OfFile } from '../../app/kit/kit-manifest';

/**
 * Files out of Debian packages, without root: from the installed package when dpkg says it is
 * installed and its recorded md5sum still matches, otherwise from the .deb (`apt-get download`
 * into a cache, `dpkg-deb -x`). Shared by the boot loader kit and the fixture releases.
 */

export interface DebPackage {
  name: string;
  version: string;
  architecture: string;
  /** Where the files come from: the installed system, or a .deb extracted into the cache. */
  source: 'installed' | 'download';
  /** Root the package's absolute paths are relative to (`/` when installed). */
  root: string;
}

export class DebianToolsMissing extends Error {}

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a command with an argument vector (never a shell string); ENOENT becomes status 127. */
export function run(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): RunResult {
  const r = spawnSync(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) {
    if ((r.error as NodeJS.ErrnoException).code === 'ENOENT') return { status: 127, stdout: '', stderr: `${cmd}: command not found` };
    throw r.error;
  }
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

export function mustRun(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = run(cmd, args, options);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

/** True when this machine can answer package questions the Debian way. */
export function hasDebianTools(): boolean {
  return run('dpkg-query', ['--version']).status === 0 && run('apt-get', ['--version']).status === 0;
}

/** The installed version of a package, or null when it is not installed (dpkg status `ii`). */
export function installedPackage(name: string): Omit<DebPackage, 'source' | 'root'> | null {
  const r = run('dpkg-query', ['-W', '-f', '${db:Status-Abbrev}|${Version}|${Architecture}|${binary:Package}\n', name]);
  if (r.status === 127) throw new DebianToolsMissing('dpkg-query is missing');
  const line = r.stdout.split('\n').find((l) => l.startsWith('ii '));
  if (r.status !== 0 || !line) return null;
  const [, version = '', architecture = ''] = line.split('|');
  return { name, version, architecture };
}

/**
 * True when every listed file of an installed package still has the md5sum dpkg recorded for it:
 * a file changed by hand must not end up on a user's boot media.
 */
export function installedFilesIntact(pkg: string, paths: string[]): boolean {
  const info = '/var/lib/dpkg/info';
  const list = [`${pkg}.md5sums`, ...readdirSafe(info).filter((f) => f.startsWith(`${pkg}:`) && f.endsWith('.md5sums'))];
  const sums = new Map<string, string>();
  for (const f of list) {
    const p = join(info, f);
    if (!existsSync(p)) continue;
    for (const line of readFileSync(p, 'utf8').split('\n')) {
      const m = /^([0-9a-f]{32})\s+(.+)$/.exec(line);
      if (m) sums.set(`/${m[2]}`, m[1]!);
    }
  }
  return paths.every((path) => {
    const want = sums.get(path);
    if (!want || !existsSync(path)) return false;
    return createHash('md5').update(readFileSync(path)).digest('hex') === want;
  });
}

function readdirSafe(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}

export interface DownloadedDeb {
  file: string;
  name: string;
  version: string;
  architecture: string;
}

/**
 * `apt-get download` into `cacheDir`, reusing cached .debs whose sha256 matches the archive's.
 * One apt call for all names (each call parses the package lists: ~1.5 s of CPU). When the lists
 * are stale (the mirror no longer has that version) and we are root, one `apt-get update` and a
 * second try. Names apt does not know are left out of the result.
 */
export async function downloadDebs(names: string[], cacheDir: string): Promise<Map<string, DownloadedDeb>> {
  await mkdir(cacheDir, { recursive: true });
  const versions = candidateVersions(names);
  const known = names.filter((n) => versions.get(n));
  const out = new Map<string, DownloadedDeb>();
  if (known.length === 0) return out;
  let uris = printUris(known);
  const missing = async () => {
    const m: string[] = [];
    for (const [name, u] of uris) if (!existsSync(join(cacheDir, u.file)) || (await sha256OfFile(join(cacheDir, u.file))) !== u.sha256) m.push(name);
    return m;
  };
  let todo = await missing();
  if (todo.length > 0) {
    let r = run('apt-get', ['download', '-q', ...todo], { cwd: cacheDir });
    if (r.status !== 0 && process.getuid?.() === 0) {
      run('apt-get', ['update', '-qq']);
      uris = printUris(known);
      todo = await missing();
      r = run('apt-get', ['download', '-q', ...todo], { cwd: cacheDir });
    }
    if (r.status !== 0) throw new Error(`apt-get download ${todo.join(' ')} failed: ${r.stderr.trim()} (run apt-get update and try again)`);
  }
  for (const [name, u] of uris) {
    const file = join(cacheDir, u.file);
    const [pkgName = '', version = '', architecture = ''] = mustRun('dpkg-deb', ['-f', file, 'Package', 'Version', 'Architecture'])
      .split('\n')
      .map((l) => l.replace(/^[A-Za-z-]+:\s*/, '').trim());
    out.set(name, { file, name: pkgName, version, architecture });
  }
  return out;
}

function printUris(names: string[]): Map<string, { file: string; sha256: string }> {
  const out = mustRun('apt-get', ['download', '--print-uris', ...names]);
  const uris = new Map<string, { file: string; sha256: string }>();
  for (const m of out.matchAll(/^'[^']+'\s+(\S+)\s+\d+\s+SHA256:([0-9a-f]{64})/gm)) {
    const file = m[1]!;
    const name = names.find((n) => file.startsWith(`${n}_`));
    if (name) uris.set(name, { file, sha256: m[2]! });
  }
  for (const n of names) if (!uris.has(n)) throw new Error(`apt knows no download for ${n} (run apt-get update, or check the package name)`);
  return uris;
}

/** `dpkg-deb -x` into `<cacheDir>/x/<name>_<version>_<arch>/`, once; returns that root. */
export async function extractDeb(deb: DownloadedDeb, cacheDir: string): Promise<string> {
  const root = join(cacheDir, 'x', `${deb.name}_${deb.version.replace(/:/g, '%3a')}_${deb.architecture}`);
  if (existsSync(join(root, '.extracted'))) return root;
  const tmp = `${root}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  mustRun('dpkg-deb', ['-x', deb.file, tmp]);
  mustRun('touch', [join(tmp, '.extracted')]);
  await rm(root, { recursive: true, force: true });
  await rename(tmp, root);
  return root;
}

export interface PackageRequest {
  name: string;
  /** Absolute paths the caller will read; an installed package is used only if they are intact. */
  paths: string[];
}

/**
 * Packages whose files can be read under `root`: the installed one when present and intact for
 * `paths`, else the downloaded one. `preferDownload` forces the .deb path (tests use it). Names
 * neither installed nor downloadable are missing from the result.
 */
export async function obtainPackages(requests: PackageRequest[], cacheDir: string, preferDownload = false): Promise<Map<string, DebPackage>> {
  const out = new Map<string, DebPackage>();
  const toDownload: string[] = [];
  for (const { name, paths } of requests) {
    const inst = preferDownload ? null : installedPackage(name);
    if (inst && installedFilesIntact(name, paths)) out.set(name, { ...inst, source: 'installed', root: '/' });
    else toDownload.push(name);
  }
  if (toDownload.length === 0) return out;
  if (run('apt-get', ['--version']).status === 127) throw new DebianToolsMissing('apt-get is missing');
  for (const [name, deb] of await downloadDebs(toDownload, cacheDir)) {
    const root = await extractDeb(deb, cacheDir);
    out.set(name, { name: deb.name, version: deb.version, architecture: deb.architecture, source: 'download', root });
  }
  return out;
}

/** The versions apt would install or download (one apt call); null for names apt does not know. */
export function candidateVersions(names: string[]): Map<string, string | null> {
  const out = new Map<string, string | null>(names.map((n) => [n, null]));
  const r = run('apt-cache', ['policy', ...names]);
  let current: string | null = null;
  for (const line of r.stdout.split('\n')) {
    const head = /^(\S+?)(:\S+)?:$/.exec(line);
    if (head) current = head[1]!;
    const cand = /^\s+Candidate:\s*(\S+)/.exec(line);
    if (cand && current && out.has(current) && cand[1] !== '(none)') out.set(current, cand[1]!);
  }
  return out;
}
