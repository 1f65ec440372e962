import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeCert } from '../../../app/profile/testing/pki';
import type { AppPage } from '../pages/app-page';
import { expect, type ServedRelease } from './fixtures';

/** Release (downloaded first unless it is cached) → EMF onboarding → Customize with the orchestrator domain typed in. */
export async function startEmf(app: AppPage, buildDate: string, o: { download: boolean }): Promise<void> {
  await app.release.open();
  if (o.download) await app.release.download(buildDate);
  await app.release.choose(buildDate);
  await app.next();
  await app.mode.choose('EMF onboarding');
  await app.next();
  await app.customize.open();
  await app.customize.fill('Orchestrator domain', 'orch.lab.example');
}

/** Download, EMF with a domain and the CA at `caPath`, checked, on to Review. */
export async function customizeEmf(app: AppPage, buildDate: string, caPath: string): Promise<void> {
  await startEmf(app, buildDate, { download: true });
  await app.customize.chooseFile('Orchestrator CA certificate', caPath);
  await app.customize.waitChecked('No problems found.');
  await app.next();
}

/** The way to the Write screen most flows share: download, EMF with a domain and a CA, build. Returns the ISO's path. */
export async function buildEmfMedia(app: AppPage, release: ServedRelease, dir: string): Promise<string> {
  const caPath = join(dir, 'ca.pem');
  writeFileSync(caPath, makeCert('Lab CA').pem);
  const iso = join(dir, 'media.iso');
  await customizeEmf(app, release.buildDate, caPath);
  await app.review.open();
  await app.next();
  await app.build.open();
  await app.build.build(iso);
  await app.write.open();
  await expect(app.summary()).toContainText('media.iso');
  return iso;
}

/** Tools → Inspect on a written stick: the engine reads it back and every file matches its manifest. */
export async function inspectStick(app: AppPage, device: string, screenshot: string): Promise<void> {
  await app.page.getByRole('navigation', { name: 'Tools' }).getByRole('button', { name: 'Inspect' }).click();
  await app.arrive('inspect', 'Inspect a stick or ISO');
  await app.main().locator(`li.drive[data-device="${device}"]`).getByRole('checkbox').check();
  await app.main().getByRole('button', { name: 'Inspect the chosen stick' }).click();
  await expect(app.main().getByTestId('inspect-verdict')).toHaveText('Every file matches the manifest: this media is as it was built.', { timeout: 120_000 });
  await expect(app.main().getByRole('status')).toContainText('/etc/emf/env_config');
  await app.record(screenshot);
}
