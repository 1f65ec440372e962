/**
 * Reading a Bootkit-sized initramfs: a ~600 MiB gzip'd newc archive (dracut-like small files plus a
 * 500 MiB /rootfs.tar.gz), built once and cached under .cache/bench/. We time our listing, and our
 * listing + streaming gunzip of the inner rootfs.tar.gz into the tar reader (what release inspection
 * does), against `gzip -dc | cpio -it` and `gzip -dc | cpio -i --to-stdout rootfs.tar.gz | tar -tz`
 * on the same file in the same run, in wall time and CPU time (the machine is shared: CPU time is
 * the steadier figure). Our side runs bundled in a child process so its peak RSS is its own.
 * Goals: keep up with the tools (ratio ≤ 1) and peak RSS ≤ 150 MiB.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { build } from 'esbuild';
import { fromBuffer, fromFile, type ByteSource } from '../../app/formats/byte-source';
import { writeCpio, type CpioInput } from '../../app/formats/cpio/writer';
import { writeTar, type TarInput } from '../../app/formats/tar/writer';
import { capture, fmt, here, root, timeShell, type Timing } from './media-bench-support';
import type { BenchResult } from './run';

const cacheDir = join(root, '.cache/bench/initramfs-read');
// Bump when the fixture recipe changes.
const FIXTURE = join(cacheDir, 'initramfs-v2.img');
const ROOTFS_TARGET = 500 << 20;
const ROUNDS = 2;

export async function run(): Promise<BenchResult> {
  const built = await ensureFixture();
  const size = (await stat(FIXTURE)).size;
  const childScript = join(cacheDir, 'child.cjs');
  // Bundled like the shipped CLI: no TypeScript loader in the measured process.
  await build({ entryPoints: [join(here, 'initramfs-read.child.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: childScript, logLevel: 'error' });
  const runs = { list: [] as Timing[], full: [] as Timing[], toolList: [] as Timing[], toolFull: [] as Timing[] };
  let rss = 0;
  let facts = '';
  for (let i = 0; i < ROUNDS; i++) {
    runs.toolList.push(await timeShell(`gzip -dc '${FIXTURE}' | cpio -it --quiet > /dev/null`));
    const l = await child(childScript, 'list');
    runs.list.push(l);
    runs.toolFull.push(await timeShell(`gzip -dc '${FIXTURE}' | cpio -i --quiet --to-stdout rootfs.tar.gz | tar -tzf - > /dev/null`));
    const f = await child(childScript, 'full');
    runs.full.push(f);
    rss = Math.max(rss, l.maxRssMiB, f.maxRssMiB);
    facts = `${f.segments} segment(s), ${f.entries} cpio entries, ${f.tarEntries} tar entries in rootfs.tar.gz`;
  }
  const gunzipOnly = await timeShell(`gzip -dc '${FIXTURE}' > /dev/null`);
  const best = (xs: Timing[], key: keyof Timing = 'seconds') => Math.min(...xs.map((x) => x[key]));
  const mibps = (s: number) => (size / s / 2 ** 20).toFixed(0);
  const ratio = (a: Timing[], b: Timing[], key: keyof Timing) => (best(a, key) / best(b, key)).toFixed(2);
  return {
    name: 'initramfs-read',
    lines: [
      `fixture: ${(size / 2 ** 20).toFixed(0)} MiB gzip'd newc (${built ? 'built now' : 'cached'}), ${facts}`,
      `list, best of ${ROUNDS}: ours ${best(runs.list).toFixed(2)} s wall (${mibps(best(runs.list))} MiB/s) / ${best(runs.list, 'cpuSeconds').toFixed(2)} s CPU; gzip -dc | cpio -it ${best(runs.toolList).toFixed(2)} s / ${best(runs.toolList, 'cpuSeconds').toFixed(2)} s CPU`,
      `list + gunzip + tar listing of rootfs.tar.gz: ours ${best(runs.full).toFixed(2)} s / ${best(runs.full, 'cpuSeconds').toFixed(2)} s CPU; gzip -dc | cpio -i --to-stdout | tar -tz ${best(runs.toolFull).toFixed(2)} s / ${best(runs.toolFull, 'cpuSeconds').toFixed(2)} s CPU`,
      `ratio ours/tools, wall (CPU): list ${ratio(runs.list, runs.toolList, 'seconds')} (${ratio(runs.list, runs.toolList, 'cpuSeconds')}), full ${ratio(runs.full, runs.toolFull, 'seconds')} (${ratio(runs.full, runs.toolFull, 'cpuSeconds')}), our full vs their list ${ratio(runs.full, runs.toolList, 'seconds')} (${ratio(runs.full, runs.toolList, 'cpuSeconds')})`,
      `for scale: gzip -dc alone ${gunzipOnly.seconds.toFixed(2)} s / ${gunzipOnly.cpuSeconds.toFixed(2)} s CPU`,
      `all runs (wall): ours list ${fmt(runs.list)}, full ${fmt(runs.full)}; tools list ${fmt(runs.toolList)}, full ${fmt(runs.toolFull)}`,
      `peak RSS of our reader: ${rss.toFixed(0)} MiB (goal ≤ 150)`,
    ],
  };
}

async function child(script: string, mode: 'list' | 'full'): Promise<Timing & { entries: number; segments: number; tarEntries: number; maxRssMiB: number }> {
  const { stdout } = await capture(process.execPath, [script, FIXTURE, mode]);
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}


/** Builds the fixture unless cached; returns whether it was built. */
async function ensureFixture(): Promise<boolean> {
  if (await stat(FIXTURE).catch(() => null)) return false;
  await mkdir(cacheDir, { recursive: true });
  const pool = contentPool(32 << 20);
  const rootfs = join(cacheDir, 'rootfs.tar.gz.part');
  await gzipInto(writeTar(rootfsEntries(pool)).stream(), rootfs);
  const part = `${FIXTURE}.part`;
  await gzipInto(writeCpio(await initramfsEntries(pool, await fromFile(rootfs))).stream(), part);
  await rename(part, FIXTURE);
  await rm(rootfs);
  return true;
}

