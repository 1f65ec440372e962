import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeCert } from '../../app/profile/testing/pki';
import { expect, test } from './support/fixtures';
import { startEmf } from './support/flows';

test('a bad certificate is refused inline by the engine, with the reason and the fix, until a good one replaces it', async ({ app, catalog, engineEnv }) => {
  const garbage = join(engineEnv.dir, 'not-a-cert.pem');
  writeFileSync(garbage, 'this is a text file, not a certificate\n');
  const leaf = makeCert('Lab CA');
  const key = join(engineEnv.dir, 'ca-key.pem');
  writeFileSync(key, leaf.keyPem);
  const good = join(engineEnv.dir, 'ca.pem');
  writeFileSync(good, leaf.pem);

  await startEmf(app, catalog.release.buildDate, { download: false });
  const field = app.customize.fileField('Orchestrator CA certificate');

  await app.customize.chooseFile('Orchestrator CA certificate', garbage);
  await expect(field.locator('.finding-error')).toHaveCount(1);
  await expect(field.getByRole('button', { name: 'Replace…' })).toHaveAttribute('aria-invalid', 'true');
  await app.record('certificate-garbage');

  await app.customize.chooseFile('Orchestrator CA certificate', key);
  await expect(field.locator('[data-code="E_CERT_PRIVATE_KEY"]')).toContainText('private key');
  await app.customize.waitChecked(/^\d+ problems? to fix$/);
  await expect(app.summary().getByTestId('summary-problems')).toContainText('to fix');
  await app.record('certificate-private-key');

  await app.customize.chooseFile('Orchestrator CA certificate', good);
  await expect(field.locator('.finding-error')).toHaveCount(0);
  await app.customize.waitChecked('No problems found.');
  await expect(field.getByRole('button', { name: 'Replace…' })).not.toHaveAttribute('aria-invalid', 'true');
});
