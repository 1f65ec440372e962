/**
 * Write + verify to a loop device against `dd bs=4M oflag=direct conv=fsync` and a direct `dd`
 * read-back, in the same run. The loop device uses --direct-io=on so that its bytes really reach
 * the disk, as a stick's do (a buffered loop would measure the host's page cache). Each side runs
 * twice, alternating, and the best time counts: the machine is shared. Needs root.
 * Goals: write >= 0.95x dd, verify >= 0.9x the raw direct read, writer peak RSS <= 150 MiB.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { writeTargets } from '../../app/flash/write-targets';
import { fromFile } from '../../app/formats/byte-source';
import { bundledWriterLaunch } from '../../app/writer/bundle';
import type { BenchResult } from './run';

const MiB = 1 << 20;
const IMAGE = 512 * MiB;
const STICK = IMAGE + 64 * MiB;

function seconds(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
}

const rate = (bytes: number, s: number) => `${(bytes / MiB / s).toFixed(0)} MiB/s`;

export async function run(): Promise<BenchResult> {
  mkdirSync(join(process.cwd(), '.cache'), { recursive: true });
  const dir = mkdtempSync(join(process.cwd(), '.cache', 'bench-write-'));
  let loop = '';
  try {
    const image = join(dir, 'image.iso');
    const fd = openSync(image, 'w');
    for (let o = 0; o < IMAGE; o += 16 * MiB) writeSync(fd, randomBytes(16 * MiB));
    closeSync(fd);
    const backing = join(dir, 'stick.img');
    execFileSync('fallocate', ['-l', String(STICK), backing]);
    loop = execFileSync('losetup', ['--find', '--show', '--direct-io=on', backing], { encoding: 'utf8' }).trim();
    const launch = await bundledWriterLaunch(join(dir, 'writer.cjs'));
    // An ISO on disk is read by the writer itself (`path`); a composed source comes through the data socket.
    const source = { ...(await fromFile(image)), path: image };
    const dd = () => execFileSync('dd', [`if=${image}`, `of=${loop}`, 'bs=4M', 'oflag=direct', 'conv=fsync', 'status=none']);
    const ddRead = () => execFileSync('dd', [`if=${loop}`, 'of=/dev/null', 'bs=4M', 'iflag=direct', `count=${IMAGE / (4 * MiB)}`, 'status=none']);
    dd(); // warm-up: the first pass also converts the backing file's unwritten extents

    const ddWrite: number[] = [];
    const ddVerify: number[] = [];
    const ours: Array<{ write: number; verify: number; wall: number; rss: number }> = [];
    for (let i = 0; i < 2; i++) {
      ddWrite.push(seconds(dd));
      ddVerify.push(seconds(ddRead));
      const t0 = performance.now();
      const r = await writeTargets({ launch, source, targets: [loop], testTargets: [loop], eject: false });
      const t = r.targets[0]!;
      if (!t.ok) throw new Error(`write failed: ${t.error?.code} ${t.error?.message}`);
      ours.push({ write: t.writeSeconds, verify: t.verifySeconds, wall: (performance.now() - t0) / 1000, rss: r.writerMaxRssBytes });
    }
    const streamed = await writeTargets({ launch, source: await fromFile(image), targets: [loop], testTargets: [loop], eject: false, verify: false });
    const best = (xs: number[]) => Math.min(...xs);
    const w = best(ours.map((o) => o.write));
    const v = best(ours.map((o) => o.verify));
    const dw = best(ddWrite);
    const dv = best(ddVerify);
    const rss = Math.max(...ours.map((o) => o.rss));
    return {
      name: 'write + verify to a loop device (512 MiB, --direct-io=on)',
      lines: [
        `write:  ours ${rate(IMAGE, w)} vs dd ${rate(IMAGE, dw)}: ${(dw / w).toFixed(2)}x (goal >= 0.95x)`,
        `verify: ours ${rate(IMAGE, v)} vs dd iflag=direct ${rate(IMAGE, dv)}: ${(dv / v).toFixed(2)}x (goal >= 0.9x)`,
        `write of the same image streamed through the data socket (as a composed build is): ${rate(IMAGE, streamed.targets[0]!.writeSeconds)}`,
        `whole job (writer start, unmount, wipe, write, verify): ${best(ours.map((o) => o.wall)).toFixed(2)} s`,
        `writer peak RSS: ${(rss / MiB).toFixed(0)} MiB (goal <= 150 MiB); bench process ${((process.resourceUsage().maxRSS * 1024) / MiB).toFixed(0)} MiB`,
        `runs (s): dd write ${ddWrite.map((x) => x.toFixed(2)).join(', ')}; ours write ${ours.map((o) => o.write.toFixed(2)).join(', ')}; dd read ${ddVerify.map((x) => x.toFixed(2)).join(', ')}; ours verify ${ours.map((o) => o.verify.toFixed(2)).join(', ')}`,
      ],
    };
  } finally {
    if (loop) execFileSync('losetup', ['--detach', loop]);
    rmSync(dir, { recursive: true, force: true });
  }
}
