import { chmod, mkdir, readFile, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { bootkitInitramfs, dummyKernel, INITRAMFS_NAME, KERNEL_NAME, plainInitramfs, writeReleaseTarball } from '../release/testing/synthetic-release';
import { extractIso, runCli, sha256, useMediaLab } from './testing/media-oracles';

// Same release, same overlay, same SOURCE_DATE_EPOCH: the same ISO, byte for byte, although each
// build unpacks the tarball into a new temporary folder; a different date gives a different ISO
// that records that date.

const EPOCH = 1_780_000_000;
const lab = useMediaLab('emt-determinism-');
let overlay: string;
const releases: Record<string, string> = {};
let n = 0;

beforeAll(async () => {
  const kernel = dummyKernel();
  for (const [layout, initramfs] of [['plain', await plainInitramfs()], ['bootkit', await bootkitInitramfs()]] as const) {
    releases[layout] = await writeReleaseTarball(join(lab.root, `${layout}.tar.gz`), { [KERNEL_NAME]: kernel, [INITRAMFS_NAME]: initramfs }, join(lab.root, `${layout}-src`));
  }
  overlay = join(lab.root, 'overlay');
  await mkdir(join(overlay, 'etc', 'emt'), { recursive: true });
  await writeFile(join(overlay, 'etc', 'emt', 'site.conf'), 'site=lab-7\n');
  await chmod(join(overlay, 'etc', 'emt', 'site.conf'), 0o640);
  await symlink('site.conf', join(overlay, 'etc', 'emt', 'current.conf'));
});

afterEach(() => {
  vi.unstubAllEnvs();
});

async function build(layout: string, epoch: number): Promise<{ bytes: Buffer; builtAt: string }> {
  vi.stubEnv('SOURCE_DATE_EPOCH', String(epoch));
  const iso = join(lab.root, `${layout}-${++n}.iso`);
  const r = await runCli(['build', '--release', releases[layout]!, '--out', iso, '--overlay', overlay, '--kit', lab.kit, '--append', 'quiet'], lab.root);
  expect(r.err).toBe('');
  const dir = join(lab.root, `x-${n}`);
  extractIso(iso, dir);
  return { bytes: await readFile(iso), builtAt: JSON.parse(await readFile(join(dir, 'emt-media.json'), 'utf8')).builtAt };
}

describe('reproducible builds', () => {
  it.each(['plain', 'bootkit'])('%s: two builds with the same inputs and SOURCE_DATE_EPOCH are byte-identical', async (layout) => {
    const a = await build(layout, EPOCH);
    // Touching the overlay changes no content: the ISO must not change either.
    await utimes(join(overlay, 'etc', 'emt', 'site.conf'), new Date(), new Date());
    const b = await build(layout, EPOCH);
    expect(a.builtAt).toBe(new Date(EPOCH * 1000).toISOString());
    expect(b.bytes.length).toBe(a.bytes.length);
    expect(sha256(b.bytes)).toBe(sha256(a.bytes));

    const later = await build(layout, EPOCH + 86_400);
    expect(later.builtAt).toBe(new Date((EPOCH + 86_400) * 1000).toISOString());
    expect(sha256(later.bytes)).not.toBe(sha256(a.bytes));
  });
});
