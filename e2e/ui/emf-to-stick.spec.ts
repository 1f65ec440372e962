import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeCert } from '../../app/profile/testing/pki';
import { BuildManifestSchema } from '../../app/contract/build';
import { expect, test } from './support/fixtures';
import { inspectStick } from './support/flows';

test('EMF: release from a catalog on 127.0.0.1, customized, built, written to two loop devices at once, verified, then inspected', async ({ app, catalog, engineEnv, loops }) => {
  const stick = loops.loop('emf-stick.img', 128 << 20);
  const second = loops.loop('emf-stick-2.img', 96 << 20);
  engineEnv.setTestTargets([stick.dev, second.dev]);
  const caPath = join(engineEnv.dir, 'orchestrator-ca.pem');
  writeFileSync(caPath, makeCert('Lab Orchestrator CA').pem);
  const iso = join(engineEnv.dir, 'lab-site.iso');

  // The server trickles the tarball, so that the download's progress is on screen long enough to see.
  catalog.server.inject(new URL(catalog.release.url).pathname, { kind: 'trickle', bytesPerChunk: 1 << 20, intervalMs: 150 });
  await app.release.open();
  await app.release.download(catalog.release.buildDate, { isSlow: true });
  await app.release.choose(catalog.release.buildDate);
  await expect(app.release.row(catalog.release.buildDate).getByRole('listitem')).toContainText(['Downloaded', 'Works offline', 'Verified against the catalog']);
  await expect(app.summary()).toContainText('Lab Bootkit');
  await app.next();

  await app.mode.choose('EMF onboarding');
  await app.next();
  await app.customize.open();
  await app.customize.fill('Profile name', 'Lab site');
  await app.customize.fill('Orchestrator domain', 'orch.lab.example');
  await app.customize.chooseFile('Orchestrator CA certificate', caPath);
  await expect(app.customize.fileField('Orchestrator CA certificate')).toContainText('orchestrator-ca.pem');
  await app.customize.waitChecked('No problems found.');
  await app.next();

  await app.review.open();
  await expect(app.review.files().filter({ hasText: '/etc/emf/env_config' })).toHaveCount(1);
  await expect(app.page.getByText('Turn Secure Boot off')).toBeVisible();
  await app.next();

  await app.build.open();
  await app.build.build(iso);
  await app.write.open();
  await expect(app.write.stick(stick.dev)).toContainText('TEST TARGET');
  await app.write.choose(stick.dev);
  await app.write.choose(second.dev);
  await expect(app.write.startButton()).toHaveText('Write 2 sticks');
  await app.write.startButton().click();
  await app.done.open();
  await expect(app.done.result(stick.dev)).toContainText('Verified');
  await expect(app.done.result(second.dev)).toContainText('Verified');
  await expect(app.main().getByRole('status').first()).toHaveText('All 2 sticks are written and verified.');

  // Independent checks: the stick holds the ISO byte for byte (cmp reads the device), and the
  // ISO's manifest (read by osirrox) names our release, the mode and the CA we chose.
  const size = readFileSync(iso).length;
  execFileSync('cmp', ['-n', String(size), iso, stick.dev]);
  execFileSync('cmp', ['-n', String(size), iso, second.dev]);
  const extracted = join(engineEnv.dir, 'emt-media.json');
  // xorriso guards /dev paths; stdio: says this one is meant.
  execFileSync('osirrox', ['-indev', `stdio:${stick.dev}`, '-extract', '/emt-media.json', extracted], { stdio: 'ignore' });
  const manifest = BuildManifestSchema.parse(JSON.parse(readFileSync(extracted, 'utf8')));
  expect(manifest.mode).toBe('emf');
  expect(manifest.release.id).toBe(catalog.release.id);
  expect(manifest.overlay.map((o) => o.path)).toEqual(expect.arrayContaining(['/etc/emf/env_config', '/etc/idp/server_cert.pem']));

  const report = join(engineEnv.dir, 'report.json');
  await app.desktop.answer(report);
  await app.page.getByRole('button', { name: 'Save report…' }).click();
  await expect(app.page.getByText(`Report saved to ${report}.`)).toBeVisible();
  const saved = JSON.parse(readFileSync(report, 'utf8')) as { sticks: Array<{ device: string; ok: boolean; isVerified: boolean }>; image: { sha256: string } };
  expect(saved.sticks).toEqual([expect.objectContaining({ device: stick.dev, ok: true, isVerified: true }), expect.objectContaining({ device: second.dev, ok: true, isVerified: true })]);

  // The engine reads the written stick back and checks every file against its manifest.
  await inspectStick(app, stick.dev, 'inspect-stick');
});
