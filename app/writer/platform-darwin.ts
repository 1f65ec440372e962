import { stat } from 'node:fs/promises';
import { EmtError } from '../errors';
import { run } from '../flash/run';
import { rawPath } from './device';
import type { Platform } from './platform';

/**
 * macOS through diskutil. Not exercised by this project's tests (they run on Linux): the calls are
 * the documented diskutil verbs, kept this small on purpose.
 */

// diskutil: "Unmount of disk4 failed: at least one volume could not be unmounted ... dissented by PID 412 (/usr/bin/foo)".
function dissenters(text: string): string[] {
  return [...text.matchAll(/dissented by PID (\d+) \(([^)]*)\)/g)].map((m) => `${m[2]} (pid ${m[1]})`);
}

export const darwin: Platform = {
  async unmount(drive) {
    if (drive.kind === 'file') return;
    const r = await run('diskutil', ['unmountDisk', drive.device]);
    if (r.code !== 0) {
      const holders = dissenters(r.stdout + r.stderr);
      throw new EmtError('E_BUSY', `${drive.name} could not be unmounted${holders.length ? `: it is used by ${holders.join(', ')}` : ''}.`, 'Close the files and windows open on the stick, then try again.', {
        details: { device: drive.device, holders, diskutil: (r.stdout + r.stderr).trim() },
      });
    }
  },
  async holders(drive) {
    // lsof -F: one field per line, "p<pid>" then "c<command>".
    const r = await run('lsof', ['-F', 'pc', drive.device, rawPath(drive)]);
    const out: string[] = [];
    let pid = '';
    for (const line of r.stdout.split('\n')) {
      if (line.startsWith('p')) pid = line.slice(1);
      else if (line.startsWith('c') && pid) out.push(`${line.slice(1)} (pid ${pid})`);
    }
    return [...new Set(out)];
  },
  isPresent: (drive) => stat(drive.device).then(() => true, () => false),
  async eject(drive) {
    if (drive.kind !== 'disk') return false;
    return (await run('diskutil', ['eject', drive.device])).code === 0;
  },
  async partitionAndFormat(drive, filesystem, label) {
    const r = await run('diskutil', ['eraseDisk', filesystem === 'fat32' ? 'FAT32' : 'ExFAT', label, 'MBRFormat', drive.device], { timeoutMs: 300_000 });
    if (r.code !== 0) throw new EmtError('E_FORMAT_FAILED', `diskutil could not format ${drive.name}: ${(r.stderr || r.stdout).trim()}.`, 'Try again; if it fails again the stick may be failing.');
    // diskutil chooses the partition's place itself and does not print it.
    return null;
  },
};
