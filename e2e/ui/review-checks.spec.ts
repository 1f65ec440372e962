import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BuildManifestSchema } from '../../app/contract/build';
import { makeCert } from '../../app/profile/testing/pki';
import { bootkitInitramfs, dummyKernel, INITRAMFS_NAME, KERNEL_NAME, writeReleaseTarball } from '../../app/release/testing/synthetic-release';
import { expect, ROOT, test } from './support/fixtures';
import { customizeEmf } from './support/flows';

test('Secure Boot: the Debian signed chain chosen on Review, which says it can stay on, and the built ISO says so too', async ({ app, catalog, engineEnv }) => {
  const chain = join(ROOT, '.kit', 'signed-chain-debian');
  const caPath = join(engineEnv.dir, 'ca.pem');
  writeFileSync(caPath, makeCert('Lab CA').pem);
  const iso = join(engineEnv.dir, 'secure.iso');

  await customizeEmf(app, catalog.release.buildDate, caPath);

  await app.review.open();
  await app.review.waitChecked();
  // The kit's GRUB is unsigned: Secure Boot must be off, and the media's exact size is known.
  await expect(app.review.secureBoot()).toHaveAttribute('data-state', 'off-required');
  await expect(app.review.mediaSize()).toContainText(/^ISO: \d+(\.\d)? MiB$/);
  await app.review.chooseBootChain(chain);
  // The fixture kernel is Debian's signed cloud kernel; shim trusts Debian's key.
  await expect(app.review.secureBoot()).toHaveAttribute('data-state', 'possible');
  await expect(app.review.secureBoot()).toContainText('Can stay on.');
  const files = app.main().getByRole('table', { name: `Files in ${chain}` });
  await expect(files.locator('tbody tr')).toHaveCount(3);
  // Shim is signed by Microsoft's UEFI CA (which firmware trusts), GRUB and MokManager by Debian (which shim trusts).
  await expect(files.locator('tr[data-file="BOOTX64.EFI"]')).toContainText(/YesMicrosoft/);
  for (const name of ['grubx64.efi', 'mmx64.efi']) await expect(files.locator(`tr[data-file="${name}"]`)).toContainText(/YesDebian Secure Boot/);
  await app.record('review-secure-boot');
  // Kept for the next media, in the settings file.
  const settings = JSON.parse(readFileSync(join(engineEnv.dir, 'config', 'settings.json'), 'utf8')) as { bootChainDir: string };
  expect(settings.bootChainDir).toBe(chain);
  await app.next();

  await app.build.open();
  await app.build.build(iso);
  await app.write.open();
  const extracted = join(engineEnv.dir, 'manifest.json');
  execFileSync('osirrox', ['-indev', iso, '-extract', '/emt-media.json', extracted], { stdio: 'ignore' });
  const manifest = BuildManifestSchema.parse(JSON.parse(readFileSync(extracted, 'utf8')));
  expect(manifest.secureBoot.state).toBe('possible');
  expect(manifest.secureBoot.bootChain!.files.map((f) => [f.name, f.isSigned])).toEqual([
    ['BOOTX64.EFI', true],
    ['grubx64.efi', true],
    ['mmx64.efi', true],
  ]);
  expect(manifest.bootLoader.kit).toBe('user boot chain');
});

test('nothing surprising after Review: a release without the installer tools is refused there, before any build', async ({ app, catalog, engineEnv }) => {
  // A small Bootkit-shaped release whose root lacks bash, parted and net-tools.
  const tarball = await writeReleaseTarball(join(engineEnv.dir, 'emb_uos_x86_64_20260601.tar.gz'), { [KERNEL_NAME]: dummyKernel(), [INITRAMFS_NAME]: await bootkitInitramfs() }, join(engineEnv.dir, 'release-files'));
  const images = join(engineEnv.dir, 'images');
  mkdirSync(images);
  const imageName = 'edge-readonly-3.0.20260526.0123.raw.gz';
  const image = gzipSync(Buffer.alloc(1 << 20, 7));
  writeFileSync(join(images, imageName), image);
  writeFileSync(join(images, `${imageName}.sha256sum`), `${createHash('sha256').update(image).digest('hex')}  ${imageName}\n`);
  const { standaloneProfile } = await import('../../app/profile/testing/profiles');
  const { saveProfile } = await import('../../app/profile/profile-file');
  const profilePath = join(engineEnv.dir, 'site.yaml');
  await saveProfile(profilePath, { ...standaloneProfile({ osImage: { path: join(images, imageName) } }), name: 'Depot 4' });

  await app.release.open();
  await app.desktop.answer(tarball);
  await app.main().getByRole('button', { name: 'Import a local file…' }).click();
  await expect(app.main().getByRole('radio', { name: /emb_uos_x86_64_20260601/, checked: true })).toBeVisible({ timeout: 120_000 });
  await app.next();
  await app.mode.choose('Standalone install (EMT-S)');
  await app.next();
  await app.customize.open();
  await app.desktop.answer(profilePath);
  await app.main().getByRole('button', { name: 'Open…' }).click();
  await expect(app.customize.field('Profile name')).toHaveValue('Depot 4');
  // Without the release, the profile is fine.
  await app.customize.waitChecked('No problems found.');
  await app.next();

  await app.review.open();
  await app.review.waitChecked();
  await expect(app.review.findings().filter({ hasText: /lacks .*parted/ })).toHaveCount(1);
  await expect(app.review.findings().filter({ hasText: /lacks bash/ })).toHaveCount(1);
  await expect(app.review.findings().first()).toContainText('Must fix:');
  await expect(app.review.mediaSize()).toHaveText('Known once the problems below are fixed.');
  expect(await app.nextBlockedBecause()).toBe('Fix the problems Review found first.');
  await expect(app.summary().getByTestId('summary-problems')).toContainText(/^[3-9] to fix/);
  await app.record('review-release-lacks-tools');

  // The release from the catalog is a plain one the installer check does not apply to: Review checks again, and lets Build open.
  await app.page.getByRole('navigation', { name: 'Steps' }).getByRole('button', { name: /Release/ }).click();
  await app.release.download(catalog.release.buildDate);
  await app.release.choose(catalog.release.buildDate);
  await app.page.getByRole('navigation', { name: 'Steps' }).getByRole('button', { name: /Review/ }).click();
  await app.review.waitChecked();
  await expect(app.review.findings().filter({ hasText: /lacks/ })).toHaveCount(0);
  await expect(app.review.mediaSize()).toContainText('Stick: at least');
  await expect(app.page.getByRole('button', { name: 'Next' })).toBeEnabled();
});
