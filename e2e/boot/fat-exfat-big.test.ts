import { createHash } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openRandomAccess, type ByteSource } from '../../app/formats/byte-source';
import { exfatImage } from '../../app/formats/exfat/exfat-image';
import { openExfat } from '../../app/formats/exfat/exfat-reader';
import { fatImage } from '../../app/formats/fat/fat-image';
import { openFat } from '../../app/formats/fat/fat-reader';
import type { SparseImage } from '../../app/formats/fat/sparse-image';
import type { FsVolume } from '../../app/formats/fat/volume';
import { patternSource, sha256, tool, writeImage } from '../../app/formats/fat/image-test-support';

// Multi-GiB images, as the standalone stick's OS partition needs them: streamed to a sparse file
// (free clusters skipped), checked by fsck, the big file read back and hashed, memory kept flat.
// Slow (minutes of disk I/O), so here rather than with the unit tests. Files are deleted after.

const GIB = 2 ** 30;
let dir: string | undefined;

afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A source that hashes what the image takes from it: the expected hash without a second pass. */
function hashing(src: ByteSource): { source: ByteSource; digest: () => string } {
  const hash = createHash('sha256');
  return {
    source: {
      size: src.size,
      async *stream(signal) {
        for await (const c of src.stream(signal)) {
          hash.update(c);
          yield c;
        }
      },
    },
    digest: () => hash.digest('hex'),
  };
}

/** Write the image while sampling RSS; returns MiB/s and the RSS growth in MiB. */
async function writeMeasured(image: SparseImage, path: string): Promise<{ mibPerSecond: number; rssGrowthMiB: number }> {
  const base = process.memoryUsage.rss();
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
  const t0 = performance.now();
  try {
    await writeImage(image, path, { skip: image.unusedRanges });
  } finally {
    clearInterval(timer);
  }
  const seconds = (performance.now() - t0) / 1000;
  const written = image.size - image.unusedRanges.reduce((n, r) => n + r.length, 0);
  return { mibPerSecond: written / 2 ** 20 / seconds, rssGrowthMiB: (peak - base) / 2 ** 20 };
}

async function readBack(path: string, open: (ra: Awaited<ReturnType<typeof openRandomAccess>>) => Promise<FsVolume>, file: string): Promise<string> {
  const ra = await openRandomAccess(path);
  try {
    return await sha256(await (await open(ra)).file(file));
  } finally {
    await ra.close();
  }
}

describe('multi-GiB images', () => {
  it('FAT32 of 8 GiB with a 3 GiB file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'emt-fat-big-'));
    const img = join(dir, 'fat32.img');
    const big = hashing(patternSource(3 * GIB, 42));
    const image = fatImage({ label: 'EMT_OS', volumeId: 0x5eed, size: 8 * GIB, files: [{ path: 'os/edge-readonly.raw.gz', content: big.source }, { path: 'os/edge-readonly.raw.gz.sha256sum', content: patternSource(100, 1) }] });
    expect(image.layout.fatType).toBe(32);
    const m = await writeMeasured(image, img);
    console.log(`FAT32 8 GiB / 3 GiB file: ${m.mibPerSecond.toFixed(0)} MiB/s written, RSS +${m.rssGrowthMiB.toFixed(0)} MiB, ${((await stat(img)).blocks * 512) / GIB} GiB on disk`);
    expect(m.rssGrowthMiB).toBeLessThan(200);
    expect((await stat(img)).blocks * 512).toBeLessThan(3.2 * GIB);
    const fsck = tool('fsck.fat', ['-n', img]);
    expect(fsck.status, fsck.stdout).toBe(0);
    const expected = big.digest();
    expect(await readBack(img, (ra) => openFat(ra), '/os/edge-readonly.raw.gz')).toBe(expected);
    const mtools = tool('sh', ['-c', 'mtype -i "$1" ::/os/edge-readonly.raw.gz | sha256sum', 'sh', img]);
    expect(mtools.stdout.slice(0, 64)).toBe(expected);
  }, 900_000);

  it('exFAT with a 4.5 GiB file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'emt-exfat-big-'));
    const img = join(dir, 'exfat.img');
    const big = hashing(patternSource(4.5 * GIB, 7));
    const image = exfatImage({ label: 'EMT OS', volumeId: 0x5eed, size: 6 * GIB, files: [{ path: 'edge-readonly.raw.gz', content: big.source }] });
    const m = await writeMeasured(image, img);
    console.log(`exFAT 6 GiB / 4.5 GiB file: ${m.mibPerSecond.toFixed(0)} MiB/s written, RSS +${m.rssGrowthMiB.toFixed(0)} MiB`);
    expect(m.rssGrowthMiB).toBeLessThan(200);
    const fsck = tool('fsck.exfat', ['-n', img]);
    expect(fsck.status, fsck.stdout).toBe(0);
    const expected = big.digest();
    expect(await readBack(img, (ra) => openExfat(ra), '/edge-readonly.raw.gz')).toBe(expected);
    // Independently of our reader: the bytes where the layout says the file is.
    const { offset, size } = image.layout.files[0]!;
    const raw = tool('sh', ['-c', 'tail -c +"$2" "$1" | head -c "$3" | sha256sum', 'sh', img, String(offset + 1), String(size)]);
    expect(raw.stdout.slice(0, 64)).toBe(expected);
  }, 900_000);
});
