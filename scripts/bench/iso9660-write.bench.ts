/**
 * Writing an ISO around a 600 MiB file (an initrd-sized payload): our hybrid ISO writer against
 * `xorriso -as mkisofs` on the same tree and against `cp` and `dd` of the payload (the disk's own speed), in
 * the same run. Our side runs in a child process so that its peak RSS is its own.
 * Goals: within ~1.2x of dd, and a flat peak RSS (≤ 150 MiB whatever the payload size).
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomFillSync } from 'node:crypto';
import type { BenchResult } from './run';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const cacheDir = join(root, '.cache/bench/iso9660-write');
const PAYLOAD = join(cacheDir, 'payload-600MiB.bin');
const PAYLOAD_SIZE = 600 << 20;
const ESP = join(cacheDir, 'esp-4MiB.img');
const ROUNDS = 2;

export async function run(): Promise<BenchResult> {
  await ensureFixture();
  const tree = join(cacheDir, 'tree');
  const ours: number[] = [];
  const inner: number[] = [];
  const xorriso: number[] = [];
  const cp: number[] = [];
  const dd: number[] = [];
  let rss = 0;
  let size = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const out = join(cacheDir, 'out.iso');
    cp.push(await timeShell(`cp '${PAYLOAD}' '${out}' && sync '${out}'`));
    await rm(out, { force: true });
    dd.push(await timeShell(`dd if='${PAYLOAD}' of='${out}' bs=1M conv=fsync status=none`));
    await rm(out, { force: true });
    const t0 = performance.now();
    const r = JSON.parse((await capture(process.execPath, ['--import', 'tsx', join(here, 'iso9660-write.child.ts'), PAYLOAD, ESP, out])).trim().split('\n').at(-1)!);
    ours.push((performance.now() - t0) / 1000);
    inner.push(r.seconds);
    rss = Math.max(rss, r.maxRssMiB);
    size = r.size;
    await rm(out, { force: true });
    xorriso.push(
      await timeShell(
        `rm -rf '${tree}' && mkdir -p '${tree}/boot/grub' && ln '${PAYLOAD}' '${tree}/boot/initrd' && echo bench > '${tree}/boot/grub/grub.cfg' && ` +
          `xorriso -as mkisofs -quiet -R -J -V EMT_BENCH -o '${out}' -append_partition 2 0xef '${ESP}' -appended_part_as_gpt '${tree}' && sync '${out}'`,
      ),
    );
    await rm(out, { force: true });
  }
  await rm(tree, { recursive: true, force: true });
  const best = (xs: number[]) => Math.min(...xs);
  const mibps = (s: number) => (size / s / 2 ** 20).toFixed(0);
  const fmt = (xs: number[]) => `${xs.map((s) => s.toFixed(2)).join(' / ')} s`;
  return {
    name: 'iso9660-write',
    lines: [
      `image: ${(size / 2 ** 20).toFixed(0)} MiB hybrid ISO around a ${PAYLOAD_SIZE >> 20} MiB file (+ 4 MiB ESP), written and synced`,
      `best of ${ROUNDS}, write + sync: ours ${best(inner).toFixed(2)} s (${mibps(best(inner))} MiB/s), cp ${best(cp).toFixed(2)} s (${mibps(best(cp))} MiB/s), dd bs=1M ${best(dd).toFixed(2)} s`,
      `best of ${ROUNDS}, whole process: ours ${best(ours).toFixed(2)} s (node + tsx start included), xorriso ${best(xorriso).toFixed(2)} s`,
      `ratio ours/cp ${(best(inner) / best(cp)).toFixed(2)}, ours/dd ${(best(inner) / best(dd)).toFixed(2)} (goal ≤ 1.2), ours/xorriso (whole process) ${(best(ours) / best(xorriso)).toFixed(2)}`,
      `all runs: ours ${fmt(inner)} (process ${fmt(ours)}); xorriso ${fmt(xorriso)}; cp ${fmt(cp)}; dd ${fmt(dd)}`,
      `peak RSS of our writer: ${rss.toFixed(0)} MiB (goal ≤ 150, flat)`,
    ],
  };
}

/** A 600 MiB payload of random (incompressible) bytes and a FAT ESP, made once and cached. */
async function ensureFixture(): Promise<void> {
  await mkdir(cacheDir, { recursive: true });
  if ((await stat(PAYLOAD).catch(() => null))?.size !== PAYLOAD_SIZE) {
    const ws = createWriteStream(PAYLOAD);
    const chunk = Buffer.alloc(1 << 20);
    for (let done = 0; done < PAYLOAD_SIZE; done += chunk.length) {
      randomFillSync(chunk);
      if (!ws.write(Buffer.from(chunk))) await new Promise<void>((r) => ws.once('drain', () => r()));
    }
    await new Promise<void>((resolve, reject) => ws.end((e?: Error | null) => (e ? reject(e) : resolve())));
  }
  if (!(await stat(ESP).catch(() => null))) await capture('mkfs.fat', ['-C', '-n', 'EFIBOOT', ESP, '4096']);
}

async function timeShell(script: string): Promise<number> {
  const started = performance.now();
  await capture('bash', ['-c', `set -o pipefail; ${script}`]);
  return (performance.now() - started) / 1000;
}

function capture(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}`))));
  });
}
