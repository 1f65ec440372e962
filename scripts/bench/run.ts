/**
 * `npm run bench`: every `scripts/bench/*.bench.ts` in turn (or those named on the command line).
 * Each bench measures our engine against a baseline run in the same process run (xorriso, curl, dd,
 * the seed's unpack-repack flow) and prints ratios. Benchmarks never gate CI.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BenchResult {
  name: string;
  /** Lines of "metric: value (goal)" to print. */
  lines: string[];
}

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

for (const f of files) {
  console.log(`\n=== bench ${f}`);
  const mod = (await import(join(here, f))) as { run: () => Promise<BenchResult> };
  try {
    const r = await mod.run();
    for (const l of r.lines) console.log(`  ${l}`);
  } catch (e) {
    console.log(`  bench failed: ${(e as Error).stack ?? e}`);
    process.exitCode = 1;
  }
}
