import { posix } from 'node:path';
import type { Finding } from '../contract/build';
import { EmtError } from '../errors';
import { openRandomAccess } from '../formats/byte-source';
import { decompress } from '../formats/compression/decompress';
import type { CpioEntry } from '../formats/cpio/entry-reader';
import { walkInitramfs, type InitramfsSegment } from '../formats/cpio/initramfs';
import type { OnProgress } from '../jobs/progress';
import type { BaseTree } from '../media/base-tree';
import type { ReleaseFiles } from './read-release';
import { listRootfs, type RootfsListing } from './rootfs-listing';

export interface InitramfsInfo {
  size: number;
  segments: InitramfsSegment[];
  entryCount: number;
  base: BaseTree;
  /** The dracut hooks directory as it is in this image (`/var/lib/dracut/hooks`, `/usr/lib/dracut/hooks`). */
  hooksDir: string | null;
  /** The mount hook that unpacks /rootfs.tar.gz (the Bootkit's 90tmpfsroot). */
  tmpfsHook: string | null;
  /** The tmpfs size that hook mounts (bytes); 1 GiB when it does not say. */
  tmpfsBytes: number | null;
  /** Whether `tar` is in the initramfs (our pre-pivot hook needs it). */
  hasTar: boolean;
}

export interface ReleaseInspection {
  layout: 'bootkit' | 'plain';
  /** Why this layout, in one sentence. */
  reason: string;
  initramfs: InitramfsInfo;
  /** The Bootkit's root (rootfs.tar.gz), listed by streaming; null for a plain layout. */
  rootfs: RootfsListing | null;
  findings: Finding[];
}

const GIB = 2 ** 30;
const HOOK_IN_MOUNT = /^(.*\/dracut\/hooks)\/mount\/[^/]+\.sh$/;
const MAX_HOOK_TEXT = 64 << 10;

/**
 * Reads a release's initramfs without unpacking it to disk and says what it is (DOMAIN.md §1):
 * **bootkit** — `/rootfs.tar.gz` plus a dracut mount hook that unpacks it into a tmpfs root (the
 *   root is then listed by streaming the archive: paths, modes, units, binaries, size);
 * **plain** — a self-contained initramfs with `/init` whose root is the running system;
 * anything else is refused with the reason.
 */
