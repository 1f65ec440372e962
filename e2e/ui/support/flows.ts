import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeCert } from '../../../app/profile/testing/pki';
import type { AppPage } from '../pages/app-page';
import { expect, type ServedRelease } from './fixtures';

/** The way to the Write screen most flows share: download, EMF with a domain and a CA, build. Returns the ISO's path. */
export async function buildEmfMedia(app: AppPage, release: ServedRelease, dir: string): Promise<string> {
  const caPath = join(dir, 'ca.pem');
  writeFileSync(caPath, makeCert('Lab CA').pem);
  const iso = join(dir, 'media.iso');
  await app.release.open();
  await app.release.download(release.buildDate);
  await app.release.choose(release.buildDate);
  await app.next();
  await app.mode.choose('EMF onboarding');
  await app.next();
  await app.customize.open();
  await app.customize.fill('Orchestrator domain', 'orch.lab.example');
  await app.customize.chooseFile('Orchestrator CA certificate', caPath);
  await app.customize.waitChecked('No problems found.');
  await app.next();
  await app.review.open();
  await app.next();
  await app.build.open();
  await app.build.build(iso);
  await app.write.open();
  await expect(app.summary()).toContainText('media.iso');
  return iso;
}
