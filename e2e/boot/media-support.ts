import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { BuildManifestSchema, type BuildManifest } from '../../app/contract/build';
import { extractIso, runCli } from '../../app/media/testing/media-oracles';

/**
 * The media boot tests build their ISOs the way a user does, through `emt-media build` (in-process,
 * with the checkout's `.kit/` that `scripts/prepare-test-assets.sh` made), and read them back with
 * osirrox, never with our own ISO reader.
 */

export interface BuiltIso {
  iso: string;
  /** The ISO's files as osirrox extracted them. */
  files: string;
  manifest: BuildManifest;
}

export async function buildWithCli(dir: string, name: string, args: string[]): Promise<BuiltIso> {
  const iso = join(dir, `${name}.iso`);
  const r = await runCli(['build', ...args, '--out', iso], dir);
  expect(r.err, `emt-media build ${args.join(' ')}`).toBe('');
  expect(r.code).toBe(0);
  const files = join(dir, `${name}-files`);
  extractIso(iso, files);
  const manifest = BuildManifestSchema.parse(JSON.parse(await readFile(join(files, 'emt-media.json'), 'utf8')));
  return { iso, files, manifest };
}

/** The `EMT-FIXTURE: check` line the fixtures print for a file (scripts/fixtures/README.md). */
export function fileCheck(path: string, mode: number, sha256: string): string {
  return `EMT-FIXTURE: check ${path} file ${mode.toString(8).padStart(4, '0')} 0:0 ${sha256}`;
}