export async function inspectRelease(files: ReleaseFiles, options: { signal?: AbortSignal; onProgress?: OnProgress } = {}): Promise<ReleaseInspection> {
  const hookTexts = new Map<string, string>();
  let rootfs: RootfsListing | null = null;
  const ra = await openRandomAccess(files.initramfs.path);
  let listing;
  try {
    listing = await walkInitramfs(ra, {
      signal: options.signal,
      onProgress: options.onProgress,
      onEntry: async (entry, body) => {
        if (entry.type !== 'file') return;
        if (entry.path === '/rootfs.tar.gz') {
          // A damaged initramfs fails while rootfs.tar.gz streams out of it: that is the outer
          // file's error (with its offset), not a damaged root archive.
          const outer: { error?: unknown } = {};
          const watched = async function* () {
            try {
              yield* body;
            } catch (e) {
              outer.error = e;
              throw e;
            }
          };
          rootfs = await listRootfs(decompress(watched()), entry.size, options.signal).catch((e: unknown) => {
            throw outer.error ?? e;
          });
        } else if (HOOK_IN_MOUNT.test(entry.path) && entry.size <= MAX_HOOK_TEXT) {
          const parts: Buffer[] = [];
          for await (const c of body) parts.push(c);
          hookTexts.set(entry.path, Buffer.concat(parts).toString('utf8'));
        }
      },
    });
  } finally {
    await ra.close();
  }
  const findings: Finding[] = [];
  const last = listing.segments[listing.segments.length - 1];
  if (last?.compression === 'lz4-legacy') {
    throw new EmtError(
      'E_RELEASE_LZ4_LAST',
      'The release initramfs ends with an lz4 (legacy) segment; the kernel cannot read anything loaded after it, so the customization would be lost.',
      'Use a release whose initramfs is compressed with gzip, xz or zstd (the Bootkit uses gzip).',
    );
  }
  for (const s of listing.segments) for (const p of s.problems) findings.push({ severity: 'warning', code: p.code, message: p.message, hint: p.hint });

  const base = baseOf(listing.entries);
  const info: InitramfsInfo = { size: listing.size, segments: listing.segments, entryCount: listing.entries.length, base, hooksDir: null, tmpfsHook: null, tmpfsBytes: null, hasTar: hasBinary(base, 'tar') };
  const hasRootfs = listing.entries.some((e) => e.path === '/rootfs.tar.gz' && e.type === 'file');
  const isDracut = [...base.dirs].some((d) => /\/dracut\/hooks$/.test(d)) || base.files.has('/usr/lib/dracut-lib.sh') || base.files.has('/lib/dracut-lib.sh');

  if (hasRootfs) {
    const hook = [...hookTexts].find(([, text]) => /rootfs\.tar\.gz/.test(text) && /tmpfs/.test(text));
    if (!hook) {
      throw new EmtError(
        'E_RELEASE_LAYOUT',
        'The initramfs carries /rootfs.tar.gz but no dracut mount hook that unpacks it into a tmpfs, so it is not a Bootkit this tool understands.',
        'Use an Edge Microvisor Bootkit release (emb_uos_x86_64_YYYYMMDD.tar.gz) as published.',
      );
    }
    info.tmpfsHook = hook[0];
    info.hooksDir = HOOK_IN_MOUNT.exec(hook[0])![1]!;
    info.tmpfsBytes = tmpfsSize(hook[1]);
    if (!info.hasTar) {
      throw new EmtError('E_RELEASE_NO_TAR', 'The Bootkit initramfs has no tar program, which the customization hook needs to unpack the overlay.', 'Use an Edge Microvisor Bootkit release as published (its tmpfsroot module installs tar).');
    }
    if (!rootfs) throw new EmtError('E_INTERNAL', 'rootfs.tar.gz was seen but not listed.', 'This is a bug in EMT Media Builder. Save the log and report it.');
    const listed = rootfs as RootfsListing;
    checkTmpfs(listed.unpackedBytes, info.tmpfsBytes, findings);
    return { layout: 'bootkit', reason: `rootfs.tar.gz is unpacked into a tmpfs by ${posix.basename(hook[0])}; hooks live in ${info.hooksDir}`, initramfs: info, rootfs: listed, findings };
  }
  const hasInit = listing.entries.some((e) => e.path === '/init' && (e.type === 'file' || e.type === 'symlink'));
  if (!hasInit) {
    throw new EmtError('E_RELEASE_LAYOUT', 'The initramfs has neither /rootfs.tar.gz (a Bootkit) nor an /init of its own (a self-contained system).', 'Choose an Edge Microvisor Bootkit release; this file is not one.');
  }
  if (isDracut) {
    throw new EmtError(
      'E_RELEASE_LAYOUT',
      'The initramfs is an ordinary dracut initramfs that mounts a root file system from a disk; it is neither a Bootkit nor a self-contained system.',
      'Choose an Edge Microvisor Bootkit release (it carries its whole root in rootfs.tar.gz).',
    );
  }
  return { layout: 'plain', reason: 'the initramfs has its own /init and no rootfs.tar.gz: its root is the running system', initramfs: info, rootfs: null, findings };
}

/** The shape of the initramfs root after the kernel unpacks every segment in order. */
function baseOf(entries: CpioEntry[]): BaseTree {
  const dirs = new Set<string>(['/']);
  const symlinks = new Map<string, string>();
  const files = new Set<string>();
  for (const e of entries) {
    dirs.delete(e.path);
    symlinks.delete(e.path);
    files.delete(e.path);
    if (e.type === 'dir') dirs.add(e.path);
    else if (e.type === 'symlink' && e.linkTarget !== null) symlinks.set(e.path, e.linkTarget);
    else files.add(e.path);
  }
  return { dirs, symlinks, files };
}

function hasBinary(base: BaseTree, name: string): boolean {
  return ['/usr/bin', '/bin', '/usr/sbin', '/sbin'].some((d) => base.files.has(`${d}/${name}`) || base.symlinks.has(`${d}/${name}`));
}

function tmpfsSize(hookText: string): number {
  const m = /size=(\d+)([kKmMgG%]?)/.exec(hookText);
  if (!m || m[2] === '%') return GIB;
  const unit = { '': 1, k: 2 ** 10, m: 2 ** 20, g: GIB }[m[2]!.toLowerCase()] ?? 1;
  return Number(m[1]) * unit;
}

function checkTmpfs(unpacked: number, tmpfs: number | null, findings: Finding[]): void {
  const limit = tmpfs ?? GIB;
  const pct = Math.round((unpacked / limit) * 100);
  if (unpacked > limit) {
    throw new EmtError('E_RELEASE_ROOT_TOO_LARGE', `The Bootkit's root unpacks to ${mib(unpacked)} MiB but its tmpfs holds ${mib(limit)} MiB; it cannot boot.`, 'Use a published Bootkit release; this one is damaged or not a Bootkit.');
  }
  if (pct >= 85) {
    findings.push({
      severity: 'warning',
      code: 'W_RELEASE_ROOT_NEARLY_FULL',
      message: `The Bootkit's root already fills ${pct}% of its ${mib(limit)} MiB tmpfs.`,
      hint: 'Keep the customization small; large files belong on the stick, not in the boot image.',
    });
  }
}

const mib = (n: number) => Math.ceil(n / 2 ** 20);
