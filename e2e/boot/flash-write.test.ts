import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, writeFileSync, writeSync, fsyncSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WriterLaunch } from '../../app/flash/elevate';
import { LoopLab } from '../../app/flash/testing/loops';
import { runWriterJob } from '../../app/flash/writer-client';
import { verifyTargets, writeTargets } from '../../app/flash/write-targets';
import { fromBuffer, fromFile, type ByteSource } from '../../app/formats/byte-source';
import { bundledWriterLaunch } from '../../app/writer/bundle';

// Writing real loop devices: the writer unmounts, opens O_DIRECT|O_EXCL, writes, reads back
// around the cache and wipes on failure — on block devices the kernel treats like sticks.
const MiB = 1 << 20;
const lab = new LoopLab('flash-write-');
let launch: WriterLaunch;
beforeAll(async () => {
  launch = await bundledWriterLaunch(join(lab.dir, 'writer.cjs'));
});
afterAll(() => lab.cleanup());

/** Bytes [offset, offset+length) of a device or file, read plainly (through the page cache). */
function readRange(path: string, offset: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(length);
    readSync(fd, b, 0, length, offset);
    return b;
  } finally {
    closeSync(fd);
  }
}

function countingSource(buf: Buffer): ByteSource & { reads: number } {
  const s = { ...fromBuffer(buf), reads: 0 };
  s.stream = () => (s.reads++, fromBuffer(buf).stream());
  return s;
}

