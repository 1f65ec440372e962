import type { Drive } from '../contract/drives';
import { stickContext } from '../flash/context';
import { listDrives } from '../flash/drives';
import { flag, formatBytes, type Command } from './command';

/** `emt-media drives`: the sticks this computer sees, system drives only on request and flagged. */
export const drivesCommand: Command = {
  name: 'drives',
  summary: 'List the drives a stick can be written to (--all: system drives too)',
  usage: 'drives [--all] [--json]',
  options: { all: { type: 'boolean' }, json: { type: 'boolean' } },
  async run(args, io) {
    const { testTargets } = await stickContext(io.env);
    const all = await listDrives({ testTargets });
    const drives = flag(args, 'all') ? all : all.filter((d) => !d.isSystem);
    if (flag(args, 'json')) {
      io.out(JSON.stringify({ ok: true, drives }, null, 2));
      return 0;
    }
    if (drives.length === 0) io.out('No removable drive found. Plug in a USB stick (or run with --all to see system drives).');
    for (const d of drives) {
      io.out(`${d.device.padEnd(14)} ${formatBytes(d.size).padStart(10)}  ${d.bus.padEnd(6)} ${d.name}${flags(d)}`);
      for (const p of d.partitions) io.out(`  ${p.device.padEnd(14)} ${formatBytes(p.size).padStart(8)}  ${[p.label, p.fsType, ...p.mountpoints].filter(Boolean).join('  ')}`);
      if (d.partitions.length === 0 && d.mountpoints.length) io.out(`  mounted at ${d.mountpoints.join(', ')}`);
    }
    const hidden = all.length - drives.length;
    if (hidden > 0) io.out(`(${hidden} system drive(s) hidden; --all shows them)`);
    return 0;
  },
};

function flags(d: Drive): string {
  // Test targets say so in their name ("TEST TARGET loop3").
  const f = [d.systemReason === 'in-use' && 'SYSTEM, IN USE', d.systemReason === 'fixed' && 'SYSTEM', d.isReadOnly && 'READ-ONLY'].filter(Boolean);
  return f.length ? `  [${f.join(', ')}]` : '';
}
