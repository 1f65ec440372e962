import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from './support/fixtures';

test.describe('dark theme', () => {
  test.use({ colorScheme: 'dark' });

  test('settings from the application menu: a bad proxy is refused with the reason, a good change lands in the settings file', { tag: '@bridge' }, async ({ app, bridge, engineEnv }) => {
    await app.release.open();
    bridge!.emit('menuCommand', 'settings');
    await app.arrive('settings-dark', 'Settings');
    const main = app.main();
    await main.getByRole('radio', { name: 'Use this proxy' }).check();
    await main.getByRole('textbox', { name: 'Proxy URL' }).fill('proxy.example.com');
    await main.getByRole('button', { name: 'Save settings' }).click();
    await expect(main.getByRole('alert')).toContainText('Proxy URL must look like http://proxy.example.com:3128');
    await main.getByRole('textbox', { name: 'Proxy URL' }).fill('http://proxy.lab.example:3128');
    await main.getByRole('textbox', { name: 'Test targets' }).fill('/tmp/lab-stick.img');
    await main.getByRole('button', { name: 'Save settings' }).click();
    await expect(main.getByRole('status')).toHaveText('Settings saved.');
    const saved = JSON.parse(readFileSync(join(engineEnv.dir, 'config', 'settings.json'), 'utf8')) as { proxy: { mode: string; url: string }; testTargets: string[] };
    expect(saved.proxy).toMatchObject({ mode: 'manual', url: 'http://proxy.lab.example:3128' });
    expect(saved.testTargets).toEqual(['/tmp/lab-stick.img']);
    await main.getByRole('button', { name: 'Open logs' }).click();
    await expect.poll(() => bridge!.desktop.opened).toContain(bridge!.log.file);
  });
});

test('restore a stick: erased back to one labelled FAT32 partition', async ({ app, engineEnv, loops }) => {
  const stick = loops.loop('restore-stick.img', 64 << 20);
  engineEnv.setTestTargets([stick.dev]);
  await app.release.open();
  await app.page.getByRole('navigation', { name: 'Tools' }).getByRole('button', { name: 'Restore a stick' }).click();
  await app.arrive('restore', 'Restore a stick to normal');
  const main = app.main();
  await main.locator(`li.drive[data-device="${stick.dev}"]`).getByRole('checkbox').check();
  await main.getByRole('radio', { name: /FAT32/ }).check();
  await main.getByRole('textbox', { name: 'Label' }).fill('FIELDKIT');
  await main.getByRole('button', { name: 'Restore', exact: true }).click();
  await expect(main.getByRole('status')).toContainText('is an empty stick again.', { timeout: 120_000 });
  await app.record('restore-done');
  const table = JSON.parse(execFileSync('sfdisk', ['--json', stick.dev], { encoding: 'utf8' })) as { partitiontable: { partitions: Array<{ start: number }> } };
  expect(table.partitiontable.partitions).toHaveLength(1);
  const label = execFileSync('mlabel', ['-s', '-i', `${stick.dev}@@${table.partitiontable.partitions[0]!.start * 512}`, '::'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  expect(label).toContain('FIELDKIT');
});
