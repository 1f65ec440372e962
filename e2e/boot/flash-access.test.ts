import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WriterLaunch } from '../../app/flash/elevate';
import { ejectDrives, inspectDrive } from '../../app/flash/stick-access';
import { backingFile, LoopLab } from '../../app/flash/testing/loops';
import { buildIsoFile } from '../../app/media/build';
import { inspectPath } from '../../app/media/inspect';
import { makeTestKit } from '../../app/media/testing/media-oracles';
import { makeCert } from '../../app/profile/testing/pki';
import { emfProfile } from '../../app/profile/testing/profiles';
import { dummyKernel, INITRAMFS_NAME, KERNEL_NAME, plainInitramfs, writeReleaseDir } from '../../app/release/testing/synthetic-release';
import { bundledWriterLaunch } from '../../app/writer/bundle';

// Eject and inspect through the privileged writer on loop devices: what a user who may not touch
// devices gets done by the writer. As root the writer starts directly, as it would after pkexec.
const MiB = 1 << 20;
const lab = new LoopLab('flash-access-');
let launch: WriterLaunch;
let iso: string;

beforeAll(async () => {
  launch = await bundledWriterLaunch(join(lab.dir, 'writer.cjs'));
  const kit = await makeTestKit(lab.dir);
  const release = await writeReleaseDir(join(lab.dir, 'release'), { [KERNEL_NAME]: dummyKernel(), [INITRAMFS_NAME]: await plainInitramfs() });
  iso = join(lab.dir, 'media.iso');
  await buildIsoFile({ release: { kind: 'directory', path: release }, kitDir: kit, profile: emfProfile(makeCert('Lab CA')) }, iso);
});
afterAll(() => lab.cleanup());

const mounts = () => execFileSync('findmnt', ['-rn', '-o', 'SOURCE,TARGET'], { encoding: 'utf8' });

describe('eject through the writer', () => {
  it('unmounts what the desktop mounted and powers the stick down: the loop device goes away', async () => {
    const { dev, file } = lab.loop('eject.img', 64 * MiB);
    const { mountpoint } = lab.mountPartition(dev);
    expect(mounts()).toContain(mountpoint);
    const r = await ejectDrives({ launch, targets: [dev], testTargets: [dev] });
    expect(r.targets).toEqual([{ device: dev, name: expect.stringContaining('TEST TARGET'), isEjected: true, error: null }]);
    expect(mounts()).not.toContain(mountpoint);
    expect(backingFile(dev)).not.toBe(file);
  });

  it('leaves a stick in use attached and says who holds it', async () => {
    const { dev, file } = lab.loop('busy.img', 64 * MiB);
    const { mountpoint } = lab.mountPartition(dev, 'BUSYDATA');
    // A shell with its working folder on the stick, as a file manager window would be.
    const holder = execFileSync('sh', ['-c', 'cd "$1" && (sleep 30 >/dev/null 2>&1 &) && sleep 0.3 && echo ok', 'sh', mountpoint], { encoding: 'utf8' });
    expect(holder.trim()).toBe('ok');
    try {
      const r = await ejectDrives({ launch, targets: [dev], testTargets: [dev] });
      expect(r.targets[0]).toMatchObject({ isEjected: false, error: { code: 'E_BUSY', message: expect.stringContaining('sleep') } });
      expect(backingFile(dev)).toBe(file);
    } finally {
      execFileSync('sh', ['-c', 'fuser -k -m "$1" >/dev/null 2>&1 || true', 'sh', mountpoint]);
    }
  });
});

describe('inspect through the writer', () => {
  it('reads a written stick back in the writer, as a root process reads it directly', async () => {
    const { dev } = lab.loop('inspect.img', 64 * MiB);
    execFileSync('dd', [`if=${iso}`, `of=${dev}`, 'bs=1M', 'oflag=direct', 'status=none']);
    const viaWriter = await inspectDrive({ launch, target: dev, testTargets: [dev] });
    expect(viaWriter).toMatchObject({ kind: 'media', path: dev, isVerified: true, manifest: { mode: 'emf' } });
    expect(viaWriter).toEqual(await inspectPath(dev));
  });

  it('does not read a loop device it was not told is a test target', async () => {
    const dir = join(lab.dir, 'other');
    mkdirSync(dir);
    copyFileSync(iso, join(dir, 'copy.iso'));
    const dev = lab.attach(join(dir, 'copy.iso'));
    await expect(inspectDrive({ launch, target: dev, testTargets: [] })).rejects.toMatchObject({ code: 'E_DRIVE_NOT_FOUND' });
  });
});
