import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WriteResult } from '../../app/contract/drives';
import type { MediaInspection } from '../../app/contract/inspect';
import { LoopLab } from '../../app/flash/testing/loops';
import { OS_IMAGE_NAME, readRange } from '../../app/media/testing/standalone-stick';
import { bundleWriter } from '../../app/writer/bundle';
import { loadFixture, type Fixture } from './harness/fixtures';
import { emtMedia, jsonOf, ownFolders, PASSWORD, PASSWORD_ENV, standaloneWorkspace, startEmtMedia, type StandaloneWorkspace } from './stick-support';

// `emt-media build --target`: the standalone stick built from the Bootkit fixture release straight
// onto loop devices, in one pass and as a child process, then read back from the devices by
// `emt-media inspect`, partx and mtools.

const MiB = 2 ** 20;
const lab = new LoopLab('stick-write-');
let fixture: Fixture;
let ws: StandaloneWorkspace;
let big: StandaloneWorkspace;
let writerEnv: NodeJS.ProcessEnv;

const FILL = 0xee;

beforeAll(async () => {
  fixture = await loadFixture('bootkit');
  const installer = { 'install-os.sh': '#!/bin/bash\necho "stand-in for EMT-S install-os.sh"\n' };
  ws = await standaloneWorkspace(lab.dir, { name: 'kiosk', files: installer, rawBytes: 4 * MiB });
  // A user app big enough that writing it takes seconds: a sparse VM disk image of 1.5 GiB.
  const bigApps = join(lab.dir, 'big-apps');
  mkdirSync(bigApps);
  writeFileSync(join(bigApps, 'vm-disk.img'), '');
  truncateSync(join(bigApps, 'vm-disk.img'), 1.5 * 1024 * MiB);
  big = await standaloneWorkspace(lab.dir, { name: 'big', files: installer, rawBytes: 4 * MiB, userAppsDir: bigApps });
  // The writer as it ships (a bundle beside the checkout, where drivelist resolves): it starts fast.
  writerEnv = { ...ownFolders(lab.dir), EMT_WRITER: await bundleWriter(join(lab.dir, 'writer.cjs')), [PASSWORD_ENV]: PASSWORD };
}, 300_000);

afterAll(() => lab.cleanup());

const build = (profile: string, targets: string[]) => ['build', '--release', fixture.release, '--profile', profile, '--password-env', PASSWORD_ENV, ...targets.flatMap((t) => ['--target', t]), '--yes', '--json'];
const env = (targets: string[]) => ({ ...writerEnv, EMT_TEST_TARGETS: targets.join(',') });
const isFilled = (path: string, offset: number) => readRange(path, offset, MiB).every((b) => b === FILL);

