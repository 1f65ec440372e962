import { RestoreFilesystemSchema } from '../contract/drives';
import { EmtError } from '../errors';
import { stickContext } from '../flash/context';
import { restoreDrive } from '../flash/write-targets';
import { flag, formatBytes, str, strs, type Command } from './command';
import { confirmedChecks, printFindings, refuseBlocked, withInterrupt } from './flash';

/** `emt-media restore --target /dev/sdX`: make a stick we wrote (or any stick) a normal drive again. */
export const restoreCommand: Command = {
  name: 'restore',
  summary: 'Turn a stick back into a normal drive: one FAT32 or exFAT partition, labelled',
  usage: 'restore --target DEVICE [--fs fat32|exfat] [--label NAME] [--yes] [--confirm-system-drive NAME] [--no-eject] [--json]',
  options: {
    target: { type: 'string', multiple: true },
    fs: { type: 'string' },
    label: { type: 'string' },
    yes: { type: 'boolean' },
    'confirm-system-drive': { type: 'string', multiple: true },
    'no-eject': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run(args, io) {
    const devices = strs(args, 'target');
    if (devices.length !== 1 || args.positionals.length) throw new EmtError('E_USAGE', 'Name exactly one --target.', `Usage: emt-media ${restoreCommand.usage}`);
    const fs = RestoreFilesystemSchema.safeParse(str(args, 'fs') ?? 'fat32');
    if (!fs.success) throw new EmtError('E_USAGE', `--fs must be fat32 or exfat, not "${str(args, 'fs')}".`, `Usage: emt-media ${restoreCommand.usage}`);
    const ctx = await stickContext(io.env);
    const acceptWarnings = flag(args, 'yes');
    const [check] = await confirmedChecks(devices, 0, args, { ...ctx, acceptWarnings });
    if (!flag(args, 'json')) printFindings([check!], io);
    refuseBlocked([check!], acceptWarnings);
    const r = await withInterrupt((signal) =>
      restoreDrive({
        ...ctx,
        target: check!.target,
        filesystem: fs.data,
        label: str(args, 'label'),
        eject: !flag(args, 'no-eject'),
        acceptWarnings,
        isInteractive: process.stdin.isTTY === true,
        env: io.env,
        onProgress: io.progress,
        signal,
      }),
    );
    if (flag(args, 'json')) {
      io.out(JSON.stringify({ ok: true, ...r }, null, 2));
      return 0;
    }
    const where = r.partitionSize === null ? '' : ` (${formatBytes(r.partitionSize)} from ${formatBytes(r.partitionOffset ?? 0)})`;
    io.out(`ok    ${r.device} (${r.name}) is a normal drive again: one ${r.filesystem === 'fat32' ? 'FAT32' : 'exFAT'} partition "${r.label}"${where}${r.isEjected ? ', ejected' : ''}.`);
    return 0;
  },
};
