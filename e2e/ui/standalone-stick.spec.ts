import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { expect, test } from './support/fixtures';

interface SfdiskTable {
  partitiontable: { label: string; sectorsize?: number; partitions: Array<{ node: string; start: number; size: number; name?: string }> };
}

test('standalone: a site profile dropped in, the password typed at build, a seven-partition stick written and verified', async ({ app, catalog, engineEnv, loops }) => {
  const stick = loops.loop('standalone-stick.img', 2 * 1024 ** 3);
  engineEnv.setTestTargets([stick.dev]);
  // What a technician brings: the EMT OS image with its published checksum, and the site profile.
  const images = join(engineEnv.dir, 'images');
  mkdirSync(images);
  const imageName = 'edge-readonly-3.0.20260526.0123.raw.gz';
  const image = gzipSync(randomBytes(4 << 20));
  writeFileSync(join(images, imageName), image);
  writeFileSync(join(images, `${imageName}.sha256sum`), `${createHash('sha256').update(image).digest('hex')}  ${imageName}\n`);
  const { standaloneProfile } = await import('../../app/profile/testing/profiles');
  const { exportProfile } = await import('../../app/profile/profile-file');
  const profileYaml = exportProfile({ ...standaloneProfile({ osImage: { path: join(images, imageName) } }), name: 'Kiosk line 3' }, 'yaml');

  await app.release.open();
  await app.release.download(catalog.release.buildDate);
  await app.release.choose(catalog.release.buildDate);
  await app.next();
  await app.mode.choose('Standalone install (EMT-S)');
  await app.next();
  await app.customize.open();
  await expect(app.main().locator('.notice-warning').filter({ hasText: 'erases every SATA and NVMe disk' })).toBeVisible();
  // Dropped on the profile bar as a file from the file manager would be.
  const dataTransfer = await app.page.evaluateHandle(
    ({ text, name }) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], name, { type: 'application/yaml' }));
      return dt;
    },
    { text: profileYaml, name: 'kiosk-line-3.yaml' },
  );
  await app.main().locator('.profile-bar').dispatchEvent('drop', { dataTransfer });
  await expect(app.customize.field('Profile name')).toHaveValue('Kiosk line 3');
  await expect(app.customize.field('User name')).toHaveValue('edgeuser');
  await expect(app.main().getByRole('list', { name: 'Installer scripts' })).toContainText('install-os.sh');
  await app.customize.waitChecked('No problems found.');
  await app.record('customize-standalone');
  // Saved for the next site visit: the engine writes it as YAML, with no secret in it.
  const savedProfile = join(engineEnv.dir, 'kiosk-saved.yaml');
  await app.desktop.answer(savedProfile);
  await app.main().getByRole('button', { name: 'Save as…' }).click();
  await expect(app.main().locator('.profile-path')).toHaveText(savedProfile);
  expect(readFileSync(savedProfile, 'utf8')).toContain('userName: edgeuser');
  await app.next();

  await app.review.open();
  await expect(app.main().locator('.notice-warning').filter({ hasText: 'erases every SATA and NVMe disk' })).toBeVisible();
  await app.next();
  await app.build.open();
  await expect(app.main().locator('#build-block')).toHaveText('Choose where to save the ISO.');
  await app.main().getByLabel('Password for the node user').fill('Kiosk-Pass-3');
  await app.build.build(join(engineEnv.dir, 'kiosk.iso'));
  await app.write.open();
  await expect(app.main().getByText('every SATA and NVMe disk erased')).toBeVisible();
  await app.write.choose(stick.dev);
  await app.write.startButton().click();
  await app.done.open();
  await expect(app.done.result(stick.dev)).toContainText('Verified');

  // The stick as the upstream installer sees it: exactly seven partitions, config-file and
  // .psswd on the sixth (read with mtools straight from the device), the OS image on the fifth.
  const table = (JSON.parse(execFileSync('sfdisk', ['--json', stick.dev], { encoding: 'utf8' })) as SfdiskTable).partitiontable;
  expect(table.label).toBe('gpt');
  expect(table.partitions).toHaveLength(7);
  const at = (n: number) => `${stick.dev}@@${table.partitions[n - 1]!.start * (table.sectorsize ?? 512)}`;
  expect(execFileSync('mtype', ['-i', at(6), '::config-file'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })).toMatch(/user_name="?edgeuser"?/);
  expect(execFileSync('mtype', ['-i', at(6), '::.psswd'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()).toBe('passwd=Kiosk-Pass-3');
  expect(execFileSync('mdir', ['-b', '-i', at(5), '::'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })).toContain(imageName);
});
