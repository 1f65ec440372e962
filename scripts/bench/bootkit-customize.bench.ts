/**
 * A customized ISO from the Bootkit fixture release (tarball + an EMF-like overlay folder): our build
 * (the release's bytes untouched, the overlay in a small custom.img) against the seed's
 * unpack-repack flow run in the same bench (reference/seed-emt-tink.md): unpack the tarball,
 * `gzip -dc | cpio -i` the initramfs, gunzip rootfs.tar.gz, `tar -uf` the overlay into it, gzip it,
 * `cpio -o | gzip -9` the initramfs again, then `xorriso -as mkisofs` with the same boot options.
 * Both start from the same tarball and end with a synced hybrid ISO.
 * Ours is measured twice: the first build of a release (the tarball unpacked and the release
 * inspected) and the next builds from the same release (its prepared form kept in the cache, as
 * when a technician makes many sticks from one release).
 * Goal: ours ≥ 30× faster.
 */
import { chmod, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FixtureManifestSchema } from '../fixtures/fixture-manifest';
import { best, bootTree, bundleChild, capture, fmt, KIT, root, runChild, timeShell, xorrisoCommand, type ChildResult, type Timing } from './media-bench-support';
import type { BenchResult } from './run';

const cacheDir = join(root, '.cache/bench/bootkit-customize');
const FIXTURE = join(root, '.cache/fixtures/bootkit');
const ROUNDS = 2;

