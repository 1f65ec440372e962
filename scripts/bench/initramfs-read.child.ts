/**
 * The measured side of initramfs-read.bench.ts, in a process of its own so that its peak RSS is
 * ours alone; the bench bundles it with esbuild first, as the shipped CLI is bundled, and runs
 * `node child.cjs <initramfs> list|full`. `list` lists the
 * initramfs; `full` also streams /rootfs.tar.gz through gunzip into the tar reader (release
 * inspection). Prints one JSON line.
 */
import { openRandomAccess } from '../../app/formats/byte-source';
import { gunzip } from '../../app/formats/compression/gzip-decode';
import { walkInitramfs } from '../../app/formats/cpio/initramfs';
import { readTar } from '../../app/formats/tar/reader';

async function main(): Promise<void> {
  const [file, mode] = process.argv.slice(2);
  if (!file || (mode !== 'list' && mode !== 'full')) throw new Error('usage: initramfs-read.child <initramfs> list|full');
  const ra = await openRandomAccess(file);
  try {
    let tarEntries = 0;
    const started = performance.now();
    const listing = await walkInitramfs(ra, {
      onEntry: async (entry, body) => {
        if (mode !== 'full' || entry.path !== '/rootfs.tar.gz') return;
        for await (const member of readTar(gunzip(body))) if (member.path) tarEntries++;
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const usage = process.resourceUsage();
    // CPU of the whole process, zlib's thread-pool work included: stable when the machine is busy.
    const cpuSeconds = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
    console.log(JSON.stringify({ seconds, cpuSeconds, entries: listing.entries.length, segments: listing.segments.length, tarEntries, maxRssMiB: usage.maxRSS / 1024 }));
  } finally {
    await ra.close();
  }
}

// CommonJS like the shipped bundles (no top-level await there).
main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
