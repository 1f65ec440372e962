import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { main } from '../../cli';
import { recordingIo } from '../../release/testing/cli-io';
import { makeKit } from '../../../scripts/kit/kit-maker';

/**
 * What the media tests share: a real boot loader kit made from this machine's Debian packages (the
 * unit suite runs before `npm run kit` on CI, so it cannot use the checkout's `.kit/`), the CLI run
 * in-process, and independent tools that read what we wrote (xorriso/osirrox, GNU cpio and tar).
 */

/** A kit (and its Debian signed chain in `<kit>/signed-chain-debian`) in `dir`. */
export async function makeTestKit(dir: string): Promise<string> {
  const kit = join(dir, 'kit');
  await makeKit(kit, { cacheDir: join(dir, 'debs') });
  return kit;
}

/**
 * A test file's folder with a kit in it: made before all its tests (before the file's own
 * `beforeAll`, when called first), removed after them. Read `root` and `kit` inside hooks and tests.
 */
export function useMediaLab(prefix: string): { root: string; kit: string } {
  const lab = { root: '', kit: '' };
  beforeAll(async () => {
    lab.root = await mkdtemp(join(tmpdir(), prefix));
    lab.kit = await makeTestKit(lab.root);
  });
  afterAll(async () => {
    if (lab.root) await rm(lab.root, { recursive: true, force: true });
  });
  return lab;
}

export async function runCli(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  const r = recordingIo(process.env, cwd);
  const code = await main(args, r.io);
  return { code, out: r.out.join('\n'), err: r.err.join('\n') };
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function sha256File(path: string): Promise<string> {
  return sha256(await readFile(path));
}

/** xorriso's view of the boot records and the system area (it reports on stderr and stdout). */
export function isoBootReport(iso: string): string {
  return execFileSync('sh', ['-c', 'xorriso -indev "$1" -report_el_torito plain -report_system_area plain 2>&1', 'sh', iso], { encoding: 'utf8' });
}

/** Every file of the ISO, as osirrox extracts it (Rock Ridge names and modes). */
export function extractIso(iso: string, dir: string): void {
  execFileSync('osirrox', ['-indev', iso, '-extract', '/', dir], { stdio: 'ignore' });
}

export interface ListedEntry {
  /** `ls -l` style, e.g. `-rw-r-----`. */
  mode: string;
  owner: string;
  group: string;
  path: string;
  /** A symlink's target. */
  target?: string;
}

/** `ls -l` lines of `cpio -itv` or `tar -tvf` (with owner and group as separate columns). */
function parseLong(text: string, pathColumn: number, ownerOf: (cols: string[]) => [string, string]): ListedEntry[] {
  return text
    .split('\n')
    .filter((l) => /^[-dlcbps][rwxsStT-]{9}/.test(l))
    .map((line) => {
      const cols = line.split(/\s+/);
      const [owner, group] = ownerOf(cols);
      const rest = cols.slice(pathColumn).join(' ');
      const arrow = rest.indexOf(' -> ');
      return { mode: cols[0]!, owner, group, path: arrow < 0 ? rest : rest.slice(0, arrow), ...(arrow < 0 ? {} : { target: rest.slice(arrow + 4) }) };
    });
}

/** GNU `cpio -itv` of an archive (gzip'd or not: cpio reads what zcat gives it). */
export function cpioList(archive: Buffer): ListedEntry[] {
  const raw = archive[0] === 0x1f && archive[1] === 0x8b ? execFileSync('gzip', ['-dc'], { input: archive, maxBuffer: 256 << 20 }) : archive;
  const text = execFileSync('cpio', ['-itv', '--quiet'], { input: raw, encoding: 'utf8', maxBuffer: 64 << 20 });
  // -rw-r-----   1 root     root            6 Jan  1  1970 opt/x
  return parseLong(text, 8, (c) => [c[2]!, c[3]!]);
}

/** GNU `tar -tvf` of an archive. */
export function tarList(archive: Buffer): ListedEntry[] {
  const text = execFileSync('tar', ['-tvf', '-'], { input: archive, encoding: 'utf8', maxBuffer: 64 << 20 });
  // -rw------- root/root         7 1970-01-01 00:00 etc/x
  return parseLong(text, 5, (c) => c[1]!.split('/') as [string, string]);
}

/** The files of a cpio archive extracted by GNU cpio into `dir`. */
export function cpioExtract(archive: Buffer, dir: string): void {
  const raw = execFileSync('gzip', ['-dc'], { input: archive, maxBuffer: 256 << 20 });
  execFileSync('cpio', ['-id', '--quiet', '--no-absolute-filenames'], { input: raw, cwd: dir });
}

/**
 * The gzip members of a file: RFC 1952 header (no optional fields expected), then a raw deflate
 * stream whose consumed length zlib reports, then CRC32 + ISIZE. Returns the member count, and
 * fails on anything after the last member.
 */
export function gzipMemberCount(data: Buffer): number {
  let at = 0;
  let members = 0;
  while (at < data.length) {
    if (data[at] !== 0x1f || data[at + 1] !== 0x8b || data[at + 2] !== 8) throw new Error(`no gzip member at byte ${at}`);
    if (data[at + 3] !== 0) throw new Error(`gzip member at byte ${at} has optional header fields (FLG ${data[at + 3]})`);
    const consumed = inflatedLength(data.subarray(at + 10));
    at += 10 + consumed + 8;
    members++;
  }
  if (at !== data.length) throw new Error(`gzip members end at ${at}, the file at ${data.length}`);
  return members;
}

function inflatedLength(deflate: Buffer): number {
  // python3's zlib tells exactly where a raw deflate stream ends (unused_data), which Node's does not.
  const py = 'import sys,zlib; d=zlib.decompressobj(-15); d.decompress(sys.stdin.buffer.read()); assert d.eof; print(len(d.unused_data))';
  const unused = Number(execFileSync('python3', ['-c', py], { input: deflate, encoding: 'utf8' }).trim());
  return deflate.length - unused;
}
