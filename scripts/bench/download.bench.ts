/**
 * Download throughput from a loopback server: our downloader (streaming to a .part, sha256 on the
 * way, checkpoints, pin, publish into the cache) against `curl -o` for the same 1 GiB, in the same
 * run, alternating. The server runs in a process of its own. Goal: ours ≥ 0.95 × curl. On a
 * shared machine single runs vary by 2×: the best and the median of three are reported.
 */
import { spawn, execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SettingsSchema } from '../../app/contract/settings';
import { download } from '../../app/release/download';
import type { BenchResult } from './run';

const SIZE = 1 << 30;
const ROUNDS = 3;

export async function run(): Promise<BenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'emt-bench-download-'));
  const server = spawn(process.execPath, ['--import', 'tsx', 'app/release/testing/serve-pattern.ts', String(SIZE)], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: server.stdout! }).once('line', resolve);
      server.once('exit', (code) => reject(new Error(`server exited (${code})`)));
    });
    const catalog = join(dir, 'catalog.json');
    await writeFile(catalog, JSON.stringify({ schemaVersion: 1, name: 'bench', releases: [{ kind: 'bootkit', id: 'bench', name: 'bench', buildDate: '20260526', url, size: SIZE }] }));
    const settings = SettingsSchema.parse({ version: 1, catalogs: [catalog], cacheLimitBytes: null });
    const curlOut = join(dir, 'curl.out');
    const ours: number[] = [];
    const curl: number[] = [];
    let sha256 = '';
    for (let i = 0; i < ROUNDS; i++) {
      let t = performance.now();
      execFileSync('curl', ['-s', '--noproxy', '*', '-o', curlOut, url]);
      curl.push((performance.now() - t) / 1000);
      await rm(curlOut);
      const cacheDir = join(dir, `cache-${i}`);
      t = performance.now();
      const r = await download('bench', { settings, env: { EMT_CACHE_DIR: cacheDir } });
      ours.push((performance.now() - t) / 1000);
      sha256 = r.entry.files[0]!.sha256;
      await rm(cacheDir, { recursive: true, force: true });
    }
    const best = (xs: number[]) => Math.min(...xs);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const mbps = (s: number) => (SIZE / s / 1e6).toFixed(0);
    return {
      name: 'download',
      lines: [
        `1 GiB from 127.0.0.1: ours best ${best(ours).toFixed(2)} s (${mbps(best(ours))} MB/s, sha256 + pin + publish included), curl -o best ${best(curl).toFixed(2)} s (${mbps(best(curl))} MB/s)`,
        `all runs: ours ${ours.map((s) => s.toFixed(2)).join(' / ')} s, curl ${curl.map((s) => s.toFixed(2)).join(' / ')} s`,
        `throughput ratio ours/curl: best ${(best(curl) / best(ours)).toFixed(2)}, median ${(median(curl) / median(ours)).toFixed(2)} (goal ≥ 0.95)`,
        `sha256 of the download: ${sha256}`,
      ],
    };
  } finally {
    server.stdin?.end();
    server.kill();
    await rm(dir, { recursive: true, force: true });
  }
}
