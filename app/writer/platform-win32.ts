import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Drive } from '../contract/drives';
import { EmtError } from '../errors';
import { run } from '../flash/run';
import type { Platform } from './platform';

/**
 * Windows through diskpart, as Etcher does: `clean` removes the partitions, so no volume stays
 * mounted or locked while we write. Not exercised by this project's tests (they run on Linux).
 */

function diskNumber(drive: Drive): number {
  const m = /PhysicalDrive(\d+)$/i.exec(drive.device);
  if (!m) throw new EmtError('E_DRIVE_UNKNOWN', `${drive.device} is not a physical drive path.`, 'Choose the stick from the drive list.');
  return Number(m[1]);
}

async function diskpart(lines: string[]): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'emt-diskpart-'));
  try {
    const script = join(dir, 'script.txt');
    await writeFile(script, `${lines.join('\r\n')}\r\n`);
    const r = await run('diskpart', ['/s', script], { timeoutMs: 120_000 });
    if (r.code !== 0) throw new EmtError('E_BUSY', `diskpart failed: ${r.stdout.trim().split('\n').at(-1) ?? ''}.`, 'Close programs using the stick (Explorer windows, antivirus scans), then try again.');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const win32: Platform = {
  async unmount(drive) {
    if (drive.kind === 'file') return;
    await diskpart([`select disk ${diskNumber(drive)}`, 'clean', 'rescan']);
  },
  holders: async () => [],
  isPresent: (drive) => open(drive.device, 'r').then((fh) => fh.close().then(() => true), () => false),
  eject: async () => false,
  async partitionAndFormat(drive, filesystem, label) {
    await diskpart([`select disk ${diskNumber(drive)}`, 'clean', 'create partition primary offset=1024', `format fs=${filesystem} label="${label}" quick`, 'assign']);
    return { offset: 1 << 20, size: drive.size - (1 << 20) };
  },
};