export async function run(): Promise<BenchResult> {
  const manifestPath = join(FIXTURE, 'fixture.json');
  if (!existsSync(manifestPath)) throw new Error('The Bootkit fixture is missing: run `bash scripts/prepare-test-assets.sh` first.');
  const fixture = FixtureManifestSchema.parse(JSON.parse(await readFile(manifestPath, 'utf8')));
  const tarball = join(FIXTURE, fixture.release.file);
  await rm(cacheDir, { recursive: true, force: true });
  await mkdir(cacheDir, { recursive: true });
  const overlay = await makeOverlay(join(cacheDir, 'overlay'));
  const childScript = join(cacheDir, 'child.cjs');
  await bundleChild(childScript);
  const out = join(cacheDir, 'ours.iso');
  const seedOut = join(cacheDir, 'seed.iso');
  const work = join(cacheDir, 'seed');
  const cache = join(cacheDir, 'cache');
  const first = await runChild(childScript, [KIT, out, tarball, '--overlay', overlay, '--cache', cache]);
  await rm(out, { force: true });
  const ours: ChildResult[] = [];
  const seed: Timing[] = [];
  let seedSize = 0;
  try {
    for (let i = 0; i < ROUNDS; i++) {
      ours.push(await runChild(childScript, [KIT, out, tarball, '--overlay', overlay, '--cache', cache]));
      if (i === 0) await seedBootFiles(out, join(cacheDir, 'files'), join(cacheDir, 'boot-tree'));
      await rm(out, { force: true });
      seed.push(await timeShell(seedFlow(tarball, overlay, work, join(cacheDir, 'boot-tree'), seedOut)));
      seedSize = (await readFile(seedOut)).length;
      await rm(seedOut, { force: true });
      await rm(work, { recursive: true, force: true });
    }
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
  const processBest = Math.min(...ours.map((o) => o.processSeconds));
  return {
    name: 'bootkit-customize',
    lines: [
      `release: Bootkit fixture ${fixture.release.file} (${(fixture.release.size / 2 ** 20).toFixed(0)} MiB tarball, ${(fixture.initramfs.size / 2 ** 20).toFixed(0)} MiB initramfs), overlay of 8 files/links`,
      `ISO: ours ${(ours[0]!.size / 2 ** 20).toFixed(0)} MiB (release bytes unchanged + custom.img), seed ${(seedSize / 2 ** 20).toFixed(0)} MiB (initramfs repacked)`,
      `best of ${ROUNDS}: ours ${best(ours).toFixed(2)} s wall / ${best(ours, 'cpuSeconds').toFixed(2)} s CPU (whole process: ${processBest.toFixed(2)} s); seed flow ${best(seed).toFixed(2)} s / ${best(seed, 'cpuSeconds').toFixed(2)} s CPU`,
      `speed-up seed/ours, release already prepared: ${(best(seed) / best(ours)).toFixed(1)}x wall (goal ≥ 30), ${(best(seed) / processBest).toFixed(1)}x whole process, ${(best(seed, 'cpuSeconds') / best(ours, 'cpuSeconds')).toFixed(1)}x CPU`,
      `first build of the release (unpack + inspect): ours ${first.seconds.toFixed(2)} s, speed-up ${(best(seed) / first.seconds).toFixed(1)}x wall`,
      `all runs: ours ${fmt(ours)}; seed ${fmt(seed)}`,
      `peak RSS of our build: ${Math.max(...ours.map((o) => o.maxRssMiB)).toFixed(0)} MiB`,
    ],
  };
}

/** The seed's flow as a shell script; the boot loader files are ready in `bootFiles`, as the seed's build had them. */
function seedFlow(tarball: string, overlay: string, work: string, bootFiles: string, out: string): string {
  return [
    `rm -rf '${work}' && mkdir -p '${work}/release' '${work}/initrd' && cp -a '${bootFiles}' '${work}/iso'`,
    `tar -xzf '${tarball}' -C '${work}/release'`,
    `cd '${work}/initrd' && gzip -dc ../release/initramfs-*.img | cpio -id --quiet`,
    'gzip -d rootfs.tar.gz',
    `tar -uf rootfs.tar -C '${overlay}' .`,
    'gzip rootfs.tar',
    "find . | cpio -o -H newc --quiet | gzip -9 > ../iso/boot/initrd",
    'cp ../release/vmlinuz-* ../iso/boot/vmlinuz',
    xorrisoCommand(`${work}/iso`, out),
  ].join(' && ');
}

async function seedBootFiles(iso: string, files: string, tree: string): Promise<void> {
  for (const path of ['boot/grub/grub.cfg', 'boot/efi.img', 'isolinux/isolinux.cfg', 'isolinux/ldlinux.c32', '.disk/info', 'emt-media.json']) {
    await mkdir(dirname(join(files, path)), { recursive: true });
    await capture('osirrox', ['-indev', iso, '-extract', `/${path}`, join(files, path)]);
  }
  await bootTree(files, tree, { withCustomImg: false });
}

/** An EMF-like customization: env files, a CA, Caddy config and run script, a drop-in, a masked unit. */
async function makeOverlay(dir: string): Promise<string> {
  const file = async (path: string, text: string, mode = 0o644) => {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
    await chmod(join(dir, path), mode);
  };
  const env = 'onboarding_manager_svc=onboarding.orch.example.com\nonboarding_stream_svc=stream.orch.example.com\nOBM_PORT=443\nKEYCLOAK_URL=keycloak.orch.example.com\n';
  await file('etc/emf/env_config', env);
  await file('etc/hook/env_config', env);
  await file('etc/idp/server_cert.pem', `-----BEGIN CERTIFICATE-----\n${'A'.repeat(64)}\n-----END CERTIFICATE-----\n`);
  await file('etc/caddy/Caddyfile', ':80 {\n  respond "ok"\n}\n');
  await file('etc/caddy/caddy_run.sh', '#!/bin/sh\nexec caddy run --config /etc/caddy/Caddyfile\n', 0o755);
  await file('etc/systemd/system/caddy.service.d/10-emf.conf', '[Service]\nUser=root\nExecStart=\nExecStart=/etc/caddy/caddy_run.sh\n');
  await mkdir(join(dir, 'etc/systemd/system'), { recursive: true });
  await symlink('/dev/null', join(dir, 'etc/systemd/system/fluent-bit.service'));
  return dir;
}
