import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Drive } from '../../app/contract/drives';
import { listDrives } from '../../app/flash/drives';
import type { WriterLaunch } from '../../app/flash/elevate';
import { LoopLab } from '../../app/flash/testing/loops';
import { watchDrives } from '../../app/flash/watch';
import { runWriterJob } from '../../app/flash/writer-client';
import { fromBuffer } from '../../app/formats/byte-source';
import { bundledWriterLaunch } from '../../app/writer/bundle';

const MiB = 1 << 20;
const lab = new LoopLab('flash-drives-');
let launch: WriterLaunch;
beforeAll(async () => {
  launch = await bundledWriterLaunch(join(lab.dir, 'writer.cjs'));
});
afterAll(() => lab.cleanup());

function writeJob(target: { device: string; typedName?: string }, testTargets: string[] = []) {
  return runWriterJob({
    launch,
    job: { type: 'write', verify: true, targets: [target], size: MiB, unused: [], sourcePaths: [], cachePaths: [], testTargets, acceptWarnings: true, eject: false },
    data: () => fromBuffer(randomBytes(MiB)).stream(),
  });
}

describe('drives', () => {
  it('shows loop devices and image files only as labelled test targets, with partitions and mount points', async () => {
    const { dev } = lab.loop('listed.img', 40 * MiB);
    const { part, mountpoint } = lab.mountPartition(dev, 'LISTED');
    const file = lab.file('listed-file.img', 8 * MiB);
    expect((await listDrives()).some((d) => d.device === dev)).toBe(false);
    const drives = await listDrives({ testTargets: [dev, file, join(lab.dir, 'not-there.img')] });
    const loop = drives.find((d) => d.device === dev)!;
    expect(loop).toMatchObject({ kind: 'loop', bus: 'LOOP', isTestTarget: true, isSystem: false, size: 40 * MiB, mountpoints: [mountpoint] });
    expect(loop.name).toMatch(/^TEST TARGET loop\d+$/);
    expect(loop.description).toContain('listed.img');
    // Labels and filesystem types come from udev's database, which this test machine does not run.
    expect(loop.partitions).toMatchObject([{ device: part, size: 39 * MiB, mountpoints: [mountpoint] }]);
    expect(drives.find((d) => d.device === file)).toMatchObject({ kind: 'file', isTestTarget: true, size: 8 * MiB, name: 'TEST TARGET listed-file.img' });
    expect(drives.some((d) => d.device.endsWith('not-there.img'))).toBe(false);
  });

  it('sees a stick come and go (polling once a second)', async () => {
    const file = lab.file('hotplug.img', 16 * MiB);
    // Learn a free loop name, then watch it while nothing is attached to it.
    const dev = lab.attach(file);
    execFileSync('losetup', ['--detach', dev]);
    let latest: Drive[] = [];
    let calls = 0;
    const stop = watchDrives(
      (d) => {
        latest = d;
        calls++;
      },
      { testTargets: [dev], intervalMs: 200 },
    );
    const waitUntil = async (cond: () => boolean) => {
      for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 100));
      return cond();
    };
    try {
      expect(await waitUntil(() => calls >= 1)).toBe(true);
      expect(latest.some((d) => d.device === dev)).toBe(false);
      execFileSync('losetup', [dev, file]);
      expect(await waitUntil(() => latest.some((d) => d.device === dev))).toBe(true);
      execFileSync('losetup', ['--detach', dev]);
      expect(await waitUntil(() => !latest.some((d) => d.device === dev))).toBe(true);
      const changes = calls;
      await new Promise((r) => setTimeout(r, 700));
      // Nothing changed: no new call.
      expect(calls).toBe(changes);
    } finally {
      stop();
    }
  });
});

describe('the writer re-applies the safety rules itself', () => {
  it('refuses every system drive of this machine when asked directly, before touching it', async () => {
    const system = (await listDrives()).filter((d) => d.isSystem);
    expect(system.length, 'this machine lists no system drive').toBeGreaterThan(0);
    for (const d of system) {
      const outcome = await writeJob({ device: d.device });
      expect(outcome).toMatchObject({ type: 'write-result', result: { ok: false, targets: [{ ok: false, phase: 'check', bytesWritten: 0 }] } });
      if (outcome.type !== 'write-result') continue;
      expect(['E_SYSTEM_DRIVE_IN_USE', 'E_SYSTEM_DRIVE']).toContain(outcome.result.targets[0]!.error!.code);
    }
  });

  it('refuses the drive holding / even with its name typed', async () => {
    const root = (await listDrives()).find((d) => d.systemReason === 'in-use');
    expect(root, 'no drive holds the running system here').toBeDefined();
    const outcome = await writeJob({ device: root!.device, typedName: root!.name });
    expect(outcome).toMatchObject({ type: 'write-result', result: { targets: [{ ok: false, error: { code: 'E_SYSTEM_DRIVE_IN_USE' } }] } });
    expect(readFileSync('/proc/self/mounts', 'utf8')).toMatch(/ \/ /);
  });

  it('will not take a real disk as a "test target"', async () => {
    const root = (await listDrives()).find((d) => d.isSystem)!;
    const outcome = await writeJob({ device: root.device }, [root.device]);
    expect(outcome).toMatchObject({ type: 'error', error: { code: 'E_TEST_TARGET_INVALID' } });
  });
});
