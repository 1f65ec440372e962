/**
 * A 1 GiB FAT32 image holding one 1000 MiB file (a stick's OS partition, small): our writer against
 * `cp` of the payload (the disk's own speed) and against the tools way (`mkfs.fat -C` + `mcopy`),
 * in the same run; plus generation alone (the image streamed to nowhere) against reading the
 * payload (`cat > /dev/null`). Our side runs in a child process so that its peak RSS is its own.
 * Goals: within ~1.2x of cp, and a flat peak RSS (≤ 150 MiB whatever the payload size).
 */
import { spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './run';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const cacheDir = join(root, '.cache/bench/fat-image');
const PAYLOAD = join(cacheDir, 'payload-1000MiB.bin');
const PAYLOAD_SIZE = 1000 << 20;
const IMAGE_SIZE = 1 << 30;
const ROUNDS = 2;

export async function run(): Promise<BenchResult> {
  await ensurePayload();
  const out = join(cacheDir, 'out.img');
  const t = { ours: [] as number[], generate: [] as number[], cp: [] as number[], cat: [] as number[], tools: [] as number[] };
  let rss = 0;
  for (let i = 0; i < ROUNDS; i++) {
    t.cp.push(await timeShell(`cp '${PAYLOAD}' '${out}' && sync '${out}'`));
    await rm(out, { force: true });
    t.cat.push(await timeShell(`cat '${PAYLOAD}' > /dev/null`));
    for (const target of [out, '-']) {
      const r = JSON.parse((await capture(process.execPath, ['--import', 'tsx', join(here, 'fat-image.child.ts'), PAYLOAD, target, String(IMAGE_SIZE)])).trim().split('\n').at(-1)!);
      if (r.fatType !== 32) throw new Error(`expected FAT32, got FAT${r.fatType}`);
      (target === '-' ? t.generate : t.ours).push(r.seconds);
      rss = Math.max(rss, r.maxRssMiB);
    }
    await rm(out, { force: true });
    t.tools.push(await timeShell(`mkfs.fat -C -n EMT_BENCH '${out}' ${IMAGE_SIZE / 1024} > /dev/null && mmd -i '${out}' ::/os && mcopy -i '${out}' '${PAYLOAD}' ::/os/payload.raw.gz && sync '${out}'`));
    await rm(out, { force: true });
  }
  const best = (xs: number[]) => Math.min(...xs);
  const mibps = (s: number) => ((IMAGE_SIZE / s) / 2 ** 20).toFixed(0);
  return {
    name: 'fat-image',
    lines: [
      `image: 1 GiB FAT32 holding a ${PAYLOAD_SIZE >> 20} MiB file, written and synced (best of ${ROUNDS})`,
      `write + sync: ours ${best(t.ours).toFixed(2)} s (${mibps(best(t.ours))} MiB/s), cp of the payload ${best(t.cp).toFixed(2)} s, mkfs.fat + mcopy ${best(t.tools).toFixed(2)} s`,
      `generation alone: ours ${best(t.generate).toFixed(2)} s (${mibps(best(t.generate))} MiB/s), cat payload > /dev/null ${best(t.cat).toFixed(2)} s`,
      `ratio ours/cp ${(best(t.ours) / best(t.cp)).toFixed(2)} (goal ≤ 1.2), ours/mkfs.fat+mcopy ${(best(t.ours) / best(t.tools)).toFixed(2)}, generation/cat ${(best(t.generate) / best(t.cat)).toFixed(2)}`,
      `peak RSS of our writer: ${rss.toFixed(0)} MiB (goal ≤ 150, flat)`,
    ],
  };
}

/** 1000 MiB of random (incompressible) bytes, made once and cached. */
async function ensurePayload(): Promise<void> {
  await mkdir(cacheDir, { recursive: true });
  if ((await stat(PAYLOAD).catch(() => null))?.size === PAYLOAD_SIZE) return;
  const ws = createWriteStream(PAYLOAD);
  const chunk = Buffer.alloc(1 << 20);
  for (let done = 0; done < PAYLOAD_SIZE; done += chunk.length) {
    randomFillSync(chunk);
    if (!ws.write(Buffer.from(chunk))) await new Promise<void>((r) => ws.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => ws.end((e?: Error | null) => (e ? reject(e) : resolve())));
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
