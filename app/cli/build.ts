import { dirname, resolve } from 'node:path';
import type { BuildResult, Finding } from '../contract/build';
import { EmtError } from '../errors';
import { stickContext } from '../flash/context';
import { checkTargets } from '../flash/write-targets';
import { buildImageFile, buildIsoFile, mediaSource, prepareBuild, type BuildInput } from '../media/build';
import { confirmedChecks, printFindings as printTargetFindings, printResult, refuseBlocked, withInterrupt, writeChecked } from './flash';
import { loadProfile } from '../profile/profile-file';
import { flag, formatBytes, str, strs, type CliIo, type Command, type ParsedArgs } from './command';
import { readPassword } from './profile';
import { resolveReleaseArg } from './release-arg';

const USAGE = [
  'build --release <tarball | dir | kernel --release initramfs> (--out X.iso | --out X.img --size 16G | --target DEVICE...)',
  '            [--profile site.yaml] [--overlay DIR] [--append "k=v ..."] [--boot-chain DIR]',
  '            [--password-stdin | --password-env VAR | --ask-password] [--kit DIR] [--title TEXT] [--timeout SECONDS] [--json]',
  '            with --target: [--yes] [--confirm-system-drive NAME]... [--no-verify] [--no-eject]',
].join('\n');

export const buildCommand: Command = {
  name: 'build',
  summary: 'Build media from a release and a profile: a hybrid ISO, a stick image, or sticks directly',
  usage: USAGE,
  options: {
    release: { type: 'string', multiple: true },
    out: { type: 'string' },
    profile: { type: 'string' },
    overlay: { type: 'string' },
    append: { type: 'string', multiple: true },
    'boot-chain': { type: 'string' },
    kit: { type: 'string' },
    title: { type: 'string' },
    timeout: { type: 'string' },
    size: { type: 'string' },
    'release-id': { type: 'string' },
    target: { type: 'string', multiple: true },
    yes: { type: 'boolean' },
    'confirm-system-drive': { type: 'string', multiple: true },
    'no-verify': { type: 'boolean' },
    'no-eject': { type: 'boolean' },
    'password-stdin': { type: 'boolean' },
    'password-env': { type: 'string' },
    'ask-password': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run(args, io) {
    const { releaseLease, ...input } = await buildInput(args, io);
    try {
      return await buildWith(input, args, io);
    } finally {
      await releaseLease?.();
    }
  },
};

async function buildWith(input: BuildInput, args: ParsedArgs, io: CliIo): Promise<number> {
  if (strs(args, 'target').length > 0) return buildToSticks(input, args, io);
  const out = str(args, 'out');
  if (!out) throw new EmtError('E_USAGE', '--out or --target is required.', `Usage: emt-media ${USAGE}`);
  const path = resolve(io.cwd, out);
  const size = str(args, 'size');
  const result = await withInterrupt((signal) => {
    const opts = { onProgress: io.progress, signal };
    return /\.img$/i.test(out) || size ? buildImageFile(input, path, parseSize(size, input), opts) : buildIsoFile(input, path, opts);
  });
  report(result, args, io);
  return 0;
}

/**
 * `build … --target /dev/sdX [--target …]`: build straight onto the sticks in one pass — the ISO (or
 * the standalone stick layout, sized to the smallest stick) streams from the build into the writer,
 * with no temporary image.
 */
async function buildToSticks(input: BuildInput, args: ParsedArgs, io: CliIo): Promise<number> {
  const devices = strs(args, 'target');
  const ctx = await stickContext(io.env);
  const acceptWarnings = flag(args, 'yes');
  const sizes = (await checkTargets(devices, 0, ctx)).map((c) => c.drive?.size ?? 0);
  const prepared = await prepareBuild(input, { onProgress: io.progress });
  try {
    const media = await mediaSource(prepared, Math.min(...sizes.filter((n) => n > 0), Number.MAX_SAFE_INTEGER));
    const checks = await confirmedChecks(devices, media.source.size, args, { ...ctx, acceptWarnings });
    if (!flag(args, 'json')) printTargetFindings(checks, io);
    refuseBlocked(checks, acceptWarnings);
    const result = await writeChecked(media.source, checks, args, io, ctx);
    if (!flag(args, 'json')) {
      const m = prepared.plan.manifest();
      io.out(`Built ${media.kind === 'stick' ? 'the standalone stick layout' : 'the ISO'} from ${m.release.source} (${m.release.layout}, mode ${m.mode}) straight onto ${devices.length} stick(s).`);
      printFindings(prepared.plan.findings, io);
    }
    return printResult(result, 'written', args, io);
  } finally {
    await prepared.dispose();
  }
}

/** The build input from the options, and the end of the cached release's lease (if one was leased). */
async function buildInput(args: ParsedArgs, io: CliIo): Promise<BuildInput & { releaseLease?: () => Promise<void> }> {
  const names = strs(args, 'release');
  if (names.length === 0) throw new EmtError('E_USAGE', '--release is required.', `Usage: emt-media ${USAGE}`);
  const { done, ...release } = await resolveReleaseArg(names, io);
  try {
    const profilePath = str(args, 'profile');
    const loaded = profilePath ? await loadProfile(resolve(io.cwd, profilePath)) : null;
    const password = loaded?.profile.mode === 'standalone' ? await readPassword(args, io) : null;
    const timeout = str(args, 'timeout');
    if (timeout !== undefined && !/^\d{1,3}$/.test(timeout)) throw new EmtError('E_USAGE', `--timeout ${timeout} is not a number of seconds.`, 'Give the boot menu timeout in whole seconds, e.g. --timeout 5.');
    return {
      ...release,
      releaseId: release.releaseId ?? str(args, 'release-id'),
      releaseLease: done,
      ...(loaded ? { profile: loaded.profile, profileDir: dirname(resolve(io.cwd, profilePath!)) } : {}),
      ...(password ? { password } : {}),
      overlayDir: str(args, 'overlay') && resolve(io.cwd, str(args, 'overlay')!),
      append: strs(args, 'append'),
      bootChainDir: str(args, 'boot-chain') && resolve(io.cwd, str(args, 'boot-chain')!),
      kitDir: str(args, 'kit') && resolve(io.cwd, str(args, 'kit')!),
      menuTitle: str(args, 'title'),
      timeoutSeconds: timeout === undefined ? undefined : Number(timeout),
    };
  } catch (e) {
    await done();
    throw e;
  }
}

const UNITS: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 };

