import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIXTURE_MANIFEST_NAME, FixtureManifestSchema, type FixtureManifest, type FixtureName } from '../../../scripts/fixtures/fixture-manifest';

/**
 * The fixture releases made by scripts/prepare-test-assets.sh (`.cache/fixtures/<name>/`), with
 * absolute paths to their files. Markers they print: scripts/fixtures/README.md.
 */

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const FIXTURE_DIR = join(REPO, '.cache', 'fixtures');

export interface Fixture {
  manifest: FixtureManifest;
  dir: string;
  /** The release tarball (emb_uos_x86_64_<date>.tar.gz). */
  release: string;
  vmlinuz: string;
  initramfs: string;
  /** Bootkit only: the inner root archive. */
  rootfs: string | null;
  /** A kernel command line that boots it. */
  cmdline: string;
}

export async function loadFixture(name: FixtureName): Promise<Fixture> {
  const dir = join(FIXTURE_DIR, name);
  const path = join(dir, FIXTURE_MANIFEST_NAME);
  if (!existsSync(path)) {
    throw new Error(`The ${name} fixture release is missing (${path}). Run \`bash scripts/prepare-test-assets.sh\` first.`);
  }
  const manifest = FixtureManifestSchema.parse(JSON.parse(await readFile(path, 'utf8')));
  return {
    manifest,
    dir,
    release: join(dir, manifest.release.file),
    vmlinuz: join(dir, manifest.vmlinuz.file),
    initramfs: join(dir, manifest.initramfs.file),
    rootfs: manifest.rootfs ? join(dir, manifest.rootfs.file) : null,
    cmdline: manifest.cmdline,
  };
}
