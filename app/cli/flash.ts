import { resolve } from 'node:path';
import type { FlashTarget, SafetyFinding, WriteResult } from '../contract/drives';
import { EmtError } from '../errors';
import { stickContext } from '../flash/context';
import { checkTargets, writeTargets, type StickJobOptions, type TargetCheck, type WritableSource } from '../flash/write-targets';
import { fromFile } from '../formats/byte-source';
import { flag, formatBytes, strs, type CliIo, type Command, type ParsedArgs } from './command';

/** `emt-media flash X.iso --target /dev/sdX [--target …]`: write, verify and eject, several sticks at once. */
export const flashCommand: Command = {
  name: 'flash',
  summary: 'Write an ISO to one or more USB sticks, verify each, eject',
  usage: 'flash <image> --target DEVICE [--target DEVICE]... [--yes] [--confirm-system-drive NAME]... [--no-verify] [--no-eject] [--json]',
  options: {
    target: { type: 'string', multiple: true },
    yes: { type: 'boolean' },
    'confirm-system-drive': { type: 'string', multiple: true },
    'no-verify': { type: 'boolean' },
    'no-eject': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run(args, io) {
    const { path, devices } = imageAndTargets(args, flashCommand, io);
    // `path`: the writer reads the ISO itself, with the user's rights.
    const source = { ...(await fromFile(path)), path };
    const ctx = await stickContext(io.env);
    const acceptWarnings = flag(args, 'yes');
    const checks = await confirmedChecks(devices, source.size, args, { ...ctx, sourcePaths: [path], acceptWarnings });
    if (!flag(args, 'json')) printFindings(checks, io);
    refuseBlocked(checks, acceptWarnings);
    const result = await writeChecked(source, checks, args, io, { ...ctx, sourcePaths: [path] });
    return printResult(result, 'written', args, io);
  },
};

export function imageAndTargets(args: ParsedArgs, cmd: Command, io: CliIo): { path: string; devices: string[] } {
  const [image, ...more] = args.positionals;
  const devices = strs(args, 'target');
  if (!image || more.length || devices.length === 0) throw new EmtError('E_USAGE', 'Name one image and at least one --target.', `Usage: emt-media ${cmd.usage}; emt-media drives lists the targets.`);
  return { path: resolve(io.cwd, image), devices };
}

/** Checks with the typed names applied: `--confirm-system-drive NAME` confirms the fixed drive called NAME. */
export async function confirmedChecks(devices: string[], size: number, args: ParsedArgs, o: Parameters<typeof checkTargets>[2]): Promise<TargetCheck[]> {
  const names = strs(args, 'confirm-system-drive');
  const first = await checkTargets(devices, size, o);
  const targets: FlashTarget[] = first.map((c) => (c.drive && names.includes(c.drive.name) ? { device: c.target.device, typedName: c.drive.name } : c.target));
  return names.length ? checkTargets(targets, size, o) : first;
}

function line(f: SafetyFinding): string {
  return `  ${f.severity === 'info' ? 'note' : f.severity}: ${f.message}${f.severity === 'info' ? '' : `\n    fix: ${f.hint}`}`;
}

export function printFindings(checks: TargetCheck[], io: CliIo): void {
  for (const c of checks) {
    if (c.findings.length === 0) continue;
    io.err(`${c.target.device}${c.drive ? ` (${c.drive.name})` : ''}:`);
    for (const f of c.findings) io.err(line(f));
  }
}

/** Nothing is written when any target fails a safety rule: a wrong device in a list is a reason to stop and look. */
export function refuseBlocked(checks: TargetCheck[], acceptWarnings: boolean): void {
  const blocked = checks.filter((c) => c.blocking.length > 0);
  if (blocked.length === 0) return;
  const onlyWarnings = blocked.every((c) => c.blocking.every((f) => f.severity === 'warning'));
  throw new EmtError(
    onlyWarnings && !acceptWarnings ? 'E_NOT_CONFIRMED' : 'E_TARGET_REFUSED',
    `Nothing was written: ${blocked.map((c) => c.target.device).join(', ')} did not pass the safety checks.`,
    onlyWarnings ? 'Check the warnings above; add --yes if these are the drives to erase.' : 'Fix the problems above, or leave those targets out.',
    { details: { targets: blocked.map((c) => ({ device: c.target.device, findings: c.blocking })) } },
  );
}

/**
 * Write checked targets as the stick commands do (flash, build --target): --no-verify, --no-eject,
 * --yes for warnings, Ctrl-C to cancel, progress on the terminal.
 */
export function writeChecked(source: WritableSource, checks: TargetCheck[], args: ParsedArgs, io: CliIo, ctx: StickJobOptions & { sourcePaths?: readonly string[] }): Promise<WriteResult> {
  return withInterrupt((signal) =>
    writeTargets({
      ...ctx,
      source,
      targets: checks.map((c) => c.target),
      verify: !flag(args, 'no-verify'),
      eject: !flag(args, 'no-eject'),
      acceptWarnings: flag(args, 'yes'),
      isInteractive: process.stdin.isTTY === true,
      env: io.env,
      onProgress: io.progress,
      signal,
    }),
  );
}

/** Ctrl-C cancels: the writer wipes the start of every stick it had begun and reports it. */
export async function withInterrupt<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const onInterrupt = () => ac.abort();
  process.once('SIGINT', onInterrupt);
  try {
    return await fn(ac.signal);
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

export function printResult(result: WriteResult, verb: 'written' | 'verified', args: ParsedArgs, io: CliIo): number {
  if (flag(args, 'json')) {
    io.out(JSON.stringify(result, null, 2));
    return result.ok ? 0 : 1;
  }
  for (const t of result.targets) {
    if (t.ok) {
      const parts = [verb === 'written' && `written ${formatBytes(t.bytesWritten)}`, t.isVerified && `verified ${formatBytes(t.bytesVerified)}`, t.bytesSkipped > 0 && `${formatBytes(t.bytesSkipped)} of free space skipped`, t.isEjected && 'ejected'];
      io.out(`ok    ${t.device} (${t.name}): ${parts.filter(Boolean).join(', ')}${t.isCacheBypassed || !t.isVerified ? '' : ' (read back through the OS cache)'}`);
    } else {
      io.out(`FAIL  ${t.device} (${t.name}): error ${t.error!.code}: ${t.error!.message}`);
      io.out(`      fix: ${t.error!.hint}${t.isWiped && t.error!.code !== 'E_CANCELLED' ? ' (The stick was wiped at the start so it does not boot half-written.)' : ''}`);
    }
  }
  const failed = result.targets.filter((t) => !t.ok).length;
  io.out(failed ? `${failed} of ${result.targets.length} stick(s) failed.` : `All ${result.targets.length} stick(s) ${verb}.`);
  return failed ? 1 : 0;
}
