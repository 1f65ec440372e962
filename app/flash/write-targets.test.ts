import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../contract/jobs';
import { EmtError } from '../errors';
import { concat, fromBuffer, fromFile, zeros, type ByteSource } from '../formats/byte-source';
import { bundledWriterLaunch } from '../writer/bundle';
import type { WriterLaunch } from './elevate';
import { coveredRanges } from './extents';
import { runWriterJob } from './writer-client';
import { verifyTargets, writeTargets } from './write-targets';

// Image files as test targets: the whole engine and the real writer process (bundled, as it
// ships), without root or loop devices (those are in e2e/boot/flash-*.test.ts). The folder is on
// the disk, not tmpfs, so the read-back can use O_DIRECT as it does on sticks.
mkdirSync(join(process.cwd(), '.cache'), { recursive: true });
const dir = mkdtempSync(join(process.cwd(), '.cache', 'write-targets-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MiB = 1 << 20;
let launch: WriterLaunch;
beforeAll(async () => {
  launch = await bundledWriterLaunch(join(dir, 'writer.cjs'));
});

function target(name: string, size: number, fill = 0xee): string {
  const path = join(dir, name);
  writeFileSync(path, Buffer.alloc(size, fill));
  return path;
}

/** A source that yields 1 MiB at a time, slowly, and can fail after `failAfter` bytes. */
function slow(buf: Buffer, delayMs: number, failAfter = Infinity): ByteSource {
  return {
    size: buf.length,
    async *stream(signal) {
      for (let off = 0; off < buf.length; off += MiB) {
        if (off >= failAfter) throw new Error('the build failed while streaming');
        await new Promise((r) => setTimeout(r, delayMs));
        if (signal?.aborted) return;
        yield buf.subarray(off, off + MiB);
      }
    },
  };
}

describe('writeTargets with image-file test targets', () => {
  it('writes one read of the source to two sticks, skips unused ranges, and verifies only what it wrote', async () => {
    const src = randomBytes(10 * MiB + 512);
    const unusedRanges = [{ offset: 3 * MiB, length: 2 * MiB + 100 }];
    const a = target('a.img', 16 * MiB);
    const b = target('b.img', 12 * MiB);
    const events: ProgressEvent[] = [];
    let reads = 0;
    const source = { ...fromBuffer(src), unusedRanges, stream: () => (reads++, fromBuffer(src).stream()) };
    const r = await writeTargets({ launch, source, targets: [a, b], testTargets: [a, b], onProgress: (e) => events.push(e) });

    expect(reads).toBe(1);
    expect(r.ok).toBe(true);
    const skipped = 2 * MiB; // shrunk inward to 4 KiB: [3 MiB, 5 MiB)
    for (const [t, path] of [[r.targets[0]!, a], [r.targets[1]!, b]] as const) {
      expect(t).toMatchObject({ ok: true, phase: 'done', isVerified: true, isCacheBypassed: true, isWiped: false, bytesSkipped: skipped, error: null });
      expect(t.bytesWritten).toBe(src.length - skipped);
      expect(t.bytesVerified).toBe(src.length - skipped);
      const disk = readFileSync(path);
      for (const c of coveredRanges(src.length, unusedRanges)) expect(disk.subarray(c.offset, c.offset + c.length).equals(src.subarray(c.offset, c.offset + c.length))).toBe(true);
      // The skipped range kept what the stick had: it was neither written nor read as "verified".
      expect(disk.subarray(3 * MiB, 5 * MiB).every((x) => x === 0xee)).toBe(true);
      // The last MiB of the stick was wiped before writing (no stale backup GPT).
      expect(disk.subarray(disk.length - MiB).every((x) => x === 0)).toBe(true);
    }
    const phases = [...new Set(events.filter((e) => e.target === a).map((e) => e.phase))];
    expect(phases).toEqual(['unmount', 'write', 'verify', 'eject']);
    expect(events.filter((e) => e.phase === 'write' && e.target === b).at(-1)).toMatchObject({ done: src.length - skipped, total: src.length - skipped });
  });

  it('fails only the stick that is too small, before any writer starts for it, and writes the other', async () => {
    const src = randomBytes(4 * MiB);
    const big = target('big.img', 8 * MiB);
    const small = target('small.img', 2 * MiB);
    const r = await writeTargets({ launch, source: fromBuffer(src), targets: [small, big], testTargets: [small, big] });
    expect(r.ok).toBe(false);
    expect(r.targets[0]).toMatchObject({ ok: false, phase: 'check', bytesWritten: 0, error: { code: 'E_DRIVE_TOO_SMALL' } });
    expect(r.targets[0]!.error!.message).toContain('4.0 MiB (4194304 bytes)');
    expect(r.targets[1]).toMatchObject({ ok: true, isVerified: true });
    expect(readFileSync(small).every((x) => x === 0xee)).toBe(true);
  });

  it('is refused by the writer itself when asked directly for a stick that is too small', async () => {
    const small = target('direct-small.img', 2 * MiB);
    const outcome = await runWriterJob({
      launch,
      job: { type: 'write', verify: true, targets: [{ device: small }], size: 4 * MiB, unused: [], sourcePaths: [], cachePaths: [], testTargets: [small], acceptWarnings: true, eject: false },
      data: () => fromBuffer(randomBytes(4 * MiB)).stream(),
    });
    expect(outcome.type).toBe('write-result');
    if (outcome.type !== 'write-result') return;
    expect(outcome.result.targets[0]).toMatchObject({ ok: false, phase: 'check', error: { code: 'E_DRIVE_TOO_SMALL' } });
    expect(readFileSync(small).every((x) => x === 0xee)).toBe(true);
  });

  it('wipes the start of the stick on cancel and says so', async () => {
    const src = randomBytes(24 * MiB);
    const t = target('cancel.img', 32 * MiB);
    const ac = new AbortController();
    const r = await writeTargets({
      launch,
      source: slow(src, 40),
      targets: [t],
      testTargets: [t],
      signal: ac.signal,
      onProgress: (e) => e.phase === 'write' && e.done >= 8 * MiB && ac.abort(),
    });
    expect(r.targets[0]).toMatchObject({ ok: false, phase: 'wipe', isWiped: true, error: { code: 'E_CANCELLED' } });
    expect(r.targets[0]!.error!.message).toMatch(/wiped at the start, so it will not boot/);
    const disk = readFileSync(t);
    expect(disk.subarray(0, MiB).every((x) => x === 0)).toBe(true);
    expect(disk.subarray(disk.length - MiB).every((x) => x === 0)).toBe(true);
    // Some of the body was written: the cancel came mid-write, not before it.
    expect(disk.subarray(MiB, 2 * MiB).equals(src.subarray(MiB, 2 * MiB))).toBe(true);
  });

  it('reports the source failure itself, not "data ended", and leaves the stick wiped', async () => {
    const t = target('srcfail.img', 16 * MiB);
    const r = await writeTargets({ launch, source: slow(randomBytes(12 * MiB), 1, 6 * MiB), targets: [t], testTargets: [t] });
    expect(r.targets[0]).toMatchObject({ ok: false, isWiped: true });
    expect(r.targets[0]!.error!.message).toContain('the build failed while streaming');
    expect(readFileSync(t).subarray(0, MiB).every((x) => x === 0)).toBe(true);
  });

  it('reports a writer that dies mid-write, per stick, with the start still zeroed', async () => {
    const t = target('crash.img', 32 * MiB);
    let pid = 0;
    const r = await writeTargets({
      launch,
      source: slow(randomBytes(24 * MiB), 40),
      targets: [t],
      testTargets: [t],
      onReady: (info) => (pid = info.pid),
      onProgress: (e) => {
        if (e.phase === 'write' && e.done >= 4 * MiB && pid) process.kill(pid, 'SIGKILL');
      },
    });
    expect(r.targets[0]).toMatchObject({ ok: false, phase: 'write', error: { code: 'E_WRITER_CRASHED' } });
    expect(r.targets[0]!.error!.message).toMatch(/killed \(SIGKILL\)/);
    expect(readFileSync(t).subarray(0, MiB).every((x) => x === 0)).toBe(true);
  });
});

describe('verifyTargets', () => {
  it('passes a stick that holds the image and finds the first different block of one that does not', async () => {
    const src = randomBytes(9 * MiB);
    const good = target('v-good.img', 12 * MiB);
    const bad = target('v-bad.img', 12 * MiB);
    for (const p of [good, bad]) {
      const disk = readFileSync(p);
      src.copy(disk, 0);
      writeFileSync(p, disk);
    }
    const disk = readFileSync(bad);
    disk.writeUInt8(disk.readUInt8(6 * MiB + 12345) ^ 0xff, 6 * MiB + 12345);
    writeFileSync(bad, disk);
    const r = await verifyTargets({ launch, source: fromBuffer(src), targets: [good, bad], testTargets: [good, bad] });
    expect(r.targets[0]).toMatchObject({ ok: true, isVerified: true, bytesVerified: src.length, bytesWritten: 0 });
    expect(r.targets[1]).toMatchObject({ ok: false, isWiped: false, error: { code: 'E_VERIFY_MISMATCH', details: { offset: 5 * MiB } } });
    // A verify changes nothing, even on failure.
    expect(readFileSync(bad).equals(disk)).toBe(true);
  });
});

describe('a file source read by the writer itself', () => {
  it('writes and verifies an image the writer opens with the asking user\'s rights', async () => {
    const src = randomBytes(5 * MiB + 512);
    const image = join(dir, 'direct.iso');
    writeFileSync(image, src);
    const t = target('direct-file.img', 8 * MiB);
    let streamed = 0;
    const source = { ...fromBuffer(src), path: image, stream: () => (streamed++, fromBuffer(src).stream()) };
    const r = await writeTargets({ launch, source, targets: [t], testTargets: [t] });
    expect(r.targets[0]).toMatchObject({ ok: true, isVerified: true, bytesVerified: src.length });
    expect(streamed).toBe(0);
    expect(readFileSync(t).subarray(0, src.length).equals(src)).toBe(true);
  });

  it('cannot be used to read a file the asking user may not read', async () => {
    // The writer runs as root, told (as pkexec tells it) that user 65534 asked. In a folder that user
    // may enter, a root-only file stays closed to it and a world-readable one does not.
    const open = mkdtempSync(join(tmpdir(), 'emt-open-'));
    try {
      chmodSync(open, 0o755);
      const secret = join(open, 'secret.iso');
      writeFileSync(secret, randomBytes(2 * MiB), { mode: 0o600 });
      const shared = join(open, 'shared.iso');
      const bytes = randomBytes(2 * MiB);
      writeFileSync(shared, bytes, { mode: 0o644 });
      const t = target('secret-target.img', 4 * MiB);
      const asNobody = { ...launch, env: { ...process.env, PKEXEC_UID: '65534' } };
      const r = await writeTargets({ launch: asNobody, source: { ...fromBuffer(Buffer.alloc(2 * MiB)), path: secret }, targets: [t], testTargets: [t] });
      expect(r.targets[0]).toMatchObject({ ok: false, isWiped: true, error: { code: 'E_PERMISSION' } });
      expect(readFileSync(t).subarray(MiB, 2 * MiB).every((b) => b === 0xee)).toBe(true);
      const ok = await writeTargets({ launch: asNobody, source: { ...fromBuffer(bytes), path: shared }, targets: [t], testTargets: [t] });
      expect(ok.targets[0]).toMatchObject({ ok: true, isVerified: true });
    } finally {
      rmSync(open, { recursive: true, force: true });
    }
  });

  it('keeps root\'s rights when root itself runs it, even under `sudo` (SUDO_UID set)', async () => {
    const open = mkdtempSync(join(tmpdir(), 'emt-sudo-'));
    const saved = process.env.SUDO_UID;
    try {
      chmodSync(open, 0o755);
      const rootOnly = join(open, 'root-only.iso');
      const bytes = randomBytes(2 * MiB);
      writeFileSync(rootOnly, bytes, { mode: 0o600 });
      const t = target('sudo-target.img', 4 * MiB);
      process.env.SUDO_UID = '65534';
      const r = await writeTargets({ launch, source: { ...fromBuffer(bytes), path: rootOnly }, targets: [t], testTargets: [t] });
      expect(r.targets[0]).toMatchObject({ ok: true, isVerified: true });
    } finally {
      if (saved === undefined) delete process.env.SUDO_UID;
      else process.env.SUDO_UID = saved;
      rmSync(open, { recursive: true, force: true });
    }
  });

  it('refuses an image that is not the size it was announced with', async () => {
    const image = join(dir, 'changed.iso');
    writeFileSync(image, randomBytes(3 * MiB));
    const t = target('changed-target.img', 4 * MiB);
    const r = await writeTargets({ launch, source: { ...fromBuffer(randomBytes(2 * MiB)), path: image }, targets: [t], testTargets: [t] });
    expect(r.targets[0]).toMatchObject({ ok: false, error: { code: 'E_SOURCE_SIZE' } });
  });
});

describe('composed media read by the writer along a map', () => {
  /** A kernel-and-image-like source: two files, generated bytes and zeros between them; `stream` counts its calls. */
  async function composed(check?: () => Promise<void>) {
    const a = join(dir, 'map-a.bin');
    const b = join(dir, 'map-b.bin');
    writeFileSync(a, randomBytes(3 * MiB + 100));
    writeFileSync(b, randomBytes(2 * MiB));
    const head = randomBytes(70_000);
    const parts = [fromBuffer(head), await fromFile(a), zeros(MiB + 5), await fromFile(b, check ? { check } : {})];
    const whole = concat(parts);
    const expected = Buffer.concat([head, readFileSync(a), Buffer.alloc(MiB + 5), readFileSync(b)]);
    let streamed = 0;
    const source: ByteSource = { size: whole.size, runs: () => whole.runs!(), stream: (s) => (streamed++, whole.stream(s)) };
    return { source, expected, a, b, streamed: () => streamed };
  }

  it('writes and verifies bytes the writer read from the files itself, none through the socket', async () => {
    const m = await composed();
    const t = target('map.img', 12 * MiB);
    const r = await writeTargets({ launch, source: m.source, targets: [t], testTargets: [t] });
    expect(r.targets[0]).toMatchObject({ ok: true, isVerified: true, bytesVerified: m.expected.length });
    expect(m.streamed()).toBe(0);
    expect(readFileSync(t).subarray(0, m.expected.length).equals(m.expected)).toBe(true);
  });

  it('does not finish a stick whose content check fails: the check\'s own error, the stick wiped', async () => {
    const m = await composed(async () => {
      throw new EmtError('E_OS_IMAGE_HASH', 'The OS image does not match its .sha256sum.', 'Download it again.');
    });
    const t = target('map-check.img', 12 * MiB);
    const r = await writeTargets({ launch, source: m.source, targets: [t], testTargets: [t] });
    expect(r.targets[0]).toMatchObject({ ok: false, isWiped: true, error: { code: 'E_OS_IMAGE_HASH' } });
    expect(readFileSync(t).subarray(0, MiB).every((x) => x === 0)).toBe(true);
  });
});

describe('runWriterJob', () => {
  it('ends with the error when the job could not be made while the writer started, and the writer exits', async () => {
    const t = target('job-fails.img', 4 * MiB);
    const job = Promise.reject(new EmtError('E_GLUE', 'Making the source map failed.', 'Try again.'));
    const outcome = await runWriterJob({ launch, job, data: () => fromBuffer(Buffer.alloc(0)).stream() });
    expect(outcome).toMatchObject({ type: 'error', error: { code: 'E_GLUE' } });
    expect(readFileSync(t).every((x) => x === 0xee)).toBe(true);
  });
});