describe('writing loop devices', () => {
  it('unmounts a mounted partition, writes, and verifies from the device', async () => {
    const { dev, file } = lab.loop('stick.img', 48 * MiB);
    const { mountpoint } = lab.mountPartition(dev, 'OLDSTICK');
    const src = randomBytes(20 * MiB + 2048);
    const findings: string[] = [];
    const order: string[] = [];
    const r = await writeTargets({
      launch,
      source: fromBuffer(src),
      targets: [dev],
      testTargets: [dev],
      onFindings: (_, f) => findings.push(...f.map((x) => x.code)),
      onProgress: (e) => order.at(-1) !== e.phase && order.push(e.phase),
    });
    expect(r.targets[0]).toMatchObject({ ok: true, isVerified: true, isCacheBypassed: true, bytesVerified: src.length, phase: 'done' });
    expect(findings).toContain('I_MOUNTED');
    expect(order).toEqual(['unmount', 'write', 'verify', 'eject']);
    expect(readFileSync('/proc/self/mounts', 'utf8')).not.toContain(mountpoint);
    expect(readRange(file, 0, src.length).equals(src)).toBe(true);
    // The old partition table in the last MiB is gone: it was wiped before writing.
    expect(readRange(file, 47 * MiB, MiB).every((b) => b === 0)).toBe(true);
  });

  it('catches corruption behind the page cache: the verify reads the device, not cached pages', async () => {
    const { dev, file } = lab.loop('cache.img', 24 * MiB);
    const src = randomBytes(16 * MiB);
    expect((await writeTargets({ launch, source: fromBuffer(src), targets: [dev], testTargets: [dev], eject: false })).ok).toBe(true);
    // Fill the device's page cache with the good bytes and keep it alive (the kernel drops a block
    // device's cache at its last close), then change the backing file behind it.
    const keeper = openSync(dev, 'r');
    try {
      const cached = Buffer.alloc(src.length);
      readSync(keeper, cached, 0, src.length, 0);
      expect(cached.equals(src)).toBe(true);
      const at = 9 * MiB + 4321;
      const fd = openSync(file, 'r+');
      writeSync(fd, Buffer.from([src[at]! ^ 0x5a]), 0, 1, at);
      fsyncSync(fd);
      closeSync(fd);
      // A cached read still sees the old byte: only a read that bypasses the cache can catch this.
      expect(readRange(dev, at, 1)[0]).toBe(src[at]);
      const r = await verifyTargets({ launch, source: fromBuffer(src), targets: [dev], testTargets: [dev] });
      expect(r.targets[0]).toMatchObject({ ok: false, error: { code: 'E_VERIFY_MISMATCH', details: { offset: 9 * MiB } } });
    } finally {
      closeSync(keeper);
    }
  });

  it('writes several sticks from one read: good ones pass, a read-only one and one on a full tmpfs fail alone', async () => {
    const good1 = lab.loop('multi-good1.img', 40 * MiB);
    const good2 = lab.loop('multi-good2.img', 40 * MiB);
    const ro = lab.loop('multi-ro.img', 40 * MiB, { isReadOnly: true });
    // A 64 MiB sparse image on a 20 MiB tmpfs: writes past ~18 MiB hit ENOSPC, which the loop turns into EIO.
    const full = lab.attach(lab.file('full.img', 64 * MiB, 0xee, lab.tmpfs('tmpfs-full', 20 * MiB)));
    const src = countingSource(randomBytes(32 * MiB));
    const targets = [good1.dev, ro.dev, full, good2.dev];
    const r = await writeTargets({ launch, source: src, targets, testTargets: targets });
    expect(src.reads).toBe(1);
    expect(r.ok).toBe(false);
    const [g1, roR, fullR, g2] = r.targets;
    expect(g1).toMatchObject({ ok: true, isVerified: true, bytesVerified: 32 * MiB });
    expect(g2).toMatchObject({ ok: true, isVerified: true, bytesVerified: 32 * MiB });
    expect(roR).toMatchObject({ ok: false, phase: 'check', bytesWritten: 0, error: { code: 'E_READ_ONLY' } });
    // The loop passes the tmpfs's ENOSPC up: the stick "ran out of space", as a fake-capacity stick does.
    expect(fullR).toMatchObject({ ok: false, phase: 'wipe', isWiped: true, error: { code: 'E_DRIVE_FULL' } });
    expect(fullR!.bytesWritten).toBeLessThan(20 * MiB);
    expect(readRange(full, 0, MiB).every((b) => b === 0)).toBe(true);
    expect(readRange(good2.file, 0, 32 * MiB).equals(readRange(good1.file, 0, 32 * MiB))).toBe(true);
  });

  it('is refused by the writer itself for a read-only loop device, asked directly', async () => {
    const ro = lab.loop('direct-ro.img', 16 * MiB, { isReadOnly: true });
    const outcome = await runWriterJob({
      launch,
      job: { type: 'write', verify: true, targets: [{ device: ro.dev }], size: 4 * MiB, unused: [], sourcePaths: [], cachePaths: [], testTargets: [ro.dev], acceptWarnings: true, eject: false },
      data: () => fromBuffer(randomBytes(4 * MiB)).stream(),
    });
    expect(outcome).toMatchObject({ type: 'write-result', result: { targets: [{ ok: false, error: { code: 'E_READ_ONLY' } }] } });
  });

  it('refuses a stick that is too small, naming both sizes', async () => {
    const small = lab.loop('small.img', 8 * MiB);
    const r = await writeTargets({ launch, source: fromBuffer(randomBytes(12 * MiB)), targets: [small.dev], testTargets: [small.dev] });
    expect(r.targets[0]).toMatchObject({ ok: false, error: { code: 'E_DRIVE_TOO_SMALL', details: { needed: 12 * MiB, available: 8 * MiB } } });
    expect(r.targets[0]!.error!.message).toMatch(/needs 12\.0 MiB .* holds only 8\.0 MiB/);
  });

  it('cancels mid-write: the body was being written, the first MiB held back, and both ends end up wiped', async () => {
    const { dev, file } = lab.loop('cancel.img', 48 * MiB);
    const buf = randomBytes(40 * MiB);
    const slow: ByteSource = {
      size: buf.length,
      async *stream() {
        for (let o = 0; o < buf.length; o += MiB) {
          await new Promise((r) => setTimeout(r, 30));
          yield buf.subarray(o, o + MiB);
        }
      },
    };
    const ac = new AbortController();
    const r = await writeTargets({ launch, source: slow, targets: [dev], testTargets: [dev], signal: ac.signal, onProgress: (e) => e.phase === 'write' && e.done >= 10 * MiB && ac.abort() });
    expect(r.targets[0]).toMatchObject({ ok: false, isWiped: true, error: { code: 'E_CANCELLED' } });
    expect(r.targets[0]!.error!.message).toContain('was wiped at the start, so it will not boot');
    expect(readRange(file, 0, MiB).every((b) => b === 0)).toBe(true);
    expect(readRange(file, 47 * MiB, MiB).every((b) => b === 0)).toBe(true);
    expect(readRange(file, MiB, MiB).equals(buf.subarray(MiB, 2 * MiB))).toBe(true);
  });

  it('names who keeps a mounted partition busy', async () => {
    const { dev } = lab.loop('busy.img', 32 * MiB);
    const { mountpoint } = lab.mountPartition(dev, 'BUSY');
    const holder = spawn('sleep', ['60'], { cwd: mountpoint, stdio: 'ignore' });
    try {
      const r = await writeTargets({ launch, source: fromBuffer(randomBytes(4 * MiB)), targets: [dev], testTargets: [dev] });
      expect(r.targets[0]).toMatchObject({ ok: false, phase: 'unmount', isWiped: false, error: { code: 'E_BUSY' } });
      expect(r.targets[0]!.error!.message).toContain(`sleep (pid ${holder.pid})`);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('refuses the stick that stores the image being written', async () => {
    const { dev } = lab.loop('holds-source.img', 48 * MiB);
    const { mountpoint } = lab.mountPartition(dev, 'SOURCE');
    const image = join(mountpoint, 'emt.iso');
    writeFileSync(image, randomBytes(4 * MiB));
    const r = await writeTargets({ launch, source: await fromFile(image), sourcePaths: [image], targets: [dev], testTargets: [dev] });
    expect(r.targets[0]).toMatchObject({ ok: false, phase: 'check', error: { code: 'E_SOURCE_ON_TARGET' } });
    expect(readFileSync(image).length).toBe(4 * MiB);
  });
});
