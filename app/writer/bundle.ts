import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WriterLaunch } from '../flash/elevate';

/**
 * The writer as it ships: one CommonJS file for plain Node (or Electron's Node), with drivelist
 * left outside because it carries a native part. Packaging puts the output beside the CLI bundle
 * as `writer.cjs`; tests and the bench use it because it starts in a fifth of the time tsx needs.
 * `outfile` must sit where `drivelist` resolves (inside the repository or the app).
 */
export async function bundleWriter(outfile: string): Promise<string> {
  const entry = join(dirname(fileURLToPath(import.meta.url)), 'main.ts');
  await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile, external: ['drivelist'], logLevel: 'warning' });
  return outfile;
}

/** A launch of the bundled writer without elevation (tests and the bench run as root). */
export async function bundledWriterLaunch(outfile: string): Promise<WriterLaunch> {
  return { command: process.execPath, args: [await bundleWriter(outfile)], via: 'direct' };
}
