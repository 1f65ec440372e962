import { dirname, resolve } from 'node:path';
import type { BuildResult, Finding } from '../contract/build';
import { EmtError } from '../errors';
import { buildIsoFile, type BuildInput } from '../media/build';
import { loadProfile } from '../profile/profile-file';
import { classifyRelease } from '../release/read-release';
import { flag, formatBytes, str, strs, type CliIo, type Command, type ParsedArgs } from './command';
import { readPassword } from './profile';

const USAGE = [
  'build --release <tarball | dir | kernel --release initramfs> --out X.iso',
  '            [--profile site.yaml] [--overlay DIR] [--append "k=v ..."] [--boot-chain DIR]',
  '            [--password-stdin | --password-env VAR | --ask-password] [--kit DIR] [--title TEXT] [--timeout SECONDS] [--json]',
].join('\n');

export const buildCommand: Command = {
  name: 'build',
  summary: 'Build a bootable hybrid ISO (UEFI + BIOS, USB + CD) from a release and a profile',
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
    'release-id': { type: 'string' },
    'password-stdin': { type: 'boolean' },
    'password-env': { type: 'string' },
    'ask-password': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run(args, io) {
    const input = await buildInput(args, io);
    const out = str(args, 'out');
    if (!out) throw new EmtError('E_USAGE', '--out is required.', `Usage: emt-media ${USAGE}`);
    const ac = new AbortController();
    const onSignal = () => ac.abort();
    process.once('SIGINT', onSignal);
    try {
      const result = await buildIsoFile(input, resolve(io.cwd, out), { onProgress: io.progress, signal: ac.signal });
      report(result, args, io);
      return 0;
    } finally {
      process.off('SIGINT', onSignal);
    }
  },
};

async function buildInput(args: ParsedArgs, io: CliIo): Promise<BuildInput> {
  const releases = strs(args, 'release').map((r) => resolve(io.cwd, r));
  if (releases.length === 0) throw new EmtError('E_USAGE', '--release is required.', `Usage: emt-media ${USAGE}`);
  const profilePath = str(args, 'profile');
  const loaded = profilePath ? await loadProfile(resolve(io.cwd, profilePath)) : null;
  const password = loaded?.profile.mode === 'standalone' ? await readPassword(args, io) : null;
  const timeout = str(args, 'timeout');
  if (timeout !== undefined && !/^\d{1,3}$/.test(timeout)) throw new EmtError('E_USAGE', `--timeout ${timeout} is not a number of seconds.`, 'Give the boot menu timeout in whole seconds, e.g. --timeout 5.');
  return {
    release: await classifyRelease(releases),
    releaseId: str(args, 'release-id'),
    ...(loaded ? { profile: loaded.profile, profileDir: dirname(resolve(io.cwd, profilePath!)) } : {}),
    ...(password ? { password } : {}),
    overlayDir: str(args, 'overlay') && resolve(io.cwd, str(args, 'overlay')!),
    append: strs(args, 'append'),
    bootChainDir: str(args, 'boot-chain') && resolve(io.cwd, str(args, 'boot-chain')!),
    kitDir: str(args, 'kit') && resolve(io.cwd, str(args, 'kit')!),
    menuTitle: str(args, 'title'),
    timeoutSeconds: timeout === undefined ? undefined : Number(timeout),
  };
}

function report(result: BuildResult, args: ParsedArgs, io: CliIo): void {
  if (flag(args, 'json')) {
    io.out(JSON.stringify({ ok: true, ...result }, null, 2));
    return;
  }
  const m = result.manifest;
  io.out(`Built ${result.output} (${formatBytes(result.size)}) in ${result.seconds} s`);
  io.out(`  sha256      ${result.sha256}`);
  io.out(`  release     ${m.release.source} (${m.release.layout}); kernel and initramfs unchanged`);
  io.out(`  mode        ${m.mode}; ${m.overlay.filter((o) => o.kind !== 'dir').length} customization file(s)`);
  io.out(`  kernel      ${m.kernelCommandLine}`);
  io.out(`  Secure Boot ${m.secureBoot.state === 'possible' ? 'can stay on' : 'must be OFF'}: ${m.secureBoot.explanation}`);
  printFindings(result.findings, io);
}

export function printFindings(findings: readonly Finding[], io: CliIo): void {
  for (const f of findings) io.err(`${f.severity} ${f.code}: ${f.message}\n  fix: ${f.hint}`);
}
