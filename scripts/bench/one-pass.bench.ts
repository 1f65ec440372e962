/**
 * The standalone stick built straight onto a loop device in one pass, against writing the
 * already-built image of the same bytes (`build --out X.img` first, then the writer reads X.img
 * itself, skipping the same free space). The goal compares like with like: both in this process,
 * as the GUI runs them (build from the release prepared in the cache, then the writer job; the
 * writer job alone); `emt-media build --target` as a whole CLI process is reported beside it. The
 * writer is the shipped bundle, the release the Bootkit fixture, the OS image 512 MiB. The loop
 * device uses --direct-io=on so its bytes reach the disk, as a stick's do. Rounds alternate, the
 * best counts: the machine is shared. Needs root.
 * Goals: one pass <= 1.05x the write of the built image; peak RSS <= 150 MiB (CLI and writer each).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { build } from 'esbuild';
import type { BuildResult } from '../../app/contract/build';
import type { WriteResult } from '../../app/contract/drives';
import { writeTargets } from '../../app/flash/write-targets';
import { fromFile } from '../../app/formats/byte-source';
import { mediaSource, prepareBuild } from '../../app/media/build';
import { OS_IMAGE_NAME, sha256Sparse, stickProfile } from '../../app/media/testing/standalone-stick';
import { saveProfile } from '../../app/profile/profile-file';
import { SecretText } from '../../app/profile/secrets';
import { classifyRelease } from '../../app/release/read-release';
import { bundleWriter } from '../../app/writer/bundle';
import { FixtureManifestSchema } from '../fixtures/fixture-manifest';
import { KIT, root } from './media-bench-support';
import type { BenchResult } from './run';

const MiB = 2 ** 20;
const OS_IMAGE = 512 * MiB;
const STICK = 1700 * MiB;
const ROUNDS = 3;
const EPOCH = 1_780_000_000;
const PASSWORD = 'bench-one-pass';
const FIXTURE = join(root, '.cache/fixtures/bootkit');

interface Timed {
  seconds: number;
  maxRssMiB: number;
  stdout: string;
}

/**
 * A child process, timed, with its own peak RSS: VmHWM (the high-water mark) read from /proc while
 * it runs. Not GNU time's, whose figure also covers the writer the CLI starts and waits for.
 */
