import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Inspection, InitramfsInspection } from '../contract/inspect';
import { openRandomAccess } from '../formats/byte-source';
import type { OnProgress } from '../jobs/progress';
import { inspectRelease, type ReleaseInspection } from '../release/inspect-release';
import { classifyRelease, openRelease, type ReleaseFiles } from '../release/read-release';
import { hasIsoVolume, inspectMedia } from './inspect-media';

/**
 * `emt-media inspect PATH`: an ISO or a stick (its block device) is read back and verified; an
 * initramfs, a release tarball or a release folder is inspected as a release.
 */
export async function inspectPath(path: string, options: { signal?: AbortSignal; onProgress?: OnProgress } = {}): Promise<Inspection> {
  const st = await stat(path);
  if (!st.isDirectory()) {
    const ra = await openRandomAccess(path);
    try {
      if (await hasIsoVolume(ra)) return await inspectMedia(ra, path, options);
      const head = await ra.read(0, Math.min(ra.size, 512));
      const isTarball = head.length === 512 && (head.toString('latin1', 257, 262) === 'ustar' || (/\.(tar\.gz|tgz|tar)$/.test(path) && head[0] === 0x1f && head[1] === 0x8b));
      if (!isTarball) return await asInitramfs({ input: { kind: 'pair', kernel: path, initramfs: path }, displayName: basename(path), kernel: { name: '', path, size: 0 }, initramfs: { name: basename(path), path, size: ra.size } }, options);
    } finally {
      await ra.close();
    }
  }
  const workDir = await mkdtemp(join(tmpdir(), 'emt-inspect-'));
  try {
    return await asInitramfs(await openRelease(await classifyRelease([path]), { workDir, signal: options.signal }), options, path);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

async function asInitramfs(files: ReleaseFiles, options: { signal?: AbortSignal; onProgress?: OnProgress }, shownPath = files.initramfs.path): Promise<InitramfsInspection> {
  const r: ReleaseInspection = await inspectRelease(files, options);
  return {
    kind: 'initramfs',
    path: shownPath,
    size: r.initramfs.size,
    layout: r.layout,
    reason: r.reason,
    segments: r.initramfs.segments.map((s) => ({ offset: s.offset, length: s.length, compression: s.compression, entries: s.entryCount, problems: s.problems.map((p) => p.message) })),
    entryCount: r.initramfs.entryCount,
    hooksDir: r.initramfs.hooksDir,
    rootfs: r.rootfs && {
      entries: r.rootfs.entryCount,
      unpackedBytes: r.rootfs.unpackedBytes,
      units: r.rootfs.units.map((u) => ({ name: u.name, wantedBy: u.wantedBy, isMasked: u.isMasked })),
      binaries: r.rootfs.binaries,
    },
    findings: r.findings,
  };
}