/** `16G` (GiB), `16GB` (10^9, as sticks are sold), `15000M`, or a byte count. */
export function parseSize(text: string | undefined, input: BuildInput): number {
  if (text === undefined) {
    if (input.profile?.mode === 'standalone') {
      throw new EmtError('E_USAGE', 'A standalone stick image needs --size: partition 7 takes the rest of the stick.', 'Give the size of the stick the image is for, e.g. --size 16GB.');
    }
    return Number.MAX_SAFE_INTEGER;
  }
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]B?|)$/i.exec(text.trim());
  if (!m) throw new EmtError('E_USAGE', `--size ${text} is not a size.`, 'Write it like 16G, 16GB or 15000M.');
  const bytes = Math.floor(Number(m[1]) * UNITS[m[2]!.toUpperCase()]!);
  return Math.floor(bytes / 512) * 512;
}

function report(result: BuildResult, args: ParsedArgs, io: CliIo): void {
  if (flag(args, 'json')) {
    io.out(JSON.stringify({ ok: true, ...result }, null, 2));
    return;
  }
  const m = result.manifest;
  io.out(`Built ${result.kind === 'stick' ? 'stick image' : 'ISO'} ${result.output} (${formatBytes(result.size)}) in ${result.seconds} s`);
  io.out(`  sha256      ${result.sha256}`);
  io.out(`  release     ${m.release.source} (${m.release.layout}); kernel and initramfs unchanged`);
  io.out(`  mode        ${m.mode}; ${m.overlay.filter((o) => o.kind !== 'dir').length} customization file(s)`);
  io.out(`  kernel      ${m.kernelCommandLine}`);
  io.out(`  Secure Boot ${m.secureBoot.state === 'possible' ? 'can stay on' : 'must be OFF'}: ${m.secureBoot.explanation}`);
  for (const p of result.partitions ?? []) io.out(`  partition ${p.number} ${p.name.padEnd(14)} ${p.filesystem.padEnd(8)} ${formatBytes(p.bytes)}${p.files.length ? `: ${p.files.join(', ')}` : ''}`);
  printFindings(result.findings, io);
}

export function printFindings(findings: readonly Finding[], io: CliIo): void {
  for (const f of findings) io.err(`${f.severity} ${f.code}: ${f.message}\n  fix: ${f.hint}`);
}