describe('emt-media build --target: the standalone stick in one pass', () => {
  it('writes two loop devices of different sizes at once; inspect reads each back verified, with seven partitions and the files of p5-p7', async () => {
    const small = lab.loop('two-small.img', 1624 * MiB);
    const large = lab.loop('two-large.img', 2200 * MiB);
    const targets = [small.dev, large.dev];
    const run = await emtMedia(build(ws.profile, targets), { cwd: lab.dir, env: env(targets) });
    const result = jsonOf<WriteResult>(run, 'build --target');
    expect(run.code, run.stderr).toBe(0);
    expect(result.targets.map((t) => [t.device, t.ok, t.isVerified])).toEqual([
      [small.dev, true, true],
      [large.dev, true, true],
    ]);
    // Free space of the data partitions is skipped, not written.
    for (const t of result.targets) expect(t.bytesSkipped).toBeGreaterThan(1024 * MiB);
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);

    const layouts: number[][] = [];
    for (const dev of targets) {
      const r = await emtMedia(['inspect', dev, '--json'], { cwd: lab.dir, env: ownFolders(lab.dir) });
      const inspection = jsonOf<MediaInspection>(r, `inspect ${dev}`);
      expect(r.code, r.stderr).toBe(0);
      expect(inspection.isVerified).toBe(true);
      expect(inspection.manifest!.mode).toBe('standalone');
      const parts = inspection.partitions;
      expect(parts.map((p) => [p.number, p.name])).toEqual([
        [1, 'ISO9660'],
        [2, 'EFI System'],
        [3, 'EMT reserved'],
        [4, 'EMT reserved'],
        [5, 'EMT OS image'],
        [6, 'EMT config'],
        [7, 'EMT user apps'],
      ]);
      const names = (n: number) => parts[n - 1]!.files!.map((f) => f.path).sort();
      expect(names(5)).toEqual([`/${OS_IMAGE_NAME}`, `/${OS_IMAGE_NAME}.sha256sum`]);
      expect(names(6)).toEqual(['/.psswd', '/config-file']);
      expect(names(7)).toEqual(Object.keys(ws.apps).map((p) => `/${p}`).sort());
      expect(parts[4]!.files!.find((f) => f.path === `/${OS_IMAGE_NAME}`)!.size).toBe(statSync(ws.image).size);
      layouts.push(parts.map((p) => p.firstByte));
      // What the kernel's partition parser makes of the device: exactly seven partitions.
      const partx = execFileSync('partx', ['--show', '--noheadings', '--output', 'NR', dev], { encoding: 'utf8' });
      expect(partx.trim().split(/\s+/)).toEqual(['1', '2', '3', '4', '5', '6', '7']);
      // The OS image read off p5 of the device by mtools is the file the profile names.
      const p5 = parts[4]!.firstByte;
      const copied = execFileSync('mcopy', ['-n', '-i', `${dev}@@${p5}`, `::/${OS_IMAGE_NAME}`, '-'], { env: { ...process.env, MTOOLS_SKIP_CHECK: '1' }, maxBuffer: 64 * MiB, stdio: ['ignore', 'pipe', 'pipe'] });
      expect(copied.equals(readRange(ws.image, 0, statSync(ws.image).size))).toBe(true);
    }
    // One stream for both sticks: the layout is the smaller stick's, on each.
    expect(layouts[1]).toEqual(layouts[0]);
    expect(execFileSync('sgdisk', ['-v', small.dev], { encoding: 'utf8' })).toContain('No problems found.');
  }, 600_000);

  it('refuses a stick too small for the layout before writing anything, to either stick', async () => {
    const tiny = lab.loop('too-small.img', 1_000_000_000);
    const other = lab.loop('too-small-other.img', 2_000_000_000);
    const targets = [tiny.dev, other.dev];
    const run = await emtMedia(build(ws.profile, targets), { cwd: lab.dir, env: env(targets) });
    expect(run.code).toBe(1);
    const doc = jsonOf<{ ok: false; error: { code: string; message: string } }>(run, 'build --target (too small)');
    expect(doc.error.code).toBe('E_STICK_TOO_SMALL');
    expect(doc.error.message).toMatch(/^The stick is 1\.0 GB; this standalone media needs 1\.\d GB/);
    for (const file of [tiny.file, other.file]) {
      expect(isFilled(file, 0), file).toBe(true);
      expect(isFilled(file, statSync(file).size - MiB), file).toBe(true);
    }
  }, 600_000);

  it('a damaged OS image fails the one pass with both hashes, and the stick is left wiped at the start', async () => {
    // Its own folder: the OS image is damaged after its .sha256sum was made, as a bad download is.
    const bad = await standaloneWorkspace(join(lab.dir, 'damaged'), { name: 'damaged', files: { 'install-os.sh': '#!/bin/bash\n' }, rawBytes: 4 * MiB });
    const bytes = readFileSync(bad.image);
    bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0x55;
    writeFileSync(bad.image, bytes);
    const stick = lab.loop('damaged.img', 1700 * MiB);
    const run = await emtMedia(build(bad.profile, [stick.dev]), { cwd: join(lab.dir, 'damaged'), env: env([stick.dev]) });
    expect(run.code).toBe(1);
    const result = jsonOf<WriteResult>(run, 'build --target (damaged OS image)');
    expect(result.targets[0]).toMatchObject({ ok: false, isWiped: true, error: { code: 'E_OS_IMAGE_HASH' } });
    expect(result.targets[0]!.error!.message).toMatch(/does not match its \.sha256sum \(sha256 [0-9a-f]{16}…, expected [0-9a-f]{16}…\)/);
    expect(readRange(stick.file, 0, MiB).every((b) => b === 0)).toBe(true);
  }, 600_000);

  it('on Ctrl-C mid-write stops and leaves the stick wiped at the start', async () => {
    const stick = lab.loop('cancel.img', 4_000_000_000);
    const allocated = () => statSync(stick.file).blocks * 512;
    const before = allocated();
    const { child, done } = startEmtMedia(build(big.profile, [stick.dev]), { cwd: lab.dir, env: env([stick.dev]) });
    // Past the ISO and the partitions' metadata: the writer is in the 1.5 GiB user app.
    const inside = before + 256 * MiB;
    let sent = false;
    while (!sent && child.exitCode === null) {
      if (allocated() > inside) sent = child.kill('SIGINT');
      else await new Promise((r) => setTimeout(r, 100));
    }
    const run = await done;
    expect(sent, `the write ended before it could be cancelled: ${run.stderr}`).toBe(true);
    expect(run.code).toBe(1);
    const result = jsonOf<WriteResult>(run, 'build --target (cancelled)');
    expect(result.targets[0]).toMatchObject({ ok: false, isWiped: true, error: { code: 'E_CANCELLED' } });
    expect(result.targets[0]!.bytesWritten).toBeLessThan(1.5 * 1024 * MiB);
    // The first MiB was 0xee before, and the layout's first MiB (MBR, GPT, ISO 9660 descriptors) is not zeros: zeros mean wiped.
    expect(readRange(stick.file, 0, MiB).every((b) => b === 0)).toBe(true);
    expect(readRange(stick.file, statSync(stick.file).size - MiB, MiB).every((b) => b === 0)).toBe(true);
    expect(allocated()).toBeGreaterThan(inside);
  }, 600_000);
});
