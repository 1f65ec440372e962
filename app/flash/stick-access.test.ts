import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../contract/jobs';
import { buildIsoFile } from '../media/build';
import { inspectPath } from '../media/inspect';
import { makeTestKit } from '../media/testing/media-oracles';
import { makeCert } from '../profile/testing/pki';
import { emfProfile } from '../profile/testing/profiles';
import { dummyKernel, INITRAMFS_NAME, KERNEL_NAME, plainInitramfs, writeReleaseDir } from '../release/testing/synthetic-release';
import { bundledWriterLaunch } from '../writer/bundle';
import { RequestSchema, WriterEventSchema } from '../writer/protocol';
import type { WriterLaunch } from './elevate';
import { ejectDrives, inspectDrive } from './stick-access';
import { runWriterJob } from './writer-client';

// Eject and inspect through the real writer process (bundled, as it ships) on image-file test
// targets: no root needed. Loop devices (an eject that unmounts and detaches, a stick read back)
// are in e2e/boot/flash-access.test.ts.
mkdirSync(join(process.cwd(), '.cache'), { recursive: true });
const dir = mkdtempSync(join(process.cwd(), '.cache', 'stick-access-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let launch: WriterLaunch;
let iso: string;

beforeAll(async () => {
  launch = await bundledWriterLaunch(join(dir, 'writer.cjs'));
  const kit = await makeTestKit(dir);
  const release = await writeReleaseDir(join(dir, 'release'), { [KERNEL_NAME]: dummyKernel(), [INITRAMFS_NAME]: await plainInitramfs() });
  iso = join(dir, 'media.iso');
  await buildIsoFile({ release: { kind: 'directory', path: release }, kitDir: kit, profile: emfProfile(makeCert('Lab CA')) }, iso);
});

describe('the writer protocol for eject and inspect', () => {
  it('has requests for both, each naming its targets, and refuses them without', () => {
    expect(RequestSchema.safeParse({ type: 'inspect', target: { device: '/dev/sdb' }, testTargets: [] }).success).toBe(true);
    expect(RequestSchema.safeParse({ type: 'inspect', testTargets: [] }).success).toBe(false);
    expect(RequestSchema.safeParse({ type: 'eject', targets: [{ device: '/dev/sdb' }], cachePaths: [], testTargets: [] }).success).toBe(true);
    expect(RequestSchema.safeParse({ type: 'eject', targets: [], cachePaths: [], testTargets: [] }).success).toBe(false);
    // Only media comes back from an inspection by the writer, never a release's inspection.
    expect(WriterEventSchema.safeParse({ type: 'inspect-result', result: { kind: 'initramfs' } }).success).toBe(false);
  });
});

describe('inspectDrive through the writer', () => {
  it('reads a stick back in the writer and returns the same inspection as reading it here', async () => {
    const events: ProgressEvent[] = [];
    const viaWriter = await inspectDrive({ launch, target: iso, testTargets: [iso], onProgress: (e) => events.push(e) });
    const here = await inspectPath(iso);
    expect(viaWriter).toEqual(here);
    expect(viaWriter).toMatchObject({ kind: 'media', isVerified: true, manifest: { mode: 'emf' } });
    expect(viaWriter.overlay.map((o) => o.path)).toContain('/etc/emf/env_config');
    expect(events.length).toBeGreaterThan(0);
  });

  it('is refused by the writer itself for a path that is not a listed drive, and for a drive without media', async () => {
    const outcome = await runWriterJob({ launch, job: { type: 'inspect', target: { device: iso }, testTargets: [] } });
    expect(outcome).toMatchObject({ type: 'error', error: { code: 'E_DRIVE_NOT_FOUND' } });
    const blank = join(dir, 'blank.img');
    writeFileSync(blank, Buffer.alloc(4 << 20));
    await expect(inspectDrive({ launch, target: blank, testTargets: [blank] })).rejects.toMatchObject({ code: 'E_NOT_MEDIA' });
  });

  it('refuses a path that is not listed before starting the writer at all', async () => {
    const never: WriterLaunch = { command: '/nonexistent/writer', args: [], via: 'direct' };
    await expect(inspectDrive({ launch: never, target: join(dir, 'media.iso'), testTargets: [] })).rejects.toMatchObject({ code: 'E_DRIVE_NOT_FOUND' });
  });
});

describe('ejectDrives through the writer', () => {
  it('answers per stick: an image file has nothing to eject, an unlisted device is refused before the writer', async () => {
    const file = join(dir, 'target.img');
    writeFileSync(file, Buffer.alloc(4 << 20));
    const r = await ejectDrives({ launch, targets: [file, join(dir, 'gone.img')], testTargets: [file] });
    expect(r.targets).toEqual([
      expect.objectContaining({ device: file, name: expect.stringContaining('TEST TARGET'), isEjected: false, error: expect.objectContaining({ code: 'E_NOT_EJECTABLE' }) }),
      expect.objectContaining({ device: join(dir, 'gone.img'), isEjected: false, error: expect.objectContaining({ code: 'E_DRIVE_NOT_FOUND' }) }),
    ]);
  });

  it('is refused by the writer itself for a device it does not list', async () => {
    const outcome = await runWriterJob({ launch, job: { type: 'eject', targets: [{ device: iso }], cachePaths: [], testTargets: [] } });
    expect(outcome.type).toBe('eject-result');
    if (outcome.type !== 'eject-result') return;
    expect(outcome.result.targets[0]).toMatchObject({ isEjected: false, error: { code: 'E_DRIVE_NOT_FOUND' } });
  });
});
