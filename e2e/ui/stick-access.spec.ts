import { backingFile } from '../../app/flash/testing/loops';
import { buildEmfMedia, inspectStick } from './support/flows';
import { expect, test } from './support/fixtures';

// Unmounting what a desktop mounted (and refusing a busy stick) is proven on ext4 partitions in
// e2e/boot/flash-access.test.ts: this kernel mounts no iso9660 or vfat, which is what a written stick holds.
test('eject on Done: two sticks the write left attached, powered down at once through the writer', async ({ app, catalog, engineEnv, loops }) => {
  const first = loops.loop('eject-1.img', 96 << 20);
  const second = loops.loop('eject-2.img', 96 << 20);
  engineEnv.setTestTargets([first.dev, second.dev]);
  await buildEmfMedia(app, catalog.release, engineEnv.dir);
  await app.write.choose(first.dev);
  await app.write.choose(second.dev);
  await app.write.startButton().click();
  await app.done.open();
  // A loop device cannot be powered down by the write's own eject: both are still attached.
  for (const s of [first, second]) {
    await expect(app.done.result(s.dev)).toContainText('Not ejected: eject it before unplugging.');
    await expect(app.done.result(s.dev).getByRole('button', { name: /^Eject TEST TARGET/ })).toBeVisible();
  }
  await app.done.ejectAllButton().click();
  for (const s of [first, second]) await expect(app.done.result(s.dev)).toContainText('Ejected: you can unplug it.', { timeout: 60_000 });
  await expect(app.done.ejectAllButton()).toHaveCount(0);
  await app.record('done-ejected');
  // Really gone: the loop devices were detached from their files.
  expect(backingFile(first.dev)).not.toBe(first.file);
  expect(backingFile(second.dev)).not.toBe(second.file);
});

test.describe('as a user who may not read devices', () => {
  test.use({ isEngineUnprivileged: true });

  test('inspect a stick through the writer: a listed stick is read back and verified, a device that is not listed is refused by the writer', { tag: '@bridge' }, async ({ app, catalog, engineEnv, loops }) => {
    const stick = loops.loop('inspect-stick.img', 96 << 20);
    engineEnv.setTestTargets([stick.dev]);
    const iso = await buildEmfMedia(app, catalog.release, engineEnv.dir);
    await app.write.choose(stick.dev);
    await app.write.startButton().click();
    await app.done.open();

    await inspectStick(app, stick.dev, 'inspect-through-writer');

    // The same ISO on a loop device that is no test target: only the writer, which lists the
    // drives itself, refuses it (this process, as root, could read it).
    const other = loops.attach(iso, { isReadOnly: true });
    await app.desktop.answer(other);
    await app.main().getByRole('button', { name: 'Choose an ISO…' }).click();
    await expect(app.main().getByRole('alert')).toContainText(`${other} is not a drive this computer lists now.`);
  });
});