function timed(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let hwmKiB = 0;
    const poll = setInterval(() => {
      try {
        hwmKiB = Math.max(hwmKiB, Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p.pid}/status`, 'utf8'))?.[1] ?? 0));
      } catch {
        // The process has just ended.
      }
    }, 50);
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      clearInterval(poll);
      if (code !== 0) return reject(new Error(`${args.slice(0, 2).join(' ')} exited ${code}: ${stderr}`));
      resolve({ seconds: (performance.now() - t0) / 1000, maxRssMiB: hwmKiB / 1024, stdout });
    });
  });
}

/** A real gzip member of random bytes, stored (level 0): the image's bytes, without minutes of deflate. */
async function osImage(path: string): Promise<void> {
  async function* chunks() {
    for (let at = 0; at < OS_IMAGE; at += 16 * MiB) yield randomBytes(16 * MiB);
  }
  await pipeline(chunks(), createGzip({ level: 0 }), createWriteStream(path));
  execFileSync('sh', ['-c', `cd "$(dirname "$1")" && sha256sum "$(basename "$1")" > "$1.sha256sum"`, 'sh', path]);
}

export async function run(): Promise<BenchResult> {
  const manifestPath = join(FIXTURE, 'fixture.json');
  if (!existsSync(manifestPath)) throw new Error('The Bootkit fixture is missing: run `bash scripts/prepare-test-assets.sh` first.');
  const release = join(FIXTURE, FixtureManifestSchema.parse(JSON.parse(await readFile(manifestPath, 'utf8'))).release.file);
  await mkdir(join(root, '.cache'), { recursive: true });
  // Inside the checkout: the bundles resolve drivelist from its node_modules.
  const dir = await mkdtemp(join(root, '.cache', 'bench-one-pass-'));
  let loop = '';
  try {
    const cli = join(dir, 'cli.cjs');
    await build({ entryPoints: [join(root, 'app', 'cli.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: cli, external: ['drivelist'], logLevel: 'error' });
    const writer = await bundleWriter(join(dir, 'writer.cjs'));
    await mkdir(join(dir, 'images'));
    await osImage(join(dir, 'images', OS_IMAGE_NAME));
    await mkdir(join(dir, 'apps'));
    await saveProfile(join(dir, 'bench.yaml'), stickProfile());
    const backing = join(dir, 'stick.img');
    execFileSync('fallocate', ['-l', String(STICK), backing]);
    loop = execFileSync('losetup', ['--find', '--show', '--direct-io=on', backing], { encoding: 'utf8' }).trim();
    const env = { EMT_CONFIG_DIR: join(dir, 'config'), EMT_CACHE_DIR: join(dir, 'cache'), EMT_WRITER: writer, EMT_ASSETS_DIR: join(root, 'assets'), EMT_TEST_TARGETS: loop, SOURCE_DATE_EPOCH: String(EPOCH), BENCH_PW: PASSWORD };
    const common = ['--release', release, '--profile', join(dir, 'bench.yaml'), '--password-env', 'BENCH_PW', '--kit', KIT, '--json'];

    // The image the baseline writes: the same build, to a file sized like the stick.
    const image = join(dir, 'built.img');
    const twoPassBuild = await timed(process.execPath, [cli, 'build', ...common, '--out', image, '--size', String(STICK)], env);
    const built = JSON.parse(twoPassBuild.stdout) as BuildResult;
    // Its free space, from the same plan (same inputs and date, so the same bytes: checked by hash).
    const prepared = await prepareBuild({ release: await classifyRelease([release]), profile: stickProfile(), profileDir: dir, password: new SecretText(PASSWORD), kitDir: KIT, date: new Date(EPOCH * 1000) });
    const plan = await mediaSource(prepared, STICK).finally(() => prepared.dispose());
    if (sha256Sparse(image) !== built.sha256) throw new Error('built.img is not the bytes the CLI reported');
    const covered = STICK - (plan.source.unusedRanges ?? []).reduce((n, r) => n + r.length, 0);
    const launch = { command: process.execPath, args: [writer], via: 'direct' as const };
    const baselineSource = { ...(await fromFile(image)), path: image, unusedRanges: plan.source.unusedRanges };
    // The same file through the data socket, as the one pass sends its bytes: splits the cost
    // between composing the layout and the socket.
    const socketSource = { ...(await fromFile(image)), unusedRanges: plan.source.unusedRanges };

    // Warm-up: the first pass also converts the backing file's unwritten extents.
    await writeTargets({ launch, source: baselineSource, targets: [loop], testTargets: [loop], eject: false, verify: false });
    const onePass: Array<Timed & { result: WriteResult }> = [];
    const inProcess: Array<{ seconds: number; planSeconds: number; result: WriteResult }> = [];
    const baseline: Array<{ seconds: number; result: WriteResult }> = [];
    const socket: WriteResult[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const t = await timed(process.execPath, [cli, 'build', ...common, '--target', loop, '--yes', '--no-eject'], env);
      const result = JSON.parse(t.stdout) as WriteResult;
      if (!result.ok) throw new Error(`build --target failed: ${JSON.stringify(result.targets[0]?.error)}`);
      onePass.push({ ...t, result });
      const t1 = performance.now();
      const ready = await prepareBuild({ release: await classifyRelease([release]), profile: stickProfile(), profileDir: dir, password: new SecretText(PASSWORD), kitDir: KIT, cacheDir: env.EMT_CACHE_DIR, date: new Date(EPOCH * 1000) });
      try {
        const media = await mediaSource(ready, STICK);
        const planSeconds = (performance.now() - t1) / 1000;
        const r = await writeTargets({ launch, source: media.source, targets: [loop], testTargets: [loop], eject: false });
        if (!r.ok) throw new Error(`the one pass in process failed: ${JSON.stringify(r.targets[0]?.error)}`);
        inProcess.push({ seconds: (performance.now() - t1) / 1000, planSeconds, result: r });
      } finally {
        await ready.dispose();
      }
      const t0 = performance.now();
      const b = await writeTargets({ launch, source: baselineSource, targets: [loop], testTargets: [loop], eject: false });
      if (!b.ok) throw new Error(`writing built.img failed: ${JSON.stringify(b.targets[0]?.error)}`);
      baseline.push({ seconds: (performance.now() - t0) / 1000, result: b });
      const viaSocket = await writeTargets({ launch, source: socketSource, targets: [loop], testTargets: [loop], eject: false, verify: false });
      if (!viaSocket.ok) throw new Error(`streaming built.img failed: ${JSON.stringify(viaSocket.targets[0]?.error)}`);
      socket.push(viaSocket);
    }
    const best = (xs: number[]) => Math.min(...xs);
    const cliOne = best(onePass.map((o) => o.seconds));
    const one = best(inProcess.map((o) => o.seconds));
    const base = best(baseline.map((b) => b.seconds));
    const oneWrite = best(inProcess.map((o) => o.result.targets[0]!.writeSeconds));
    const baseWrite = best(baseline.map((b) => b.result.targets[0]!.writeSeconds));
    const socketWrite = best(socket.map((r) => r.targets[0]!.writeSeconds));
    const oneVerify = best(inProcess.map((o) => o.result.targets[0]!.verifySeconds));
    const baseVerify = best(baseline.map((b) => b.result.targets[0]!.verifySeconds));
    const planBest = best(inProcess.map((o) => o.planSeconds));
    const rate = (s: number) => `${(covered / MiB / s).toFixed(0)} MiB/s`;
    const [load] = (await readFile('/proc/loadavg', 'utf8')).split(' ');
    return {
      name: `standalone stick in one pass vs the built image (Bootkit fixture, ${OS_IMAGE / MiB} MiB OS image, ${(covered / MiB).toFixed(0)} of ${STICK / MiB} MiB written, loop --direct-io=on)`,
      lines: [
        `whole job, in process: one pass ${one.toFixed(2)} s vs writing built.img ${base.toFixed(2)} s: ${(one / base).toFixed(2)}x (goal <= 1.05x)`,
        `  of which loading the prepared release and planning the stick (not in the baseline): ${planBest.toFixed(2)} s`,
        `emt-media build --target as a CLI process (node start, drive checks, the same job): ${cliOne.toFixed(2)} s, ${(cliOne / base).toFixed(2)}x`,
        `write phase: one pass ${rate(oneWrite)} vs built.img ${rate(baseWrite)}: ${(oneWrite / baseWrite).toFixed(2)}x; verify ${(oneVerify / baseVerify).toFixed(2)}x`,
        `  built.img streamed through the data socket (the path before the writer's map): ${rate(socketWrite)} (${(socketWrite / baseWrite).toFixed(2)}x the file read by the writer)`,
        `two passes (build --out built.img ${twoPassBuild.seconds.toFixed(2)} s, then the write): ${(twoPassBuild.seconds + base).toFixed(2)} s; the CLI's one pass saves ${(twoPassBuild.seconds + base - cliOne).toFixed(2)} s and ${(covered / MiB).toFixed(0)} MiB of temporary disk`,
        `peak RSS: CLI ${Math.max(...onePass.map((o) => o.maxRssMiB)).toFixed(0)} MiB (VmHWM, sampled every 50 ms), writer ${Math.max(...onePass.map((o) => o.result.writerMaxRssBytes / MiB)).toFixed(0)} MiB (goal <= 150 MiB each)`,
        `runs (s): one pass ${inProcess.map((o) => o.seconds.toFixed(2)).join(', ')}; CLI one pass ${onePass.map((o) => o.seconds.toFixed(2)).join(', ')}; built.img ${baseline.map((b) => b.seconds.toFixed(2)).join(', ')}; load average ${load} on ${execFileSync('nproc', { encoding: 'utf8' }).trim()} cores: times are inflated by the other jobs`,
      ],
    };
  } finally {
    if (loop) execFileSync('losetup', ['--detach', loop]);
    await rm(dir, { recursive: true, force: true });
  }
}
