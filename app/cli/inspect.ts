import { resolve } from 'node:path';
import type { InitramfsInspection, MediaInspection } from '../contract/inspect';
import { inspectPath } from '../media/inspect';
import { flag, formatBytes, type CliIo, type Command } from './command';
import { printFindings } from './build';
import { EmtError } from '../errors';

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'Read back and verify an ISO or a stick, or inspect a release or initramfs',
  usage: 'inspect <X.iso | /dev/sdX | release.tar.gz | release-dir | initramfs> [--json]',
  options: { json: { type: 'boolean' } },
  async run(args, io) {
    const target = args.positionals[0];
    if (!target) throw new EmtError('E_USAGE', 'inspect needs a path.', `Usage: emt-media ${this.usage}`);
    const result = await inspectPath(resolve(io.cwd, target), { onProgress: io.progress });
    if (flag(args, 'json')) io.out(JSON.stringify(result, null, 2));
    else if (result.kind === 'media') printMedia(result, io);
    else printInitramfs(result, io);
    return result.kind === 'media' && result.manifest && !result.isVerified ? 1 : 0;
  },
};

function printMedia(r: MediaInspection, io: CliIo): void {
  io.out(`${r.path}: ISO 9660 "${r.volumeId}", ${formatBytes(r.size)}`);
  io.out(`  boots       ${[r.boot.uefi && 'UEFI', r.boot.bios && 'BIOS'].filter(Boolean).join(' + ') || 'not bootable'}; ${r.boot.gpt ? 'GPT' : 'no GPT'}${r.boot.hybridMbr ? ', hybrid MBR (USB)' : ''}`);
  const m = r.manifest;
  if (m) {
    io.out(`  built       ${m.builtAt} by ${m.tool.name} ${m.tool.version}`);
    io.out(`  release     ${m.release.source} (${m.release.layout}), mode ${m.mode}`);
    io.out(`  kernel      ${m.kernelCommandLine}`);
    io.out(`  Secure Boot ${m.secureBoot.state === 'possible' ? 'can stay on' : 'must be OFF'}: ${m.secureBoot.explanation}`);
    const bad = r.checks.filter((c) => !c.isOk);
    io.out(`  verified    ${r.isVerified ? `yes: ${r.checks.length} hashes match the manifest` : `NO: ${bad.length} of ${r.checks.length} hashes differ (${bad.map((c) => c.path).join(', ')})`}`);
  }
  if (r.overlay.length) {
    io.out('  customization:');
    for (const o of r.overlay) io.out(`    ${o.mode.padStart(4, '0')} ${o.kind.padEnd(7)} ${o.path}${o.kind === 'file' ? ` (${formatBytes(o.size)})` : ''}`);
  }
  if (r.partitions.length) {
    io.out('  partitions:');
    for (const p of r.partitions) {
      io.out(`    ${p.number}: ${p.type}${p.name ? ` "${p.name}"` : ''} at ${formatBytes(p.firstByte)}, ${formatBytes(p.bytes)}${p.content ? `, ${p.content}` : ''}`);
      for (const f of p.files ?? []) io.out(`         ${f.path} (${formatBytes(f.size)})`);
    }
  }
  printFindings(r.findings, io);
}

function printInitramfs(r: InitramfsInspection, io: CliIo): void {
  io.out(`${r.path}: initramfs, ${formatBytes(r.size)}, ${r.entryCount} entries`);
  io.out(`  layout      ${r.layout}: ${r.reason}`);
  for (const s of r.segments) io.out(`  segment     @${s.offset} ${s.compression} ${formatBytes(s.length)}, ${s.entries} entries${s.problems.length ? ` — ${s.problems.join('; ')}` : ''}`);
  if (r.hooksDir) io.out(`  dracut hooks ${r.hooksDir}`);
  if (r.rootfs) {
    io.out(`  root        ${r.rootfs.entries} entries, ${formatBytes(r.rootfs.unpackedBytes)} unpacked`);
    for (const u of r.rootfs.units.filter((x) => x.wantedBy.length || x.isMasked)) io.out(`    unit ${u.name}${u.isMasked ? ' (masked)' : ` wanted by ${u.wantedBy.join(', ')}`}`);
  }
  printFindings(r.findings, io);
}