/** A Bootkit-like root: ~20k files of mixed sizes, until the gzip'd tar is about 500 MiB. */
function rootfsEntries(pool: Buffer): TarInput[] {
  const rand = xorshift(7);
  const entries: TarInput[] = [];
  // gzip -1 of the pool content keeps about four fifths of the bytes.
  const rawTarget = ROOTFS_TARGET * 1.28;
  let raw = 0;
  for (let d = 0; raw < rawTarget; d++) {
    entries.push({ type: 'dir', path: `/usr/lib/pkg${d}` });
    for (let f = 0; f < 40 && raw < rawTarget; f++) {
      const size = rand() % 8 === 0 ? 200_000 + (rand() % 800_000) : 500 + (rand() % 40_000);
      entries.push({ type: 'file', path: `/usr/lib/pkg${d}/file${f}.so`, data: slice(pool, rand, size), mode: 0o755 });
      raw += size;
    }
    entries.push({ type: 'symlink', path: `/usr/lib/pkg${d}/current`, target: 'file0.so' });
  }
  return entries;
}

/** A dracut-like initramfs: modules and firmware (~130 MiB raw), hooks, and /rootfs.tar.gz. */
async function initramfsEntries(pool: Buffer, rootfs: ByteSource): Promise<CpioInput[]> {
  const rand = xorshift(11);
  const entries: CpioInput[] = [
    { type: 'dir', path: '/usr' },
    { type: 'dir', path: '/usr/lib' },
    { type: 'symlink', path: '/lib', target: 'usr/lib' },
    { type: 'dir', path: '/usr/lib/dracut' },
    { type: 'dir', path: '/usr/lib/dracut/hooks' },
    { type: 'dir', path: '/usr/lib/dracut/hooks/mount' },
    { type: 'file', path: '/usr/lib/dracut/hooks/mount/90-tmpfsroot.sh', data: Buffer.from('tar -xf /rootfs.tar.gz -C "$NEWROOT"\n'), mode: 0o755 },
    { type: 'dir', path: '/usr/lib/modules' },
  ];
  for (let i = 0; i < 1300; i++) entries.push({ type: 'file', path: `/usr/lib/modules/mod${i}.ko`, data: slice(pool, rand, 1000 + (rand() % 200_000)) });
  entries.push({ type: 'file', path: '/rootfs.tar.gz', data: rootfs });
  return entries;
}

/** Bytes that compress like binaries: 4 KiB blocks, two in five random, the rest low-entropy text. */
function contentPool(size: number): Buffer {
  const rand = xorshift(3);
  const b = Buffer.alloc(size);
  for (let at = 0; at < size; at += 4096) {
    const isRandom = (at / 4096) % 5 < 2;
    for (let i = at; i < Math.min(size, at + 4096); i++) b[i] = isRandom ? rand() & 0xff : 0x61 + (rand() % 11);
  }
  return b;
}

function slice(pool: Buffer, rand: () => number, size: number): ByteSource {
  const at = rand() % (pool.length - size);
  return fromBuffer(pool.subarray(at, at + size));
}

function xorshift(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

async function gzipInto(stream: AsyncIterable<Buffer>, out: string): Promise<void> {
  const gzip = spawn('gzip', ['-1', '-n'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve, reject) => gzip.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`gzip exited ${code}`)))));
  await Promise.all([pipeline(Readable.from(stream), gzip.stdin), pipeline(gzip.stdout, createWriteStream(out)), exited]);
}
