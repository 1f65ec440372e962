import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WriterLaunch } from '../../app/flash/elevate';
import { LoopLab } from '../../app/flash/testing/loops';
import { restoreDrive } from '../../app/flash/write-targets';
import { main } from '../../app/cli';
import { recordingIo } from '../../app/release/testing/cli-io';
import { bundledWriterLaunch } from '../../app/writer/bundle';

// Restore on loop devices, checked by sfdisk, wipefs, fsck.fat / fsck.exfat and the label tools.
const MiB = 1 << 20;
const lab = new LoopLab('flash-restore-');
let launch: WriterLaunch;
beforeAll(async () => {
  launch = await bundledWriterLaunch(join(lab.dir, 'writer.cjs'));
});
afterAll(() => lab.cleanup());

/** A loop device that looks like one of our sticks: ISO 9660 descriptor at 32 KiB, GPT at both ends. */
function hybridLookingStick(name: string, size: number): { dev: string; file: string } {
  const { dev, file } = lab.loop(name, size);
  const fd = openSync(dev, 'r+');
  writeSync(fd, Buffer.from('\x01CD001\x01'), 0, 7, 32 * 1024);
  writeSync(fd, Buffer.from('EFI PART'), 0, 8, 512);
  writeSync(fd, Buffer.from('EFI PART'), 0, 8, size - 512);
  closeSync(fd);
  return { dev, file };
}

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8' });

function tail(dev: string, size: number): Buffer {
  const fd = openSync(dev, 'r');
  const b = Buffer.alloc(MiB);
  readSync(fd, b, 0, MiB, size - MiB);
  closeSync(fd);
  return b;
}

describe('restoring a stick to a normal drive', () => {
  it('wipes both ends and makes one labelled FAT32 partition', async () => {
    const size = 96 * MiB;
    const { dev } = hybridLookingStick('fat32.img', size);
    const r = await restoreDrive({ launch, target: dev, testTargets: [dev], filesystem: 'fat32', label: 'emt stick' });
    expect(r).toMatchObject({ device: dev, filesystem: 'fat32', label: 'EMT STICK', partitionOffset: MiB, partitionSize: size - MiB, isEjected: false });
    const table = JSON.parse(sh('sfdisk', ['--json', dev])).partitiontable;
    expect(table.label).toBe('dos');
    expect(table.partitions).toMatchObject([{ start: 2048, size: size / 512 - 2048, type: 'c' }]);
    // No ISO 9660 or GPT signature is left: only the new MBR.
    expect(sh('wipefs', ['--no-act', '--noheadings', '--output', 'TYPE', dev]).trim()).toBe('dos');
    expect(tail(dev, size).every((b) => b === 0)).toBe(true);
    const part = lab.attach(dev, { offset: MiB, sizeLimit: size - MiB });
    expect(sh('fsck.fat', ['-n', part])).toMatch(/\d+ files, \d+\/\d+ clusters/);
    expect(sh('fatlabel', [part]).trim()).toBe('EMT STICK');
    expect(sh('blkid', ['-p', '-o', 'value', '-s', 'VERSION', part]).trim()).toBe('FAT32');
  });

  it('makes a labelled exFAT partition', async () => {
    const size = 64 * MiB;
    const { dev } = hybridLookingStick('exfat.img', size);
    const r = await restoreDrive({ launch, target: dev, testTargets: [dev], filesystem: 'exfat', label: 'Data Stick' });
    expect(r).toMatchObject({ filesystem: 'exfat', label: 'Data Stick', partitionOffset: MiB });
    expect(JSON.parse(sh('sfdisk', ['--json', dev])).partitiontable.partitions).toMatchObject([{ start: 2048, type: '7' }]);
    const part = lab.attach(dev, { offset: MiB, sizeLimit: size - MiB });
    expect(sh('fsck.exfat', ['-n', part])).toMatch(/clean/);
    expect(sh('exfatlabel', [part])).toContain('Data Stick');
  });

  it('refuses a read-only stick and a label the filesystem cannot hold', async () => {
    const ro = lab.loop('ro.img', 64 * MiB, { isReadOnly: true });
    await expect(restoreDrive({ launch, target: ro.dev, testTargets: [ro.dev] })).rejects.toMatchObject({ code: 'E_READ_ONLY' });
    const { dev } = lab.loop('label.img', 64 * MiB);
    await expect(restoreDrive({ launch, target: dev, testTargets: [dev], label: 'bad:name' })).rejects.toMatchObject({ code: 'E_BAD_LABEL' });
  });

  it('is one command: emt-media restore --target', async () => {
    const size = 64 * MiB;
    const { dev } = hybridLookingStick('cli.img', size);
    const env = { ...process.env, EMT_CONFIG_DIR: join(lab.dir, 'config'), EMT_CACHE_DIR: join(lab.dir, 'cache'), EMT_TEST_TARGETS: dev, EMT_WRITER: launch.args[0]! };
    const r = recordingIo(env, lab.dir);
    expect(await main(['restore', '--target', dev, '--fs', 'exfat', '--label', 'FIELD'], r.io)).toBe(0);
    expect(r.text()).toMatch(/ok {4}.* is a normal drive again: one exFAT partition "FIELD" \(63 MiB from 1\.0 MiB\)/);
    const part = lab.attach(dev, { offset: MiB, sizeLimit: size - MiB });
    expect(sh('exfatlabel', [part])).toContain('FIELD');
  });
});
