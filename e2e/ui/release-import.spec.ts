import { expect, plainFixture, test } from './support/fixtures';

test('a release tarball on this computer is imported into the cache and chosen, with no network', async ({ app }) => {
  const { tarball, file } = plainFixture();
  await app.release.open();
  await app.desktop.answer(tarball);
  await app.main().getByRole('button', { name: 'Import a local file…' }).click();
  const imported = app.main().getByRole('listitem').filter({ has: app.page.getByRole('radio', { checked: true }) });
  await expect(imported.getByRole('listitem')).toContainText(['Downloaded', 'Works offline', 'Imported'], { timeout: 120_000 });
  await expect(app.summary().getByTestId('summary-release')).toContainText(file.replace(/\.tar\.gz$/, ''));
  await app.record('release-imported');
  await app.next();
  await app.mode.choose('EMF onboarding');
});
