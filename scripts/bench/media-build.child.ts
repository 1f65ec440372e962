/**
 * The measured side of media-build.bench.ts and bootkit-customize.bench.ts, in a process of its own
 * so that its peak RSS is ours alone; the benches bundle it with esbuild first, as the shipped CLI
 * is bundled, and run `node child.cjs <kit> <out.iso> <release>... [--overlay DIR] [--cache DIR]`. Builds the ISO
 * as `emt-media build` does (open the release, inspect it, plan, write and fsync) and prints one
 * JSON line.
 */
import { buildIsoFile } from '../../app/media/build';
import { classifyRelease } from '../../app/release/read-release';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--overlay');
  const overlayDir = at >= 0 ? args.splice(at, 2)[1] : undefined;
  const c = args.indexOf('--cache');
  const cacheDir = c >= 0 ? args.splice(c, 2)[1] : undefined;
  const [kitDir, out, ...release] = args;
  if (!kitDir || !out || release.length === 0) throw new Error('usage: media-build.child <kit> <out.iso> <release>... [--overlay DIR] [--cache DIR]');
  const started = performance.now();
  const result = await buildIsoFile({ release: await classifyRelease(release), kitDir, overlayDir, cacheDir, date: new Date(Date.UTC(2026, 5, 1)) }, out);
  const seconds = (performance.now() - started) / 1000;
  const usage = process.resourceUsage();
  // CPU of the whole process, zlib's and the hash's thread-pool work included.
  const cpuSeconds = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
  console.log(JSON.stringify({ seconds, cpuSeconds, size: result.size, layout: result.manifest.release.layout, maxRssMiB: usage.maxRSS / 1024 }));
}

// CommonJS like the shipped bundles (no top-level await there).
main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
