import { openSync, readSync, closeSync } from 'node:fs';
import { expect, test } from './support/fixtures';
import { buildEmfMedia } from './support/flows';

function firstMiB(path: string): Buffer {
  const buf = Buffer.alloc(1 << 20);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buf, 0, buf.length, 0);
  } finally {
    closeSync(fd);
  }
  return buf;
}

test('a stick too small for the image is listed, disabled, with the size it needs', async ({ app, catalog, engineEnv, loops }) => {
  const small = loops.loop('small-stick.img', 8 << 20);
  const big = loops.loop('big-stick.img', 128 << 20);
  engineEnv.setTestTargets([small.dev, big.dev]);
  await buildEmfMedia(app, catalog.release, engineEnv.dir);

  const row = app.write.stick(small.dev);
  await expect(row.getByRole('checkbox')).toBeDisabled();
  await expect(row).toContainText(/The image needs .* but .* holds only 8(\.0)? MiB/);
  await expect(app.write.stick(big.dev).getByRole('checkbox')).toBeEnabled();
  await expect(app.write.startButton()).toBeDisabled();
  await app.record('write-too-small');
  // The stick the rules refused was never touched: its first MiB still holds the lab's fill byte.
  expect(firstMiB(small.file).every((b) => b === 0xee)).toBe(true);
});

test('cancel mid-write: the write stops and the stick is wiped so it cannot boot half-written (a loop device throttled to 4 MB/s by a blkio cgroup stands in for a slow stick)', { tag: '@bridge' }, async ({ app, catalog, engineEnv, loops, bridge }) => {
  const stick = loops.loop('cancel-stick.img', 128 << 20);
  engineEnv.setTestTargets([stick.dev]);
  await buildEmfMedia(app, catalog.release, engineEnv.dir);

  // A loop device takes the image in a blink; a real stick takes minutes. The writer this test
  // starts writes to this one at 4 MB/s, so that the cancel arrives while the write is under way.
  const slow = loops.slowWrites(stick.dev, 4 << 20);
  let isWriting = false;
  const off = bridge!.onProgress((call, e) => {
    if (call === 'flash.write' && e.phase === 'write' && e.done > 0) isWriting = true;
  });
  try {
    await app.write.choose(stick.dev);
    await app.write.startButton().click();
    await expect.poll(() => isWriting).toBe(true);
    await expect(app.write.progress()).toHaveCount(1);
    await app.record('write-in-progress');
    const cancelled = app.page.waitForResponse((r) => r.url().includes('emt%3Ajobs.cancel') || r.url().includes('emt:jobs.cancel'));
    await app.main().getByRole('button', { name: 'Cancel' }).click();
    expect((await (await cancelled).json()) as unknown).toEqual({ ok: true, value: true });
    await expect(app.main().getByRole('status')).toContainText('The write was cancelled');
  } finally {
    off();
    slow.release();
  }
  await expect(app.heading()).toHaveText('Write to USB sticks');
  expect(firstMiB(stick.dev).every((b) => b === 0)).toBe(true);
});

